use std::collections::{BTreeMap, BTreeSet, VecDeque};

use domain::RoomMode;

use crate::types::*;

const MAX_NAME_CHARS: usize = 80;

/// Participants one person may hold in one room at once (laptop, phone, tablet), so nobody
/// fills a room alone.
pub const MAX_PARTICIPANTS_PER_PERSON: usize = 3;

/// Stage eligibility without an invitation: room moderators and presenters always; the
/// audience of an Interactive room when its stage access is direct. A Webinar audience never
/// steps on by itself.
pub fn may_take_stage(mode: RoomMode, access: StageAccess, actor: &Actor) -> bool {
    actor.rights.room_moderator
        || actor.presenter
        || (mode == RoomMode::Interactive && access == StageAccess::Direct)
}

/// Whether someone who may not step on directly may ask to (everywhere but invitation-only).
pub fn may_request_stage(mode: RoomMode, access: StageAccess, actor: &Actor) -> bool {
    !may_take_stage(mode, access, actor) && access != StageAccess::Invitation
}

/// One room's live state. Closed until a room moderator launches it; closing removes everyone.
#[derive(Clone, Debug)]
pub struct Room {
    pub(crate) config: RoomConfig,
    launched_at: Option<UnixTime>,
    pub(crate) participants: BTreeMap<ParticipantId, Participant>,
    on_stage: u32,
    /// Viewers asking to join the stage, oldest first.
    pub(crate) requests: Vec<ParticipantId>,
    /// Viewers a moderator invited (or whose request was approved): they may take the stage once.
    pub(crate) invited: BTreeSet<ParticipantId>,
    /// Raised hands, in the order they went up.
    pub(crate) hands: Vec<ParticipantId>,
    /// Users a moderator removed: they may not join again until the session ends.
    pub(crate) removed_users: BTreeSet<i64>,
    /// Recent reaction times per participant, for the rate limit.
    pub(crate) reactions: BTreeMap<ParticipantId, VecDeque<UnixTime>>,
}

impl Room {
    pub fn new(config: RoomConfig) -> Self {
        Self {
            config,
            launched_at: None,
            participants: BTreeMap::new(),
            on_stage: 0,
            requests: Vec::new(),
            invited: BTreeSet::new(),
            hands: Vec::new(),
            removed_users: BTreeSet::new(),
            reactions: BTreeMap::new(),
        }
    }

    pub fn stage_access(&self) -> StageAccess {
        self.config.stage_access
    }

    pub fn stage_requests(&self) -> &[ParticipantId] {
        &self.requests
    }

    pub fn hands(&self) -> &[ParticipantId] {
        &self.hands
    }

    pub fn is_invited(&self, id: ParticipantId) -> bool {
        self.invited.contains(&id)
    }

    pub fn config(&self) -> RoomConfig {
        self.config
    }

    pub fn is_open(&self) -> bool {
        self.launched_at.is_some()
    }

