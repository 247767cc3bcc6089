//! The SFU: str0m in RTP mode, on one worker task per core. Each worker has its own UDP
//! socket and the peer connections of the rooms placed on it (by room id), so forwarding
//! never takes a lock or crosses a task, and rooms spread over the cores.
//!
//! Each participant has up to two peer connections, laid out as LiveKit does: a *publisher*
//! connection the browser offers (its microphone, camera with three simulcast layers, screen)
//! and a *subscriber* connection the server offers with receiving slots: as many as the others
//! in the room publish tracks, added by renegotiation as more publish (up to the room's
//! visible-camera limit for video, [`AUDIO_SLOTS`] for audio); none at all, not even the
//! connection, while nobody else publishes. Slots are filled and refilled with other
//! participants' tracks without renegotiation; each slot rewrites sequence numbers and
//! timestamps so the browser sees one continuous stream.

mod engine;
mod layers;
mod outbox;
mod peers;
mod policer;
mod probe;
mod rate;
mod rebase;

use std::net::SocketAddr;

use protocol::{MediaLink, PublishedTrack, SlotAssignment, Tile};
use room::{MediaState, ParticipantId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

pub use engine::Sfu;

/// Audio tracks a subscriber receives at once: the most recent speakers among those with a
/// microphone on (a Webinar stage fits entirely).
pub const AUDIO_SLOTS: usize = 10;

/// Identifies one participant's media in the SFU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberKey {
    pub room: i64,
    pub participant: ParticipantId,
}

/// Why an offer was refused. Messages are for people and never echo the parser's internals
/// (those go to the debug log).
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    #[error("The media offer is not valid SDP.")]
    BadSdp,
    #[error("The media offer was refused: {0}")]
    Shape(#[from] protocol::sdp::SdpRefusal),
    #[error("The media offer does not match what this room accepts (Opus audio, VP8 video).")]
    Refused,
    #[error("The media server is not running.")]
    Stopped,
    #[error("A connectivity probe offers one data channel and nothing else.")]
    NotProbe,
    #[error("The media server is busy testing connections; try again in a moment.")]
    Busy,
}

impl SfuError {
    /// Stable code for the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadSdp | Self::Shape(_) | Self::Refused | Self::NotProbe => "bad_offer",
            Self::Stopped | Self::Busy => "media_unavailable",
        }
    }
}

/// What the SFU reports to the live layer, which decides who hears it.
#[derive(Debug)]
pub enum SfuEvent {
    /// The server's offer for a member's (new) subscribing connection.
    /// `update`: the offer adds slots to the connection the member has (answer it there).
    SubscribeOffer {
        member: MemberKey,
        sdp: String,
        update: bool,
    },
    /// A subscriber's slot map changed.
    Slots {
        member: MemberKey,
        video: Vec<SlotAssignment>,
        audio: Vec<SlotAssignment>,
    },
    /// A subscriber's answer could not be used; its connection is dropped.
    AnswerRefused { member: MemberKey, message: String },
    /// Who spoke most recently in a room, latest first.
    Speakers {
        room: i64,
        participants: Vec<ParticipantId>,
    },
    /// A connection had no media path for longer than the grace period and was dropped.
    PeerFailed { member: MemberKey, link: MediaLink },
}

impl SfuEvent {
    pub fn room(&self) -> i64 {
        match self {
            Self::SubscribeOffer { member, .. }
            | Self::Slots { member, .. }
            | Self::AnswerRefused { member, .. }
            | Self::PeerFailed { member, .. } => member.room,
            Self::Speakers { room, .. } => *room,
        }
    }
}

