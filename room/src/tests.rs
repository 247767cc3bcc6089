use domain::{RoomMode, RoomRights};
use proptest::prelude::*;

use crate::*;

pub(crate) const MODERATOR: Actor = Actor {
    user_id: 1,
    rights: RoomRights {
        room_moderator: true,
        chat_moderator: true,
    },
    presenter: false,
};

pub(crate) fn member(user_id: i64) -> Actor {
    Actor {
        user_id,
        ..Actor::default()
    }
}

pub(crate) fn open_room(mode: RoomMode) -> Room {
    let mut room = Room::new(RoomConfig::new(mode));
    room.handle(Command::Launch, &MODERATOR, 100).unwrap();
    room
}

pub(crate) fn join(id: u64, seat: Seat) -> Command {
    Command::Join {
        participant: ParticipantId(id),
        name: format!("user {id}"),
        seat,
        media: if seat == Seat::Stage {
            MediaState {
                mic: true,
                camera: true,
                screen: false,
            }
        } else {
            MediaState::OFF
        },
    }
}

#[test]
fn members_wait_until_a_moderator_launches() {
    let mut room = Room::new(RoomConfig::new(RoomMode::Interactive));
    assert_eq!(
        room.handle(join(1, Seat::Viewer), &member(7), 5),
        Err(RoomError::NotOpen)
    );
    assert_eq!(
        room.handle(Command::Launch, &member(7), 5),
        Err(RoomError::NotAllowed {
            action: Action::Launch
        })
    );
    assert_eq!(
        room.handle(Command::Launch, &MODERATOR, 5),
        Ok(vec![Event::Launched { at: 5 }])
    );
    assert_eq!(room.handle(Command::Launch, &MODERATOR, 6), Ok(vec![]));
    assert!(room.handle(join(1, Seat::Viewer), &member(7), 7).is_ok());
}

#[test]
fn the_101st_join_is_refused_with_the_limit() {
    let mut room = open_room(RoomMode::Interactive);
    for id in 0..100 {
        room.handle(join(id, Seat::Stage), &member(id as i64 + 10), 1)
            .unwrap();
    }
    let refused = room.handle(join(100, Seat::Viewer), &member(500), 1);
    assert_eq!(refused, Err(RoomError::RoomFull { limit: 100 }));
    assert_eq!(
        refused.unwrap_err().to_string(),
        "This room is full (100 participants)."
    );
    assert_eq!(room.participant_count(), 100);
}

#[test]
fn webinar_stage_is_for_moderators_and_presenters_up_to_ten() {
    let mut room = open_room(RoomMode::Webinar);
    assert_eq!(
        room.handle(join(1, Seat::Stage), &member(2), 1),
        Err(RoomError::NotAllowed {
            action: Action::TakeStage
        })
    );
    let presenter = |user_id| Actor {
        user_id,
        presenter: true,
        ..Actor::default()
    };
    for id in 0..10 {
        room.handle(join(id, Seat::Stage), &presenter(id as i64 + 10), 1)
            .unwrap();
    }
    assert_eq!(
        room.handle(join(10, Seat::Stage), &MODERATOR, 1),
        Err(RoomError::StageFull { limit: 10 })
    );
    assert!(room.handle(join(10, Seat::Viewer), &MODERATOR, 1).is_ok());
    assert_eq!(room.stage_count(), 10);
}

#[test]
fn viewers_may_not_publish() {
    let mut room = open_room(RoomMode::Interactive);
    let mut with_camera = join(1, Seat::Viewer);
    if let Command::Join { media, .. } = &mut with_camera {
        media.camera = true;
    }
    assert_eq!(
        room.handle(with_camera, &member(3), 1),
        Err(RoomError::NotAllowed {
            action: Action::Publish
        })
    );
    room.handle(join(1, Seat::Viewer), &member(3), 1).unwrap();
    let camera_on = Command::SetMedia {
        participant: ParticipantId(1),
        media: MediaState {
            camera: true,
            ..MediaState::OFF
        },
    };
    assert!(room.handle(camera_on.clone(), &member(3), 2).is_err());
    assert!(!room.may_publish(ParticipantId(1)));
    room.handle(
        Command::SetSeat {
            participant: ParticipantId(1),
            seat: Seat::Stage,
        },
        &member(3),
        3,
    )
    .unwrap();
    assert!(room.may_publish(ParticipantId(1)));
    assert!(room.handle(camera_on, &member(3), 4).is_ok());
}

#[test]
fn participants_act_only_for_themselves() {
    let mut room = open_room(RoomMode::Interactive);
    room.handle(join(1, Seat::Viewer), &member(3), 1).unwrap();
    assert_eq!(
        room.handle(
            Command::Leave {
                participant: ParticipantId(1)
            },
            &member(4),
            2
        ),
        Err(RoomError::NotAllowed {
            action: Action::ActForOthers
        })
    );
    assert_eq!(room.participant_count(), 1);
}

