//! The per-packet path: publisher RTP to every listening subscriber slot. Nothing here
//! allocates: the payload is shared (`Arc`), listeners are borrowed out and put back.

use std::time::Instant;

use str0m::media::Mid;

use super::*;
use protocol::vp8;
use str0m::bwe::Bitrate;

use super::super::layers::{allocate, Budget, TileDemand};

impl Engine {
    pub(super) fn forward(&mut self, key: PeerKey, packet: RtpPacket) {
        self.stats.packets_in += 1;
        let now = packet.timestamp;
        let Some(Peer {
            rtc,
            role: Role::Publisher(publisher),
            member,
            ..
        }) = self.peers.get_mut(&key)
        else {
            return;
        };
        let member = *member;
        let ssrc = packet.header.ssrc;
        let (track_index, rid) = match publisher.ssrc_index.get(&ssrc) {
            Some(&found) => found,
            None => {
                let mut api = rtc.direct_api();
                let Some(stream) = api.stream_rx(&ssrc) else {
                    return;
                };
                let (mid, rid) = (stream.mid(), stream.rid());
                let Some(index) = publisher.tracks.iter().position(|t| t.mid == mid) else {
                    return;
                };
                tracing::debug!(publisher = key, %ssrc, %mid, ?rid, "incoming stream");
                publisher.ssrc_index.insert(ssrc, (index, rid));
                (index, rid)
            }
        };
        let allowed = publisher.allows(publisher.tracks[track_index].source);
        let track = &mut publisher.tracks[track_index];
        if !allowed {
            return;
        }
        let layer = track.layer_of(rid);
        track.layer_seen[layer] = Some(now);
        track
            .meter
            .record(layer, packet.header.header_len + packet.payload.len(), now);
        let video = track.kind == MediaKind::Video;
        if !video
            && packet
                .header
                .ext_vals
                .audio_level
                .is_some_and(|level| level.saturating_abs() < SPEECH_LEVEL_DBOV)
        {
            publisher.last_spoke = Some(now);
        }
        let keyframe = video && vp8::starts_keyframe(&packet.payload);
        let source = track.source;
        let listeners = std::mem::take(&mut publisher.tracks[track_index].listeners);
        if !self.recorders.is_empty() {
            self.record(member, source, track_index, layer, &packet);
        }
        for &(sub, slot) in &listeners {
            self.forward_to(sub, slot, key, track_index, layer, keyframe, &packet);
        }
        if let Some(Peer {
            role: Role::Publisher(publisher),
            ..
        }) = self.peers.get_mut(&key)
        {
            publisher.tracks[track_index].listeners = listeners;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn forward_to(
        &mut self,
        sub_key: PeerKey,
        slot: SlotRef,
        publisher: PeerKey,
        track: usize,
        layer: usize,
        keyframe: bool,
        packet: &RtpPacket,
    ) {
        let Some(Peer {
            rtc,
            role: Role::Subscriber(sub),
            dirty,
            ..
        }) = self.peers.get_mut(&sub_key)
        else {
            return;
        };
        let (pt, clock_rate) = match slot {
            SlotRef::Video(_) => (sub.pt_video, 90_000),
            SlotRef::Audio(_) => (sub.pt_audio, 48_000),
        };
        let Some(pt) = pt else {
            return;
        };
        let down = sub.slot(slot);
        let Some(feed) = &mut down.feed else {
            return;
        };
        if feed.publisher != publisher || feed.track != track {
            return;
        }
        let now = packet.timestamp;
        if feed.current != Some(layer) {
            // Switch only where the receiver can decode from: a key frame (any audio packet).
            let audio = matches!(slot, SlotRef::Audio(_));
            // Before the subscriber is connected str0m drops what is written: starting on a
            // key frame then would start the browser on the deltas after it.
            if feed.target != layer || !(keyframe || audio) || !rtc.is_connected() {
                return;
            }
            tracing::debug!(subscriber = sub_key, ?slot, from = ?feed.current, to = layer, "layer switched");
            feed.current = Some(layer);
            down.rebaser
                .switch_to(*packet.seq_no, packet.header.timestamp, now, clock_rate);
        }
        let (seq, time) = down
            .rebaser
            .rewrite(*packet.seq_no, packet.header.timestamp, now);
        let mid = down.mid;
        let mut api = rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(mid, None) else {
            return;
        };
        stream.write_rtp(
            RtpWrite::new(pt, seq.into(), time, now, packet.payload.clone())
                .marker(packet.header.marker)
                .nackable(true),
        );
        self.stats.packets_forwarded += 1;
        if !*dirty {
            *dirty = true;
            self.dirty.push(sub_key);
        }
    }

    /// Offers the packet to the room's recorder, if it records; never waits. A dropped video
    /// packet breaks its frame, so the publisher is asked for a key frame (throttled).
    fn record(
        &mut self,
        member: MemberKey,
        source: protocol::Source,
        track: usize,
        layer: usize,
        packet: &RtpPacket,
    ) {
        let Some(sink) = self.recorders.get(&member.room) else {
            return;
        };
        let report = packet
            .last_sender_info
            .map(|info| crate::recording::SenderReport {
                ntp_secs: info
                    .ntp_time
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64()),
                rtp: info.rtp_time.numer() as u32,
            });
        let offered = sink.offer(crate::recording::MediaPacket {
            participant: member.participant,
            source,
            layer: layer as u8,
            ssrc: *packet.header.ssrc,
            seq: packet.header.sequence_number,
            rtp_time: packet.header.timestamp,
            marker: packet.header.marker,
            payload: packet.payload.clone(),
            arrival: packet.timestamp,
            report,
        });
        if !offered && source != protocol::Source::Mic {
            self.request_keyframe(self.publishers[&member], track, layer, packet.timestamp);
        }
    }

    /// Recorders come and go, and ask for key frames.
    pub(super) fn recording_command(&mut self, command: Command) {
        match command {
            Command::Record {
                room,
                sink: Some(sink),
            } => {
                self.recorders.insert(room, sink);
            }
            Command::Record { room, sink: None } => {
                self.recorders.remove(&room);
            }
            // A newer recorder of the room stays.
            Command::StopRecording { room, media_id }
                if self.recorders.get(&room).is_some_and(|s| s.id == media_id) =>
            {
                self.recorders.remove(&room);
            }
            Command::RecorderKeyframe {
                member,
                source,
                layer,
            } => {
                let Some(&key) = self.publishers.get(&member) else {
                    return;
                };
                let track = match self.peers.get(&key).map(|p| &p.role) {
                    Some(Role::Publisher(publisher)) => publisher.track(source),
                    _ => None,
                };
                if let Some(track) = track {
                    self.request_keyframe(key, track, layer as usize, Instant::now());
                }
            }
            _ => {}
        }
    }

    /// A subscriber's browser lost the picture on `mid`: ask the publisher for a key frame of
    /// the layer that slot is receiving.
    pub(super) fn subscriber_wants_keyframe(&mut self, sub_key: PeerKey, mid: Mid) {
        let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get(&sub_key)
        else {
            return;
        };
        let Some(feed) = sub.video.iter().find(|d| d.mid == mid).and_then(|d| d.feed) else {
            return;
        };
        let layer = feed.current.unwrap_or(feed.target);
        self.request_keyframe(feed.publisher, feed.track, layer, Instant::now());
    }

    pub(super) fn request_keyframe(
        &mut self,
        publisher: PeerKey,
        track: usize,
        layer: usize,
        now: Instant,
    ) {
        let Some(Peer {
            rtc,
            role: Role::Publisher(p),
            ..
        }) = self.peers.get_mut(&publisher)
        else {
            return;
        };
        let Some(track) = p.tracks.get_mut(track) else {
            return;
        };
        if track.kind != MediaKind::Video || !track.may_request_keyframe(layer, now) {
            return;
        }
        let (mid, rid) = (track.mid, track.rid_of(layer));
        if let Some(stream) = rtc.direct_api().stream_rx_by_mid(mid, rid) {
            stream.request_keyframe(KeyframeRequestKind::Pli);
            self.stats.keyframe_requests += 1;
        }
        self.drain(publisher);
    }

    /// Re-decides each video slot's layer from the tile's wish, the bandwidth estimate and
    /// which layers the publisher is actually sending; a new target asks for a key frame.
    pub(super) fn update_layers(&mut self, sub_key: PeerKey, now: Instant) {
        let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get(&sub_key)
        else {
            return;
        };
        self.wants.clear();
        for feed in sub.video.iter().filter_map(|d| d.feed) {
            let rates = match self.peers.get(&feed.publisher) {
                Some(Peer {
                    role: Role::Publisher(p),
                    ..
                }) => p.tracks.get(feed.track).map(TrackIn::rates_as_served),
                _ => None,
            };
            self.wants.push(TileDemand {
                want: feed.want,
                held: Quality::ALL
                    .get(feed.target)
                    .copied()
                    .unwrap_or(Quality::Low),
                rates: rates.unwrap_or_default(),
            });
        }
        let estimate_bps = sub.estimate_bps;
        let budget = allocate(&self.wants, estimate_bps, &mut self.allocation);
        let mut changes = Vec::new();
        let feeds = sub
            .video
            .iter()
            .enumerate()
            .filter_map(|(index, d)| d.feed.map(|f| (index, f)));
        for ((index, feed), &quality) in feeds.zip(&self.allocation) {
            let target = match self.peers.get(&feed.publisher) {
                Some(Peer {
                    role: Role::Publisher(p),
                    ..
                }) => p.tracks.get(feed.track).map(|t| t.pick_layer(quality, now)),
                _ => None,
            };
            // Until the target flows, keep asking (throttled): a lost PLI must not freeze a switch.
            if let Some(target) = target.filter(|&t| t != feed.target || feed.current != Some(t)) {
                changes.push((index, feed.publisher, feed.track, target));
            }
        }
        self.steer_estimator(sub_key, budget);
        if changes.is_empty() {
            return;
        }
        tracing::debug!(
            subscriber = sub_key,
            estimate_bps,
            ?budget,
            ?changes,
            "layer targets"
        );
        if let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        {
            for &(index, _, _, target) in &changes {
                if let Some(feed) = sub.video[index].feed.as_mut() {
                    feed.target = target;
                }
            }
        }
        for (_, publisher, track, target) in changes {
            self.request_keyframe(publisher, track, target, now);
        }
    }

    /// Tells the subscriber's bandwidth estimator what is forwarded (kept up, with padding
    /// when media falls short) and what the tiles would like (probed for), so the estimate
    /// grows towards the wished layers instead of staying at its starting value.
    fn steer_estimator(&mut self, sub_key: PeerKey, budget: Budget) {
        let Some(Peer {
            rtc,
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        else {
            return;
        };
        let targets = budget.estimator_targets();
        if sub.bwe_targets != targets {
            sub.bwe_targets = targets;
            rtc.bwe()
                .set_bitrate(Bitrate::bps(targets.0), Bitrate::bps(targets.1));
        }
    }
}
