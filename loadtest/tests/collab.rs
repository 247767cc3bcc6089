//! The room's collaboration over the real signalling socket with several participants: who
//! may run polls, answer Q&A and moderate; hands and invitations; live role changes; and
//! Q&A, votes and poll results surviving a restart.

mod common;

use std::time::{Duration, Instant};

use common::{start_server, PATIENCE};
use loadtest::{sign_in, Bot};
use protocol::{ClientMessage, ServerMessage};
use room::{ChatChannel, Moderation, PollDraft, Reaction, Seat, REACTION_BURST};

/// Waits until `bot` has received `count` messages matching `found`; returns the last.
async fn wait_count(
    bot: &Bot,
    count: usize,
    found: impl Fn(&ServerMessage) -> bool,
) -> ServerMessage {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let matching: Vec<ServerMessage> =
            bot.received().into_iter().filter(|m| found(m)).collect();
        if matching.len() >= count {
            return matching[count - 1].clone();
        }
        assert!(
            Instant::now() < deadline,
            "waited for {count} matching messages; got {:?}",
            bot.received()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for(bot: &Bot, found: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
    wait_count(bot, 1, found).await
}

/// The refusal codes `bot` got, once it has got `count` of them.
async fn refusals(bot: &Bot, count: usize) -> Vec<String> {
    wait_count(bot, count, |m| matches!(m, ServerMessage::Error { .. })).await;
    bot.errors().into_iter().map(|(code, _)| code).collect()
}

fn question_with(text: &'static str) -> impl Fn(&ServerMessage) -> bool {
    move |m| matches!(m, ServerMessage::Question { question } if question.text == text)
}

fn poll_draft() -> PollDraft {
    PollDraft {
        question: "Which codec?".into(),
        options: vec!["VP8".into(), "AV1".into()],
        multiple: false,
        correct: vec![0],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn students_cannot_run_polls_answer_questions_or_moderate_and_chat_moderators_can() {
    let server = start_server().await;
    let (_, teacher) = server.host().await;
    let (_, student) = server.join_as("student", Seat::Viewer).await;
    let (_, student2) = server.join_as("student2", Seat::Viewer).await;

    // A private question: the asker and the chat moderators see it, the other student not.
    student.send(ClientMessage::Ask {
        text: "Is VP9 coming?".into(),
    });
    let ServerMessage::Question { question } =
        wait_for(&teacher, question_with("Is VP9 coming?")).await
    else {
        unreachable!()
    };
    assert!(!question.published);
    student2.send(ClientMessage::Reply {
        question: question.id,
        text: "no idea".into(),
    });
    student2.send(ClientMessage::LaunchPoll { poll: poll_draft() });
    student2.send(ClientMessage::PublishQuestion {
        question: question.id,
    });
    student2.send(ClientMessage::Moderate {
        participant: teacher.me,
        action: Moderation::MuteMic,
    });
    student2.send(ClientMessage::InviteToStage {
        participant: student.me,
    });
    assert_eq!(
        refusals(&student2, 5).await,
        [
            "unknown_question",
            "not_allowed",
            "not_allowed",
            "not_allowed",
            "not_allowed"
        ]
    );
    assert!(!student2.received().iter().any(|m| matches!(
        m,
        ServerMessage::Question { .. } | ServerMessage::Poll { .. }
    )));

    // The chat moderator replies, publishes (now everyone sees it) and launches a poll.
    teacher.send(ClientMessage::Reply {
        question: question.id,
        text: "Next term.".into(),
    });
    let replied = |m: &ServerMessage| matches!(m, ServerMessage::Question { question } if question.replies.iter().any(|r| r.text == "Next term."));
    wait_for(&student, replied).await;
    teacher.send(ClientMessage::PublishQuestion {
        question: question.id,
    });
    wait_for(&student2, question_with("Is VP9 coming?")).await;
    // The other student may upvote it now, once, but still not reply in someone else's thread.
    student2.send(ClientMessage::Upvote {
        question: question.id,
    });
    student2.send(ClientMessage::Upvote {
        question: question.id,
    });
    student2.send(ClientMessage::Reply {
        question: question.id,
        text: "me too".into(),
    });
    assert_eq!(
        refusals(&student2, 7).await[5..],
        ["already_voted", "not_allowed"]
    );
    let voted = |m: &ServerMessage| matches!(m, ServerMessage::Question { question } if question.votes == 1);
    let ServerMessage::Question { question } = wait_for(&teacher, voted).await else {
        unreachable!()
    };
    assert!(!question.voted, "the teacher did not vote");
    teacher.send(ClientMessage::MarkAnswered {
        question: question.id,
    });
    wait_for(
        &student2,
        |m| matches!(m, ServerMessage::Question { question } if question.answered),
    )
    .await;
    assert!(teacher.errors().is_empty(), "{:?}", teacher.errors());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_qna_and_votes_survive_a_restart() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    let (student_cookie, student) = server.join_as("student", Seat::Viewer).await;

    teacher.send(ClientMessage::LaunchPoll { poll: poll_draft() });
    let ServerMessage::Poll { poll } =
        wait_for(&student, |m| matches!(m, ServerMessage::Poll { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(
        (poll.results.clone(), poll.correct.clone()),
        (None, None),
        "hidden while open"
    );
    student.send(ClientMessage::Vote {
        poll: poll.id,
        choices: vec![1],
    });
    let counted = |m: &ServerMessage| matches!(m, ServerMessage::Poll { poll } if poll.results == Some(vec![0, 1]));
    wait_for(&teacher, counted).await;
    let mine =
        |m: &ServerMessage| matches!(m, ServerMessage::Poll { poll } if poll.mine == Some(vec![1]));
    let ServerMessage::Poll { poll: seen } = wait_for(&student, mine).await else {
        unreachable!()
    };
    assert_eq!(
        seen.results, None,
        "students see results only once it closes"
    );
    student.send(ClientMessage::Vote {
        poll: poll.id,
        choices: vec![0],
    });
    assert_eq!(refusals(&student, 1).await, ["already_voted"]);

    student.send(ClientMessage::Ask {
        text: "Will this be recorded?".into(),
    });
    let ServerMessage::Question { question } =
        wait_for(&teacher, question_with("Will this be recorded?")).await
    else {
        unreachable!()
    };
    teacher.send(ClientMessage::PublishQuestion {
        question: question.id,
    });
    wait_for(
        &student,
        |m| matches!(m, ServerMessage::Question { question } if question.published),
    )
    .await;
    teacher.send(ClientMessage::Upvote {
        question: question.id,
    });
    wait_for(
        &student,
        |m| matches!(m, ServerMessage::Question { question } if question.votes == 1),
    )
    .await;

    // The poll closes: everyone sees results and the quiz's answer.
    teacher.send(ClientMessage::ClosePoll { poll: poll.id });
    let closed = |m: &ServerMessage| matches!(m, ServerMessage::Poll { poll } if !poll.open);
    let ServerMessage::Poll { poll: closed_view } = wait_for(&student, closed).await else {
        unreachable!()
    };
    assert_eq!(closed_view.results, Some(vec![0, 1]));
    assert_eq!(closed_view.correct, Some(vec![0]));
    student.send(ClientMessage::Vote {
        poll: poll.id,
        choices: vec![0],
    });
    assert_eq!(
        refusals(&student, 2).await,
        ["already_voted", "poll_closed"]
    );
    drop((teacher, student));

    let server = server.restart().await;
    server.set_room_enabled(&teacher_cookie, true).await;
    let teacher = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();
    let student = Bot::join(server.bot(&student_cookie, Seat::Viewer, false))
        .await
        .unwrap();
    let ServerMessage::Polls { polls } =
        wait_for(&student, |m| matches!(m, ServerMessage::Polls { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(polls.len(), 1);
    assert_eq!(
        (polls[0].results.clone(), polls[0].mine.clone()),
        (Some(vec![0, 1]), Some(vec![1]))
    );
    let ServerMessage::Questions { questions } =
        wait_for(&teacher, |m| matches!(m, ServerMessage::Questions { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(questions.len(), 1);
    assert_eq!(
        (
            questions[0].votes,
            questions[0].voted,
            questions[0].published
        ),
        (1, true, true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hands_invitations_reactions_and_removal() {
    let server = start_server().await;
    let (_, teacher) = server.host().await;
    teacher.send(ClientMessage::SetStageAccess {
        access: room::StageAccess::Invitation,
    });
    let (student_cookie, student) = server.join_as("student", Seat::Viewer).await;
    let (_, student2) = server.join_as("student2", Seat::Viewer).await;
    let invitation_only = |m: &ServerMessage| matches!(m, ServerMessage::Standing { standing } if !standing.may_take_stage && !standing.may_request_stage);
    wait_for(&student, invitation_only).await;

    student.send(ClientMessage::SetSeat { seat: Seat::Stage });
    assert_eq!(refusals(&student, 1).await, ["not_allowed"]);
    student.send(ClientMessage::RaiseHand);
    let raised =
        |m: &ServerMessage| matches!(m, ServerMessage::Hands { hands } if hands == &[student.me]);
    wait_for(&teacher, raised).await;
    wait_for(&student, raised).await;
    student2.send(ClientMessage::RaiseHand);
    let both = |m: &ServerMessage| matches!(m, ServerMessage::Hands { hands } if hands.len() == 2);
    let ServerMessage::Hands { hands } = wait_for(&teacher, both).await else {
        unreachable!()
    };
    assert_eq!(
        hands,
        [student.me, student2.me],
        "in the order they went up"
    );
    assert!(
        !student.received().iter().any(both),
        "only moderators see the whole queue"
    );

    // The moderator invites the first hand; they take the stage, and their hand goes down.
    teacher.send(ClientMessage::InviteToStage {
        participant: student.me,
    });
    wait_for(&student, |m| matches!(m, ServerMessage::Invited)).await;
    let lowered =
        |m: &ServerMessage| matches!(m, ServerMessage::Hands { hands } if hands == &[student2.me]);
    wait_for(&teacher, lowered).await;
    student.send(ClientMessage::SetSeat { seat: Seat::Stage });
    student.send(ClientMessage::SetMedia {
        media: room::MediaState {
            mic: true,
            camera: true,
            screen: false,
        },
    });
    let live = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantUpdated { participant, media, .. } if *participant == student.me && media.mic);
    wait_for(&teacher, live).await;

    // Mute, reactions with their limit, then removal from the room for the session.
    teacher.send(ClientMessage::Moderate {
        participant: student.me,
        action: Moderation::MuteMic,
    });
    wait_for(&student, |m| {
        matches!(
            m,
            ServerMessage::Moderated {
                action: Moderation::MuteMic,
                ..
            }
        )
    })
    .await;
    for _ in 0..=REACTION_BURST {
        student2.send(ClientMessage::React {
            reaction: Reaction::Clap,
        });
    }
    wait_count(&teacher, REACTION_BURST, |m| {
        matches!(m, ServerMessage::Reaction { .. })
    })
    .await;
    assert_eq!(refusals(&student2, 1).await, ["too_many_reactions"]);

    teacher.send(ClientMessage::Moderate {
        participant: student.me,
        action: Moderation::RemoveFromRoom,
    });
    wait_for(&student, |m| matches!(m, ServerMessage::Closed { .. })).await;
    let gone = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantLeft { participant } if *participant == student.me);
    wait_for(&student2, gone).await;
    let again = Bot::join(server.bot(&student_cookie, Seat::Viewer, false)).await;
    assert!(
        matches!(&again, Err(loadtest::BotError::Refused { code, .. }) if code == "removed"),
        "rejoining this session is refused: {:?}",
        again.err()
    );
    // The log is written right after the removal takes effect.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let logged: Vec<String> = server
            .state
            .store
            .moderation_log(common::ROOM)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, _, action)| action)
            .collect();
        if logged.len() == 2 || Instant::now() > deadline {
            assert_eq!(logged, ["mute_mic", "remove_from_room"]);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_group_changes_apply_while_connected() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    teacher.send(ClientMessage::Chat {
        channel: ChatChannel::Backchannel,
        text: "moderators only".into(),
    });
    let (_, student) = server.join_as("student", Seat::Viewer).await;
    let student_id = server.id_of(&teacher_cookie, "users", "student").await;
    student.send(ClientMessage::LaunchPoll { poll: poll_draft() });
    assert_eq!(refusals(&student, 1).await, ["not_allowed"]);

    // Made chat moderator on the Meeting room tab: rights, backchannel and polls follow at once.
    server
        .save_room(
            &teacher_cookie,
            true,
            serde_json::json!([{"kind": "user", "id": student_id}]),
        )
        .await;
    let promoted = |m: &ServerMessage| matches!(m, ServerMessage::Standing { standing } if standing.rights.chat_moderator);
    wait_for(&student, promoted).await;
    let backchannel = |m: &ServerMessage| matches!(m, ServerMessage::ChatHistory { channel: ChatChannel::Backchannel, messages } if messages.iter().any(|m| m.text == "moderators only"));
    wait_for(&student, backchannel).await;
    let badge = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantRights { participant, rights } if *participant == student.me && rights.chat_moderator);
    wait_for(&teacher, badge).await;
    student.send(ClientMessage::LaunchPoll { poll: poll_draft() });
    wait_for(&teacher, |m| matches!(m, ServerMessage::Poll { .. })).await;

    // Taken off the list again: the right goes as it came.
    server
        .save_room(&teacher_cookie, true, serde_json::json!([]))
        .await;
    let demoted = |m: &ServerMessage| matches!(m, ServerMessage::Standing { standing } if !standing.rights.chat_moderator);
    wait_count(&student, 2, demoted).await;
    student.send(ClientMessage::LaunchPoll { poll: poll_draft() });
    assert_eq!(refusals(&student, 2).await, ["not_allowed", "not_allowed"]);

    // Out of the course's student group: no access to the room any more.
    let admin = sign_in(&server.base_url, "admin", "demo").await.unwrap();
    let group = server.id_of(&admin, "groups", "Design").await;
    let (status, _) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/groups/{group}/members/{student_id}"),
            &teacher_cookie,
            None,
        )
        .await;
    assert_eq!(status, 403, "only site admins manage groups");
    let (status, _) = server
        .call(
            reqwest::Method::DELETE,
            &format!("/api/groups/{group}/members/{student_id}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let revoked = wait_for(&student, |m| matches!(m, ServerMessage::Closed { .. })).await;
    assert!(matches!(
        revoked,
        ServerMessage::Closed {
            reason: room::CloseReason::AccessRevoked,
            ..
        }
    ));
    let gone = |m: &ServerMessage| matches!(m, ServerMessage::ParticipantLeft { participant } if *participant == student.me);
    wait_for(&teacher, gone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_links_admit_as_speaker_and_forgeries_are_refused() {
    let server = start_server().await;
    let (teacher_cookie, _teacher) = server.host().await;
    let student = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let path = format!("/api/containers/{}/room/invitations", common::ROOM);
    let (status, _) = server
        .call(
            reqwest::Method::POST,
            &path,
            &student,
            Some(serde_json::json!({"role": "speaker"})),
        )
        .await;
    assert_eq!(status, 403, "members do not send invitation links");
    let (status, _) = server
        .call(
            reqwest::Method::POST,
            &path,
            &teacher_cookie,
            Some(serde_json::json!({"role": "speaker", "valid_hours": 1000})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, link) = server
        .call(
            reqwest::Method::POST,
            &path,
            &teacher_cookie,
            Some(serde_json::json!({"role": "speaker"})),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let token = link["path"]
        .as_str()
        .and_then(|p| p.split("invite=").nth(1))
        .expect("a link with a token")
        .to_owned();

    // Someone outside the course gets in with the link, straight onto the stage.
    let outsider = sign_in(&server.base_url, "outsider", "demo").await.unwrap();
    let without = Bot::join(server.bot(&outsider, Seat::Viewer, false)).await;
    assert!(without.is_err(), "no link, no entry");
    let mut config = server.bot(&outsider, Seat::Stage, false);
    config.invite = Some(token.clone());
    let speaker = Bot::join(config)
        .await
        .expect("the link admits to the stage");
    wait_for(&speaker, |m| {
        matches!(m, ServerMessage::Standing { standing } if standing.may_take_stage && !standing.rights.room_moderator)
    })
    .await;

    // A changed role or room in the token breaks the signature.
    let forged = token.replacen("speaker", "moderator", 1);
    let mut config = server.bot(&outsider, Seat::Viewer, false);
    config.invite = Some(forged);
    assert!(Bot::join(config).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_site_default_turns_qna_off_in_a_live_room() {
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            &format!("/api/containers/{}/room", common::ROOM),
            &teacher_cookie,
            Some(serde_json::json!({
                "enabled": true, "mode": "interactive", "room_moderators": [],
                "chat_moderators": [], "qna": "site_default", "group_chat": true
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let teacher = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();
    let (_, student) = server.join_as("student", Seat::Viewer).await;
    wait_for(
        &student,
        |m| matches!(m, ServerMessage::Standing { standing } if standing.qna),
    )
    .await;

    let admin = sign_in(&server.base_url, "admin", "demo").await.unwrap();
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            "/api/site-settings",
            &admin,
            Some(serde_json::json!({"chat_collaboration": true, "qna_default": false})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for(
        &student,
        |m| matches!(m, ServerMessage::Standing { standing } if !standing.qna),
    )
    .await;
    student.send(ClientMessage::Ask {
        text: "anyone?".into(),
    });
    assert_eq!(refusals(&student, 1).await, ["qna_off"]);
    assert!(!teacher
        .received()
        .iter()
        .any(|m| matches!(m, ServerMessage::Question { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_access_from_the_tab_applies_live_and_a_live_choice_is_kept() {
    let server = start_server().await;
    let (teacher_cookie, teacher) = server.host().await;
    let (_, student) = server.join_as("student", Seat::Viewer).await;
    wait_for(
        &student,
        |m| matches!(m, ServerMessage::Standing { standing } if standing.may_take_stage),
    )
    .await;

    // Saved on the Meeting room tab: "On request" reaches the room at once.
    let (status, body) = server
        .call(
            reqwest::Method::PUT,
            &format!("/api/containers/{}/room", common::ROOM),
            &teacher_cookie,
            Some(serde_json::json!({
                "enabled": true, "mode": "interactive", "room_moderators": [],
                "chat_moderators": [], "qna": "on", "group_chat": true, "stage_access": "request"
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for(&student, |m| {
        matches!(m, ServerMessage::Standing { standing } if !standing.may_take_stage && standing.may_request_stage)
    })
    .await;
    student.send(ClientMessage::RequestStage);
    let asked = |m: &ServerMessage| matches!(m, ServerMessage::StageRequests { requests } if requests == &[student.me]);
    wait_for(&teacher, asked).await;

    // Switched in the room: saved with the room, so the next session starts with it.
    teacher.send(ClientMessage::SetStageAccess {
        access: room::StageAccess::Invitation,
    });
    let invitation_only = |m: &ServerMessage| matches!(m, ServerMessage::Standing { standing } if standing.stage_access == room::StageAccess::Invitation);
    wait_for(&student, invitation_only).await;
    teacher.send(ClientMessage::EndForAll);
    wait_for(&student, |m| matches!(m, ServerMessage::Closed { .. })).await;
    drop((teacher, student));
    let (status, settings) = server
        .call(
            reqwest::Method::GET,
            &format!("/api/containers/{}/room", common::ROOM),
            &teacher_cookie,
            None,
        )
        .await;
    assert_eq!(
        (status, settings["stage_access"].as_str()),
        (200, Some("invitation"))
    );
    let _teacher = Bot::join(server.bot(&teacher_cookie, Seat::Stage, false))
        .await
        .unwrap();
    let (_, student) = server.join_as("student", Seat::Viewer).await;
    wait_for(&student, invitation_only).await;
}