    pub fn launched_at(&self) -> Option<UnixTime> {
        self.launched_at
    }

    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.participants.values()
    }

    pub fn participant(&self, id: ParticipantId) -> Option<&Participant> {
        self.participants.get(&id)
    }

    pub fn participant_count(&self) -> u32 {
        self.participants.len() as u32
    }

    pub fn stage_count(&self) -> u32 {
        self.on_stage
    }

    /// Whether `participant` may send media of this kind right now (the SFU asks before
    /// forwarding anything a client offers).
    pub fn may_publish(&self, participant: ParticipantId) -> bool {
        self.participants
            .get(&participant)
            .is_some_and(|p| p.seat == Seat::Stage)
    }

    /// Applies `command` by `actor` at `now`. On error nothing changed.
    pub fn handle(
        &mut self,
        command: Command,
        actor: &Actor,
        now: UnixTime,
    ) -> Result<Vec<Event>, RoomError> {
        match command {
            Command::Launch => self.launch(actor, now),
            Command::Join {
                participant,
                name,
                seat,
                media,
            } => self.join(actor, participant, name, seat, media, now),
            Command::SetSeat { participant, seat } => self.set_seat(actor, participant, seat),
            Command::SetMedia { participant, media } => self.set_media(actor, participant, media),
            Command::Leave { participant } => {
                self.own(actor, participant)?;
                Ok(self.remove(participant))
            }
            Command::EndForAll => {
                if !actor.rights.room_moderator {
                    return Err(RoomError::NotAllowed {
                        action: Action::EndForAll,
                    });
                }
                Ok(self.close(CloseReason::EndedByModerator))
            }
            Command::Close { reason } => Ok(self.close(reason)),
            other => self.handle_stage(other, actor, now),
        }
    }

    fn launch(&mut self, actor: &Actor, now: UnixTime) -> Result<Vec<Event>, RoomError> {
        if !actor.rights.room_moderator {
            return Err(RoomError::NotAllowed {
                action: Action::Launch,
            });
        }
        if self.launched_at.is_some() {
            return Ok(Vec::new());
        }
        self.launched_at = Some(now);
        Ok(vec![Event::Launched { at: now }])
    }

    fn join(
        &mut self,
        actor: &Actor,
        id: ParticipantId,
        name: String,
        seat: Seat,
        media: MediaState,
        now: UnixTime,
    ) -> Result<Vec<Event>, RoomError> {
        if self.launched_at.is_none() {
            return Err(RoomError::NotOpen);
        }
        if self.participants.contains_key(&id) {
            return Err(RoomError::AlreadyJoined);
        }
        if self.removed_users.contains(&actor.user_id) {
            return Err(RoomError::Removed);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(RoomError::InvalidName {
                max: MAX_NAME_CHARS,
            });
        }
        let devices = self
            .participants
            .values()
            .filter(|p| p.user_id == actor.user_id)
            .count();
        if devices >= MAX_PARTICIPANTS_PER_PERSON {
            return Err(RoomError::TooManyDevices {
                limit: MAX_PARTICIPANTS_PER_PERSON,
            });
        }
        let limits = self.config.mode.limits();
        if self.participant_count() >= limits.max_participants {
            return Err(RoomError::RoomFull {
                limit: limits.max_participants,
            });
        }
        self.check_seat(actor, id, seat, media)?;
        let participant = Participant {
            id,
            user_id: actor.user_id,
            name: name.to_owned(),
            seat,
            media: if seat == Seat::Stage {
                media
            } else {
                MediaState::OFF
            },
            rights: actor.rights,
            joined_at: now,
        };
        if seat == Seat::Stage {
            self.on_stage += 1;
        }
        self.participants.insert(id, participant.clone());
        Ok(vec![Event::Joined { participant }])
    }

    /// Refuses a stage seat the actor may not take or that would overfill the stage, and media
    /// sent from the audience.
    fn check_seat(
        &self,
        actor: &Actor,
        id: ParticipantId,
        seat: Seat,
        media: MediaState,
    ) -> Result<(), RoomError> {
        match seat {
            Seat::Viewer if media != MediaState::OFF => Err(RoomError::NotAllowed {
                action: Action::Publish,
            }),
            Seat::Viewer => Ok(()),
            Seat::Stage => {
                if !may_take_stage(self.config.mode, self.config.stage_access, actor)
                    && !self.invited.contains(&id)
                {
                    return Err(RoomError::NotAllowed {
                        action: Action::TakeStage,
                    });
                }
                self.check_stage_room()
            }
        }
    }

    pub(crate) fn check_stage_room(&self) -> Result<(), RoomError> {
        match self.config.mode.limits().max_on_stage {
            Some(limit) if self.on_stage >= limit => Err(RoomError::StageFull { limit }),
            _ => Ok(()),
        }
    }

    pub(crate) fn own(&self, actor: &Actor, id: ParticipantId) -> Result<&Participant, RoomError> {
        let participant = self.participants.get(&id).ok_or(RoomError::NotInRoom)?;
        if participant.user_id != actor.user_id {
            return Err(RoomError::NotAllowed {
                action: Action::ActForOthers,
            });
        }
        Ok(participant)
    }

    fn set_seat(
        &mut self,
        actor: &Actor,
        id: ParticipantId,
        seat: Seat,
    ) -> Result<Vec<Event>, RoomError> {
        let current = self.own(actor, id)?.seat;
        if current == seat {
            return Ok(Vec::new());
        }
        self.check_seat(actor, id, seat, MediaState::OFF)?;
        let mut events = vec![self.move_seat(id, seat)];
        if seat == Seat::Stage {
            // An invitation is used up; a pending request or raised hand is answered.
            self.invited.remove(&id);
            events.extend(self.drop_request_and_hand(id));
        }
        Ok(events)
    }

    /// Moves a participant (checked to exist) and turns their media off.
    pub(crate) fn move_seat(&mut self, id: ParticipantId, seat: Seat) -> Event {
        let participant = self.participants.get_mut(&id).expect("checked by caller");
        participant.seat = seat;
        participant.media = MediaState::OFF;
        match seat {
            Seat::Stage => self.on_stage += 1,
            Seat::Viewer => self.on_stage -= 1,
        }
        Event::SeatChanged {
            participant: id,
            seat,
            media: MediaState::OFF,
        }
    }

    fn set_media(
        &mut self,
        actor: &Actor,
        id: ParticipantId,
        media: MediaState,
    ) -> Result<Vec<Event>, RoomError> {
        let participant = self.own(actor, id)?;
        if participant.seat == Seat::Viewer && media != MediaState::OFF {
            return Err(RoomError::NotAllowed {
                action: Action::Publish,
            });
        }
        if participant.media == media {
            return Ok(Vec::new());
        }
        self.set_media_of(id, media);
        Ok(vec![Event::MediaChanged {
            participant: id,
            media,
        }])
    }

    pub(crate) fn set_media_of(&mut self, id: ParticipantId, media: MediaState) {
        if let Some(participant) = self.participants.get_mut(&id) {
            participant.media = media;
        }
    }

    /// Takes a participant out, with their requests, invitation and hand.
    pub(crate) fn remove(&mut self, id: ParticipantId) -> Vec<Event> {
        if let Some(gone) = self.participants.remove(&id) {
            if gone.seat == Seat::Stage {
                self.on_stage -= 1;
            }
        }
        self.invited.remove(&id);
        self.reactions.remove(&id);
        let mut events = vec![Event::Left { participant: id }];
        events.extend(self.drop_request_and_hand(id));
        events
    }

    fn close(&mut self, reason: CloseReason) -> Vec<Event> {
        if self.launched_at.take().is_none() && self.participants.is_empty() {
            return Vec::new();
        }
        // Everything of the session goes, removals included: the next session starts clean.
        *self = Self::new(self.config);
        vec![Event::Closed { reason }]
    }
}
