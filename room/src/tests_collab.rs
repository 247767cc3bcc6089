//! Stage access, hands, reactions, moderation, Q&A and polls.

use domain::{RoomMode, RoomRights};
use proptest::prelude::*;

use crate::tests::{join, member, open_room, MODERATOR};
use crate::*;

const ROOM_MODERATOR: Actor = Actor {
    user_id: 2,
    rights: RoomRights {
        room_moderator: true,
        chat_moderator: false,
    },
    presenter: false,
};
const CHAT_MODERATOR: Actor = Actor {
    user_id: 3,
    rights: RoomRights {
        room_moderator: false,
        chat_moderator: true,
    },
    presenter: false,
};
const STUDENT: i64 = 20;
const TARGET: ParticipantId = ParticipantId(20);
const ACTOR: ParticipantId = ParticipantId(1);

/// A room where the student (participant 20) is on stage with mic and camera, has raised a
/// hand, and a second viewer (21) asks for the stage; the acting user is participant 1.
fn scene(actor: &Actor) -> Room {
    let mut room = open_room(RoomMode::Interactive);
    room.handle(join(STUDENT as u64, Seat::Stage), &member(STUDENT), 1)
        .unwrap();
    room.handle(
        Command::RaiseHand {
            participant: TARGET,
        },
        &member(STUDENT),
        1,
    )
    .unwrap();
    room.handle(
        Command::SetStageAccess {
            access: StageAccess::Request,
        },
        &MODERATOR,
        1,
    )
    .unwrap();
    room.handle(join(21, Seat::Viewer), &member(21), 1).unwrap();
    room.handle(
        Command::RequestStage {
            participant: ParticipantId(21),
        },
        &member(21),
        1,
    )
    .unwrap();
    room.handle(join(1, Seat::Viewer), actor, 1).unwrap();
    room
}

fn question(published: bool) -> QuestionRecord {
    QuestionRecord {
        id: 5,
        user_id: STUDENT,
        asker: "Student".into(),
        text: "Why?".into(),
        at: 1,
        published,
        answered: false,
        replies: Vec::new(),
        voters: Vec::new(),
    }
}

fn poll(open: bool) -> PollRecord {
    PollRecord {
        id: 9,
        draft: PollDraft {
            question: "Best colour?".into(),
            options: vec!["Red".into(), "Blue".into(), "Green".into()],
            multiple: false,
            correct: vec![1],
        },
        open,
        at: 1,
        votes: Vec::new(),
    }
}

