//! The room's rules under any sequence of commands from any mix of people: moderators,
//! presenters, chat moderators and plain members, some on several devices (participants of
//! one user id), plus the server's own commands. After every step the room must still keep
//! its promises: limits, no participant twice, nobody in a closed room, hands and requests
//! only of people present, nothing changed by a refused command.

#![no_main]

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use arbitrary::Arbitrary;
use domain::{RoomMode, RoomRights};
use libfuzzer_sys::fuzz_target;
use room::{
    Actor, CloseReason, Command, MediaState, Moderation, ParticipantId, Reaction, Room, RoomConfig,
    Seat, StageAccess,
};

/// Enough people to fill a Webinar (300) with up to three devices each.
const USERS: u16 = 120;
/// Ids for targets that are not in the room start here, away from the joined ones.
const STRANGER: u64 = 1 << 40;
const MAX_STEPS: usize = 3_000;

/// Rights follow the user id, like the server's resolution: 1-2 room and chat moderators,
/// 3 chat moderator, 4-6 presenters (invitation links), everyone else a plain member.
fn person(user_id: i64) -> Actor {
    let rights = RoomRights {
        room_moderator: user_id <= 2,
        chat_moderator: user_id <= 3,
    };
    Actor {
        user_id,
        rights,
        presenter: (4..=6).contains(&user_id),
    }
}

#[derive(Arbitrary, Debug)]
enum Who {
    /// The target participant's own user (or user 7 when there is no target).
    Owner,
    User(u16),
    /// The server (rights changes, the room disabled).
    System,
}

