//! The live layer under hostile or broken clients, over real sockets: what the server closes
//! stays closed, slow and silent clients are let go, oversize frames and floods are refused,
//! one person cannot fill a room, and a failing room does not take others with it.

mod common;

use std::time::{Duration, Instant};

use common::{start_server, start_server_with, LiveServer, PATIENCE, ROOM};
use futures_util::SinkExt;
use loadtest::sign_in;
use protocol::{close_code, ClientMessage, ServerMessage};
use room::{ChatChannel, CloseReason, MediaState, Moderation, Seat};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;

use common::raw::Raw;

fn chat(text: &str) -> ClientMessage {
    ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: text.into(),
    }
}

/// After `closed`, the server closes the socket itself and drops whatever the client sends.
async fn closed_then_nothing_counts(student: &mut Raw, reason: CloseReason) {
    let closed = student
        .until(|m| matches!(m, ServerMessage::Closed { .. }))
        .await;
    assert!(
        matches!(closed, ServerMessage::Closed { reason: r, .. } if r == reason),
        "{closed:?}"
    );
    // A hostile client carries on as if nothing happened.
    for message in [
        chat("after closed"),
        ClientMessage::Join {
            seat: Seat::Viewer,
            media: MediaState::OFF,
        },
        ClientMessage::RaiseHand,
        ClientMessage::Launch,
    ] {
        student.send(&message).await;
    }
    assert_eq!(student.close_code().await, close_code::ENDED);
}

