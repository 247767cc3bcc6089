//! What the SFU keeps per peer connection: published tracks with their listeners, and a
//! subscriber's receiving slots.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use protocol::{Quality, SlotAssignment, Source, Tile};
use room::MediaState;
use str0m::change::SdpPendingOffer;
use str0m::media::{MediaKind, Mid, Pt, Rid};
use str0m::rtp::Ssrc;

use super::rate::LayerMeter;
use super::rebase::Rebaser;
use super::MemberKey;

pub type PeerKey = u64;

/// A layer that sent nothing for this long is treated as gone (the browser dropped it to save
/// CPU or bandwidth) and subscribers move to another.
pub const LAYER_IDLE: Duration = Duration::from_secs(1);
/// At most one keyframe request per layer in this interval, however many subscribers ask.
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

/// Where a subscriber's slot lives: index into its video or audio slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotRef {
    Video(usize),
    Audio(usize),
}

#[derive(Debug)]
pub struct TrackIn {
    pub mid: Mid,
    pub source: Source,
    pub kind: MediaKind,
    pub simulcast: bool,
    /// Last packet seen per layer (index = [`Quality`] order; non-simulcast uses index 0).
    pub layer_seen: [Option<Instant>; 3],
    pub keyframe_requested: [Option<Instant>; 3],
    /// What each layer really carries: layer choice pays by these, not by the caps.
    pub meter: LayerMeter,
    pub listeners: Vec<(PeerKey, SlotRef)>,
}

impl TrackIn {
    pub fn new(mid: Mid, source: Source, kind: MediaKind, simulcast: bool) -> Self {
        Self {
            mid,
            source,
            kind,
            simulcast,
            layer_seen: [None; 3],
            keyframe_requested: [None; 3],
            meter: LayerMeter::default(),
            listeners: Vec::new(),
        }
    }

    pub fn layer_of(&self, rid: Option<Rid>) -> usize {
        match (self.simulcast, rid) {
            (true, Some(rid)) => Quality::from_rid(&rid).map_or(0, |q| q as usize),
            _ => 0,
        }
    }

    pub fn rid_of(&self, layer: usize) -> Option<Rid> {
        self.simulcast.then(|| Rid::from(Quality::ALL[layer].rid()))
    }

    /// The layer to send a tile wanting `want`: the best live layer not above it, else the
    /// lowest live one above it, else `want` itself (nothing live yet).
    pub fn pick_layer(&self, want: Quality, now: Instant) -> usize {
        if !self.simulcast {
            return 0;
        }
        let live = |layer: usize| {
            self.layer_seen[layer]
                .is_some_and(|seen| now.saturating_duration_since(seen) < LAYER_IDLE)
        };
        let want = want as usize;
        (0..=want)
            .rev()
            .find(|&layer| live(layer))
            .or_else(|| (want + 1..3).find(|&layer| live(layer)))
            .unwrap_or(want)
    }

    /// What each wish costs: a low layer the publisher does not send (a small camera sends
    /// only the upper ones) is served by the lowest one above it (`pick_layer`), at its rate.
    pub fn rates_as_served(&self) -> [u64; 3] {
        let mut rates = self.meter.rates();
        for layer in (0..2).rev() {
            if rates[layer] == 0 {
                rates[layer] = rates[layer + 1];
            }
        }
        rates
    }

    /// Whether a keyframe request for `layer` may go out now; records it if so.
    pub fn may_request_keyframe(&mut self, layer: usize, now: Instant) -> bool {
        let last = &mut self.keyframe_requested[layer];
        if last.is_some_and(|at| now.saturating_duration_since(at) < KEYFRAME_REQUEST_INTERVAL) {
            return false;
        }
        *last = Some(now);
        true
    }
}

#[derive(Debug)]
pub struct Publisher {
    pub tracks: Vec<TrackIn>,
    pub ssrc_index: HashMap<Ssrc, (usize, Option<Rid>)>,
    /// Source of each transceiver `mid` the browser declared with its offer.
    pub declared: HashMap<String, Source>,
    pub allowed: MediaState,
    /// When the microphone last carried speech (RTP audio level above the threshold).
    pub last_spoke: Option<Instant>,
}

impl Publisher {
    pub fn allows(&self, source: Source) -> bool {
        match source {
            Source::Mic => self.allowed.mic,
            Source::Camera => self.allowed.camera,
            Source::Screen => self.allowed.screen,
        }
    }

    pub fn track(&self, source: Source) -> Option<usize> {
        self.tracks.iter().position(|t| t.source == source)
    }
}

