//! Getting onto the stage (requests, invitations), raised hands, reactions, moderation of
//! participants and live rights changes: the parts of [`Room::handle`] beyond joining and
//! leaving.

use crate::rules::Room;
use crate::types::*;

/// At most this many reactions per participant within [`REACTION_WINDOW_SECS`].
pub const REACTION_BURST: usize = 5;
pub const REACTION_WINDOW_SECS: UnixTime = 10;

impl Room {
    pub(crate) fn handle_stage(
        &mut self,
        command: Command,
        actor: &Actor,
        now: UnixTime,
    ) -> Result<Vec<Event>, RoomError> {
        match command {
            Command::SetStageAccess { access } => {
                moderator(actor)?;
                if self.config.stage_access == access {
                    return Ok(Vec::new());
                }
                // Kept for the next session too (the server saves it with the room).
                self.config.stage_access = access;
                Ok(vec![Event::StageAccessChanged { access }])
            }
            Command::RequestStage { participant } => self.request_stage(actor, participant),
            Command::CancelStageRequest { participant } => {
                self.own(actor, participant)?;
                Ok(self.drop_request(participant).into_iter().collect())
            }
            Command::AnswerStageRequest {
                participant,
                approve,
            } => self.answer_request(actor, participant, approve),
            Command::InviteToStage { participant } => self.invite(actor, participant),
            Command::DeclineInvitation { participant } => {
                self.own(actor, participant)?;
                Ok(if self.invited.remove(&participant) {
                    vec![Event::InvitationDeclined { participant }]
                } else {
                    Vec::new()
                })
            }
            Command::RaiseHand { participant } => {
                self.own(actor, participant)?;
                if self.hands.contains(&participant) {
                    return Ok(Vec::new());
                }
                self.hands.push(participant);
                Ok(vec![self.hands_event()])
            }
            Command::LowerHand { participant } => {
                if !actor.rights.room_moderator {
                    self.own(actor, participant)?;
                }
                Ok(self.drop_hand(participant).into_iter().collect())
            }
            Command::React {
                participant,
                reaction,
            } => self.react(actor, participant, reaction, now),
            Command::Moderate {
                participant,
                action,
            } => self.moderate(actor, participant, action),
            Command::SetRights {
                participant,
                rights,
            } => Ok(match self.participants.get_mut(&participant) {
                Some(p) if p.rights != rights => {
                    p.rights = rights;
                    vec![Event::RightsChanged {
                        participant,
                        rights,
                    }]
                }
                _ => Vec::new(),
            }),
            Command::Launch
            | Command::Join { .. }
            | Command::SetSeat { .. }
            | Command::SetMedia { .. }
            | Command::Leave { .. }
            | Command::EndForAll
            | Command::Close { .. } => unreachable!("handled by Room::handle"),
        }
    }

    fn request_stage(
        &mut self,
        actor: &Actor,
        participant: ParticipantId,
    ) -> Result<Vec<Event>, RoomError> {
        let seat = self.own(actor, participant)?.seat;
        let mode = self.config().mode;
        if seat == Seat::Stage
            || self.requests.contains(&participant)
            || self.invited.contains(&participant)
            || crate::may_take_stage(mode, self.config.stage_access, actor)
        {
            return Ok(Vec::new());
        }
        if !crate::may_request_stage(mode, self.config.stage_access, actor) {
            return Err(RoomError::NotAllowed {
                action: Action::RequestStage,
            });
        }
        self.requests.push(participant);
        Ok(vec![self.requests_event()])
    }

    fn answer_request(
        &mut self,
        actor: &Actor,
        participant: ParticipantId,
        approve: bool,
    ) -> Result<Vec<Event>, RoomError> {
        moderator(actor)?;
        if !self.requests.contains(&participant) {
            // Withdrawn or answered by another moderator meanwhile.
            return Ok(Vec::new());
        }
        if approve {
            self.check_stage_room()?;
        }
        let mut events: Vec<Event> = self.drop_request(participant).into_iter().collect();
        if approve {
            self.invited.insert(participant);
            events.push(Event::Invited { participant });
        } else {
            events.push(Event::StageRequestDeclined { participant });
        }
        Ok(events)
    }