/// Nothing `student` sent after its close reached the room: the teacher's own message comes
/// back, and the student's never did.
async fn room_heard_nothing_after_close(server: &LiveServer, teacher: &mut Raw) {
    teacher.send(&chat("sync")).await;
    loop {
        match teacher.next().await {
            Some(Ok(ServerMessage::Chat { message })) if message.text == "sync" => break,
            Some(Ok(ServerMessage::Chat { message })) => {
                panic!("the room heard {:?} after closing its sender", message.text)
            }
            Some(Ok(_)) => continue,
            other => panic!("teacher's socket ended: {other:?}"),
        }
    }
    let stored = server
        .state
        .store
        .recent_chat(ROOM, ChatChannel::Group)
        .await
        .unwrap();
    assert!(stored.iter().all(|m| m.text != "after closed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_participant_is_closed_by_the_server_and_cannot_act_or_rejoin() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut student = Raw::join(&server, &student_cookie, ROOM, Seat::Viewer).await;
    let ServerMessage::ParticipantJoined { participant } = teacher
        .until(|m| matches!(m, ServerMessage::ParticipantJoined { .. }))
        .await
    else {
        unreachable!()
    };
    teacher
        .send(&ClientMessage::Moderate {
            participant: participant.id,
            action: Moderation::RemoveFromRoom,
        })
        .await;
    closed_then_nothing_counts(&mut student, CloseReason::Removed).await;
    room_heard_nothing_after_close(&server, &mut teacher).await;

    let mut again = Raw::open(&server, &student_cookie, ROOM).await;
    again
        .until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    again
        .send(&ClientMessage::Join {
            seat: Seat::Viewer,
            media: MediaState::OFF,
        })
        .await;
    let refused = again
        .until(|m| matches!(m, ServerMessage::Error { .. }))
        .await;
    assert!(matches!(refused, ServerMessage::Error { code, .. } if code == "removed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_access_closes_the_socket_and_join_chat_hand_and_vote_are_refused() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut student = Raw::join(&server, &student_cookie, ROOM, Seat::Viewer).await;
    let admin = sign_in(&server.base_url, "admin", "demo").await.unwrap();
    let group = server.id_of(&admin, "groups", "Design").await;
    let student_id = server.id_of(&admin, "users", "student").await;
    let (status, _) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/groups/{group}/members/{student_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 204);
    closed_then_nothing_counts(&mut student, CloseReason::AccessRevoked).await;
    student
        .send(&ClientMessage::Vote {
            poll: 1,
            choices: vec![0],
        })
        .await;
    room_heard_nothing_after_close(&server, &mut teacher).await;
    // And a new socket is refused before it opens.
    assert!(Raw::try_open(&server, &student_cookie, ROOM)
        .await
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_room_closes_every_socket_and_cannot_be_launched_again() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    // A second moderator socket that only waits: the one that re-launched the room before.
    let mut waiting = Raw::open(&server, &teacher_cookie, ROOM).await;
    waiting
        .until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;

    server.set_room_enabled(&teacher_cookie, false).await;
    closed_then_nothing_counts(&mut teacher, CloseReason::RoomDisabled).await;
    closed_then_nothing_counts(&mut waiting, CloseReason::RoomDisabled).await;
    assert!(Raw::try_open(&server, &teacher_cookie, ROOM)
        .await
        .is_none());
    // The actor saves the end right after telling everyone.
    let deadline = Instant::now() + PATIENCE;
    while server
        .state
        .store
        .live_room_setup(ROOM)
        .await
        .unwrap()
        .opened_at
        .is_some()
    {
        assert!(
            Instant::now() < deadline,
            "the session is over in the database too"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_for_all_closes_joined_and_waiting_sockets() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut student = Raw::join(&server, &student_cookie, ROOM, Seat::Viewer).await;
    let mut waiting = Raw::open(&server, &student_cookie, ROOM).await;
    waiting
        .until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    teacher.send(&ClientMessage::EndForAll).await;
    closed_then_nothing_counts(&mut student, CloseReason::EndedByModerator).await;
    closed_then_nothing_counts(&mut waiting, CloseReason::EndedByModerator).await;
    closed_then_nothing_counts(&mut teacher, CloseReason::EndedByModerator).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_persons_200_sockets_cannot_fill_the_room() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let _teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let (mut joined, mut refused_joins, mut refused_sockets) = (Vec::new(), 0, 0);
    for _ in 0..200 {
        let Some(mut raw) = Raw::try_open(&server, &student_cookie, ROOM).await else {
            refused_sockets += 1;
            continue;
        };
        match raw.next().await {
            Some(Ok(ServerMessage::Welcome { .. })) => {}
            Some(Ok(ServerMessage::Error { code, .. })) => {
                assert_eq!(code, "too_many_connections");
                assert_eq!(raw.close_code().await, close_code::POLICY);
                refused_sockets += 1;
                continue;
            }
            other => panic!("unexpected {other:?}"),
        }
        raw.send(&ClientMessage::Join {
            seat: Seat::Viewer,
            media: MediaState::OFF,
        })
        .await;
        match raw
            .until(|m| {
                matches!(
                    m,
                    ServerMessage::Joined { .. } | ServerMessage::Error { .. }
                )
            })
            .await
        {
            ServerMessage::Joined { .. } => joined.push(raw),
            ServerMessage::Error { code, .. } => {
                assert_eq!(code, "too_many_devices");
                refused_joins += 1;
                joined.push(raw); // kept open: it still counts as a connection
            }
            _ => unreachable!(),
        }
    }
    let participants = server.state.hub.participants_of(ROOM).await;
    assert_eq!(
        participants,
        1 + 3,
        "the teacher and three of the student's devices"
    );
    assert_eq!(refused_joins, server::live::MAX_CONNECTIONS_PER_PERSON - 3);
    assert_eq!(
        refused_sockets,
        200 - server::live::MAX_CONNECTIONS_PER_PERSON
    );
    // Somebody else still gets in.
    let other = sign_in(&server.base_url, "student2", "demo").await.unwrap();
    Raw::join(&server, &other, ROOM, Seat::Viewer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_client_leaves_the_stage_and_frees_its_seat() {
    let server = start_server_with(|config| {
        config.live.ping_interval = Duration::from_millis(300);
        config.live.idle_timeout = Duration::from_secs(2);
    })
    .await;
    let (_, teacher) = server.host().await;
    let (_, student) = server.join_as("student", Seat::Stage).await;
    let started = Instant::now();
    student.freeze();
    let left = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantLeft { participant } if *participant == student.me);
    assert!(teacher.wait_for_message(PATIENCE, left).await.is_some());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "dropped only after the idle timeout"
    );
    assert_eq!(server.state.hub.participants_of(ROOM).await, 1);
    // The same person, on a live page, takes the seat again.
    server.join_as("student", Seat::Stage).await;
    // A live bot kept answering all along.
    assert!(teacher.errors().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_oversize_frame_is_refused_at_64_kib_with_1009() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut raw = Raw::open(&server, &teacher_cookie, ROOM).await;
    raw.until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    // A masked text frame announcing 15 MB, then 1 MB of it.
    let announced: u64 = 15 * 1024 * 1024;
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&announced.to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    let stream = match raw.socket.get_mut() {
        tokio_tungstenite::MaybeTlsStream::Plain(stream) => stream,
        _ => unreachable!("plain TCP on loopback"),
    };
    stream.write_all(&header).await.unwrap();
    // The server may close before all of it is written; that is the point.
    let _ = stream.write_all(&vec![b'x'; 1024 * 1024]).await;
    assert_eq!(raw.close_code().await, close_code::TOO_BIG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_per_person_across_sockets_and_count_binary_frames() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let _teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut first = Raw::join(&server, &cookie, ROOM, Seat::Viewer).await;
    let mut second = Raw::join(&server, &cookie, ROOM, Seat::Viewer).await;
    // Binary frames spend the budget too.
    for _ in 0..30 {
        first
            .socket
            .send(Message::Binary(vec![0u8; 16].into()))
            .await
            .unwrap();
    }
    for i in 0..30 {
        second.send(&chat(&format!("flood {i}"))).await;
    }
    second
        .until(|m| matches!(m, ServerMessage::Error { code, .. } if code == "rate_limited"))
        .await;
    let stored = server
        .state
        .store
        .recent_chat(ROOM, ChatChannel::Group)
        .await
        .unwrap();
    let accepted = stored
        .iter()
        .filter(|m| m.text.starts_with("flood"))
        .count();
    assert!(
        accepted < 30,
        "the second socket shared the first's budget: {accepted} of 30 chats accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_offers_are_refused_in_plain_words() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let mut sections = String::from("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    for mid in 0..500 {
        sections.push_str(&format!(
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\na=rtpmap:96 VP8/90000\r\n"
        ));
    }
    let garbage = "v=0\r\nthis is not sdp at all\r\n".repeat(10);
    for sdp in [sections, garbage] {
        teacher
            .send(&ClientMessage::PublishOffer {
                sdp,
                tracks: Vec::new(),
                restart: false,
            })
            .await;
        let ServerMessage::Error { code, message } = teacher
            .until(|m| matches!(m, ServerMessage::Error { .. }))
            .await
        else {
            unreachable!()
        };
        assert!(code == "bad_offer" || code == "bad_message", "{code}");
        assert!(!message.contains("0x"), "internals leaked: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_fails_is_recovered_while_another_room_keeps_chatting() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    // The other room: "Design 101" (id 1), enabled the same way.
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            "/api/containers/1/room",
            &teacher_cookie,
            Some(serde_json::json!({
                "enabled": true, "mode": "interactive", "room_moderators": [],
                "chat_moderators": [], "qna": "on", "group_chat": true
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut failing = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let mut other = Raw::join(&server, &teacher_cookie, 1, Seat::Stage).await;

    assert!(server.state.hub.fail_room(ROOM).await);
    assert_eq!(failing.close_code().await, close_code::ROOM_RESTARTED);
    // The other room never noticed.
    other.send(&chat("still here")).await;
    other
        .until(|m| matches!(m, ServerMessage::Chat { message } if message.text == "still here"))
        .await;
    // The failed room comes back, still open, and people rejoin.
    let mut back = Raw::open(&server, &teacher_cookie, ROOM).await;
    let welcome = back
        .until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    assert!(matches!(welcome, ServerMessage::Welcome { room } if room.open));
    back.send(&ClientMessage::Join {
        seat: Seat::Stage,
        media: MediaState::OFF,
    })
    .await;
    back.until(|m| matches!(m, ServerMessage::Joined { .. }))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_room_is_still_open_after_a_restart() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    teacher.send(chat("before the restart"));
    teacher
        .wait_for_message(PATIENCE, |m| matches!(m, ServerMessage::Chat { .. }))
        .await
        .expect("chat echoed");
    drop(teacher);
    let server = server.restart().await;
    let student = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let mut raw = Raw::open(&server, &student, ROOM).await;
    let welcome = raw
        .until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    assert!(matches!(welcome, ServerMessage::Welcome { room } if room.open));
    raw.send(&ClientMessage::Join {
        seat: Seat::Viewer,
        media: MediaState::OFF,
    })
    .await;
    raw.until(|m| matches!(m, ServerMessage::ChatHistory { messages, .. } if messages.iter().any(|m| m.text == "before the restart")))
        .await;
    let _ = teacher_cookie;
}
