//! Live rooms. Each room with anyone connected (or a session open) is an actor ([`actor`]):
//! one task with a bounded mailbox owning that room's [`state::LiveRoom`]. Connections
//! ([`socket`]) turn frames into jobs for their room's actor and write what it queues in their
//! bounded [`outbox`]; the SFU reports what happens to media as events, which the [`Hub`]
//! hands to the actor of the room they concern. Saved changes (settings, memberships, links)
//! reach the actors of the rooms they affect.

mod actor;
mod chat;
mod collab;
mod outbox;
mod probe;
mod recording;
mod requests;
mod rights;
mod socket;
mod state;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use domain::api::InviteRole;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use room::{Actor, CloseReason, Command, ParticipantId, RoomConfig, RoomError};
use tokio::sync::mpsc;

use crate::sfu::{MemberKey, SfuEvent, SfuHandle};

pub use actor::{LocalRouter, RoomGone, RoomHandle, RoomRouter};
pub use outbox::{Outbox, Wire};
pub use socket::room_socket;
pub use state::{Connected, LiveRoom, MAX_CONNECTIONS_PER_PERSON};

/// Timings and limits of room sockets; tests shorten them.
#[derive(Clone, Copy, Debug)]
pub struct LiveConfig {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Messages (frames of any kind) one person may send per second over all their sockets,
    /// after a burst of `message_burst`.
    pub messages_per_second: NonZeroU32,
    pub message_burst: NonZeroU32,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(protocol::PING_INTERVAL_SECS),
            idle_timeout: Duration::from_secs(protocol::IDLE_TIMEOUT_SECS),
            messages_per_second: NonZeroU32::new(20).expect("non-zero"),
            message_burst: NonZeroU32::new(40).expect("non-zero"),
        }
    }
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    router: Box<dyn RoomRouter>,
    sfu: SfuHandle,
    store: store::Store,
    recorders: crate::recording::Recorders,
    config: LiveConfig,
    next_participant: AtomicU64,
    /// Saved changes seen so far: a connection authorised before one lands is re-checked.
    changes_seen: AtomicU64,
    /// Per person (user id), across all their sockets and rooms.
    messages: DefaultKeyedRateLimiter<i64>,
    /// Connectivity probes per person (each costs the SFU a DTLS handshake).
    probes: DefaultKeyedRateLimiter<i64>,
}

impl Hub {
    /// Starts following saved changes and the SFU's events.
    pub fn start(
        store: store::Store,
        sfu: SfuHandle,
        sfu_events: mpsc::UnboundedReceiver<SfuEvent>,
        config: LiveConfig,
        media_dir: std::path::PathBuf,
    ) -> Self {
        let quota = Quota::per_second(config.messages_per_second).allow_burst(config.message_burst);
        let hub = Self {
            inner: Arc::new(HubInner {
                router: Box::new(LocalRouter::default()),
                recorders: crate::recording::Recorders::new(media_dir, store.clone(), sfu.clone()),
                sfu,
                store,
                config,
                next_participant: AtomicU64::new(1),
                changes_seen: AtomicU64::new(0),
                messages: RateLimiter::keyed(quota),
                probes: RateLimiter::keyed(probe::quota()),
            }),
        };
        hub.follow_changes();
        hub.follow_sfu(sfu_events);
        hub.forget_idle_limits();
        hub
    }

    pub fn sfu(&self) -> &SfuHandle {
        &self.inner.sfu
    }

    pub fn recorders(&self) -> &crate::recording::Recorders {
        &self.inner.recorders
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.inner.store
    }

    pub fn config(&self) -> &LiveConfig {
        &self.inner.config
    }

    pub(crate) fn router(&self) -> &dyn RoomRouter {
        self.inner.router.as_ref()
    }

    /// Whether `user_id` may send one more message now.
    pub(crate) fn allow_message(&self, user_id: i64) -> bool {
        self.inner.messages.check_key(&user_id).is_ok()
    }