/// Every collaboration action by a member, a chat moderator and a room moderator, each acting
/// as participant 1 on someone else (or on their own behalf where that is the action).
#[test]
fn who_may_do_what() {
    type Try = fn(&mut Room, &Actor) -> Result<(), RoomError>;
    fn run(room: &mut Room, actor: &Actor, command: Command) -> Result<(), RoomError> {
        room.handle(command, actor, 2).map(|_| ())
    }
    let table: Vec<(&str, Try, [bool; 3])> = vec![
        (
            "invite to stage",
            |r, a| {
                run(
                    r,
                    a,
                    Command::InviteToStage {
                        participant: ParticipantId(21),
                    },
                )
            },
            [false, false, true],
        ),
        (
            "approve a request",
            |r, a| {
                run(
                    r,
                    a,
                    Command::AnswerStageRequest {
                        participant: ParticipantId(21),
                        approve: true,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "decline a request",
            |r, a| {
                run(
                    r,
                    a,
                    Command::AnswerStageRequest {
                        participant: ParticipantId(21),
                        approve: false,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "change stage access",
            |r, a| {
                run(
                    r,
                    a,
                    Command::SetStageAccess {
                        access: StageAccess::Invitation,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "mute someone",
            |r, a| {
                run(
                    r,
                    a,
                    Command::Moderate {
                        participant: TARGET,
                        action: Moderation::MuteMic,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "stop someone's camera",
            |r, a| {
                run(
                    r,
                    a,
                    Command::Moderate {
                        participant: TARGET,
                        action: Moderation::StopCamera,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "remove from stage",
            |r, a| {
                run(
                    r,
                    a,
                    Command::Moderate {
                        participant: TARGET,
                        action: Moderation::RemoveFromStage,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "remove from room",
            |r, a| {
                run(
                    r,
                    a,
                    Command::Moderate {
                        participant: TARGET,
                        action: Moderation::RemoveFromRoom,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "lower someone's hand",
            |r, a| {
                run(
                    r,
                    a,
                    Command::LowerHand {
                        participant: TARGET,
                    },
                )
            },
            [false, false, true],
        ),
        (
            "raise own hand",
            |r, a| run(r, a, Command::RaiseHand { participant: ACTOR }),
            [true, true, true],
        ),
        (
            "react",
            |r, a| {
                run(
                    r,
                    a,
                    Command::React {
                        participant: ACTOR,
                        reaction: Reaction::Clap,
                    },
                )
            },
            [true, true, true],
        ),
        (
            "ask for the stage",
            |r, a| run(r, a, Command::RequestStage { participant: ACTOR }),
            [true, true, true],
        ),
        (
            "raise someone else's hand",
            |r, a| {
                run(
                    r,
                    a,
                    Command::RaiseHand {
                        participant: TARGET,
                    },
                )
            },
            [false, false, false],
        ),
        (
            "ask a question",
            |_, _| check_ask(true, "How?").map(|_| ()),
            [true, true, true],
        ),
        (
            "reply to someone's question",
            |_, a| check_reply(true, a, &question(true), "Because").map(|_| ()),
            [false, true, false],
        ),
        (
            "publish a question",
            |_, a| check_manage(true, a),
            [false, true, false],
        ),
        (
            "upvote a published question",
            |_, a| check_upvote(true, a, &question(true)),
            [true, true, true],
        ),
        (
            "upvote a private question",
            |_, a| check_upvote(true, a, &question(false)),
            [false, false, false],
        ),
        (
            "launch a poll",
            |_, a| check_poll(a, &poll(true).draft).map(|_| ()),
            [false, true, false],
        ),
        (
            "close a poll",
            |_, a| check_run_polls(a),
            [false, true, false],
        ),
        (
            "vote in a poll",
            |_, a| poll(true).check_vote(a, &[0]).map(|_| ()),
            [true, true, true],
        ),
        (
            "read the backchannel",
            |_, a| {
                if may_read(ChatChannel::Backchannel, a, true) {
                    Ok(())
                } else {
                    Err(RoomError::NotInRoom)
                }
            },
            [false, true, true],
        ),
    ];
    for (name, attempt, expected) in table {
        for (actor, allowed) in [member(1), CHAT_MODERATOR, ROOM_MODERATOR]
            .iter()
            .zip(expected)
        {
            let mut room = scene(actor);
            let before = (
                room.hands().to_vec(),
                room.stage_requests().to_vec(),
                room.stage_count(),
            );
            let result = attempt(&mut room, actor);
            assert_eq!(
                result.is_ok(),
                allowed,
                "{name} by {:?}: {result:?}",
                actor.rights
            );
            if !allowed {
                let after = (
                    room.hands().to_vec(),
                    room.stage_requests().to_vec(),
                    room.stage_count(),
                );
                assert_eq!(before, after, "a refused {name} changed the room");
            }
        }
    }
}

#[test]
fn a_webinar_viewer_takes_the_stage_only_when_invited_and_only_once() {
    let mut room = open_room(RoomMode::Webinar);
    let viewer = ParticipantId(30);
    room.handle(join(30, Seat::Viewer), &member(30), 1).unwrap();
    let take = Command::SetSeat {
        participant: viewer,
        seat: Seat::Stage,
    };
    let refused = Err(RoomError::NotAllowed {
        action: Action::TakeStage,
    });
    assert_eq!(room.handle(take.clone(), &member(30), 2), refused);
    room.handle(
        Command::RaiseHand {
            participant: viewer,
        },
        &member(30),
        2,
    )
    .unwrap();
    let events = room
        .handle(
            Command::InviteToStage {
                participant: viewer,
            },
            &MODERATOR,
            3,
        )
        .unwrap();
    assert_eq!(
        events,
        vec![
            Event::Invited {
                participant: viewer
            },
            Event::HandsChanged { hands: vec![] }
        ]
    );
    assert!(room.handle(take.clone(), &member(30), 4).is_ok());
    assert_eq!(room.stage_count(), 1);
    room.handle(
        Command::Moderate {
            participant: viewer,
            action: Moderation::RemoveFromStage,
        },
        &MODERATOR,
        5,
    )
    .unwrap();
    assert_eq!(room.participant(viewer).unwrap().seat, Seat::Viewer);
    assert_eq!(
        room.handle(take, &member(30), 6),
        refused,
        "the invitation was used up"
    );
}

#[test]
fn requests_are_answered_by_moderators_and_declining_tells_the_requester() {
    let mut room = open_room(RoomMode::Webinar);
    let viewer = ParticipantId(30);
    room.handle(join(30, Seat::Viewer), &member(30), 1).unwrap();
    let ask = Command::RequestStage {
        participant: viewer,
    };
    assert_eq!(
        room.handle(ask.clone(), &member(30), 2),
        Ok(vec![Event::StageRequestsChanged {
            requests: vec![viewer]
        }])
    );
    assert_eq!(
        room.handle(ask.clone(), &member(30), 2),
        Ok(vec![]),
        "asking twice is one request"
    );
    let decline = Command::AnswerStageRequest {
        participant: viewer,
        approve: false,
    };
    assert_eq!(
        room.handle(decline, &MODERATOR, 3),
        Ok(vec![
            Event::StageRequestsChanged { requests: vec![] },
            Event::StageRequestDeclined {
                participant: viewer
            }
        ])
    );
    room.handle(
        Command::SetStageAccess {
            access: StageAccess::Invitation,
        },
        &MODERATOR,
        4,
    )
    .unwrap();
    assert_eq!(
        room.handle(ask, &member(30), 5),
        Err(RoomError::NotAllowed {
            action: Action::RequestStage
        })
    );
}

#[test]
fn moderators_mute_and_remove_and_the_removed_cannot_rejoin_this_session() {
    let mut room = open_room(RoomMode::Interactive);
    room.handle(join(20, Seat::Stage), &member(20), 1).unwrap();
    room.handle(join(22, Seat::Viewer), &member(20), 1).unwrap();
    room.handle(join(1, Seat::Stage), &MODERATOR, 1).unwrap();
    let mute = Command::Moderate {
        participant: TARGET,
        action: Moderation::MuteMic,
    };
    let events = room.handle(mute.clone(), &MODERATOR, 2).unwrap();
    assert!(events.contains(&Event::Moderated {
        participant: TARGET,
        action: Moderation::MuteMic
    }));
    assert!(!room.participant(TARGET).unwrap().media.mic);
    assert!(room.participant(TARGET).unwrap().media.camera);
    assert_eq!(
        room.handle(mute, &MODERATOR, 2),
        Ok(vec![]),
        "already muted"
    );
    assert_eq!(
        room.handle(
            Command::Moderate {
                participant: ParticipantId(1),
                action: Moderation::RemoveFromRoom
            },
            &MODERATOR,
            3
        ),
        Err(RoomError::NotAllowed {
            action: Action::ModerateRoom
        }),
        "moderators cannot remove themselves (or other moderators)"
    );
    let events = room
        .handle(
            Command::Moderate {
                participant: TARGET,
                action: Moderation::RemoveFromRoom,
            },
            &MODERATOR,
            3,
        )
        .unwrap();
    let removed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Removed { participant, .. } => Some(*participant),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed,
        vec![TARGET, ParticipantId(22)],
        "both of the user's devices go"
    );
    assert_eq!(room.participant_count(), 1);
    assert_eq!(room.stage_count(), 1);
    assert_eq!(
        room.handle(join(23, Seat::Viewer), &member(20), 4),
        Err(RoomError::Removed)
    );
    room.handle(Command::EndForAll, &MODERATOR, 5).unwrap();
    room.handle(Command::Launch, &MODERATOR, 6).unwrap();
    assert!(
        room.handle(join(24, Seat::Viewer), &member(20), 7).is_ok(),
        "a new session admits them"
    );
}

#[test]
fn reactions_are_rate_limited_per_participant() {
    let mut room = open_room(RoomMode::Interactive);
    room.handle(join(20, Seat::Viewer), &member(20), 1).unwrap();
    let react = Command::React {
        participant: TARGET,
        reaction: Reaction::Heart,
    };
    for _ in 0..REACTION_BURST {
        assert!(room.handle(react.clone(), &member(20), 100).is_ok());
    }
    assert_eq!(
        room.handle(react.clone(), &member(20), 105),
        Err(RoomError::TooManyReactions)
    );
    assert!(room
        .handle(react, &member(20), 100 + REACTION_WINDOW_SECS)
        .is_ok());
}

#[test]
fn rights_changes_reach_the_participant_record() {
    let mut room = open_room(RoomMode::Webinar);
    room.handle(join(20, Seat::Viewer), &member(20), 1).unwrap();
    let rights = RoomRights {
        room_moderator: true,
        chat_moderator: false,
    };
    assert_eq!(
        room.handle(
            Command::SetRights {
                participant: TARGET,
                rights
            },
            &Actor::default(),
            2
        ),
        Ok(vec![Event::RightsChanged {
            participant: TARGET,
            rights
        }])
    );
    assert_eq!(room.participant(TARGET).unwrap().rights, rights);
    let promoted = Actor {
        user_id: STUDENT,
        rights,
        presenter: false,
    };
    assert!(room
        .handle(
            Command::SetSeat {
                participant: TARGET,
                seat: Seat::Stage
            },
            &promoted,
            3
        )
        .is_ok());
}

#[test]
fn private_questions_stay_between_asker_and_chat_moderators() {
    let private = question(false);
    assert!(private.view_for(&member(STUDENT)).is_some());
    assert!(private.view_for(&CHAT_MODERATOR).is_some());
    assert!(private.view_for(&member(21)).is_none());
    assert!(private.view_for(&ROOM_MODERATOR).is_none());
    assert_eq!(
        check_reply(true, &member(STUDENT), &private, "  more  "),
        Ok("more".into())
    );
    assert_eq!(
        check_reply(true, &member(21), &private, "hi"),
        Err(RoomError::UnknownQuestion)
    );
    assert_eq!(check_ask(false, "hi"), Err(RoomError::QnaOff));
    assert!(matches!(
        check_ask(true, &"x".repeat(MAX_QUESTION_CHARS + 1)),
        Err(RoomError::InvalidQuestion { .. })
    ));
    let mut voted = question(true);
    voted.voters.push(21);
    assert_eq!(
        check_upvote(true, &member(21), &voted),
        Err(RoomError::AlreadyVoted)
    );
    let view = voted.view_for(&member(21)).unwrap();
    assert_eq!((view.votes, view.voted), (1, true));
}

#[test]
fn questions_sort_by_votes_then_answered_then_private() {
    let q = |id, published, answered, votes| Question {
        id,
        user_id: 1,
        asker: String::new(),
        text: String::new(),
        at: id,
        published,
        answered,
        replies: vec![],
        votes,
        voted: false,
    };
    let mut list = vec![
        q(1, false, false, 0),
        q(2, true, true, 9),
        q(3, true, false, 1),
        q(4, true, false, 3),
    ];
    sort_questions(&mut list);
    assert_eq!(
        list.iter().map(|q| q.id).collect::<Vec<_>>(),
        vec![4, 3, 2, 1]
    );
}

#[test]
fn poll_results_show_to_moderators_live_and_to_everyone_when_closed() {
    let mut open = poll(true);
    open.votes.push((21, vec![1]));
    let student = open.view_for(&member(STUDENT));
    assert_eq!(
        (student.results, student.correct, student.mine),
        (None, None, None)
    );
    let moderator = open.view_for(&CHAT_MODERATOR);
    assert_eq!(moderator.results, Some(vec![0, 1, 0]));
    assert_eq!(moderator.correct, Some(vec![1]));
    assert_eq!(open.view_for(&member(21)).mine, Some(vec![1]));
    let closed = PollRecord {
        open: false,
        ..open
    };
    let student = closed.view_for(&member(STUDENT));
    assert_eq!(
        (student.results, student.correct),
        (Some(vec![0, 1, 0]), Some(vec![1]))
    );
    assert_eq!(
        closed.check_vote(&member(STUDENT), &[0]),
        Err(RoomError::PollClosed)
    );
}

#[test]
fn polls_are_validated() {
    let draft = |options: &[&str], multiple, correct: &[u8]| PollDraft {
        question: " Pick ".into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        multiple,
        correct: correct.to_vec(),
    };
    assert_eq!(
        check_poll(&CHAT_MODERATOR, &draft(&["a", " b "], false, &[]))
            .unwrap()
            .options,
        vec!["a", "b"]
    );
    for bad in [
        draft(&["only"], false, &[]),
        draft(&["a", "a"], false, &[]),
        draft(&["a", ""], false, &[]),
        draft(&["a", "b"], false, &[0, 1]),
        draft(&["a", "b"], true, &[2]),
        draft(&["a"; 11], true, &[]),
    ] {
        assert!(
            matches!(
                check_poll(&CHAT_MODERATOR, &bad),
                Err(RoomError::InvalidPoll { .. })
            ),
            "{bad:?}"
        );
    }
    let single = poll(true);
    assert_eq!(
        single.check_vote(&member(1), &[0, 1]),
        Err(RoomError::InvalidVote)
    );
    assert_eq!(
        single.check_vote(&member(1), &[3]),
        Err(RoomError::InvalidVote)
    );
    assert_eq!(
        single.check_vote(&member(1), &[]),
        Err(RoomError::InvalidVote)
    );
}

#[derive(Clone, Debug)]
enum HandStep {
    Raise(u64),
    LowerOwn(u64),
    LowerByModerator(u64),
    Leave(u64),
    Invite(u64),
}

fn hand_step() -> impl Strategy<Value = HandStep> {
    let who = 0u64..6;
    prop_oneof![
        3 => who.clone().prop_map(HandStep::Raise),
        1 => who.clone().prop_map(HandStep::LowerOwn),
        1 => who.clone().prop_map(HandStep::LowerByModerator),
        1 => who.clone().prop_map(HandStep::Leave),
        1 => who.prop_map(HandStep::Invite),
    ]
}

#[derive(Clone, Debug)]
enum StageStep {
    Invite(u64),
    Ask(u64),
    Approve(u64),
    Take(u64),
    RemoveFromStage(u64),
    StepDown(u64),
    Leave(u64),
}

fn stage_step() -> impl Strategy<Value = StageStep> {
    let who = 0u64..40;
    prop_oneof![
        1 => who.clone().prop_map(StageStep::Invite),
        1 => who.clone().prop_map(StageStep::Ask),
        1 => who.clone().prop_map(StageStep::Approve),
        3 => who.clone().prop_map(StageStep::Take),
        1 => who.clone().prop_map(StageStep::RemoveFromStage),
        1 => who.clone().prop_map(StageStep::StepDown),
        1 => who.prop_map(StageStep::Leave),
    ]
}

proptest! {
    /// The hand queue is the order hands went up, each participant at most once, only people
    /// in the room, and what everyone is told equals the queue.
    #[test]
    fn the_hand_queue_keeps_order(steps in prop::collection::vec(hand_step(), 1..80)) {
        let mut room = open_room(RoomMode::Interactive);
        room.handle(Command::SetStageAccess { access: StageAccess::Invitation }, &MODERATOR, 1).unwrap();
        for id in 0..6 {
            room.handle(join(id + 100, Seat::Viewer), &member(id as i64 + 100), 1).unwrap();
        }
        let mut model: Vec<ParticipantId> = Vec::new();
        for step in steps {
            let (command, actor, id) = match step {
                HandStep::Raise(i) => (Command::RaiseHand { participant: ParticipantId(i + 100) }, member(i as i64 + 100), i),
                HandStep::LowerOwn(i) => (Command::LowerHand { participant: ParticipantId(i + 100) }, member(i as i64 + 100), i),
                HandStep::LowerByModerator(i) => (Command::LowerHand { participant: ParticipantId(i + 100) }, MODERATOR, i),
                HandStep::Leave(i) => (Command::Leave { participant: ParticipantId(i + 100) }, member(i as i64 + 100), i),
                HandStep::Invite(i) => (Command::InviteToStage { participant: ParticipantId(i + 100) }, MODERATOR, i),
            };
            let pid = ParticipantId(id + 100);
            let present = room.participant(pid).is_some();
            let raise = matches!(command, Command::RaiseHand { .. });
            let result = room.handle(command, &actor, 2);
            if present {
                if raise && !model.contains(&pid) {
                    model.push(pid);
                } else if !raise {
                    model.retain(|&p| p != pid);
                }
            } else {
                prop_assert!(result.is_err() || result == Ok(vec![]));
            }
            if let Ok(events) = result {
                for event in events {
                    if let Event::HandsChanged { hands } = event {
                        prop_assert_eq!(&hands, &model);
                    }
                }
            }
            prop_assert_eq!(room.hands(), &model[..]);
        }
    }

    /// However moderators invite, approve and remove, a Webinar stage never holds more than
    /// ten, the count matches the seats, and only invited or moderators are up there.
    #[test]
    fn the_webinar_stage_limit_holds_under_promotions(steps in prop::collection::vec(stage_step(), 1..200)) {
        let mut room = open_room(RoomMode::Webinar);
        for id in 0..40 {
            room.handle(join(id + 100, Seat::Viewer), &member(id as i64 + 100), 1).unwrap();
        }
        for step in steps {
            let p = |i: u64| ParticipantId(i + 100);
            let own = |i: u64| member(i as i64 + 100);
            let (command, actor) = match step {
                StageStep::Invite(i) => (Command::InviteToStage { participant: p(i) }, MODERATOR),
                StageStep::Ask(i) => (Command::RequestStage { participant: p(i) }, own(i)),
                StageStep::Approve(i) => (Command::AnswerStageRequest { participant: p(i), approve: true }, MODERATOR),
                StageStep::Take(i) => (Command::SetSeat { participant: p(i), seat: Seat::Stage }, own(i)),
                StageStep::RemoveFromStage(i) => (Command::Moderate { participant: p(i), action: Moderation::RemoveFromStage }, MODERATOR),
                StageStep::StepDown(i) => (Command::SetSeat { participant: p(i), seat: Seat::Viewer }, own(i)),
                StageStep::Leave(i) => (Command::Leave { participant: p(i) }, own(i)),
            };
            let take = matches!(command, Command::SetSeat { seat: Seat::Stage, .. });
            let id = match &command {
                Command::SetSeat { participant, .. } => Some(*participant),
                _ => None,
            };
            let invited = id.is_some_and(|id| room.is_invited(id));
            let before = room.stage_count();
            let result = room.handle(command, &actor, 2);
            if take && result.as_ref().is_ok_and(|e| !e.is_empty()) {
                prop_assert!(invited, "only the invited step onto a Webinar stage");
                prop_assert_eq!(room.stage_count(), before + 1);
            }
            let seats = room.participants().filter(|p| p.seat == Seat::Stage).count() as u32;
            prop_assert_eq!(room.stage_count(), seats);
            prop_assert!(seats <= 10);
            for p in room.participants().filter(|p| p.seat == Seat::Stage) {
                prop_assert!(!room.is_invited(p.id), "an invitation is used up on stage");
            }
        }
    }

    /// One vote per person: a second vote is refused whatever it is, and the tally counts each
    /// accepted choice once.
    #[test]
    fn one_vote_per_person(votes in prop::collection::vec((0i64..8, prop::collection::vec(0u8..5, 0..4)), 1..60), multiple: bool) {
        let mut record = poll(true);
        record.draft.multiple = multiple;
        record.draft.options.push("Yellow".into());
        let mut accepted = 0usize;
        for (user, choices) in votes {
            let already = record.votes.iter().any(|(u, _)| *u == user);
            match record.check_vote(&member(user), &choices) {
                Ok(stored) => {
                    prop_assert!(!already);
                    let fits = if multiple { !stored.is_empty() } else { stored.len() == 1 };
                    prop_assert!(fits);
                    accepted += stored.len();
                    record.votes.push((user, stored));
                }
                Err(error) => prop_assert!(already == (error == RoomError::AlreadyVoted) || error == RoomError::InvalidVote),
            }
        }
        let mut users: Vec<i64> = record.votes.iter().map(|(u, _)| *u).collect();
        users.dedup();
        prop_assert_eq!(users.len(), record.votes.len());
        prop_assert_eq!(record.tally().iter().sum::<u32>() as usize, accepted);
    }
}

#[test]
fn threads_are_capped_and_control_characters_never_reach_anyone() {
    let asker = Actor {
        user_id: STUDENT,
        ..Actor::default()
    };
    let mut thread = question(false);
    thread.replies = (0..MAX_REPLIES as i64)
        .map(|id| QnaReply {
            id,
            user_id: STUDENT,
            author: "Student".into(),
            text: "again".into(),
            at: 1,
        })
        .collect();
    assert_eq!(
        check_reply(true, &asker, &thread, "one more"),
        Err(RoomError::TooManyReplies { max: MAX_REPLIES })
    );
    assert_eq!(
        check_ask(true, "a\u{1}\u{2}b\nc\u{7f}"),
        Ok("ab\nc".to_owned())
    );
    assert!(
        check_ask(true, "\u{1}\u{1}\u{1}").is_err(),
        "nothing visible is nothing"
    );
    let chat = ChatRules::new(true);
    assert_eq!(
        chat.check_post(&asker, ChatChannel::Group, " hi\u{0}\u{1b}[31m "),
        Ok("hi[31m".to_owned())
    );
}
