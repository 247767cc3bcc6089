//! One SFU worker: owns its UDP socket and the `Rtc` of every connection in the rooms placed
//! on it, routes datagrams by source address, forwards RTP from publishers to the subscriber
//! slots listening, and drains each `Rtc`'s output after every input or write, as str0m
//! requires. Workers share nothing: a room lives on one, so no packet crosses tasks.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use protocol::{MediaLink, Quality};
use str0m::bwe::{Bitrate, BweKind};
use str0m::media::{KeyframeRequestKind, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpPacket, RtpWrite};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::outbox::Outbox;
use super::peers::*;
use super::policer::Policer;
use super::probe::Probes;
use super::{Command, MemberKey, SfuError, SfuEvent, SfuHandle, SfuStats, AUDIO_SLOTS};

/// Datagrams read per wake-up before commands and timers get a turn.
const READ_BATCH: usize = 64;
const HOUSEKEEPING: Duration = Duration::from_millis(250);
/// An RTP audio level (dBov, 0 = loudest) above -this counts as speech.
const SPEECH_LEVEL_DBOV: i8 = 50;
const SPEAKER_MEMORY: Duration = Duration::from_millis(1500);
const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(1_500);
/// How long a connection may have no ICE path before it is given up: a Wi-Fi hand-over or a
/// laptop waking comes back within it, and forwarding resumes to the same slots.
const ICE_GRACE: Duration = Duration::from_secs(20);

pub struct Sfu;

impl Sfu {
    /// Starts `workers` forwarding tasks, each on its own UDP socket: `bind`, or with a fixed
    /// port P, P+1, … (`bind` port 0: any free ports). `public_ip` is advertised to browsers
    /// instead of the bound address (a server behind 1:1 NAT, or bound to 0.0.0.0). What
    /// happens to media comes out of the returned receiver.
    pub async fn start(
        bind: SocketAddr,
        public_ip: Option<IpAddr>,
        workers: usize,
    ) -> io::Result<(SfuHandle, mpsc::UnboundedReceiver<SfuEvent>)> {
        str0m::crypto::from_feature_flags().install_process_default();
        let (events, events_out) = mpsc::unbounded_channel();
        let mut handles = Vec::with_capacity(workers.max(1));
        for index in 0..workers.max(1) {
            let port = match bind.port() {
                0 => Some(0),
                port => u16::try_from(index).ok().and_then(|i| port.checked_add(i)),
            };
            let Some(port) = port else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not enough UDP ports above the configured one for every worker",
                ));
            };
            let bind = SocketAddr::new(bind.ip(), port);
            handles.push(Engine::spawn(bind, public_ip, events.clone()).await?);
        }
        Ok((SfuHandle::new(handles), events_out))
    }
}

#[derive(Default)]
struct RoomMedia {
    publishers: Vec<PeerKey>,
    subscribers: Vec<PeerKey>,
    speakers: Vec<room::ParticipantId>,
    /// Members with nothing to receive yet (no one else publishes): they hold no connection
    /// until the room's first track arrives, so a viewer who only chats costs no media state.
    waiting: Vec<Waiting>,
}

/// A member without a receiving connection yet, and what it will need.
struct Waiting {
    participant: room::ParticipantId,
    video_limit: usize,
    /// The videos it asked for meanwhile, kept for its connection.
    tiles: Vec<protocol::Tile>,
}

impl RoomMedia {
    fn is_empty(&self) -> bool {
        self.publishers.is_empty() && self.subscribers.is_empty() && self.waiting.is_empty()
    }
}