pub(crate) enum Command {
    Publish {
        member: MemberKey,
        offer: String,
        tracks: Vec<PublishedTrack>,
        media: MediaState,
        /// A new peer connection replacing the member's failed one.
        restart: bool,
        reply: oneshot::Sender<Result<String, SfuError>>,
    },
    /// Creates (or recreates) the subscriber connection; its offer and slot maps go out as
    /// events.
    Subscribe {
        member: MemberKey,
        video_slots: usize,
    },
    SubscribeAnswer {
        member: MemberKey,
        answer: String,
    },
    SetTiles {
        member: MemberKey,
        tiles: Vec<Tile>,
    },
    SetMedia {
        member: MemberKey,
        media: MediaState,
    },
    /// Stops forwarding anything this member publishes (left the stage).
    Unpublish {
        member: MemberKey,
    },
    Leave {
        member: MemberKey,
    },
    Stats {
        reply: oneshot::Sender<SfuStats>,
    },
    /// A connectivity probe's offer (see `probe.rs`); the answer comes back.
    Probe {
        offer: String,
        reply: oneshot::Sender<Result<String, SfuError>>,
    },
    /// Test-only fault: drop every datagram that does not come from `relay` (a TURN server's
    /// relay address), so only relayed media gets through; `None` lifts it.
    BlockDirect {
        relay: Option<std::net::IpAddr>,
    },
    /// Hands every packet of `room` to a recorder's queue (`None`: stops).
    Record {
        room: i64,
        sink: Option<crate::recording::RecordSink>,
    },
    /// Stops recording `room` if recording `media_id` is the one running.
    StopRecording {
        room: i64,
        media_id: i64,
    },
    /// A recorder needs a key frame of a member's source at a layer.
    RecorderKeyframe {
        member: MemberKey,
        source: protocol::Source,
        layer: u8,
    },
    /// Test-only fault: these members' receiving connections carry at most `kbps` (`None`
    /// lifts it).
    LimitDownlink {
        members: Vec<MemberKey>,
        kbps: Option<u32>,
    },
    /// Test-only fault: drop every datagram to and from these members' connections until then.
    CutMedia {
        members: Vec<MemberKey>,
        until: std::time::Instant,
    },
}

/// Counters since start, for benchmarks and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SfuStats {
    pub peers: usize,
    /// Members waiting, without a connection, for someone else to publish.
    pub waiting: usize,
    pub packets_in: u64,
    pub packets_forwarded: u64,
    pub keyframe_requests: u64,
    pub datagrams_out: u64,
    /// Connectivity probes alive now.
    pub probes: usize,
}

impl SfuStats {
    fn add(&mut self, other: SfuStats) {
        self.peers += other.peers;
        self.waiting += other.waiting;
        self.packets_in += other.packets_in;
        self.packets_forwarded += other.packets_forwarded;
        self.keyframe_requests += other.keyframe_requests;
        self.datagrams_out += other.datagrams_out;
        self.probes += other.probes;
    }
}

/// One worker's command queue and socket address.
pub(crate) struct WorkerHandle {
    commands: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
}

/// Cheap to clone; talks to the SFU's workers.
#[derive(Clone)]
pub struct SfuHandle {
    workers: Arc<[WorkerHandle]>,
    /// Connectivity probes go round the workers (each probe is one short-lived connection).
    next_probe: Arc<AtomicUsize>,
}

/// The worker a room's connections live on. Room ids are handed out in sequence, so rooms
/// spread evenly; every connection of a room (publishers and subscribers) is on the same
/// worker, which forwards between them without crossing tasks.
pub(crate) fn worker_of(room: i64, workers: usize) -> usize {
    room.rem_euclid(workers.max(1) as i64) as usize
}

impl SfuHandle {
    fn new(workers: Vec<WorkerHandle>) -> Self {
        Self {
            workers: workers.into(),
            next_probe: Arc::default(),
        }
    }

    /// A handle whose commands go nowhere: for testing the live layer's decisions alone.
    #[cfg(test)]
    pub(crate) fn detached() -> Self {
        Self::new(vec![WorkerHandle {
            commands: mpsc::unbounded_channel().0,
            local_addr: SocketAddr::from(([127, 0, 0, 1], 9)),
        }])
    }

