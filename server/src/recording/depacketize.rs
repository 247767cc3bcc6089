//! VP8 frames out of RTP packets (RFC 7741): packets are put back in sequence order, a frame is
//! the run of packets from one that starts partition 0 (S=1, PID=0) to the one with the marker
//! bit, all with the same RTP timestamp. A hole that does not fill within a few frames is
//! given up: what follows is only decodable from the next key frame, so deltas are dropped
//! until then and the caller is told to ask for one.

use std::collections::BTreeMap;

/// Packets held beyond a hole before it counts as lost (~4 frames of a 720p layer).
const REORDER_WINDOW: u64 = 48;
/// Largest frame assembled (a 1080p key frame is well under this).
const MAX_FRAME_BYTES: usize = 4 << 20;

/// One whole VP8 frame (payload descriptors stripped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub rtp_time: u32,
    pub keyframe: bool,
    pub data: Vec<u8>,
}

struct Packet {
    rtp_time: u32,
    marker: bool,
    starts_frame: bool,
    body: Vec<u8>,
}

#[derive(Default)]
pub struct Depacketizer {
    held: BTreeMap<u64, Packet>,
    /// Extended sequence number of the newest packet seen.
    highest: Option<u64>,
    /// The next packet the assembly continues with.
    next: Option<u64>,
    /// A frame was lost since the last key frame: deltas cannot be decoded.
    broken: bool,
    /// Set when the caller should ask the sender for a key frame.
    pub wants_keyframe: bool,
}

/// Length of the VP8 payload descriptor at the start of `payload`, and whether the packet
/// starts partition 0 of a frame.
pub fn descriptor(payload: &[u8]) -> Option<(usize, bool)> {
    let first = *payload.first()?;
    let starts = first & 0x10 != 0 && first & 0x07 == 0;
    let mut len = 1;
    if first & 0x80 != 0 {
        let flags = *payload.get(1)?;
        len = 2;
        if flags & 0x80 != 0 {
            len += if *payload.get(len)? & 0x80 != 0 { 2 } else { 1 };
        }
        if flags & 0x40 != 0 {
            len += 1;
        }
        if flags & 0x30 != 0 {
            len += 1;
        }
    }
    (len < payload.len()).then_some((len, starts))
}

impl Depacketizer {
    /// Takes one packet (16-bit sequence number, in any order) and returns the frames it
    /// completed, oldest first.
    pub fn push(&mut self, seq: u16, rtp_time: u32, marker: bool, payload: &[u8]) -> Vec<Frame> {
        let Some((skip, starts_frame)) = descriptor(payload) else {
            return Vec::new();
        };
        let ext = self.extend(seq);
        if self.next.is_some_and(|next| ext < next) || self.held.contains_key(&ext) {
            return Vec::new(); // too late (its frame was given up) or a duplicate
        }
        self.held.insert(
            ext,
            Packet {
                rtp_time,
                marker,
                starts_frame,
                body: payload[skip..].to_vec(),
            },
        );
        let mut frames = Vec::new();
        loop {
            if let Some(frame) = self.assemble() {
                frames.extend(frame);
                continue;
            }
            if !self.skip_hole() {
                break;
            }
        }
        frames
    }

    /// 16-bit sequence numbers onto a 64-bit line, across wrap-arounds either way.
    fn extend(&mut self, seq: u16) -> u64 {
        let Some(highest) = self.highest else {
            let ext = (1u64 << 32) + u64::from(seq);
            self.highest = Some(ext);
            return ext;
        };
        let delta = seq.wrapping_sub(highest as u16) as i16;
        let ext = highest.wrapping_add_signed(i64::from(delta));
        self.highest = Some(highest.max(ext));
        ext
    }

    /// Takes the frame starting at `next` if all its packets are here. `Some(None)` when the
    /// packets were consumed without a decodable frame.
    #[allow(clippy::option_option)]
    fn assemble(&mut self) -> Option<Option<Frame>> {
        let start = match self.next {
            Some(next) => next,
            // Nothing assembled yet: begin at the first packet that starts a frame.
            None => {
                let (&first, _) = self.held.iter().find(|(_, p)| p.starts_frame)?;
                self.held.retain(|&seq, _| seq >= first);
                self.next = Some(first);
                first
            }
        };
        let head = self.held.get(&start)?;
        if !head.starts_frame {
            return None;
        }
        let rtp_time = head.rtp_time;
        let mut end = start;
        loop {
            let packet = self.held.get(&end)?;
            if packet.rtp_time != rtp_time {
                // The marker packet was lost: this frame can never complete.
                return None;
            }
            if packet.marker {
                break;
            }
            end += 1;
        }
        let mut data = Vec::new();
        for seq in start..=end {
            let packet = self.held.remove(&seq).expect("checked above");
            data.extend_from_slice(&packet.body);
        }
        self.next = Some(end + 1);
        // The frame tag's P bit: 0 on key frames.
        let keyframe = data.first().is_some_and(|tag| tag & 0x01 == 0);
        if keyframe {
            self.broken = false;
        }
        if self.broken || data.len() > MAX_FRAME_BYTES {
            return Some(None);
        }
        Some(Some(Frame {
            rtp_time,
            keyframe,
            data,
        }))
    }

