//! Who hears about stage requests, invitations, hands, reactions, moderation, Q&A and polls:
//! each event goes to exactly the joined participants it concerns, in the shape their rights
//! allow (moderators see the whole hand queue, others their own hand; private questions reach
//! the asker and chat moderators only).

use protocol::{ServerMessage, Standing};
use room::{Actor, Event, ParticipantId, PollRecord, QuestionRecord, RoomError};

use super::{Hub, LiveRoom};

impl LiveRoom {
    /// Joined participants with their current rights.
    pub(super) fn joined(
        &self,
    ) -> impl Iterator<Item = (ParticipantId, &super::state::Connection)> {
        self.rules
            .participants()
            .filter_map(|p| self.connections.get(&p.id).map(|c| (p.id, c)))
    }

    fn to_room_moderators(&self, message: ServerMessage) {
        self.to_joined(&message, |_, c| c.actor.rights.room_moderator);
    }

    pub(super) fn standing(&self, actor: &Actor) -> Standing {
        let (mode, access) = (self.rules.config().mode, self.rules.stage_access());
        Standing {
            rights: actor.rights,
            stage_access: access,
            may_take_stage: room::may_take_stage(mode, access, actor),
            may_request_stage: room::may_request_stage(mode, access, actor),
            qna: self.qna,
        }
    }

    pub(super) fn send_standing(&self, id: ParticipantId) {
        if let Some(connection) = self.connections.get(&id) {
            let standing = self.standing(&connection.actor);
            connection
                .outbox
                .send(&ServerMessage::Standing { standing });
        }
    }

    /// Every joined participant's standing, after a room-wide change.
    pub(super) fn announce_standing(&self) {
        for (id, _) in self.joined() {
            self.send_standing(id);
        }
    }

    /// The hand queue as `actor` may see it.
    fn hands_for(&self, id: ParticipantId, actor: &Actor) -> Vec<ParticipantId> {
        let hands = self.rules.hands();
        if actor.rights.room_moderator {
            hands.to_vec()
        } else {
            hands.iter().copied().filter(|&p| p == id).collect()
        }
    }

    /// What a (re)joining participant needs beyond the participant list.
    pub(super) fn replay_stage(&self, id: ParticipantId) {
        let Some(connection) = self.connections.get(&id) else {
            return;
        };
        self.send_standing(id);
        let hands = self.hands_for(id, &connection.actor);
        self.send(id, &ServerMessage::Hands { hands });
        if connection.actor.rights.room_moderator {
            let requests = self.rules.stage_requests().to_vec();
            self.send(id, &ServerMessage::StageRequests { requests });
        }
    }

    pub(super) fn fan_out_collab(&self, event: Event) {
        match event {
            Event::StageAccessChanged { .. } => self.announce_standing(),
            Event::StageRequestsChanged { requests } => {
                self.to_room_moderators(ServerMessage::StageRequests { requests });
            }
            Event::Invited { participant } => self.send(participant, &ServerMessage::Invited),
            Event::StageRequestDeclined { participant } => {
                self.send(participant, &ServerMessage::StageRequestDeclined);
            }
            Event::InvitationDeclined { participant } => {
                self.to_room_moderators(ServerMessage::InvitationDeclined { participant });
            }
            Event::HandsChanged { .. } => {
                for (id, connection) in self.joined() {
                    let hands = self.hands_for(id, &connection.actor);
                    connection.outbox.send(&ServerMessage::Hands { hands });
                }
            }
            Event::Reacted {
                participant,
                reaction,
            } => {
                let message = ServerMessage::Reaction {
                    participant,
                    reaction,
                };
                self.to_joined(&message, |_, _| true);
            }
            Event::Moderated {
                participant,
                action,
            } => self.send(
                participant,
                &ServerMessage::Moderated {
                    action,
                    message: action.message().to_owned(),
                },
            ),
            Event::RightsChanged {
                participant,
                rights,
            } => {
                let message = ServerMessage::ParticipantRights {
                    participant,
                    rights,
                };
                self.to_joined(&message, |_, _| true);
                self.replay_stage(participant);
            }
            Event::Launched { .. }
            | Event::Joined { .. }
            | Event::SeatChanged { .. }
            | Event::MediaChanged { .. }
            | Event::Left { .. }
            | Event::Removed { .. }
            | Event::Closed { .. } => {
                unreachable!("fanned out by LiveRoom::fan_out")
            }
        }
    }
}

impl Hub {
    /// The rights of joined participant `id` now and whether Q&A is on, for Q&A and polls.
    pub async fn joined_with_qna(
        &self,
        container_id: i64,
        id: ParticipantId,
    ) -> Result<(Actor, bool), RoomError> {
        self.in_room(container_id, move |live| {
            Ok((live.joined_actor(id)?, live.qna))
        })
        .await
    }

    /// The user behind a participant, for the moderation log.
    pub async fn user_of(&self, container_id: i64, id: ParticipantId) -> Option<i64> {
        self.call(container_id, move |live| {
            live.rules.participant(id).map(|p| p.user_id)
        })
        .await
        .ok()
        .flatten()
    }

    /// A question as each joined participant who may see it sees it.
    pub async fn send_question(&self, container_id: i64, record: QuestionRecord) {
        let _ = self
            .call(container_id, move |live| {
                for (_, connection) in live.joined() {
                    if let Some(question) = record.view_for(&connection.actor) {
                        let question = Box::new(question);
                        connection
                            .outbox
                            .send(&ServerMessage::Question { question });
                    }
                }
            })
            .await;
    }

    /// A poll to everyone joined, or (after a vote) to chat moderators and the voter only:
    /// nobody else's view changed.
    pub async fn send_poll(&self, container_id: i64, record: PollRecord, voter: Option<i64>) {
        let _ = self
            .call(container_id, move |live| {
                for (_, connection) in live.joined() {
                    let actor = &connection.actor;
                    let concerned = voter
                        .is_none_or(|voter| actor.rights.chat_moderator || actor.user_id == voter);
                    if concerned {
                        let poll = Box::new(record.view_for(actor));
                        connection.outbox.send(&ServerMessage::Poll { poll });
                    }
                }
            })
            .await;
    }
}