    /// The workers' socket addresses, in worker order.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.workers.iter().map(|w| w.local_addr).collect()
    }

    fn send_to_room(&self, room: i64, command: Command) {
        let worker = &self.workers[worker_of(room, self.workers.len())];
        // A worker only stops with the process; a failed send has nobody left to tell.
        let _ = worker.commands.send(command);
    }

    fn send(&self, member: MemberKey, command: Command) {
        self.send_to_room(member.room, command);
    }

    fn broadcast(&self, command: impl Fn() -> Command) {
        for worker in self.workers.iter() {
            let _ = worker.commands.send(command());
        }
    }

    /// Queues a publisher's offer; the answer comes through the returned future. Queuing is
    /// synchronous so the caller can order it with other commands (see `Hub::publish`).
    pub fn publish(
        &self,
        member: MemberKey,
        offer: String,
        tracks: Vec<PublishedTrack>,
        media: MediaState,
        restart: bool,
    ) -> impl std::future::Future<Output = Result<String, SfuError>> {
        let (reply, answer) = oneshot::channel();
        self.send(
            member,
            Command::Publish {
                member,
                offer,
                tracks,
                media,
                restart,
                reply,
            },
        );
        async move { answer.await.map_err(|_| SfuError::Stopped)? }
    }

    pub fn subscribe(&self, member: MemberKey, video_slots: usize) {
        self.send(
            member,
            Command::Subscribe {
                member,
                video_slots,
            },
        );
    }

    /// Test-only fault (see `TEST_FAULTS`): cuts these members' media for `duration`.
    pub fn cut_media(&self, members: Vec<MemberKey>, duration: std::time::Duration) {
        let until = std::time::Instant::now() + duration;
        // Each worker ignores the members it does not hold.
        self.broadcast(|| Command::CutMedia {
            members: members.clone(),
            until,
        });
    }

    /// Test-only fault (see `TEST_FAULTS`): these members' receiving links carry at most
    /// `kbps`, dropping the rest as a slow link would (`None`: unconstrained again).
    pub fn limit_downlink(&self, members: Vec<MemberKey>, kbps: Option<u32>) {
        self.broadcast(|| Command::LimitDownlink {
            members: members.clone(),
            kbps,
        });
    }

    /// Answers a connectivity probe's offer from a short-lived peer (see `probe.rs`), on the
    /// next worker in turn.
    pub async fn probe(&self, offer: String) -> Result<String, SfuError> {
        let (reply, answer) = oneshot::channel();
        let turn = self.next_probe.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let _ = self.workers[turn]
            .commands
            .send(Command::Probe { offer, reply });
        answer.await.map_err(|_| SfuError::Stopped)?
    }

    /// Test-only fault (see `TEST_FAULTS`): only datagrams from `relay` get through, as if a
    /// firewall blocked direct UDP to the media server; `None` lifts it.
    pub fn block_direct(&self, relay: Option<std::net::IpAddr>) {
        self.broadcast(|| Command::BlockDirect { relay });
    }

    pub fn subscribe_answer(&self, member: MemberKey, answer: String) {
        self.send(member, Command::SubscribeAnswer { member, answer });
    }

    pub fn set_tiles(&self, member: MemberKey, tiles: Vec<Tile>) {
        self.send(member, Command::SetTiles { member, tiles });
    }

    pub fn set_media(&self, member: MemberKey, media: MediaState) {
        self.send(member, Command::SetMedia { member, media });
    }

    pub fn unpublish(&self, member: MemberKey) {
        self.send(member, Command::Unpublish { member });
    }

    pub fn leave(&self, member: MemberKey) {
        self.send(member, Command::Leave { member });
    }

    /// Starts (or with `None` stops) handing `room`'s packets to a recorder.
    pub fn record(&self, room: i64, sink: Option<crate::recording::RecordSink>) {
        self.send_to_room(room, Command::Record { room, sink });
    }

    pub fn stop_recording(&self, room: i64, media_id: i64) {
        self.send_to_room(room, Command::StopRecording { room, media_id });
    }

    pub fn recorder_keyframe(&self, member: MemberKey, source: protocol::Source, layer: u8) {
        self.send(
            member,
            Command::RecorderKeyframe {
                member,
                source,
                layer,
            },
        );
    }

    /// Every worker's counters, added up.
    pub async fn stats(&self) -> Result<SfuStats, SfuError> {
        let mut total = SfuStats::default();
        for worker in self.workers.iter() {
            let (reply, stats) = oneshot::channel();
            let _ = worker.commands.send(Command::Stats { reply });
            total.add(stats.await.map_err(|_| SfuError::Stopped)?);
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_spread_evenly_and_a_room_stays_on_one_worker() {
        let mut per_worker = [0; 4];
        for room in 1..=400 {
            let worker = worker_of(room, 4);
            assert_eq!(worker, worker_of(room, 4), "placement is stable");
            per_worker[worker] += 1;
        }
        assert_eq!(per_worker, [100; 4]);
        assert_eq!(worker_of(-3, 4), 1, "no negative index");
        assert_eq!(worker_of(7, 1), 0);
        assert_eq!(worker_of(7, 0), 0, "no division by zero");
    }
}
