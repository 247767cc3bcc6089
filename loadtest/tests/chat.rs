//! Room chat over the real signalling socket, with several participants: who may write,
//! who reads what, moderation, history for late joiners, and persistence across a restart.

mod common;

use common::{start_server, PATIENCE};
use loadtest::{sign_in, Bot};
use protocol::{ClientMessage, ServerMessage};
use room::{ChatChannel, Seat};

fn chat_texts(bot: &Bot, channel: ChatChannel) -> Vec<String> {
    let mut texts = Vec::new();
    for message in bot.received() {
        match message {
            ServerMessage::ChatHistory {
                channel: c,
                messages,
            } if c == channel => {
                texts.extend(messages.into_iter().map(|m| m.text));
            }
            ServerMessage::Chat { message } if message.channel == channel => {
                texts.push(message.text)
            }
            _ => {}
        }
    }
    texts
}

fn said(text: &'static str) -> impl Fn(&ServerMessage) -> bool {
    move |m| matches!(m, ServerMessage::Chat { message } if message.text == text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_chat_moderators_moderate_and_the_backchannel_stays_among_moderators() {
    let server = start_server().await;
    let (_, teacher) = server.host().await;
    let (_, student) = server.join_as("student", Seat::Viewer).await;

    student.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: "  Hello <b>all</b>  ".into(),
    });
    let got = teacher
        .wait_for_message(PATIENCE, said("Hello <b>all</b>"))
        .await;
    let Some(ServerMessage::Chat { message }) = got else {
        panic!(
            "the teacher got no chat; student errors: {:?}, teacher got {:?}",
            student.errors(),
            teacher.received()
        )
    };
    assert_eq!(message.author, "Sam Student");

    // Students may not read or write the backchannel, nor moderate.
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Backchannel,
        text: "moderators only".into(),
    });
    assert!(teacher
        .wait_for_message(PATIENCE, said("moderators only"))
        .await
        .is_some());
    student.send(ClientMessage::Chat {
        channel: ChatChannel::Backchannel,
        text: "let me in".into(),
    });
    student.send(ClientMessage::DeleteChat {
        message: message.id,
    });
    student.send(ClientMessage::BlockInChat { user_id: 2 });
    let refusals = || {
        student
            .errors()
            .into_iter()
            .map(|(code, _)| code)
            .collect::<Vec<_>>()
    };
    for _ in 0..100 {
        if refusals().len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(refusals(), ["not_allowed", "not_allowed", "not_allowed"]);
    assert!(!chat_texts(&student, ChatChannel::Backchannel).contains(&"moderators only".to_owned()));
    assert!(!chat_texts(&teacher, ChatChannel::Backchannel).contains(&"let me in".to_owned()));

    // The teacher deletes the message for everyone and blocks the student.
    teacher.send(ClientMessage::DeleteChat {
        message: message.id,
    });
    let deleted = |m: &ServerMessage| matches!(m, ServerMessage::ChatDeleted { message: id } if *id == message.id);
    assert!(student.wait_for_message(PATIENCE, deleted).await.is_some());
    teacher.send(ClientMessage::BlockInChat {
        user_id: message.user_id,
    });
    let blocked = |m: &ServerMessage| matches!(m, ServerMessage::ChatBlocked { .. });
    assert!(student.wait_for_message(PATIENCE, blocked).await.is_some());
    student.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: "still here".into(),
    });
    let refused = student
        .wait_for_message(
            PATIENCE,
            |m| matches!(m, ServerMessage::Error { code, .. } if code == "blocked_in_chat"),
        )
        .await;
    assert!(refused.is_some());

    // A late joiner reads the history without the deleted message; the backchannel stays hidden.
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: "welcome".into(),
    });
    assert!(teacher
        .wait_for_message(PATIENCE, said("welcome"))
        .await
        .is_some());
    let student2 = sign_in(&server.base_url, "student2", "demo").await.unwrap();
    let late = Bot::join(server.bot(&student2, Seat::Viewer, false))
        .await
        .unwrap();
    let history = late
        .wait_for_message(PATIENCE, |m| matches!(m, ServerMessage::ChatHistory { .. }))
        .await;
    assert!(history.is_some());
    assert_eq!(chat_texts(&late, ChatChannel::Group), ["welcome"]);
    assert!(chat_texts(&late, ChatChannel::Backchannel).is_empty());
    assert_eq!(
        server
            .state
            .store
            .recent_chat(common::ROOM, ChatChannel::Backchannel)
            .await
            .unwrap()[0]
            .text,
        "moderators only",
        "the backchannel is kept for moderators"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_and_empty_messages_change_nothing() {
    let server = start_server().await;
    let (_, teacher) = server.host().await;
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: "x".repeat(1001),
    });
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: " \n ".into(),
    });
    for _ in 0..100 {
        if teacher.errors().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let codes: Vec<String> = teacher.errors().into_iter().map(|(code, _)| code).collect();
    assert_eq!(codes, ["invalid_chat", "invalid_chat"]);
    assert!(server
        .state
        .store
        .recent_chat(common::ROOM, ChatChannel::Group)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_survives_a_server_restart() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: "before the restart".into(),
    });
    assert!(teacher
        .wait_for_message(PATIENCE, said("before the restart"))
        .await
        .is_some());
    drop(teacher);

    let server = server.restart().await;
    let teacher = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();
    let history = teacher
        .wait_for_message(PATIENCE, |m| {
            matches!(
                m,
                ServerMessage::ChatHistory {
                    channel: ChatChannel::Group,
                    ..
                }
            )
        })
        .await;
    assert!(history.is_some());
    assert_eq!(
        chat_texts(&teacher, ChatChannel::Group),
        ["before the restart"]
    );
}