/// One receiving transceiver of a subscriber: which published track feeds it, at which layer.
#[derive(Debug)]
pub struct DownTrack {
    pub mid: Mid,
    pub feed: Option<Feed>,
    pub rebaser: Rebaser,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed {
    pub publisher: PeerKey,
    pub member: MemberKey,
    pub track: usize,
    pub source: Source,
    pub want: Quality,
    /// Layer being forwarded; `None` until the first keyframe of the target arrives.
    pub current: Option<usize>,
    pub target: usize,
}

impl DownTrack {
    pub fn new(mid: Mid) -> Self {
        Self {
            mid,
            feed: None,
            rebaser: Rebaser::default(),
        }
    }
}

#[derive(Debug)]
pub struct Subscriber {
    /// The offer awaiting the browser's answer: the first one, or one adding slots.
    pub pending: Option<SdpPendingOffer>,
    pub video: Vec<DownTrack>,
    pub audio: Vec<DownTrack>,
    /// Slots (video, audio) offered in `pending`, usable once it is answered.
    pub adding: (Vec<DownTrack>, Vec<DownTrack>),
    /// The room's visible-camera limit: video slots never grow past it.
    pub video_limit: usize,
    pub tiles: Vec<Tile>,
    pub estimate_bps: u64,
    /// The (minimum, desired) rates last given to the bandwidth estimator.
    pub bwe_targets: (u64, u64),
    pub pt_video: Option<Pt>,
    pub pt_audio: Option<Pt>,
    /// The last slot map sent (video, audio), to send only changes.
    pub slots_sent: Option<(Vec<SlotAssignment>, Vec<SlotAssignment>)>,
}

impl Subscriber {
    pub fn slot(&mut self, slot: SlotRef) -> &mut DownTrack {
        match slot {
            SlotRef::Video(i) => &mut self.video[i],
            SlotRef::Audio(i) => &mut self.audio[i],
        }
    }
}

#[derive(Debug)]
pub enum Role {
    Publisher(Publisher),
    Subscriber(Subscriber),
}

pub struct Peer {
    pub rtc: str0m::Rtc,
    pub member: MemberKey,
    pub role: Role,
    pub deadline: Instant,
    /// Written to since its output was last drained (see `Engine::flush`).
    pub dirty: bool,
    /// Since when ICE has had no working path; the peer gets a grace period to recover.
    pub disconnected_since: Option<Instant>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(simulcast: bool) -> TrackIn {
        TrackIn::new(Mid::from("1"), Source::Camera, MediaKind::Video, simulcast)
    }

    #[test]
    fn layers_follow_the_wish_and_what_the_publisher_actually_sends() {
        let now = Instant::now();
        let mut track = camera(true);
        // Nothing seen yet: aim at the wish, the first key frame decides.
        assert_eq!(track.pick_layer(Quality::Medium, now), 1);
        track.layer_seen = [Some(now), None, Some(now)];
        assert_eq!(track.pick_layer(Quality::High, now), 2);
        assert_eq!(
            track.pick_layer(Quality::Medium, now),
            0,
            "best live layer below"
        );
        track.layer_seen = [None, None, Some(now)];
        assert_eq!(
            track.pick_layer(Quality::Low, now),
            2,
            "else the lowest live above"
        );
        let later = now + LAYER_IDLE + Duration::from_millis(1);
        track.layer_seen = [Some(later), None, Some(now)];
        assert_eq!(
            track.pick_layer(Quality::High, later),
            0,
            "an idle layer is gone"
        );
        assert_eq!(camera(false).pick_layer(Quality::High, now), 0);
    }

    #[test]
    fn keyframe_requests_are_throttled_per_layer() {
        let now = Instant::now();
        let mut track = camera(true);
        assert!(track.may_request_keyframe(2, now));
        assert!(!track.may_request_keyframe(2, now + Duration::from_millis(100)));
        assert!(track.may_request_keyframe(0, now + Duration::from_millis(100)));
        assert!(track.may_request_keyframe(2, now + KEYFRAME_REQUEST_INTERVAL));
    }

    #[test]
    fn rids_map_to_layers_and_back() {
        let track = camera(true);
        for quality in Quality::ALL {
            let rid = track.rid_of(quality as usize);
            assert_eq!(track.layer_of(rid), quality as usize);
        }
        assert_eq!(camera(false).rid_of(2), None);
        assert_eq!(camera(false).layer_of(Some(Rid::from("f"))), 0);
    }
}