    fn invite(
        &mut self,
        actor: &Actor,
        participant: ParticipantId,
    ) -> Result<Vec<Event>, RoomError> {
        moderator(actor)?;
        let target = self
            .participant(participant)
            .ok_or(RoomError::UnknownParticipant)?;
        if target.seat == Seat::Stage {
            return Ok(Vec::new());
        }
        if self.invited.contains(&participant) {
            // Invited already: a hand raised since is answered all the same.
            return Ok(self.drop_request_and_hand(participant));
        }
        self.check_stage_room()?;
        self.invited.insert(participant);
        let mut events = vec![Event::Invited { participant }];
        events.extend(self.drop_request_and_hand(participant));
        Ok(events)
    }

    fn react(
        &mut self,
        actor: &Actor,
        participant: ParticipantId,
        reaction: Reaction,
        now: UnixTime,
    ) -> Result<Vec<Event>, RoomError> {
        self.own(actor, participant)?;
        let recent = self.reactions.entry(participant).or_default();
        while recent
            .front()
            .is_some_and(|&at| at <= now - REACTION_WINDOW_SECS)
        {
            recent.pop_front();
        }
        if recent.len() >= REACTION_BURST {
            return Err(RoomError::TooManyReactions);
        }
        recent.push_back(now);
        Ok(vec![Event::Reacted {
            participant,
            reaction,
        }])
    }

    fn moderate(
        &mut self,
        actor: &Actor,
        id: ParticipantId,
        action: Moderation,
    ) -> Result<Vec<Event>, RoomError> {
        moderator(actor)?;
        let target = self.participant(id).ok_or(RoomError::UnknownParticipant)?;
        let (seat, mut media, user_id) = (target.seat, target.media, target.user_id);
        let notice = Event::Moderated {
            participant: id,
            action,
        };
        match action {
            Moderation::MuteMic | Moderation::StopCamera => {
                let before = media;
                if action == Moderation::MuteMic {
                    media.mic = false;
                } else {
                    media.camera = false;
                }
                if media == before {
                    return Ok(Vec::new());
                }
                self.set_media_of(id, media);
                Ok(vec![
                    Event::MediaChanged {
                        participant: id,
                        media,
                    },
                    notice,
                ])
            }
            Moderation::RemoveFromStage => {
                if seat == Seat::Viewer {
                    return Ok(Vec::new());
                }
                Ok(vec![self.move_seat(id, Seat::Viewer), notice])
            }
            Moderation::RemoveFromRoom => {
                // Moderators cannot throw each other (or themselves) out.
                if user_id == actor.user_id || target.rights.room_moderator {
                    return Err(RoomError::NotAllowed {
                        action: Action::ModerateRoom,
                    });
                }
                self.removed_users.insert(user_id);
                let devices: Vec<ParticipantId> = self
                    .participants()
                    .filter(|p| p.user_id == user_id)
                    .map(|p| p.id)
                    .collect();
                let mut events = Vec::new();
                for device in devices {
                    events.push(Event::Removed {
                        participant: device,
                        reason: CloseReason::Removed,
                    });
                    events.extend(self.remove(device));
                }
                Ok(events)
            }
        }
    }

    pub(crate) fn drop_request_and_hand(&mut self, id: ParticipantId) -> Vec<Event> {
        self.drop_request(id)
            .into_iter()
            .chain(self.drop_hand(id))
            .collect()
    }

    fn drop_request(&mut self, id: ParticipantId) -> Option<Event> {
        let before = self.requests.len();
        self.requests.retain(|&p| p != id);
        (self.requests.len() != before).then(|| self.requests_event())
    }

    fn drop_hand(&mut self, id: ParticipantId) -> Option<Event> {
        let before = self.hands.len();
        self.hands.retain(|&p| p != id);
        (self.hands.len() != before).then(|| self.hands_event())
    }

    fn hands_event(&self) -> Event {
        Event::HandsChanged {
            hands: self.hands.clone(),
        }
    }

    fn requests_event(&self) -> Event {
        Event::StageRequestsChanged {
            requests: self.requests.clone(),
        }
    }
}

fn moderator(actor: &Actor) -> Result<(), RoomError> {
    if actor.rights.room_moderator {
        Ok(())
    } else {
        Err(RoomError::NotAllowed {
            action: Action::ModerateRoom,
        })
    }
}