struct Engine {
    /// To the live layer; unbounded so media never waits on signalling (events are few:
    /// offers, slot maps, speaker changes, failures).
    events: mpsc::UnboundedSender<SfuEvent>,
    /// Test-only faults: members whose media is cut, until when.
    cut: HashMap<MemberKey, Instant>,
    /// Test-only fault: members whose receiving connection's link is constrained.
    pub(super) downlinks: HashMap<MemberKey, Policer>,
    /// Test-only fault: datagrams from any other address than this TURN relay are dropped.
    pub(super) block_direct: Option<IpAddr>,
    /// Set devices' connectivity probes; they only see datagrams no media peer takes.
    pub(super) probes: Probes,
    socket: UdpSocket,
    local_addr: SocketAddr,
    candidate: Candidate,
    peers: HashMap<PeerKey, Peer>,
    by_addr: HashMap<SocketAddr, PeerKey>,
    publishers: HashMap<MemberKey, PeerKey>,
    subscribers: HashMap<MemberKey, PeerKey>,
    rooms: HashMap<i64, RoomMedia>,
    next_key: PeerKey,
    earliest: Instant,
    stats: SfuStats,
    // Reused buffers: layer allocation runs on every estimate change.
    allocation: Vec<Quality>,
    wants: Vec<super::layers::TileDemand>,
    /// Subscribers written to since the last flush. Writes queue in str0m's send buffers, so
    /// one drain per subscriber per batch of datagrams replaces one per forwarded packet.
    dirty: Vec<PeerKey>,
    due: Vec<PeerKey>,
    /// Rooms being recorded: every packet of theirs is offered to the recorder's queue.
    recorders: HashMap<i64, crate::recording::RecordSink>,
    /// Datagrams to send, flushed in batches once per wake-up (or when it grows large).
    outbox: Outbox,
    /// Rooms where tracks were added in this wake-up: their subscribers' slots grow once,
    /// for all of a publisher's new tracks together.
    rooms_with_new_tracks: Vec<i64>,
}

/// Queued datagrams that make a flush before the wake-up ends (a key frame to many viewers).
const OUTBOX_FLUSH_AT: usize = super::outbox::BATCH * 4;

/// Packets each outgoing video stream keeps for retransmission: ~2.5 s at 60 packets/s, well
/// past any NACK's round trip. str0m's default (1000) costs memory per subscriber slot and a
/// scan of the whole buffer on every poll.
const SEND_BUFFER_VIDEO: usize = 150;

fn rtc_config() -> str0m::RtcConfig {
    Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_opus(true, false)
        .enable_vp8(true)
        .set_send_buffer_video(SEND_BUFFER_VIDEO)
}

