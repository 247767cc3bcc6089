//! The room as a media entry, over real sockets: a moderator added on the room entry's Roles &
//! permissions tab gets the rights in the live room at once, on the socket they already hold
//! (no rejoin), and loses them the same way; a session that ends becomes a past session
//! counting each person who took part once.

mod common;

use common::raw::Raw;
use common::{start_server, PATIENCE, ROOM};
use domain::media::MediaKind;
use domain::ContainerKind;
use loadtest::sign_in;
use protocol::{ClientMessage, ServerMessage};
use room::{ChatChannel, CloseReason, Seat};

fn promoted(message: &ServerMessage) -> bool {
    matches!(message, ServerMessage::Standing { standing } if standing.rights.room_moderator)
}

fn demoted(message: &ServerMessage) -> bool {
    matches!(message, ServerMessage::Standing { standing } if !standing.rights.room_moderator)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_moderators_get_and_lose_rights_live_and_the_session_is_kept() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let store = &server.state.store;
    let teacher = store.viewer_by_id(2).await.unwrap().expect("the teacher");
    let page = store
        .container_page(&teacher, ContainerKind::Gallery, ROOM)
        .await
        .unwrap();
    let rooms: Vec<_> = page
        .media
        .iter()
        .filter(|m| m.kind == MediaKind::Room)
        .collect();
    assert_eq!(rooms.len(), 1, "enabling made the room entry");
    let entry = rooms[0].id;

    let mut host = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut student = Raw::join(&server, &student_cookie, ROOM, Seat::Viewer).await;
    let student_id = server.id_of(&teacher_cookie, "users", "student").await;

    // Added as Room moderator on the entry's Roles & permissions tab.
    let (status, body) = server
        .call(
            reqwest::Method::POST,
            &format!("/api/media/{entry}/moderators"),
            &teacher_cookie,
            Some(serde_json::json!({
                "principals": [{"kind": "user", "id": student_id}],
                "room_moderator": true, "chat_moderator": false
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    student.until(promoted).await;
    // Moderator tools work on the same socket: the backchannel is theirs now.
    student
        .send(&ClientMessage::Chat {
            channel: ChatChannel::Backchannel,
            text: "from the new moderator".into(),
        })
        .await;
    host.until(|m| {
        matches!(m, ServerMessage::Chat { message }
            if message.channel == ChatChannel::Backchannel && message.text == "from the new moderator")
    })
    .await;
    // Still not an editor of the entry.
    let (status, _) = server
        .call(
            reqwest::Method::GET,
            &format!("/api/media/{entry}/roles"),
            &student_cookie,
            None,
        )
        .await;
    assert_eq!(status, 403);

    let (status, body) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/media/{entry}/moderators/user/{student_id}"),
            &teacher_cookie,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    student.until(demoted).await;

    // Rejoining later does not count the person twice.
    drop(student);
    let mut student = Raw::join(&server, &student_cookie, ROOM, Seat::Viewer).await;
    // The student's socket handles one message at a time: once their chat is out, their join
    // (and its count) is done.
    student
        .send(&ClientMessage::Chat {
            channel: ChatChannel::Group,
            text: "joined again".into(),
        })
        .await;
    host.until(|m| matches!(m, ServerMessage::Chat { message } if message.text == "joined again"))
        .await;

    let mut changes = store.changes();
    host.send(&ClientMessage::EndForAll).await;
    host.until(|m| {
        matches!(
            m,
            ServerMessage::Closed {
                reason: CloseReason::EndedByModerator,
                ..
            }
        )
    })
    .await;
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Ok(store::Change::ContainerContent { container_id }) = changes.recv().await {
                if container_id == ROOM {
                    return;
                }
            }
        }
    })
    .await
    .expect("the session is written when it closes");
    let sessions = store.past_sessions(&teacher, ROOM).await.unwrap();
    assert_eq!(sessions.sessions.len(), 1);
    assert_eq!(sessions.sessions[0].participants, 2, "teacher and student");
    let transcript = store
        .session_transcript(&teacher, ROOM, sessions.sessions[0].id)
        .await
        .unwrap();
    let backchannel = transcript.backchannel.expect("moderators read it");
    assert!(backchannel
        .iter()
        .any(|line| line.text == "from the new moderator"));
    assert!(transcript
        .group_chat
        .iter()
        .any(|line| line.text == "joined again"));
}