    /// Runs `f` on room `container_id`'s state if its actor runs.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        container_id: i64,
        f: impl FnOnce(&mut LiveRoom) -> R + Send + 'static,
    ) -> Result<R, RoomGone> {
        match self.router().running(container_id) {
            Some(room) => room.call(f).await,
            None => Err(RoomGone),
        }
    }

    /// Like [`Hub::call`] for the rules, where a stopped room means "not in the room".
    pub(crate) async fn in_room<R: Send + 'static>(
        &self,
        container_id: i64,
        f: impl FnOnce(&mut LiveRoom) -> Result<R, RoomError> + Send + 'static,
    ) -> Result<R, RoomError> {
        self.call(container_id, f)
            .await
            .unwrap_or(Err(RoomError::NotInRoom))
    }

    /// Registers a signalling connection with the room's actor, starting it if needed.
    pub async fn connect(
        &self,
        container_id: i64,
        actor: Actor,
        invite: Option<(InviteRole, String)>,
        outbox: Outbox,
        welcome: protocol::RoomInfo,
    ) -> Result<Connected, protocol::ServerMessage> {
        let id = ParticipantId(self.inner.next_participant.fetch_add(1, Ordering::Relaxed));
        // A room whose actor is stopping hands the job on; a second try covers the rest.
        for _ in 0..3 {
            let room = self.router().get_or_start(self, container_id);
            let (outbox, invite, welcome) = (outbox.clone(), invite.clone(), welcome.clone());
            let connect = move |live: &mut LiveRoom| {
                let (role, token) = invite.unzip();
                live.connect(id, actor, role, token, outbox, Some(welcome))
            };
            if let Ok(connected) = room.call(connect).await {
                return connected;
            }
        }
        Err(protocol::ServerMessage::error(
            "room_unavailable",
            "The room could not be opened just now; try again.",
        ))
    }

    /// The connection ended: leaves the room if joined.
    pub async fn disconnect(&self, container_id: i64, id: ParticipantId) {
        let _ = self
            .call(container_id, move |live| live.disconnect(id))
            .await;
    }

    pub async fn command(
        &self,
        container_id: i64,
        id: ParticipantId,
        command: Command,
    ) -> Result<bool, RoomError> {
        let joining = matches!(command, Command::Join { .. });
        let (changed, member) = self
            .in_room(container_id, move |live| {
                let changed = live.command(id, command)?;
                Ok((changed, live.session_member(id).filter(|_| joining)))
            })
            .await?;
        // Past sessions count who took part: each person once, kept across restarts.
        if let Some((opened_at, user_id)) = member {
            let store = self.store();
            if let Err(error) = store
                .record_session_participant(container_id, opened_at, user_id)
                .await
            {
                tracing::error!(%error, container_id, "counting a session participant failed");
            }
        }
        Ok(changed)
    }

    /// Hands a publisher's offer to the SFU if the rules let `id` send media now. Checked and
    /// queued by the room's actor: a seat change (which queues an unpublish) is ordered either
    /// before the check or after the offer, never between.
    pub async fn publish(
        &self,
        container_id: i64,
        id: ParticipantId,
        offer: String,
        tracks: Vec<protocol::PublishedTrack>,
        restart: bool,
    ) -> Result<impl std::future::Future<Output = Result<String, crate::sfu::SfuError>>, RoomError>
    {
        self.in_room(container_id, move |live| {
            live.joined_actor(id)?;
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
            Ok(live.sfu.publish(member, offer, tracks, media, restart))
        })
        .await
    }

    /// Passes a media request of joined participant `id` to the SFU (checked now), with the
    /// number of video slots the live session has.
    pub async fn media_request(
        &self,
        container_id: i64,
        id: ParticipantId,
        request: impl FnOnce(&SfuHandle, MemberKey, usize) + Send + 'static,
    ) -> Result<(), RoomError> {
        self.in_room(container_id, move |live| {
            live.joined_actor(id)?;
            let member = MemberKey {
                room: container_id,
                participant: id,
            };
            let slots = live.rules.config().mode.limits().max_visible_cameras as usize;
            request(&live.sfu, member, slots);
            Ok(())
        })
        .await
    }

    /// Ends the live session for everyone (the room was disabled).
    pub async fn close(&self, container_id: i64, reason: CloseReason) {
        let _ = self
            .call(container_id, move |live| live.close(reason))
            .await;
    }

    /// Group chat, Q&A and stage access switch at once; a new mode waits for the next launch.
    async fn configure(&self, container_id: i64, config: RoomConfig, group_chat: bool, qna: bool) {
        let _ = self
            .call(container_id, move |live| {
                live.chat.group_chat = group_chat;
                let qna_changed = live.set_qna(qna);
                let command = Command::SetStageAccess {
                    access: config.stage_access,
                };
                // A new stage access announces everyone's standing, Q&A included.
                let access_changed = live.apply(&Actor::SYSTEM, command).unwrap_or(false);
                if qna_changed && !access_changed {
                    live.announce_standing();
                }
                live.configured = config;
            })
            .await;
    }

    /// Follows the Meeting room tab, the site settings, memberships and invitation links.
    fn follow_changes(&self) {
        let mut changes = self.store().changes();
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(change) => hub.apply_change(change).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "room changes lagged; re-resolving every room");
                        hub.refresh_rights(|_, _| true).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// How many saved changes the live layer has applied (a connection authorised before the count moved is re-checked).
    pub fn changes_seen(&self) -> u64 {
        self.inner.changes_seen.load(Ordering::Acquire)
    }

    async fn apply_change(&self, change: store::Change) {
        self.inner.changes_seen.fetch_add(1, Ordering::AcqRel);
        match change {
            store::Change::RoomSettings {
                container_id,
                enabled: false,
                ..
            } => {
                self.close(container_id, CloseReason::RoomDisabled).await;
                // Also when no actor runs (a restarted server): the session must not come back.
                if let Err(error) = self.store().close_live_session(container_id).await {
                    tracing::error!(%error, container_id, "ending the saved session failed");
                }
            }
            store::Change::RoomSettings {
                container_id,
                mode,
                stage_access,
                group_chat,
                qna_enabled,
                ..
            } => {
                let config = RoomConfig { mode, stage_access };
                self.configure(container_id, config, group_chat, qna_enabled)
                    .await;
                // The moderator lists may have changed.
                self.refresh_rights(move |room, _| room == container_id)
                    .await;
            }
            store::Change::SiteSettings => self.follow_site_settings().await,
            store::Change::Membership { user_id } => {
                self.refresh_rights(move |_, actor| actor.user_id == user_id)
                    .await;
            }
            // Connections admitted by a link are checked again (their link may be the one).
            store::Change::InvitationRevoked { container_id } => {
                self.refresh_rights(move |room, _| room == container_id)
                    .await;
            }
            // For pages listing media; live rooms learn of their recording directly.
            store::Change::RecordingChanged { .. } => {}
            // The room entry's Roles & permissions tab changed who moderates the room.
            store::Change::RoomEntryRoles { container_id } => {
                self.refresh_rights(move |room, _| room == container_id)
                    .await;
            }
            store::Change::ContainerContent { .. } => {}
        }
    }

    /// A new site default for Q&A reaches rooms that follow it.
    async fn follow_site_settings(&self) {
        for container_id in self.router().running_rooms() {
            match self.store().room_qna_enabled(container_id).await {
                Ok(qna) => {
                    let _ = self
                        .call(container_id, move |live| {
                            if live.set_qna(qna) {
                                live.announce_standing();
                            }
                        })
                        .await;
                }
                Err(error) => {
                    tracing::error!(%error, container_id, "re-reading Q&A setting failed")
                }
            }
        }
    }

    /// The SFU's events go to the actor of their room; a room that stopped has nobody to tell.
    fn follow_sfu(&self, mut events: mpsc::UnboundedReceiver<SfuEvent>) {
        let hub = self.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let Some(room) = hub.router().running(event.room()) else {
                    continue;
                };
                // A busy room waits on its own: the pump goes on for every other room.
                if let Err(mpsc::error::TrySendError::Full(job)) =
                    room.try_tell(Box::new(move |live| live.sfu_event(event)))
                {
                    tokio::spawn(async move {
                        let _ = room.tell(job).await;
                    });
                }
            }
        });
    }

    /// Every media member `user_id` has in any room (for test faults).
    pub async fn members_of(&self, user_id: i64) -> Vec<MemberKey> {
        let mut members = Vec::new();
        for container_id in self.router().running_rooms() {
            let found = self
                .call(container_id, move |live| {
                    live.connections
                        .iter()
                        .filter(|(_, c)| c.actor.user_id == user_id)
                        .map(|(&participant, _)| MemberKey {
                            room: container_id,
                            participant,
                        })
                        .collect::<Vec<_>>()
                })
                .await;
            members.extend(found.unwrap_or_default());
        }
        members
    }

    /// How many have joined room `container_id` now (0 when it is not live).
    pub async fn participants_of(&self, container_id: i64) -> u32 {
        self.call(container_id, |live| live.rules.participant_count())
            .await
            .unwrap_or(0)
    }

    /// Test fault: makes room `container_id`'s actor panic; whether one was running.
    pub async fn fail_room(&self, container_id: i64) -> bool {
        let Some(room) = self.router().running(container_id) else {
            return false;
        };
        room.tell(Box::new(|_| panic!("test fault: room failure")))
            .await
            .is_ok()
    }

    /// Limiter keys of people who went quiet are dropped, so the map follows who is active.
    fn forget_idle_limits(&self) {
        let hub = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(inner) = hub.upgrade() else { return };
                inner.messages.retain_recent();
                inner.messages.shrink_to_fit();
                inner.probes.retain_recent();
                inner.probes.shrink_to_fit();
            }
        });
    }
}

impl LiveRoom {
    /// Whether Q&A switched; the caller announces it (once, with anything else that changed).
    pub(super) fn set_qna(&mut self, qna: bool) -> bool {
        std::mem::replace(&mut self.qna, qna) != qna
    }
}
