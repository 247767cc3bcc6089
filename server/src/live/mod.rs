//! Live rooms: one [`room::Room`] rules state per container, the signalling connections in
//! it, and the fan-out of its events to those connections and to the SFU. Each room's state
//! sits behind one lock, so concurrent joins are decided one at a time and never overshoot
//! a limit.

mod chat;
mod collab;
mod requests;
mod rights;
mod socket;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use protocol::ServerMessage;
use domain::api::InviteRole;
use domain::RoomMode;
use room::{
    Actor, CloseReason, Command, Event, ParticipantId, Room, RoomConfig, RoomError, Seat,
    StageAccess,
};
use tokio::sync::mpsc;

use crate::sfu::{MemberKey, SfuHandle};

pub use socket::room_socket;

pub type Outbox = mpsc::UnboundedSender<ServerMessage>;

#[derive(Clone)]
pub struct Hub {
    rooms: Arc<Mutex<HashMap<i64, LiveRoom>>>,
    sfu: SfuHandle,
    next_participant: Arc<AtomicU64>,
}

struct LiveRoom {
    rules: Room,
    chat: room::ChatRules,
    /// What the Meeting room tab saved: a live session keeps the mode it opened with, the next
    /// launch takes this one; stage access applies at once.
    configured: RoomConfig,
    /// Q&A as resolved against the site default; switches at once when saved.
    qna: bool,
    connections: HashMap<ParticipantId, Connection>,
}

impl LiveRoom {
    /// Whether Q&A switched; the caller announces it (once, with anything else that changed).
    fn set_qna(&mut self, qna: bool) -> bool {
        std::mem::replace(&mut self.qna, qna) != qna
    }

    /// The rights of `id`, who must have joined (not only connected).
    fn joined_actor(&self, id: ParticipantId) -> Result<Actor, RoomError> {
        self.rules.participant(id).ok_or(RoomError::NotInRoom)?;
        Ok(self.connections.get(&id).ok_or(RoomError::NotInRoom)?.actor)
    }
}

struct Connection {
    outbox: Outbox,
    actor: Actor,
    /// What the user's invitation link granted, kept when their rights are re-resolved.
    invite: Option<InviteRole>,
}

/// A new connection's view of the room, for its Welcome.
pub struct Connected {
    pub id: ParticipantId,
    pub open: bool,
    pub stage_access: StageAccess,
}