#[test]
fn ending_for_all_closes_and_empties_the_room() {
    let mut room = open_room(RoomMode::Interactive);
    room.handle(join(1, Seat::Stage), &member(3), 1).unwrap();
    assert!(room.handle(Command::EndForAll, &member(3), 2).is_err());
    assert_eq!(
        room.handle(Command::EndForAll, &MODERATOR, 2),
        Ok(vec![Event::Closed {
            reason: CloseReason::EndedByModerator
        }])
    );
    assert!(!room.is_open());
    assert_eq!((room.participant_count(), room.stage_count()), (0, 0));
    assert_eq!(
        room.handle(join(2, Seat::Viewer), &member(4), 3),
        Err(RoomError::NotOpen)
    );
}

#[test]
fn names_are_trimmed_and_bounded() {
    let mut room = open_room(RoomMode::Interactive);
    let named = |name: &str| Command::Join {
        participant: ParticipantId(1),
        name: name.to_owned(),
        seat: Seat::Viewer,
        media: MediaState::OFF,
    };
    assert!(room.handle(named("   "), &member(3), 1).is_err());
    assert!(room.handle(named(&"x".repeat(81)), &member(3), 1).is_err());
    room.handle(named("  Ann  "), &member(3), 1).unwrap();
    assert_eq!(room.participant(ParticipantId(1)).unwrap().name, "Ann");
}

#[derive(Clone, Debug)]
enum Step {
    Join {
        id: u8,
        stage: bool,
        presenter: bool,
    },
    Seat {
        id: u8,
        stage: bool,
    },
    Leave {
        id: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (any::<u8>(), any::<bool>(), any::<bool>())
            .prop_map(|(id, stage, presenter)| Step::Join { id, stage, presenter }),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(id, stage)| Step::Seat { id, stage }),
        1 => any::<u8>().prop_map(|id| Step::Leave { id }),
    ]
}

fn seat(stage: bool) -> Seat {
    if stage {
        Seat::Stage
    } else {
        Seat::Viewer
    }
}

proptest! {
    /// Whatever order joins, seat changes and leaves arrive in, the room never holds more than
    /// its limits, the stage count matches the seats, and a refused command changes nothing.
    #[test]
    fn limits_hold_for_any_interleaving(
        webinar in any::<bool>(),
        steps in proptest::collection::vec(step(), 1..700),
    ) {
        let mode = if webinar { RoomMode::Webinar } else { RoomMode::Interactive };
        let limits = mode.limits();
        let mut room = open_room(mode);
        for step in steps {
            let (command, actor) = match step {
                Step::Join { id, stage, presenter } => {
                    // Ids above 255 reach the Webinar's 300 limit: each id joins from 2 devices.
                    let device = u64::from(room.participant_count() % 2) << 8;
                    let actor = Actor { presenter, ..member(i64::from(id)) };
                    (join(u64::from(id) | device, seat(stage)), actor)
                }
                Step::Seat { id, stage } => (
                    Command::SetSeat { participant: ParticipantId(u64::from(id)), seat: seat(stage) },
                    member(i64::from(id)),
                ),
                Step::Leave { id } => (
                    Command::Leave { participant: ParticipantId(u64::from(id)) },
                    member(i64::from(id)),
                ),
            };
            let before = (room.participant_count(), room.stage_count());
            if room.handle(command, &actor, 1).is_err() {
                prop_assert_eq!(before, (room.participant_count(), room.stage_count()));
            }
            prop_assert!(room.participant_count() <= limits.max_participants);
            if let Some(limit) = limits.max_on_stage {
                prop_assert!(room.stage_count() <= limit);
            }
            let seated = room.participants().filter(|p| p.seat == Seat::Stage).count() as u32;
            prop_assert_eq!(seated, room.stage_count());
            for p in room.participants() {
                prop_assert!(p.seat == Seat::Stage || p.media == MediaState::OFF);
            }
        }
    }

    /// Stage eligibility per mode, access and role: room moderators and presenters always;
    /// the audience only in a direct-access Interactive room; asking everywhere else but in
    /// invitation-only rooms.
    #[test]
    fn stage_eligibility(room_moderator: bool, chat_moderator: bool, presenter: bool) {
        let actor = Actor {
            user_id: 9,
            rights: RoomRights { room_moderator, chat_moderator },
            presenter,
        };
        let speaker = room_moderator || presenter;
        for mode in [RoomMode::Interactive, RoomMode::Webinar] {
            for access in [StageAccess::Direct, StageAccess::Request, StageAccess::Invitation] {
                let direct = speaker
                    || (mode == RoomMode::Interactive && access == StageAccess::Direct);
                prop_assert_eq!(may_take_stage(mode, access, &actor), direct);
                prop_assert_eq!(
                    may_request_stage(mode, access, &actor),
                    !direct && access != StageAccess::Invitation
                );
            }
        }
    }
}

