//! A live WebM (Matroska) writer for one VP8 and one Opus track. The segment's size is left
//! unknown and each cluster is written whole once its time has passed, so the file is valid up
//! to its last cluster at any moment: a crash loses the blocks not yet flushed (about a
//! second), and a stream-copy remux afterwards adds the duration and the cues for seeking.

use std::io::{self, Write};

pub const VIDEO_TRACK: u8 = 1;
pub const AUDIO_TRACK: u8 = 2;
/// Samples the Opus decoder drops at the start (libopus' encoder look-ahead at 48 kHz).
pub const OPUS_PRE_SKIP: u16 = 312;

/// One frame for a track, at `ms` on the recording's timeline.
#[derive(Clone, Debug)]
pub struct Block {
    pub track: u8,
    pub ms: u64,
    pub keyframe: bool,
    pub data: Vec<u8>,
}

fn vint_size(value: u64) -> Vec<u8> {
    // The shortest of 1-8 bytes whose all-ones value (reserved for "unknown") is not hit.
    let len = (1..=8)
        .find(|&len| value < (1u64 << (7 * len)) - 1)
        .unwrap_or(8);
    let marked = value | (1u64 << (7 * len));
    marked.to_be_bytes()[8 - len as usize..].to_vec()
}

fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    bytes[skip..].to_vec()
}

fn element(id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend(vint_size(body.len() as u64));
    out.extend_from_slice(body);
    out
}

fn uint(id: u32, value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    element(id, &bytes[skip..])
}