/// The saved settings a room's first connection brings from the store.
pub struct RoomSetup {
    pub mode: RoomMode,
    pub stage_access: StageAccess,
    pub group_chat: bool,
    pub qna: bool,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Hub {
    pub fn new(sfu: SfuHandle) -> Self {
        Self {
            rooms: Arc::default(),
            sfu,
            next_participant: Arc::new(AtomicU64::new(1)),
        }
    }

    pub fn sfu(&self) -> &SfuHandle {
        &self.sfu
    }

    /// Follows the Meeting room tab: disabling closes the live session, a new mode applies
    /// from the next launch.
    pub fn follow(&self, store: &store::Store) {
        let mut changes = store.changes();
        let hub = self.clone();
        let store = store.clone();
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(store::Change::RoomSettings {
                        container_id,
                        enabled: false,
                        ..
                    }) => hub.close(container_id, CloseReason::RoomDisabled),
                    Ok(store::Change::RoomSettings {
                        container_id,
                        mode,
                        stage_access,
                        group_chat,
                        qna_enabled,
                        ..
                    }) => {
                        let config = RoomConfig { mode, stage_access };
                        hub.configure(container_id, config, group_chat, qna_enabled);
                        // The moderator lists may have changed.
                        hub.refresh_rights(&store, |room, _| room == container_id)
                            .await;
                    }
                    Ok(store::Change::SiteSettings) => hub.follow_site_settings(&store).await,
                    Ok(store::Change::Membership { user_id }) => {
                        hub.refresh_rights(&store, |_, actor| actor.user_id == user_id)
                            .await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "room changes lagged");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Registers a signalling connection. The room's rules state is created with the
    /// configured mode on first use.
    pub fn connect(
        &self,
        container_id: i64,
        setup: RoomSetup,
        actor: Actor,
        invite: Option<InviteRole>,
        outbox: Outbox,
    ) -> Connected {
        let id = ParticipantId(self.next_participant.fetch_add(1, Ordering::Relaxed));
        let configured = RoomConfig {
            mode: setup.mode,
            stage_access: setup.stage_access,
        };
        let mut rooms = self.rooms.lock().expect("room lock");
        let live = rooms.entry(container_id).or_insert_with(|| LiveRoom {
            rules: Room::new(configured),
            chat: room::ChatRules::new(setup.group_chat),
            configured,
            qna: setup.qna,
            connections: HashMap::new(),
        });
        live.connections.insert(
            id,
            Connection {
                outbox,
                actor,
                invite,
            },
        );
        Connected {
            id,
            open: live.rules.is_open(),
            stage_access: live.rules.stage_access(),
        }
    }

    /// The connection ended: leaves the room if joined, and forgets an idle closed room.
    pub fn disconnect(&self, container_id: i64, id: ParticipantId) {
        let mut rooms = self.rooms.lock().expect("room lock");
        let Some(live) = rooms.get_mut(&container_id) else {
            return;
        };
        if live.rules.participant(id).is_some() {
            let actor = live.connections[&id].actor;
            let _ = self.apply(
                container_id,
                live,
                &actor,
                Command::Leave { participant: id },
            );
        }
        live.connections.remove(&id);
        if live.connections.is_empty() && !live.rules.is_open() {
            rooms.remove(&container_id);
        }
    }

    /// Runs one command of connection `id` through the rules and fans out what happened;
    /// `Ok(false)` when it changed nothing (e.g. muting someone already muted).
    pub fn command(
        &self,
        container_id: i64,
        id: ParticipantId,
        command: Command,
    ) -> Result<bool, RoomError> {
        let mut rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get_mut(&container_id).ok_or(RoomError::NotInRoom)?;
        let actor = live.connections.get(&id).ok_or(RoomError::NotInRoom)?.actor;
        self.apply(container_id, live, &actor, command)
    }

    /// Hands a publisher's offer to the SFU if the rules let `id` send media. Checked and
    /// queued under the room's lock: a seat change (which queues an unpublish) is ordered
    /// either before the check or after the offer, never between.
    pub fn publish(
        &self,
        container_id: i64,
        id: ParticipantId,
        offer: String,
        tracks: Vec<protocol::PublishedTrack>,
    ) -> Result<impl std::future::Future<Output = Result<String, crate::sfu::SfuError>>, RoomError>
    {
        let rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get(&container_id).ok_or(RoomError::NotInRoom)?;
        if !live.rules.may_publish(id) {
            return Err(RoomError::NotAllowed {
                action: room::Action::Publish,
            });
        }
        let media = live
            .rules
            .participant(id)
            .map(|p| p.media)
            .unwrap_or_default();
        let member = MemberKey {
            room: container_id,
            participant: id,
        };
        Ok(self.sfu.publish(member, offer, tracks, media))
    }

    pub fn is_joined(&self, container_id: i64, id: ParticipantId) -> bool {
        let rooms = self.rooms.lock().expect("room lock");
        rooms
            .get(&container_id)
            .is_some_and(|live| live.rules.participant(id).is_some())
    }

    /// Ends the live session for everyone (the room was disabled).
    pub fn close(&self, container_id: i64, reason: CloseReason) {
        let mut rooms = self.rooms.lock().expect("room lock");
        if let Some(live) = rooms.get_mut(&container_id) {
            let system = Actor::default();
            let _ = self.apply(container_id, live, &system, Command::Close { reason });
        }
    }

    /// Group chat, Q&A and stage access switch at once; a new mode waits for the next launch.
    fn configure(&self, container_id: i64, config: RoomConfig, group_chat: bool, qna: bool) {
        let mut rooms = self.rooms.lock().expect("room lock");
        if let Some(live) = rooms.get_mut(&container_id) {
            live.chat.group_chat = group_chat;
            let qna_changed = live.set_qna(qna);
            let command = Command::SetStageAccess {
                access: config.stage_access,
            };
            // A new stage access announces everyone's standing, Q&A included.
            let access_changed = self
                .apply(container_id, live, &Actor::SYSTEM, command)
                .unwrap_or(false);
            if qna_changed && !access_changed {
                live.announce_standing();
            }
            live.configured = config;
        }
    }

    /// A new site default for Q&A reaches rooms that follow it.
    async fn follow_site_settings(&self, store: &store::Store) {
        let live: Vec<i64> = self
            .rooms
            .lock()
            .expect("room lock")
            .keys()
            .copied()
            .collect();
        for container_id in live {
            match store.room_qna_enabled(container_id).await {
                Ok(qna) => {
                    if let Some(live) = self.rooms.lock().expect("room lock").get_mut(&container_id)
                    {
                        if live.set_qna(qna) {
                            live.announce_standing();
                        }
                    }
                }
                Err(error) => {
                    tracing::error!(%error, container_id, "re-reading Q&A setting failed")
                }
            }
        }
    }

    fn apply(
        &self,
        container_id: i64,
        live: &mut LiveRoom,
        actor: &Actor,
        command: Command,
    ) -> Result<bool, RoomError> {
        if command == Command::Launch
            && !live.rules.is_open()
            && live.rules.config() != live.configured
        {
            live.rules = Room::new(live.configured);
        }
        let before: Vec<ParticipantId> = match command {
            Command::Close { .. } | Command::EndForAll => {
                live.rules.participants().map(|p| p.id).collect()
            }
            _ => Vec::new(),
        };
        let events = live.rules.handle(command, actor, unix_now())?;
        // A moderator's live choice of stage access is the room's from now on.
        live.configured.stage_access = live.rules.config().stage_access;
        let changed = !events.is_empty();
        for event in events {
            self.fan_out(container_id, live, &before, event);
        }
        Ok(changed)
    }

    /// A participant's seat or media changed: the SFU forwards accordingly, everyone sees it.
    fn updated(&self, live: &LiveRoom, participant: ParticipantId, container_id: i64) {
        let Some(p) = live.rules.participant(participant) else {
            return;
        };
        let member = MemberKey {
            room: container_id,
            participant,
        };
        self.sfu.set_media(member, p.media);
        let message = ServerMessage::ParticipantUpdated {
            participant,
            seat: p.seat,
            media: p.media,
        };
        for other in live.rules.participants() {
            if let Some(connection) = live.connections.get(&other.id) {
                let _ = connection.outbox.send(message.clone());
            }
        }
    }

    fn fan_out(
        &self,
        container_id: i64,
        live: &LiveRoom,
        closed_out: &[ParticipantId],
        event: Event,
    ) {
        let member = |participant| MemberKey {
            room: container_id,
            participant,
        };
        let send = |to: ParticipantId, message: ServerMessage| {
            if let Some(connection) = live.connections.get(&to) {
                let _ = connection.outbox.send(message);
            }
        };
        let joined_except = |except: ParticipantId, message: ServerMessage| {
            for participant in live.rules.participants().filter(|p| p.id != except) {
                send(participant.id, message.clone());
            }
        };
        match event {
            Event::Launched { .. } => {
                for connection in live.connections.values() {
                    let _ = connection.outbox.send(ServerMessage::Opened);
                }
            }
            Event::Joined { participant } => {
                let id = participant.id;
                send(
                    id,
                    ServerMessage::Joined {
                        you: id,
                        participants: live.rules.participants().cloned().collect(),
                    },
                );
                joined_except(id, ServerMessage::ParticipantJoined { participant });
                live.replay_stage(id);
                if let Some(connection) = live.connections.get(&id) {
                    let slots = live.rules.config().mode.limits().max_visible_cameras;
                    self.sfu
                        .subscribe(member(id), slots as usize, connection.outbox.clone());
                }
            }
            Event::SeatChanged {
                participant,
                seat: Seat::Viewer,
                ..
            } => {
                self.sfu.unpublish(member(participant));
                self.updated(live, participant, container_id);
            }
            Event::SeatChanged { participant, .. } | Event::MediaChanged { participant, .. } => {
                self.updated(live, participant, container_id);
            }
            Event::Left { participant } => {
                self.sfu.leave(member(participant));
                joined_except(participant, ServerMessage::ParticipantLeft { participant });
            }
            Event::Closed { reason } => {
                for &participant in closed_out {
                    self.sfu.leave(member(participant));
                }
                for connection in live.connections.values() {
                    let _ = connection.outbox.send(ServerMessage::Closed {
                        reason,
                        message: reason.message().to_owned(),
                    });
                }
            }
            other => live.fan_out_collab(other),
        }
    }
}