#[derive(Arbitrary, Debug)]
enum Name {
    Plain,
    Blank,
    TooLong,
    Spaced,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Access {
    Direct,
    Request,
    Invitation,
}

impl From<Access> for StageAccess {
    fn from(access: Access) -> Self {
        match access {
            Access::Direct => StageAccess::Direct,
            Access::Request => StageAccess::Request,
            Access::Invitation => StageAccess::Invitation,
        }
    }
}

/// `target` picks a participant: mostly one in the room, sometimes one that is not.
#[derive(Arbitrary, Debug)]
enum Op {
    Launch,
    Join {
        fresh: bool,
        target: u16,
        name: Name,
        stage: bool,
        media: u8,
    },
    /// `count` fresh participants of consecutive users, so limits are reached in few steps.
    JoinMany {
        count: u8,
        first_user: u16,
        stage: bool,
    },
    SetSeat {
        target: u16,
        stage: bool,
    },
    SetMedia {
        target: u16,
        media: u8,
    },
    Leave {
        target: u16,
    },
    EndForAll,
    SetStageAccess {
        access: Access,
    },
    RequestStage {
        target: u16,
    },
    CancelStageRequest {
        target: u16,
    },
    AnswerStageRequest {
        target: u16,
        approve: bool,
    },
    InviteToStage {
        target: u16,
    },
    DeclineInvitation {
        target: u16,
    },
    RaiseHand {
        target: u16,
    },
    LowerHand {
        target: u16,
    },
    React {
        target: u16,
    },
    Moderate {
        target: u16,
        action: u8,
    },
    SetRights {
        target: u16,
        room_moderator: bool,
        chat_moderator: bool,
    },
    Close {
        reason: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Step {
    who: Who,
    /// Seconds since the previous step (reactions are rate limited over time).
    wait: u8,
    op: Op,
}

#[derive(Arbitrary, Debug)]
struct Script {
    webinar: bool,
    access: Access,
    steps: Vec<Step>,
}

fn media(bits: u8) -> MediaState {
    MediaState {
        mic: bits & 1 != 0,
        camera: bits & 2 != 0,
        screen: bits & 4 != 0,
    }
}

fn seat(stage: bool) -> Seat {
    if stage {
        Seat::Stage
    } else {
        Seat::Viewer
    }
}

struct Run {
    room: Room,
    next_id: u64,
    /// Every id ever used, to check nobody absent keeps an invitation.
    seen: BTreeSet<ParticipantId>,
    now: i64,
}

impl Run {
    fn target(&self, pick: u16) -> ParticipantId {
        let count = self.room.participant_count() as usize;
        // One pick in five (or any, in an empty room) names someone absent.
        let slot = usize::from(pick) % (count + count / 4 + 1);
        match self.room.participants().nth(slot) {
            Some(p) => p.id,
            None => ParticipantId(STRANGER + u64::from(pick % 8)),
        }
    }

    fn actor(&self, who: &Who, target: Option<ParticipantId>) -> Actor {
        match who {
            Who::System => Actor::SYSTEM,
            Who::User(user) => person(i64::from(user % USERS) + 1),
            Who::Owner => person(
                target
                    .and_then(|id| self.room.participant(id))
                    .map_or(7, |p| p.user_id),
            ),
        }
    }

    fn fresh_id(&mut self) -> ParticipantId {
        self.next_id += 1;
        ParticipantId(self.next_id)
    }

    fn apply(&mut self, command: Command, actor: &Actor) {
        let before = fingerprint(&self.room);
        if let Command::Join { participant, .. } = &command {
            self.seen.insert(*participant);
        }
        let result = self.room.handle(command.clone(), actor, self.now);
        if let Err(error) = &result {
            assert_eq!(
                before,
                fingerprint(&self.room),
                "{command:?} by {actor:?} was refused ({error}) but changed the room"
            );
        }
        check(&self.room, &self.seen);
    }

    fn step(&mut self, step: Step) {
        self.now += i64::from(step.wait % 16);
        let (command, target) = match step.op {
            Op::JoinMany {
                count,
                first_user,
                stage,
            } => {
                for offset in 0..u16::from(count) {
                    let actor = person(
                        i64::from((u32::from(first_user) + u32::from(offset)) % u32::from(USERS))
                            + 1,
                    );
                    let participant = self.fresh_id();
                    let join = Command::Join {
                        participant,
                        name: format!("load {}", participant.0),
                        seat: seat(stage),
                        media: MediaState::OFF,
                    };
                    self.apply(join, &actor);
                }
                return;
            }
            Op::Launch => (Command::Launch, None),
            Op::Join {
                fresh,
                target,
                name,
                stage,
                media: bits,
            } => {
                let participant = if fresh {
                    self.fresh_id()
                } else {
                    self.target(target)
                };
                let name = match name {
                    Name::Plain => "Ann".to_owned(),
                    Name::Blank => " \t ".to_owned(),
                    Name::TooLong => "é".repeat(81),
                    Name::Spaced => "  Bo  ".to_owned(),
                };
                let join = Command::Join {
                    participant,
                    name,
                    seat: seat(stage),
                    media: media(bits),
                };
                (join, None)
            }
            Op::SetSeat { target, stage } => {
                let participant = self.target(target);
                (
                    Command::SetSeat {
                        participant,
                        seat: seat(stage),
                    },
                    Some(participant),
                )
            }
            Op::SetMedia {
                target,
                media: bits,
            } => {
                let participant = self.target(target);
                (
                    Command::SetMedia {
                        participant,
                        media: media(bits),
                    },
                    Some(participant),
                )
            }
            Op::Leave { target } => {
                let participant = self.target(target);
                (Command::Leave { participant }, Some(participant))
            }
            Op::EndForAll => (Command::EndForAll, None),
            Op::SetStageAccess { access } => (
                Command::SetStageAccess {
                    access: access.into(),
                },
                None,
            ),
            Op::RequestStage { target } => {
                let participant = self.target(target);
                (Command::RequestStage { participant }, Some(participant))
            }
            Op::CancelStageRequest { target } => {
                let participant = self.target(target);
                (
                    Command::CancelStageRequest { participant },
                    Some(participant),
                )
            }
            Op::AnswerStageRequest { target, approve } => {
                // Aim at the requests most of the time: approvals are what fill a stage.
                let requests = self.room.stage_requests();
                let participant = match requests.get(usize::from(target) % (requests.len() + 1)) {
                    Some(&id) => id,
                    None => self.target(target),
                };
                (
                    Command::AnswerStageRequest {
                        participant,
                        approve,
                    },
                    Some(participant),
                )
            }
            Op::InviteToStage { target } => {
                let participant = self.target(target);
                (Command::InviteToStage { participant }, Some(participant))
            }
            Op::DeclineInvitation { target } => {
                let participant = self.target(target);
                (
                    Command::DeclineInvitation { participant },
                    Some(participant),
                )
            }
            Op::RaiseHand { target } => {
                let participant = self.target(target);
                (Command::RaiseHand { participant }, Some(participant))
            }
            Op::LowerHand { target } => {
                let participant = self.target(target);
                (Command::LowerHand { participant }, Some(participant))
            }
            Op::React { target } => {
                let participant = self.target(target);
                let reaction = Reaction::ALL[usize::from(target) % Reaction::ALL.len()];
                (
                    Command::React {
                        participant,
                        reaction,
                    },
                    Some(participant),
                )
            }
            Op::Moderate { target, action } => {
                let participant = self.target(target);
                let action = [
                    Moderation::MuteMic,
                    Moderation::StopCamera,
                    Moderation::RemoveFromStage,
                    Moderation::RemoveFromRoom,
                ][usize::from(action % 4)];
                (
                    Command::Moderate {
                        participant,
                        action,
                    },
                    Some(participant),
                )
            }
            Op::SetRights {
                target,
                room_moderator,
                chat_moderator,
            } => {
                let participant = self.target(target);
                let rights = RoomRights {
                    room_moderator,
                    chat_moderator,
                };
                (
                    Command::SetRights {
                        participant,
                        rights,
                    },
                    Some(participant),
                )
            }
            Op::Close { reason } => {
                let reason = [
                    CloseReason::EndedByModerator,
                    CloseReason::RoomDisabled,
                    CloseReason::AccessRevoked,
                ][usize::from(reason % 3)];
                (Command::Close { reason }, None)
            }
        };
        let actor = self.actor(&step.who, target);
        self.apply(command, &actor);
    }
}

/// Everything observable about the room, hashed (cheaper than a clone and a comparison).
fn fingerprint(room: &Room) -> u64 {
    let mut hasher = DefaultHasher::new();
    (room.is_open(), room.launched_at()).hash(&mut hasher);
    (room.config().mode, room.config().stage_access).hash(&mut hasher);
    (room.participant_count(), room.stage_count()).hash(&mut hasher);
    for p in room.participants() {
        (
            p.id,
            p.user_id,
            &p.name,
            p.seat,
            p.media,
            p.rights.room_moderator,
        )
            .hash(&mut hasher);
        (p.rights.chat_moderator, p.joined_at, room.is_invited(p.id)).hash(&mut hasher);
    }
    (room.stage_requests(), room.hands()).hash(&mut hasher);
    hasher.finish()
}

fn check(room: &Room, seen: &BTreeSet<ParticipantId>) {
    let limits = room.config().mode.limits();
    let count = room.participant_count();
    assert!(count <= limits.max_participants, "{count} participants");
    if let Some(limit) = limits.max_on_stage {
        assert!(
            room.stage_count() <= limit,
            "{} on stage",
            room.stage_count()
        );
    }
    let mut ids = BTreeSet::new();
    let mut devices: HashMap<i64, usize> = HashMap::new();
    let mut on_stage = 0;
    for p in room.participants() {
        assert!(ids.insert(p.id), "{} is in the room twice", p.id);
        assert_eq!(room.participant(p.id), Some(p));
        *devices.entry(p.user_id).or_default() += 1;
        match p.seat {
            Seat::Stage => on_stage += 1,
            Seat::Viewer => assert_eq!(p.media, MediaState::OFF, "viewer {} sends", p.id),
        }
    }
    assert_eq!(ids.len() as u32, count);
    assert_eq!(on_stage, room.stage_count());
    for (user, devices) in devices {
        assert!(
            devices <= room::MAX_PARTICIPANTS_PER_PERSON,
            "user {user} is in the room {devices} times"
        );
    }
    if !room.is_open() {
        assert_eq!(count, 0, "a closed room holds participants");
    }
    for (what, list) in [("hand", room.hands()), ("request", room.stage_requests())] {
        let unique: BTreeSet<_> = list.iter().collect();
        assert_eq!(unique.len(), list.len(), "a {what} is listed twice");
        for id in list {
            assert!(
                ids.contains(id),
                "the {what} of {id} who is not in the room"
            );
        }
    }
    for id in seen.difference(&ids) {
        assert!(!room.is_invited(*id), "{id} is invited but not in the room");
    }
}

fuzz_target!(|script: Script| {
    let mode = if script.webinar {
        RoomMode::Webinar
    } else {
        RoomMode::Interactive
    };
    let config = RoomConfig {
        mode,
        stage_access: script.access.into(),
    };
    let mut run = Run {
        room: Room::new(config),
        next_id: 0,
        seen: BTreeSet::new(),
        now: 1_700_000_000,
    };
    check(&run.room, &run.seen);
    for step in script.steps.into_iter().take(MAX_STEPS) {
        run.step(step);
    }
});