fn float(id: u32, value: f64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

fn text(id: u32, value: &str) -> Vec<u8> {
    element(id, value.as_bytes())
}

/// The Opus identification header (RFC 7845) for a mono 48 kHz stream.
fn opus_head() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend(OPUS_PRE_SKIP.to_le_bytes());
    head.extend(48_000u32.to_le_bytes());
    head.extend(0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family: mono/stereo
    head
}

/// Everything before the first cluster: EBML header, an open-ended segment, info, tracks.
fn header(width: u32, height: u32) -> Vec<u8> {
    let mut out = element(
        0x1A45_DFA3,
        &[
            uint(0x4286, 1),
            uint(0x42F7, 1),
            uint(0x42F2, 4),
            uint(0x42F3, 8),
            text(0x4282, "webm"),
            uint(0x4287, 4),
            uint(0x4285, 2),
        ]
        .concat(),
    );
    // Segment of unknown size: it grows as clusters are appended.
    out.extend(id_bytes(0x1853_8067));
    out.extend([0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    let app = concat!("meetingrooms ", env!("CARGO_PKG_VERSION"));
    out.extend(element(
        0x1549_A966,
        &[
            uint(0x2A_D7B1, 1_000_000), // timestamps in milliseconds
            text(0x4D80, app),
            text(0x5741, app),
        ]
        .concat(),
    ));
    let video = element(
        0xAE,
        &[
            uint(0xD7, u64::from(VIDEO_TRACK)),
            uint(0x73C5, u64::from(VIDEO_TRACK)),
            uint(0x83, 1),
            text(0x86, "V_VP8"),
            // Nominal 30 fps (DefaultDuration, ns): frames keep their own times, but tools
            // that pick an output rate from it quantise less coarsely than from a guess.
            uint(0x23_E383, 33_333_333),
            element(
                0xE0,
                &[uint(0xB0, width.into()), uint(0xBA, height.into())].concat(),
            ),
        ]
        .concat(),
    );
    let audio = element(
        0xAE,
        &[
            uint(0xD7, u64::from(AUDIO_TRACK)),
            uint(0x73C5, u64::from(AUDIO_TRACK)),
            uint(0x83, 2),
            text(0x86, "A_OPUS"),
            element(0x63A2, &opus_head()),
            uint(0x56AA, u64::from(OPUS_PRE_SKIP) * 1_000_000_000 / 48_000),
            uint(0x56BB, 80_000_000),
            element(0xE1, &[float(0xB5, 48_000.0), uint(0x9F, 1)].concat()),
        ]
        .concat(),
    );
    out.extend(element(0x1654_AE6B, &[video, audio].concat()));
    out
}

pub struct WebmWriter<W: Write> {
    out: W,
    pending: Vec<Block>,
    /// Every block written so far is at or before this.
    flushed_ms: u64,
    pub bytes_written: u64,
    /// The latest block time written.
    pub last_ms: u64,
    /// The last block time written per track (index = track number).
    track_last_ms: [Option<u64>; 4],
}

impl<W: Write> WebmWriter<W> {
    pub fn new(mut out: W, width: u32, height: u32) -> io::Result<Self> {
        let head = header(width, height);
        out.write_all(&head)?;
        out.flush()?;
        Ok(Self {
            out,
            pending: Vec::new(),
            flushed_ms: 0,
            bytes_written: head.len() as u64,
            last_ms: 0,
            track_last_ms: [None; 4],
        })
    }

    /// Queues a block; one older than what was already written goes at the written edge.
    pub fn push(&mut self, mut block: Block) {
        block.ms = block.ms.max(self.flushed_ms);
        self.pending.push(block);
    }

    /// Writes the blocks before `until_ms` as clusters (in time order) and flushes them.
    pub fn flush_until(&mut self, until_ms: u64) -> io::Result<()> {
        self.pending.sort_by_key(|b| b.ms);
        let ready = self.pending.partition_point(|b| b.ms < until_ms);
        if ready == 0 {
            return Ok(());
        }
        let mut blocks: Vec<Block> = self.pending.drain(..ready).collect();
        // Within a track, times strictly increase: players and muxers refuse two frames at
        // one instant, which a burst of late packets under load can produce.
        for block in &mut blocks {
            if let Some(last) = self.track_last_ms.get_mut(usize::from(block.track)) {
                if let Some(previous) = *last {
                    block.ms = block.ms.max(previous + 1);
                }
                *last = Some(block.ms);
            }
        }
        blocks.sort_by_key(|b| b.ms);
        // Relative block times are 16-bit: a cluster spans at most 30 s from its start.
        let mut rest = &blocks[..];
        while let Some(first) = rest.first() {
            let (chunk, tail) = rest.split_at(rest.partition_point(|b| b.ms - first.ms < 30_000));
            rest = tail;
            let start = first.ms;
            let mut body = uint(0xE7, start);
            for block in chunk {
                let mut simple = vec![0x80 | block.track];
                simple.extend(((block.ms - start) as i16).to_be_bytes());
                simple.push(if block.keyframe { 0x80 } else { 0x00 });
                simple.extend_from_slice(&block.data);
                body.extend(element(0xA3, &simple));
            }
            let cluster = element(0x1F43_B675, &body);
            self.out.write_all(&cluster)?;
            self.bytes_written += cluster.len() as u64;
        }
        self.out.flush()?;
        let last = blocks.last().map_or(0, |b| b.ms);
        self.flushed_ms = self.flushed_ms.max(last);
        self.last_ms = self.last_ms.max(last);
        Ok(())
    }

    /// Writes everything still queued.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush_until(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_shortest_marked_form() {
        assert_eq!(vint_size(0), [0x80]);
        assert_eq!(vint_size(126), [0xFE]);
        assert_eq!(
            vint_size(127),
            [0x40, 0x7F],
            "0xFF alone would mean unknown"
        );
        assert_eq!(vint_size(300), [0x41, 0x2C]);
        assert_eq!(id_bytes(0x1A45_DFA3), [0x1A, 0x45, 0xDF, 0xA3]);
        assert_eq!(uint(0xD7, 1), [0xD7, 0x81, 0x01]);
    }

    #[test]
    fn frames_of_one_track_never_share_an_instant() {
        let mut file = Vec::new();
        let mut writer = WebmWriter::new(&mut file, 640, 360).unwrap();
        for ms in [100, 100, 100, 101] {
            writer.push(Block {
                track: VIDEO_TRACK,
                ms,
                keyframe: false,
                data: vec![1],
            });
        }
        writer.flush_until(101).unwrap();
        // A late block after the flush lands after the track's last one, not on it.
        writer.push(Block {
            track: VIDEO_TRACK,
            ms: 50,
            keyframe: false,
            data: vec![1],
        });
        writer.finish().unwrap();
        assert_eq!(
            writer.last_ms, 104,
            "100 x3 -> 100, 101, 102; then 101 -> 103 and the late 50 -> 104"
        );
    }

    #[test]
    fn clusters_hold_blocks_in_time_order_and_late_blocks_never_go_back() {
        let mut file = Vec::new();
        let mut writer = WebmWriter::new(&mut file, 640, 360).unwrap();
        let header_len = writer.bytes_written as usize;
        for (track, ms) in [(VIDEO_TRACK, 40), (AUDIO_TRACK, 20), (VIDEO_TRACK, 1_200)] {
            writer.push(Block {
                track,
                ms,
                keyframe: true,
                data: vec![0xAB; 3],
            });
        }
        writer.flush_until(1_000).unwrap();
        // A block older than the written edge lands at the edge.
        writer.push(Block {
            track: AUDIO_TRACK,
            ms: 10,
            keyframe: true,
            data: vec![1],
        });
        writer.finish().unwrap();
        let written = writer.bytes_written as usize;
        drop(writer);
        assert_eq!(file.len(), written);
        let clusters = &file[header_len..];
        // First cluster: time 20, audio at +0, then video at +20.
        assert_eq!(&clusters[..4], [0x1F, 0x43, 0xB6, 0x75]);
        let body = &clusters[5..];
        assert_eq!(&body[..3], [0xE7, 0x81, 20]);
        assert_eq!(&body[3..9], [0xA3, 0x87, 0x82, 0x00, 0x00, 0x80]);
        assert_eq!(&body[12..18], [0xA3, 0x87, 0x81, 0x00, 20, 0x80]);
        // Second cluster starts at the old edge (40), not at 10.
        let second = &body[21..];
        assert_eq!(&second[..4], [0x1F, 0x43, 0xB6, 0x75]);
        assert_eq!(&second[5..8], [0xE7, 0x81, 40]);
    }
}