mod chat {
    use crate::*;
    use domain::RoomRights;

    fn actor(room_moderator: bool, chat_moderator: bool) -> Actor {
        Actor {
            user_id: 40 + u8::from(room_moderator) as i64 * 2 + u8::from(chat_moderator) as i64,
            rights: RoomRights {
                room_moderator,
                chat_moderator,
            },
            presenter: false,
        }
    }

    /// Role × action: member, room moderator, chat moderator, host (both).
    #[test]
    fn who_may_do_what_in_chat() {
        let roles = [
            ("member", actor(false, false)),
            ("room moderator", actor(true, false)),
            ("chat moderator", actor(false, true)),
            ("host", actor(true, true)),
        ];
        // (post group, read/post backchannel, delete or block)
        let expected = [
            (true, false, false),
            (true, true, false),
            (true, true, true),
            (true, true, true),
        ];
        let rules = ChatRules::new(true);
        for ((name, who), (group, backchannel, moderate)) in roles.iter().zip(expected) {
            assert_eq!(
                rules.check_post(who, ChatChannel::Group, "hi").is_ok(),
                group,
                "{name} group"
            );
            assert_eq!(
                rules
                    .check_post(who, ChatChannel::Backchannel, "hi")
                    .is_ok(),
                backchannel,
                "{name} backchannel"
            );
            assert_eq!(
                may_read(ChatChannel::Backchannel, who, true),
                backchannel,
                "{name} reads backchannel"
            );
            assert_eq!(
                ChatRules::check_moderation(who).is_ok(),
                moderate,
                "{name} moderates"
            );
        }
    }

    #[test]
    fn group_chat_off_refuses_and_hides_the_group() {
        let rules = ChatRules::new(false);
        let member = actor(false, false);
        assert_eq!(
            rules.check_post(&member, ChatChannel::Group, "hi"),
            Err(RoomError::ChatOff)
        );
        assert!(!may_read(ChatChannel::Group, &member, false));
        assert!(rules
            .check_post(&actor(false, true), ChatChannel::Backchannel, "hi")
            .is_ok());
    }

    #[test]
    fn messages_are_trimmed_and_bounded() {
        let rules = ChatRules::new(true);
        let member = actor(false, false);
        assert_eq!(
            rules.check_post(&member, ChatChannel::Group, "  hello \n"),
            Ok("hello".into())
        );
        assert!(rules
            .check_post(&member, ChatChannel::Group, "   ")
            .is_err());
        assert!(rules
            .check_post(&member, ChatChannel::Group, &"é".repeat(MAX_CHAT_CHARS))
            .is_ok());
        assert_eq!(
            rules.check_post(&member, ChatChannel::Group, &"é".repeat(MAX_CHAT_CHARS + 1)),
            Err(RoomError::InvalidChat {
                max: MAX_CHAT_CHARS
            })
        );
    }

    #[test]
    fn blocked_members_cannot_write_and_moderators_cannot_be_blocked() {
        let mut rules = ChatRules::new(true);
        let member = actor(false, false);
        let moderator = actor(false, true);
        assert!(
            rules.block(&member, moderator.user_id, true).is_err(),
            "members do not block"
        );
        assert!(rules
            .block(&moderator, actor(true, false).user_id, true)
            .is_err());
        assert_eq!(rules.block(&moderator, member.user_id, false), Ok(true));
        assert_eq!(
            rules.block(&moderator, member.user_id, false),
            Ok(false),
            "idempotent"
        );
        assert_eq!(
            rules.check_post(&member, ChatChannel::Group, "hi"),
            Err(RoomError::BlockedInChat)
        );
        assert!(rules
            .check_post(&moderator, ChatChannel::Group, "hi")
            .is_ok());
    }
}

#[test]
fn one_person_holds_at_most_three_participants_and_a_fourth_device_is_refused() {
    let mut room = open_room(RoomMode::Interactive);
    let same_person = member(42);
    for id in 0..3 {
        room.handle(join(id, Seat::Viewer), &same_person, 1)
            .unwrap();
    }
    let refused = room.handle(join(3, Seat::Viewer), &same_person, 1);
    assert_eq!(refused, Err(RoomError::TooManyDevices { limit: 3 }));
    assert_eq!(room.participant_count(), 3);
    // Someone else still gets in, and the person does once a device leaves.
    assert!(room.handle(join(4, Seat::Viewer), &member(43), 1).is_ok());
    room.handle(
        Command::Leave {
            participant: ParticipantId(0),
        },
        &same_person,
        2,
    )
    .unwrap();
    assert!(room.handle(join(5, Seat::Viewer), &same_person, 2).is_ok());
}
