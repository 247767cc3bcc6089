//! The SFU task: owns the UDP socket and every `Rtc`, routes datagrams by source address,
//! forwards RTP from publishers to the subscriber slots listening, and drains each `Rtc`'s
//! output after every input or write, as str0m requires.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use protocol::{Quality, ServerMessage};
use str0m::bwe::{Bitrate, BweKind};
use str0m::media::{KeyframeRequestKind, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpPacket, RtpWrite};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::peers::*;
use super::{Command, MemberKey, SfuError, SfuHandle, SfuStats, AUDIO_SLOTS};

/// Datagrams read per wake-up before commands and timers get a turn.
const READ_BATCH: usize = 64;
const HOUSEKEEPING: Duration = Duration::from_millis(250);
/// An RTP audio level (dBov, 0 = loudest) above -this counts as speech.
const SPEECH_LEVEL_DBOV: i8 = 50;
const SPEAKER_MEMORY: Duration = Duration::from_millis(1500);
const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(1_500);

pub struct Sfu;

impl Sfu {
    /// Binds `bind` and starts the task. `public_ip` is advertised to browsers instead of the
    /// bound address (a server behind 1:1 NAT, or bound to 0.0.0.0).
    pub async fn start(bind: SocketAddr, public_ip: Option<IpAddr>) -> io::Result<SfuHandle> {
        str0m::crypto::from_feature_flags().install_process_default();
        let socket = UdpSocket::bind(bind).await?;
        let local_addr = socket.local_addr()?;
        let advertised = SocketAddr::new(public_ip.unwrap_or(local_addr.ip()), local_addr.port());
        let candidate = Candidate::host(advertised, "udp")
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error.to_string()))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let engine = Engine {
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
            due: Vec::new(),
        };
        tracing::info!(%local_addr, %advertised, "SFU listening");
        tokio::spawn(engine.run(receiver));
        Ok(SfuHandle {
            commands,
            local_addr,
        })
    }
}

#[derive(Default)]
struct RoomMedia {
    publishers: Vec<PeerKey>,
    subscribers: Vec<PeerKey>,
    speakers: Vec<room::ParticipantId>,
}

struct Engine {
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
    wants: Vec<Quality>,
    /// Subscribers written to since the last flush. Writes queue in str0m's send buffers, so
    /// one drain per subscriber per batch of datagrams replaces one per forwarded packet.
    dirty: Vec<PeerKey>,
    due: Vec<PeerKey>,
}

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
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut buf = vec![0u8; 2000];
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
        loop {
            let wake = tokio::time::Instant::from_std(self.earliest);
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
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
                Ok((len, source)) => self.datagram(source, &buf[..len]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return,
                Err(error) => {
                    // ICMP port unreachable from a vanished browser surfaces here on Linux.
                    tracing::debug!(%error, "UDP receive");
                }
            }
        }
    }

    fn datagram(&mut self, source: SocketAddr, data: &[u8]) {
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
                None => return,
            },
        };
        let peer = self.peers.get_mut(&key).expect("found above");
        if let Err(error) = peer.rtc.handle_input(input) {
            tracing::debug!(%error, "peer input refused; disconnecting");
            peer.rtc.disconnect();
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
                if let Err(error) = peer.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(%error, "peer timeout failed; disconnecting");
                    peer.rtc.disconnect();
                }
                self.drain(key);
            }
        }
        due.clear();
        self.due = due;
        self.earliest = self
            .peers
            .values()
            .map(|p| p.deadline)
            .min()
            .unwrap_or(now + HOUSEKEEPING)
            .max(now + Duration::from_millis(1));
    }

    /// Polls `key`'s `Rtc` until it only has a timeout left, acting on every output.
    fn drain(&mut self, key: PeerKey) {
        loop {
            let Some(peer) = self.peers.get_mut(&key) else {
                return;
            };
            if !peer.rtc.is_alive() {
                self.remove_peer(key);
                return;
            }
            match peer.rtc.poll_output() {
                Ok(Output::Transmit(transmit)) => {
                    self.stats.datagrams_out += 1;
                    // UDP: a full send buffer drops the datagram, as the network would.
                    let _ = self
                        .socket
                        .try_send_to(&transmit.contents, transmit.destination);
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
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                if let Some(peer) = self.peers.get_mut(&key) {
                    peer.rtc.disconnect();
                }
            }
            _ => {}
        }
    }
}

mod commands;
mod forward;
mod slots;