impl Engine {
    /// Binds one worker's socket and starts its task.
    async fn spawn(
        bind: SocketAddr,
        public_ip: Option<IpAddr>,
        events: mpsc::UnboundedSender<SfuEvent>,
    ) -> io::Result<super::WorkerHandle> {
        let socket = UdpSocket::bind(bind).await?;
        let local_addr = socket.local_addr()?;
        let advertised = SocketAddr::new(public_ip.unwrap_or(local_addr.ip()), local_addr.port());
        let candidate = Candidate::host(advertised, "udp")
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error.to_string()))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let engine = Engine {
            events,
            cut: HashMap::new(),
            downlinks: HashMap::new(),
            block_direct: None,
            probes: Probes::default(),
            socket,
            local_addr,
            candidate,
            peers: HashMap::new(),
            by_addr: HashMap::new(),
            publishers: HashMap::new(),
            subscribers: HashMap::new(),
            rooms: HashMap::new(),
            next_key: 1,
            earliest: Instant::now() + HOUSEKEEPING,
            stats: SfuStats::default(),
            allocation: Vec::new(),
            wants: Vec::new(),
            dirty: Vec::new(),
            rooms_with_new_tracks: Vec::new(),
            due: Vec::new(),
            recorders: HashMap::new(),
            outbox: Outbox::default(),
        };
        tracing::info!(%local_addr, %advertised, "SFU worker listening");
        tokio::spawn(engine.run(receiver));
        Ok(super::WorkerHandle {
            commands,
            local_addr,
        })
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut buf = vec![0u8; 2000];
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
        loop {
            let wake = tokio::time::Instant::from_std(self.earliest);
            tokio::select! {
                command = commands.recv() => match command {
                    // A command that panics (a hostile offer str0m chokes on) costs that
                    // request; the task forwarding every room goes on.
                    Some(command) => {
                        let _ = guarded(|| self.command(command));
                    }
                    None => return,
                },
                readable = self.socket.readable() => {
                    if readable.is_ok() {
                        self.read_batch(&mut buf);
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
                _ = housekeeping.tick() => self.housekeeping(Instant::now()),
            }
            self.flush();
            self.run_due_timeouts(Instant::now());
            for room in std::mem::take(&mut self.rooms_with_new_tracks) {
                self.grow_slots_in_room(room);
            }
            self.outbox.flush(&self.socket);
        }
    }

    /// Drains every subscriber written to since the last flush (draining may write more).
    fn flush(&mut self) {
        while let Some(key) = self.dirty.pop() {
            if let Some(peer) = self.peers.get_mut(&key) {
                peer.dirty = false;
            }
            self.drain(key);
        }
    }

    fn read_batch(&mut self, buf: &mut [u8]) {
        for _ in 0..READ_BATCH {
            match self.socket.try_recv_from(buf) {
                Ok((len, source)) => {
                    if guarded(|| self.datagram(source, &buf[..len])).is_none() {
                        // Whatever that packet did, its sender's peer goes, nobody else's.
                        if let Some(&key) = self.by_addr.get(&source) {
                            self.fail_peer(key);
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) => {
                    // ICMP port unreachable from a vanished browser surfaces here on Linux.
                    tracing::debug!(%error, "UDP receive");
                }
            }
        }
    }

    fn datagram(&mut self, source: SocketAddr, data: &[u8]) {
        if self.block_direct.is_some_and(|relay| source.ip() != relay) {
            return;
        }
        let Ok(contents) = data.try_into() else {
            return;
        };
        let now = Instant::now();
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local_addr,
                contents,
            },
        );
        let known = self
            .by_addr
            .get(&source)
            .copied()
            .filter(|key| self.peers.get(key).is_some_and(|p| p.rtc.accepts(&input)));
        let key = match known {
            Some(key) => key,
            // A new address: only STUN from a browser starting ICE gets here, so the scan is rare.
            None => match self.peers.iter().find(|(_, p)| p.rtc.accepts(&input)) {
                Some((&key, _)) => {
                    self.by_addr.insert(source, key);
                    key
                }
                None => {
                    self.probes.receive(input, &self.socket, now);
                    if let Some(deadline) = self.probes.next_deadline() {
                        self.earliest = self.earliest.min(deadline);
                    }
                    return;
                }
            },
        };
        let peer = self.peers.get_mut(&key).expect("found above");
        if self.cut.get(&peer.member).is_some_and(|until| now < *until) {
            return;
        }
        match guarded(|| peer.rtc.handle_input(input)) {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                tracing::debug!(%error, "peer input refused; disconnecting");
                peer.rtc.disconnect();
            }
            None => return self.fail_peer(key),
        }
        self.drain(key);
    }

    fn run_due_timeouts(&mut self, now: Instant) {
        if now < self.earliest {
            return;
        }
        let mut due = std::mem::take(&mut self.due);
        due.extend(
            self.peers
                .iter()
                .filter(|(_, p)| p.deadline <= now)
                .map(|(&key, _)| key),
        );
        for &key in &due {
            if let Some(peer) = self.peers.get_mut(&key) {
                match guarded(|| peer.rtc.handle_input(Input::Timeout(now))) {
                    Some(Ok(())) => {}
                    Some(Err(error)) => {
                        tracing::debug!(%error, "peer timeout failed; disconnecting");
                        peer.rtc.disconnect();
                    }
                    None => {
                        self.fail_peer(key);
                        continue;
                    }
                }
                self.drain(key);
            }
        }
        due.clear();
        self.due = due;
        self.probes.timeouts(&self.socket, now);
        self.earliest = self
            .peers
            .values()
            .map(|p| p.deadline)
            .chain(self.probes.next_deadline())
            .min()
            .unwrap_or(now + HOUSEKEEPING)
            .max(now + Duration::from_millis(1));
    }

    /// Probes' timeouts count towards the next wake-up.
    pub(super) fn wake_for_probes(&mut self) {
        if let Some(deadline) = self.probes.next_deadline() {
            self.earliest = self.earliest.min(deadline);
        }
    }

    /// Polls `key`'s `Rtc` until it only has a timeout left, acting on every output.
    fn drain(&mut self, key: PeerKey) {
        loop {
            let Some(peer) = self.peers.get_mut(&key) else {
                return;
            };
            if !peer.rtc.is_alive() {
                self.fail_peer(key);
                return;
            }
            let cut = self
                .cut
                .get(&peer.member)
                .is_some_and(|until| Instant::now() < *until);
            let Some(output) = guarded(|| peer.rtc.poll_output()) else {
                return self.fail_peer(key);
            };
            match output {
                Ok(Output::Transmit(_)) if cut => {}
                Ok(Output::Transmit(transmit))
                    if matches!(peer.role, Role::Subscriber(_))
                        && self.downlinks.get_mut(&peer.member).is_some_and(|link| {
                            !link.admit(transmit.contents.len(), Instant::now())
                        }) => {}
                Ok(Output::Transmit(transmit)) => {
                    self.stats.datagrams_out += 1;
                    self.outbox
                        .push(transmit.destination, transmit.contents.into());
                    if self.outbox.len() >= OUTBOX_FLUSH_AT {
                        self.outbox.flush(&self.socket);
                    }
                }
                Ok(Output::Timeout(deadline)) => {
                    peer.deadline = deadline;
                    self.earliest = self.earliest.min(deadline);
                    return;
                }
                Ok(Output::Event(event)) => self.event(key, event),
                Err(error) => {
                    tracing::debug!(%error, "peer failed; disconnecting");
                    peer.rtc.disconnect();
                }
            }
        }
    }

    fn event(&mut self, key: PeerKey, event: Event) {
        match event {
            Event::RtpPacket(packet) => self.forward(key, packet),
            Event::MediaAdded(added) => self.media_added(key, added),
            // A subscriber's slots start on key frames: ask for them once it can receive.
            Event::Connected => {
                let mids: Vec<_> = match self.peers.get(&key).map(|p| &p.role) {
                    Some(Role::Subscriber(sub)) => sub
                        .video
                        .iter()
                        .filter(|slot| slot.feed.is_some())
                        .map(|slot| slot.mid)
                        .collect(),
                    _ => Vec::new(),
                };
                for mid in mids {
                    self.subscriber_wants_keyframe(key, mid);
                }
            }
            Event::KeyframeRequest(request) => self.subscriber_wants_keyframe(key, request.mid),
            Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                if let Some(Peer {
                    role: Role::Subscriber(sub),
                    ..
                }) = self.peers.get_mut(&key)
                {
                    sub.estimate_bps = estimate.as_u64();
                }
                self.update_layers(key, Instant::now());
            }
            // No path for now: a grace period (see `housekeeping`) rather than a teardown.
            Event::IceConnectionStateChange(state) => {
                if let Some(peer) = self.peers.get_mut(&key) {
                    if state == IceConnectionState::Disconnected {
                        peer.disconnected_since.get_or_insert_with(Instant::now);
                    } else {
                        peer.disconnected_since = None;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Runs one call into a peer's `Rtc`. Whatever a hostile packet or SDP makes str0m do, a panic
/// costs that peer only (the caller drops it), never the task that forwards every room.
pub(super) fn guarded<T>(call: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::error!("a media connection panicked; it is dropped");
            None
        }
    }
}

impl Engine {
    /// A connection died or found no path within its grace: the member's page is told, so
    /// it builds that connection again, and the peer is forgotten.
    fn fail_peer(&mut self, key: PeerKey) {
        if let Some(peer) = self.peers.get(&key) {
            let link = match peer.role {
                Role::Publisher(_) => MediaLink::Publisher,
                Role::Subscriber(_) => MediaLink::Subscriber,
            };
            tracing::info!(member = ?peer.member, ?link, "media connection failed");
            let _ = self.events.send(SfuEvent::PeerFailed {
                member: peer.member,
                link,
            });
        }
        self.remove_peer(key);
    }

    /// Peers past their ICE grace are failed; expired test faults are forgotten.
    fn expire(&mut self, now: Instant) {
        let failed: Vec<PeerKey> = self
            .peers
            .iter()
            .filter(|(_, p)| {
                p.disconnected_since
                    .is_some_and(|at| now.duration_since(at) > ICE_GRACE)
            })
            .map(|(&key, _)| key)
            .collect();
        for key in failed {
            if let Some(peer) = self.peers.get_mut(&key) {
                peer.rtc.disconnect();
            }
            self.fail_peer(key);
        }
        self.cut.retain(|_, until| now < *until);
    }
}

mod commands;
mod forward;
mod slots;
