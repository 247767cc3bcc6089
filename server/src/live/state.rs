//! One live room's state, owned by its actor: the rules, the chat and Q&A switches, the
//! connections with their current rights, and who hears each event. Whatever the server ends
//! (a session, a removal, revoked access, a disabled room) it closes itself: the connection
//! is told `closed`, its socket is closed after that, and it is forgotten at once, so nothing
//! sent on it afterwards reaches the room.

use std::collections::HashMap;

use domain::api::InviteRole;
use protocol::{close_code, ServerMessage};
use room::{
    Actor, CloseReason, Command, Event, ParticipantId, Room, RoomConfig, RoomError, Seat,
    StageAccess,
};

use super::outbox::{Outbox, Wire};
use crate::sfu::{MemberKey, SfuEvent, SfuHandle};

/// Connections (joined or waiting) one person may hold in one room: a few devices, each
/// possibly reconnecting. Joined participants are capped lower by the rules.
pub const MAX_CONNECTIONS_PER_PERSON: usize = 2 * room::MAX_PARTICIPANTS_PER_PERSON;

/// A change to the saved session, written by the actor after the job that caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SessionChange {
    Opened { at: i64 },
    Closed,
}

pub(super) struct Connection {
    pub(super) outbox: Outbox,
    pub(super) actor: Actor,
    /// What the user's invitation link granted, kept when their rights are re-resolved.
    pub(super) invite: Option<InviteRole>,
    /// The link itself, checked again when links are revoked.
    pub(super) invite_token: Option<String>,
}

/// A new connection's view of the room, for its Welcome.
pub struct Connected {
    pub id: ParticipantId,
    pub open: bool,
    pub stage_access: StageAccess,
}

pub struct LiveRoom {
    pub(super) container_id: i64,
    pub(super) sfu: SfuHandle,
    /// Switched off on the Meeting room tab (or gone): nobody connects, nothing launches.
    enabled: bool,
    /// Its settings could not be read (the database failed): connections are asked to retry.
    unavailable: bool,
    pub(super) rules: Room,
    pub(super) chat: room::ChatRules,
    /// What the Meeting room tab saved: a live session keeps the mode it opened with, the next
    /// launch takes this one; stage access applies at once.
    pub(super) configured: RoomConfig,
    /// Q&A as resolved against the site default; switches at once when saved.
    pub(super) qna: bool,
    pub(super) connections: HashMap<ParticipantId, Connection>,
    session_changes: Vec<SessionChange>,
    /// Connections to close once the current command's events are out.
    ending: Vec<(ParticipantId, CloseReason)>,
    /// A recording of this room, starting or running.
    pub(super) recording: Option<super::recording::Recording>,
}

pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl LiveRoom {
    /// A room as saved; `None` (not found) refuses everyone.
    pub(super) fn new(
        container_id: i64,
        sfu: SfuHandle,
        setup: Option<store::LiveRoomSetup>,
    ) -> Self {
        Self::loaded(container_id, sfu, setup, false)
    }

    /// A room whose settings could not be read: it refuses with "try again" and stops.
    pub(super) fn unavailable(container_id: i64, sfu: SfuHandle) -> Self {
        Self::loaded(container_id, sfu, None, true)
    }

    fn loaded(
        container_id: i64,
        sfu: SfuHandle,
        setup: Option<store::LiveRoomSetup>,
        unavailable: bool,
    ) -> Self {
        let enabled = setup.is_some_and(|s| s.enabled);
        let configured = setup.map_or(RoomConfig::new(domain::RoomMode::Interactive), |s| {
            RoomConfig {
                mode: s.mode,
                stage_access: s.stage_access,
            }
        });
        let mut rules = Room::new(configured);
        if let Some(opened_at) = setup.and_then(|s| s.opened_at).filter(|_| enabled) {
            // The session was open before this actor (or this process) started.
            let _ = rules.handle(Command::Launch, &Actor::SYSTEM, opened_at);
        }
        Self {
            container_id,
            sfu,
            enabled,
            unavailable,
            rules,
            chat: room::ChatRules::new(setup.is_some_and(|s| s.group_chat)),
            configured,
            qna: setup.is_some_and(|s| s.qna),
            connections: HashMap::new(),
            session_changes: Vec::new(),
            ending: Vec::new(),
            recording: None,
        }
    }

    pub(super) fn take_session_changes(&mut self) -> Vec<SessionChange> {
        std::mem::take(&mut self.session_changes)
    }

    /// Nobody connected and no session to keep: the actor may stop.
    pub(super) fn is_idle(&self) -> bool {
        self.connections.is_empty() && !self.rules.is_open()
    }

    fn member(&self, participant: ParticipantId) -> MemberKey {
        MemberKey {
            room: self.container_id,
            participant,
        }
    }

    /// Registers a connection with `id`, unless the room is off or the person holds too many,
    /// and queues its Welcome first (so an `opened` can never overtake it).
    pub(super) fn connect(
        &mut self,
        id: ParticipantId,
        actor: Actor,
        invite: Option<InviteRole>,
        invite_token: Option<String>,
        outbox: Outbox,
        welcome: Option<protocol::RoomInfo>,
    ) -> Result<Connected, ServerMessage> {
        if self.unavailable {
            return Err(ServerMessage::error(
                "room_unavailable",
                "The room could not be opened just now; try again.",
            ));
        }
        if !self.enabled {
            let reason = CloseReason::RoomDisabled;
            return Err(ServerMessage::Closed {
                reason,
                message: reason.message().to_owned(),
            });
        }
        let held = self
            .connections
            .values()
            .filter(|c| c.actor.user_id == actor.user_id)
            .count();
        if held >= MAX_CONNECTIONS_PER_PERSON {
            return Err(ServerMessage::error(
                "too_many_connections",
                format!("You have this room open {held} times already; close it somewhere first."),
            ));
        }
        let connected = Connected {
            id,
            open: self.rules.is_open(),
            stage_access: self.rules.stage_access(),
        };
        if let Some(mut room) = welcome {
            room.open = connected.open;
            room.may_take_stage = room::may_take_stage(room.mode, connected.stage_access, &actor);
            outbox.send(&ServerMessage::Welcome { room });
            // Told at once, so whoever comes later knows the room is being recorded.
            outbox.send(&self.recording_message());
        }
        self.connections.insert(
            id,
            Connection {
                outbox,
                actor,
                invite,
                invite_token,
            },
        );
        Ok(connected)
    }

    /// The connection ended: leaves the room if joined.
    pub(super) fn disconnect(&mut self, id: ParticipantId) {
        if let Some(connection) = self.connections.get(&id) {
            if self.rules.participant(id).is_some() {
                let actor = connection.actor;
                let _ = self.apply(&actor, Command::Leave { participant: id });
            }
            self.connections.remove(&id);
        }
    }

    /// Runs one command of connection `id` through the rules; `Ok(false)` when it changed
    /// nothing (e.g. muting someone already muted).
    pub(super) fn command(
        &mut self,
        id: ParticipantId,
        command: Command,
    ) -> Result<bool, RoomError> {
        let actor = self.connections.get(&id).ok_or(RoomError::NotInRoom)?.actor;
        self.apply(&actor, command)
    }

    /// The open session's start and the person of joined connection `id`.
    pub(super) fn session_member(&self, id: ParticipantId) -> Option<(i64, i64)> {
        self.rules.participant(id)?;
        Some((
            self.rules.launched_at()?,
            self.connections.get(&id)?.actor.user_id,
        ))
    }

    /// The rights of `id`, who must have joined (not only connected).
    pub(super) fn joined_actor(&self, id: ParticipantId) -> Result<Actor, RoomError> {
        self.rules.participant(id).ok_or(RoomError::NotInRoom)?;
        Ok(self.connections.get(&id).ok_or(RoomError::NotInRoom)?.actor)
    }

    /// Ends the live session for everyone; a disabled room also refuses whoever comes next.
    pub(super) fn close(&mut self, reason: CloseReason) {
        if reason == CloseReason::RoomDisabled {
            self.enabled = false;
        }
        let _ = self.apply(&Actor::SYSTEM, Command::Close { reason });
        // Waiting connections (not joined, so not closed by the rules) go too.
        let waiting: Vec<ParticipantId> = self.connections.keys().copied().collect();
        for id in waiting {
            self.end_connection(id, reason);
        }
    }

    /// The actor failed: every connection is told to reconnect, the SFU lets them go.
    pub(super) fn fail(&mut self) {
        self.stop_recording();
        for (&id, connection) in &self.connections {
            self.sfu.leave(self.member(id));
            connection.outbox.abort(
                close_code::ROOM_RESTARTED,
                "the room restarted after a fault; rejoin",
            );
        }
        self.connections.clear();
    }

    /// Tells connection `id` why it ends, closes its socket after that, and forgets it.
    pub(super) fn end_connection(&mut self, id: ParticipantId, reason: CloseReason) {
        let actor = self.connections.get(&id).map(|c| c.actor);
        if let Some(actor) = actor.filter(|_| self.rules.participant(id).is_some()) {
            let _ = self.apply(&actor, Command::Leave { participant: id });
        }
        if let Some(connection) = self.connections.remove(&id) {
            connection.outbox.send(&ServerMessage::Closed {
                reason,
                message: reason.message().to_owned(),
            });
            connection.outbox.close(close_code::ENDED, reason.message());
        }
    }

    pub(super) fn apply(&mut self, actor: &Actor, command: Command) -> Result<bool, RoomError> {
        if command == Command::Launch {
            if !self.enabled {
                return Err(RoomError::NotOpen);
            }
            if !self.rules.is_open() && self.rules.config() != self.configured {
                self.rules = Room::new(self.configured);
            }
        }
        let before: Vec<ParticipantId> = match command {
            Command::Close { .. } | Command::EndForAll => {
                self.rules.participants().map(|p| p.id).collect()
            }
            _ => Vec::new(),
        };
        let events = self.rules.handle(command, actor, unix_now())?;
        // A moderator's live choice of stage access is the room's from now on.
        self.configured.stage_access = self.rules.config().stage_access;
        let changed = !events.is_empty();
        for event in events {
            self.fan_out(&before, event);
        }
        for (id, reason) in std::mem::take(&mut self.ending) {
            self.end_connection(id, reason);
        }
        Ok(changed)
    }

    /// Sends one message, serialised once, to every joined participant `to` selects.
    pub(super) fn to_joined(
        &self,
        message: &ServerMessage,
        to: impl Fn(ParticipantId, &Connection) -> bool,
    ) {
        let wire = Wire::new(message);
        for (id, connection) in self.joined() {
            if to(id, connection) {
                connection.outbox.send_wire(&wire);
            }
        }
    }

    pub(super) fn send(&self, to: ParticipantId, message: &ServerMessage) {
        if let Some(connection) = self.connections.get(&to) {
            connection.outbox.send(message);
        }
    }

    /// A participant's seat or media changed: the SFU forwards accordingly, everyone sees it.
    fn updated(&self, participant: ParticipantId) {
        let Some(p) = self.rules.participant(participant) else {
            return;
        };
        self.sfu.set_media(self.member(participant), p.media);
        let message = ServerMessage::ParticipantUpdated {
            participant,
            seat: p.seat,
            media: p.media,
        };
        self.to_joined(&message, |_, _| true);
    }

    fn fan_out(&mut self, closed_out: &[ParticipantId], event: Event) {
        match event {
            Event::Launched { at } => {
                self.session_changes.push(SessionChange::Opened { at });
                let wire = Wire::new(&ServerMessage::Opened);
                for connection in self.connections.values() {
                    connection.outbox.send_wire(&wire);
                }
            }
            Event::Joined { participant } => {
                let id = participant.id;
                let joined = ServerMessage::Joined {
                    you: id,
                    participants: self.rules.participants().cloned().collect(),
                };
                self.send(id, &joined);
                self.send(id, &self.recording_message());
                let arrived = ServerMessage::ParticipantJoined { participant };
                self.to_joined(&arrived, |other, _| other != id);
                self.replay_stage(id);
                let slots = self.rules.config().mode.limits().max_visible_cameras;
                self.sfu.subscribe(self.member(id), slots as usize);
            }
            Event::SeatChanged {
                participant,
                seat: Seat::Viewer,
                ..
            } => {
                self.sfu.unpublish(self.member(participant));
                self.updated(participant);
            }
            Event::SeatChanged { participant, .. } | Event::MediaChanged { participant, .. } => {
                self.updated(participant);
            }
            Event::Left { participant } => {
                self.sfu.leave(self.member(participant));
                let message = ServerMessage::ParticipantLeft { participant };
                self.to_joined(&message, |other, _| other != participant);
                if self.rules.participant_count() == 0 {
                    self.stop_recording();
                }
            }
            Event::Closed { reason } => {
                self.stop_recording();
                self.session_changes.push(SessionChange::Closed);
                for &participant in closed_out {
                    self.sfu.leave(self.member(participant));
                }
                // Waiting connections too: the session they waited for ended.
                let everyone = self.connections.keys().map(|&id| (id, reason));
                self.ending.extend(everyone.collect::<Vec<_>>());
            }
            // The participant leaves (`Left` follows), then their connection is closed.
            Event::Removed {
                participant,
                reason,
            } => self.ending.push((participant, reason)),
            other => self.fan_out_collab(other),
        }
    }

    /// What the SFU reports goes to the participants it concerns.
    pub(super) fn sfu_event(&self, event: SfuEvent) {
        match event {
            SfuEvent::SubscribeOffer {
                member,
                sdp,
                update,
            } => {
                self.send(
                    member.participant,
                    &ServerMessage::SubscribeOffer { sdp, update },
                );
            }
            SfuEvent::Slots {
                member,
                video,
                audio,
            } => self.send(member.participant, &ServerMessage::Slots { video, audio }),
            SfuEvent::AnswerRefused { member, message } => {
                self.send(
                    member.participant,
                    &ServerMessage::error("bad_answer", message),
                );
            }
            SfuEvent::Speakers { participants, .. } => {
                self.recording_speakers(&participants);
                self.to_joined(&ServerMessage::ActiveSpeakers { participants }, |_, _| true);
            }
            SfuEvent::PeerFailed { member, link } => {
                self.send(member.participant, &ServerMessage::MediaFailed { link });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Who hears what, decided by the room's state alone: no sockets, no SFU, no database.

    use domain::{RoomMode, RoomRights};
    use protocol::ServerMessage;
    use room::{Actor, CloseReason, Command, MediaState, Moderation, ParticipantId, Seat};

    use super::*;
    use crate::live::outbox::{outbox, Next, OutboxReceiver};

    const MODERATOR: Actor = Actor {
        user_id: 1,
        rights: RoomRights {
            room_moderator: true,
            chat_moderator: true,
        },
        presenter: false,
    };

    fn student(user_id: i64) -> Actor {
        Actor {
            user_id,
            ..Actor::default()
        }
    }

    fn open_room() -> LiveRoom {
        let setup = store::LiveRoomSetup {
            enabled: true,
            mode: RoomMode::Interactive,
            stage_access: room::StageAccess::Direct,
            group_chat: true,
            qna: true,
            opened_at: Some(1),
        };
        LiveRoom::new(7, SfuHandle::detached(), Some(setup))
    }

    fn connect(live: &mut LiveRoom, id: u64, actor: Actor) -> OutboxReceiver {
        let (sender, receiver) = outbox();
        live.connect(ParticipantId(id), actor, None, None, sender, None)
            .expect("connects");
        receiver
    }

    fn join(live: &mut LiveRoom, id: u64) {
        let command = Command::Join {
            participant: ParticipantId(id),
            name: format!("person {id}"),
            seat: Seat::Viewer,
            media: MediaState::OFF,
        };
        live.command(ParticipantId(id), command).expect("joins");
    }

    /// Everything queued so far, and whether the connection was closed after it.
    async fn drain(receiver: &mut OutboxReceiver) -> (Vec<ServerMessage>, Option<u16>) {
        let mut messages = Vec::new();
        loop {
            let next = tokio::time::timeout(std::time::Duration::from_millis(10), receiver.next());
            match next.await {
                Ok(Next::Text(text)) => messages.push(serde_json::from_str(&text).unwrap()),
                Ok(Next::Close { code, .. }) => return (messages, Some(code)),
                Ok(Next::Gone) | Err(_) => return (messages, None),
            }
        }
    }

    #[tokio::test]
    async fn a_session_restored_from_the_database_is_open_unless_the_room_is_off() {
        assert!(open_room().rules.is_open());
        let disabled = store::LiveRoomSetup {
            enabled: false,
            mode: RoomMode::Interactive,
            stage_access: room::StageAccess::Direct,
            group_chat: true,
            qna: true,
            opened_at: Some(1),
        };
        for setup in [Some(disabled), None] {
            let mut off = LiveRoom::new(7, SfuHandle::detached(), setup);
            assert!(
                !off.rules.is_open(),
                "a disabled or unknown room never comes back open"
            );
            let refused = off.connect(ParticipantId(1), MODERATOR, None, None, outbox().0, None);
            assert!(refused.is_err());
        }
    }

    #[tokio::test]
    async fn a_removal_closes_only_the_removed_and_the_others_see_them_leave() {
        let mut live = open_room();
        let mut moderator = connect(&mut live, 1, MODERATOR);
        let mut removed = connect(&mut live, 2, student(20));
        let mut other = connect(&mut live, 3, student(30));
        for id in 1..=3 {
            join(&mut live, id);
        }
        for receiver in [&mut moderator, &mut removed, &mut other] {
            drain(receiver).await;
        }
        let remove = Command::Moderate {
            participant: ParticipantId(2),
            action: Moderation::RemoveFromRoom,
        };
        live.command(ParticipantId(1), remove).unwrap();

        let (messages, closed) = drain(&mut removed).await;
        assert!(matches!(
            messages.last(),
            Some(ServerMessage::Closed {
                reason: CloseReason::Removed,
                ..
            })
        ));
        assert_eq!(closed, Some(protocol::close_code::ENDED));
        let (messages, closed) = drain(&mut other).await;
        assert_eq!(
            messages,
            [ServerMessage::ParticipantLeft {
                participant: ParticipantId(2)
            }]
        );
        assert_eq!(closed, None);
        // Gone at once: nothing more it sends is taken.
        assert_eq!(
            live.command(
                ParticipantId(2),
                Command::RaiseHand {
                    participant: ParticipantId(2)
                }
            ),
            Err(RoomError::NotInRoom)
        );
        drain(&mut moderator).await;
    }

    #[tokio::test]
    async fn hands_are_whole_for_moderators_and_own_for_others() {
        let mut live = open_room();
        let mut moderator = connect(&mut live, 1, MODERATOR);
        let mut first = connect(&mut live, 2, student(20));
        let mut second = connect(&mut live, 3, student(30));
        for id in 1..=3 {
            join(&mut live, id);
        }
        for receiver in [&mut moderator, &mut first, &mut second] {
            drain(receiver).await;
        }
        for id in [2, 3] {
            let raise = Command::RaiseHand {
                participant: ParticipantId(id),
            };
            live.command(ParticipantId(id), raise).unwrap();
        }
        let hands = |messages: Vec<ServerMessage>| -> Vec<Vec<ParticipantId>> {
            messages
                .into_iter()
                .filter_map(|m| match m {
                    ServerMessage::Hands { hands } => Some(hands),
                    _ => None,
                })
                .collect()
        };
        let (p2, p3) = (ParticipantId(2), ParticipantId(3));
        assert_eq!(
            hands(drain(&mut moderator).await.0),
            [vec![p2], vec![p2, p3]]
        );
        assert_eq!(hands(drain(&mut first).await.0), [vec![p2], vec![p2]]);
        assert_eq!(hands(drain(&mut second).await.0), [vec![], vec![p3]]);
    }

    #[tokio::test]
    async fn closing_a_disabled_room_ends_joined_and_waiting_connections_and_refuses_launch() {
        let mut live = open_room();
        let mut joined = connect(&mut live, 1, MODERATOR);
        join(&mut live, 1);
        let mut waiting = connect(&mut live, 2, student(20));
        live.close(CloseReason::RoomDisabled);
        for receiver in [&mut joined, &mut waiting] {
            let (messages, closed) = drain(receiver).await;
            assert!(matches!(
                messages.last(),
                Some(ServerMessage::Closed {
                    reason: CloseReason::RoomDisabled,
                    ..
                })
            ));
            assert_eq!(closed, Some(protocol::close_code::ENDED));
        }
        assert!(live.connections.is_empty());
        assert!(live.is_idle());
        assert_eq!(
            live.apply(&MODERATOR, Command::Launch),
            Err(RoomError::NotOpen)
        );
        assert_eq!(live.take_session_changes(), [SessionChange::Closed]);
    }
}