    /// A hole at `next` older than the reorder window is given up: assembly resumes at the
    /// next packet that starts a frame, and deltas wait for a key frame. Whether it moved on.
    fn skip_hole(&mut self) -> bool {
        let (Some(next), Some(highest)) = (self.next, self.highest) else {
            return false;
        };
        // Held packets are all at or after `next`: fewer than the span means a hole.
        let span = highest.saturating_sub(next) + 1;
        let hole = (self.held.len() as u64) < span || self.incomplete_with_newer_frame(next);
        if !hole || span <= REORDER_WINDOW {
            return false;
        }
        let resume = self
            .held
            .iter()
            .find(|(&seq, p)| seq > next && p.starts_frame)
            .map(|(&seq, _)| seq);
        let Some(resume) = resume else {
            return false;
        };
        self.held.retain(|&seq, _| seq >= resume);
        self.next = Some(resume);
        self.broken = true;
        self.wants_keyframe = true;
        true
    }

    /// The frame at `start` lost its marker packet (a later timestamp follows it directly).
    fn incomplete_with_newer_frame(&self, start: u64) -> bool {
        let Some(head) = self.held.get(&start) else {
            return false;
        };
        let mut seq = start;
        while let Some(packet) = self.held.get(&seq) {
            if packet.rtp_time != head.rtp_time {
                return true;
            }
            if packet.marker {
                return false;
            }
            seq += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame cut into `parts` packets: descriptor with a 15-bit PictureID, then the body.
    fn packets(keyframe: bool, parts: usize, fill: u8) -> Vec<(Vec<u8>, bool)> {
        (0..parts)
            .map(|i| {
                let mut payload = vec![if i == 0 { 0x90 } else { 0x80 }, 0x80, 0x81, 0x02];
                if i == 0 {
                    payload.push(if keyframe { 0x10 } else { 0x11 });
                }
                payload.extend([fill; 10]);
                (payload, i + 1 == parts)
            })
            .collect()
    }

    fn feed(d: &mut Depacketizer, seq: u16, time: u32, keyframe: bool, parts: usize) -> Vec<Frame> {
        let mut out = Vec::new();
        for (i, (payload, marker)) in packets(keyframe, parts, time as u8).into_iter().enumerate() {
            out.extend(d.push(seq.wrapping_add(i as u16), time, marker, &payload));
        }
        out
    }

    #[test]
    fn frames_assemble_across_the_sequence_wrap_around() {
        let mut d = Depacketizer::default();
        let first = feed(&mut d, 65_534, 1_000, true, 3);
        assert_eq!(first.len(), 1);
        assert!(first[0].keyframe);
        assert_eq!(
            first[0].data.len(),
            1 + 30,
            "descriptors stripped, bodies joined"
        );
        let second = feed(&mut d, 1, 4_000, false, 2);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].rtp_time, 4_000);
        assert!(!d.wants_keyframe);
    }

    #[test]
    fn reordered_packets_still_make_whole_frames_in_order() {
        let mut d = Depacketizer::default();
        feed(&mut d, 10, 0, true, 1);
        let frame = packets(false, 3, 7);
        // 13, 12, 11 arrive backwards: nothing until the first, then the frame.
        assert!(d.push(13, 3_000, frame[2].1, &frame[2].0).is_empty());
        assert!(d.push(12, 3_000, frame[1].1, &frame[1].0).is_empty());
        let done = d.push(11, 3_000, frame[0].1, &frame[0].0);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].data[1..11], [7; 10]);
        // A duplicate of a consumed packet changes nothing.
        assert!(d.push(12, 3_000, frame[1].1, &frame[1].0).is_empty());
    }

    #[test]
    fn a_lost_packet_drops_deltas_until_the_next_key_frame_and_asks_for_one() {
        let mut d = Depacketizer::default();
        feed(&mut d, 100, 0, true, 2);
        // Frame at 3000 loses its second packet (seq 103).
        let frame = packets(false, 2, 1);
        assert!(d.push(102, 3_000, frame[0].1, &frame[0].0).is_empty());
        let mut decodable = Vec::new();
        let mut seq = 104u16;
        for n in 0..30u32 {
            decodable.extend(feed(&mut d, seq, 6_000 + n * 3_000, false, 2));
            seq += 2;
        }
        assert!(
            decodable.is_empty(),
            "deltas after a loss are not decodable"
        );
        assert!(d.wants_keyframe);
        let key = feed(&mut d, seq, 200_000, true, 2);
        assert_eq!(key.len(), 1);
        assert!(key[0].keyframe);
        let after = feed(&mut d, seq + 2, 203_000, false, 2);
        assert_eq!(after.len(), 1, "deltas flow again after the key frame");
    }

    #[test]
    fn descriptors_of_every_shape_are_measured() {
        assert_eq!(descriptor(&[0x10, 0x00]), Some((1, true)));
        assert_eq!(
            descriptor(&[0x90, 0xe0, 0x81, 0x02, 0x07, 0x20, 0x50]),
            Some((6, true))
        );
        assert_eq!(descriptor(&[0x80, 0x80, 0x05, 0x00]), Some((3, false)));
        assert_eq!(descriptor(&[0x90, 0xe0, 0x81]), None, "truncated");
        assert_eq!(descriptor(&[]), None);
    }
}
