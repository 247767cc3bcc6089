//! The recorder of one room, on a thread of its own (file writes and Opus work never touch
//! the SFU's task): it takes the room's packets from a bounded queue, places them on one
//! timeline, passes the shown video through (best layer, switching only on key frames),
//! mixes the audio, and appends WebM clusters to the file about once a second.

use std::collections::HashMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use protocol::Source;
use room::ParticipantId;

use super::audio::Mixer;
use super::depacketize::Depacketizer;
use super::layout::{Layout, Stage, View};
use super::timeline::Timeline;
use super::webm::{Block, WebmWriter, VIDEO_TRACK};
use super::{Control, MediaPacket};

/// How long audio waits for late packets before its frames are encoded.
const AUDIO_LATENCY: f64 = 0.3;
/// Clusters are written about this often, holding what is older than [`WRITE_DELAY_MS`].
const WRITE_EVERY: Duration = Duration::from_secs(1);
const WRITE_DELAY_MS: u64 = 500;
/// A source that sent nothing for this long is off the stage.
const SOURCE_IDLE: Duration = Duration::from_secs(1);
const STILL_EVERY_MS: u64 = 1_000;
const KEYFRAME_RETRY: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_millis(20);
/// How far a packet's place on the timeline may be from when it arrived (seconds): far enough
/// that a publisher starved of CPU, whose packets arrive late in bursts, keeps its own timing
/// (clamping those squeezes frames onto the same instant), near enough to bound what a forged
/// time can hold back or make the mixer buffer.
const MAX_SKEW_SECS: f64 = 30.0;

/// Asks the SFU for a key frame of a participant's source at a layer.
pub type KeyframeRequest = Box<dyn Fn(ParticipantId, Source, u8) + Send>;

/// How a recording ended.
#[derive(Debug)]
pub struct Outcome {
    pub duration_ms: u64,
    /// A failed write (a full disk): the recording stopped by itself.
    pub error: Option<String>,
}

type StreamKey = (ParticipantId, Source, u8);

struct Target {
    view: View,
    layer: u8,
    asked: Option<Instant>,
}

pub struct Recorder<W: Write> {
    writer: WebmWriter<W>,
    started: Instant,
    started_wall: f64,
    timeline: Timeline,
    layout: Layout,
    mixer: Mixer,
    still: Vec<u8>,
    speakers: Vec<ParticipantId>,
    /// Last packet per video stream.
    seen: HashMap<StreamKey, Instant>,
    depacketizers: HashMap<StreamKey, Depacketizer>,
    /// The video stream being written; `None`: the still frame.
    current: Option<StreamKey>,
    target: Option<Target>,
    last_still_ms: Option<u64>,
    video_clock: VideoClock,
    keyframes: KeyframeRequest,
    blocks: Vec<Block>,
}

fn wall_secs(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl<W: Write> Recorder<W> {
    pub fn new(
        writer: WebmWriter<W>,
        still: Vec<u8>,
        keyframes: KeyframeRequest,
    ) -> Result<Self, super::audio::AudioError> {
        Ok(Self {
            writer,
            started: Instant::now(),
            started_wall: wall_secs(SystemTime::now()),
            timeline: Timeline::default(),
            layout: Layout::default(),
            mixer: Mixer::new()?,
            still,
            speakers: Vec::new(),
            seen: HashMap::new(),
            depacketizers: HashMap::new(),
            current: None,
            target: None,
            last_still_ms: None,
            video_clock: VideoClock::default(),
            keyframes,
            blocks: Vec::new(),
        })
    }

    /// Runs until stopped (or the queue's senders are gone), writing as it goes.
    pub fn run(mut self, packets: Receiver<MediaPacket>, control: Receiver<Control>) -> Outcome {
        let mut last_write = Instant::now();
        let mut last_tick = Instant::now();
        let error = loop {
            match packets.recv_timeout(TICK) {
                Ok(packet) => self.packet(packet),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break None,
            }
            // A burst is taken whole before the clock work below.
            while let Ok(packet) = packets.try_recv() {
                self.packet(packet);
            }
            let mut stop = false;
            while let Ok(message) = control.try_recv() {
                match message {
                    Control::Speakers(speakers) => self.speakers = speakers,
                    Control::Stop => stop = true,
                }
            }
            if stop {
                break None;
            }
            let now = Instant::now();
            // Packets wake the loop hundreds of times a second; the clock work needs 50.
            if now.duration_since(last_tick) < TICK {
                continue;
            }
            last_tick = now;
            if let Err(error) = self.tick(now, last_write) {
                break Some(error);
            }
            if now.duration_since(last_write) >= WRITE_EVERY {
                last_write = now;
            }
        };
        let error = error.or_else(|| self.finish().err());
        Outcome {
            duration_ms: self.writer.last_ms + 20,
            error,
        }
    }

    /// Server wall-clock seconds of instant `at`.
    fn wall_of(&self, at: Instant) -> f64 {
        match at.checked_duration_since(self.started) {
            Some(after) => self.started_wall + after.as_secs_f64(),
            None => self.started_wall - self.started.duration_since(at).as_secs_f64(),
        }
    }

    fn elapsed_ms(&self, now: Instant) -> u64 {
        now.duration_since(self.started).as_millis() as u64
    }

    fn packet(&mut self, packet: MediaPacket) {
        let arrival = self.wall_of(packet.arrival);
        let rate = if packet.source == Source::Mic {
            super::audio::RATE
        } else {
            90_000
        };
        let placed = self.timeline.place(
            packet.participant.0,
            packet.ssrc,
            rate,
            packet.rtp_time,
            arrival,
            packet.report,
        ) - self.started_wall;
        // RTP and RTCP times come from the publisher: a jump (or a forged sender report) must
        // not place media hours away, which would grow the mixer's buffer or hold back every
        // later video frame.
        let arrived = arrival - self.started_wall;
        let at = placed.clamp(arrived - MAX_SKEW_SECS, arrived + MAX_SKEW_SECS);
        if packet.source == Source::Mic {
            self.mixer.add(packet.ssrc, at, &packet.payload);
            return;
        }
        let key = (packet.participant, packet.source, packet.layer);
        self.seen.insert(key, packet.arrival);
        let wanted = self
            .target
            .as_ref()
            .is_some_and(|t| (t.view.participant, t.view.source, t.layer) == key);
        if self.current != Some(key) && !wanted {
            return;
        }
        let depacketizer = self.depacketizers.entry(key).or_default();
        let frames = depacketizer.push(packet.seq, packet.rtp_time, packet.marker, &packet.payload);
        if std::mem::take(&mut depacketizer.wants_keyframe) {
            (self.keyframes)(key.0, key.1, key.2);
        }
        for frame in frames {
            if self.current != Some(key) {
                if !frame.keyframe {
                    continue;
                }
                // The switch: the target's first key frame.
                self.current = Some(key);
                self.target = None;
            }
            let ms = (at.max(0.0) * 1_000.0) as u64;
            self.video(ms, frame.keyframe, frame.data);
        }
    }

    fn video(&mut self, ms: u64, keyframe: bool, data: Vec<u8>) {
        let ms = self.video_clock.place(ms);
        self.writer.push(Block {
            track: VIDEO_TRACK,
            ms,
            keyframe,
            data,
        });
    }

    fn stage(&self, now: Instant) -> Stage {
        let mut stage = Stage {
            speakers: self.speakers.clone(),
            ..Stage::default()
        };
        for (&(participant, source, _), &seen) in &self.seen {
            if now.saturating_duration_since(seen) > SOURCE_IDLE {
                continue;
            }
            let list = match source {
                Source::Screen => &mut stage.screens,
                _ => &mut stage.cameras,
            };
            if !list.contains(&participant) {
                list.push(participant);
            }
        }
        stage.screens.sort();
        stage.cameras.sort();
        stage
    }

    /// The best layer of `view` sending now.
    fn best_layer(&self, view: View, now: Instant) -> Option<u8> {
        self.seen
            .iter()
            .filter(|((p, s, _), seen)| {
                *p == view.participant
                    && *s == view.source
                    && now.saturating_duration_since(**seen) <= SOURCE_IDLE
            })
            .map(|((_, _, layer), _)| *layer)
            .max()
    }

    fn tick(&mut self, now: Instant, last_write: Instant) -> Result<(), String> {
        let stage = self.stage(now);
        let view = self.layout.choose(&stage, now);
        let wanted = view.and_then(|v| self.best_layer(v, now).map(|layer| (v, layer)));
        match wanted {
            Some((view, layer)) if self.current != Some((view.participant, view.source, layer)) => {
                let same = self
                    .target
                    .as_ref()
                    .is_some_and(|t| t.view == view && t.layer == layer);
                if !same {
                    self.target = Some(Target {
                        view,
                        layer,
                        asked: None,
                    });
                    self.depacketizers
                        .remove(&(view.participant, view.source, layer));
                }
                let target = self.target.as_mut().expect("set above");
                if target
                    .asked
                    .is_none_or(|at| now.duration_since(at) >= KEYFRAME_RETRY)
                {
                    target.asked = Some(now);
                    (self.keyframes)(view.participant, view.source, layer);
                }
            }
            Some(_) => self.target = None,
            None => {
                self.target = None;
                self.current = None;
            }
        }
        // The still frame while nothing else is written (nobody on camera, or the shown
        // camera stopped and the next has not sent its key frame yet).
        let current_live = self
            .current
            .and_then(|key| self.seen.get(&key))
            .is_some_and(|&seen| now.saturating_duration_since(seen) <= SOURCE_IDLE);
        if !current_live {
            self.current = None;
            let ms = self.elapsed_ms(now);
            if self
                .last_still_ms
                .is_none_or(|last| ms >= last + STILL_EVERY_MS)
            {
                self.last_still_ms = Some(ms);
                self.video(ms, true, self.still.clone());
            }
        }
        let audio_until = now.duration_since(self.started).as_secs_f64() - AUDIO_LATENCY;
        self.mixer
            .frames_until(audio_until, &mut self.blocks)
            .map_err(|e| e.to_string())?;
        for block in self.blocks.drain(..) {
            self.writer.push(block);
        }
        if now.duration_since(last_write) >= WRITE_EVERY {
            let until = self.elapsed_ms(now).saturating_sub(WRITE_DELAY_MS);
            self.writer.flush_until(until).map_err(write_error)?;
        }
        Ok(())
    }

    /// Stop: the audio still waiting is encoded and everything is written.
    fn finish(&mut self) -> Result<(), String> {
        let end = Instant::now().duration_since(self.started).as_secs_f64();
        self.mixer
            .frames_until(end, &mut self.blocks)
            .map_err(|e| e.to_string())?;
        for block in self.blocks.drain(..) {
            self.writer.push(block);
        }
        self.writer.finish().map_err(write_error)
    }
}

fn write_error(error: std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::StorageFull {
        "the server's disk is full".to_owned()
    } else {
        format!("writing the file failed ({error})")
    }
}

/// The video track's times. One track carries many sources, and a source's place on the
/// timeline can step back (its stream re-anchored on a first sender report, a switch to a
/// stream placed by arrival): times must still only move forward, and the frames after a
/// step back catch up at half their own spacing instead of piling up a millisecond apart (a
/// burst a player shows as a jump, and that tools reading the file at the frame rate refuse).
#[derive(Debug, Default)]
struct VideoClock {
    last_placed: Option<u64>,
    last_written: Option<u64>,
}

impl VideoClock {
    /// The time to write a frame placed at `ms` on the timeline.
    fn place(&mut self, ms: u64) -> u64 {
        let written = match (self.last_placed, self.last_written) {
            (Some(placed), Some(written)) => {
                // The frame's own spacing from the previous one; none across a step back.
                let spacing = ms.saturating_sub(placed);
                ms.max(written + (spacing / 2).max(1))
            }
            _ => ms,
        };
        self.last_placed = Some(ms);
        self.last_written = Some(written);
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk that fills up after the file's header.
    struct FullDisk {
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.room {
                return Err(std::io::ErrorKind::StorageFull.into());
            }
            self.room -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_stops_the_recorder_with_a_reason() {
        let writer = WebmWriter::new(FullDisk { room: 1_000 }, 64, 64).unwrap();
        let recorder =
            Recorder::new(writer, vec![0x10, 0x02, 0x00], Box::new(|_, _, _| {})).unwrap();
        let (_packets, queue) = std::sync::mpsc::sync_channel(8);
        let (_control, commands) = std::sync::mpsc::channel();
        let started = Instant::now();
        // Nobody sends: the still frame and silence still fill the first cluster.
        let outcome = recorder.run(queue, commands);
        assert_eq!(outcome.error.as_deref(), Some("the server's disk is full"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn stop_writes_what_is_pending() {
        let file = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let writer = WebmWriter::new(Shared(file.clone()), 64, 64).unwrap();
        let header = file.lock().unwrap().len();
        let recorder =
            Recorder::new(writer, vec![0x10, 0x02, 0x00], Box::new(|_, _, _| {})).unwrap();
        let (_packets, queue) = std::sync::mpsc::sync_channel(8);
        let (control, commands) = std::sync::mpsc::channel();
        // Stopped after a moment of recording nothing.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let _ = control.send(Control::Stop);
        });
        let outcome = recorder.run(queue, commands);
        assert!(outcome.error.is_none());
        // At least the first still frame went out in a cluster.
        let written = file.lock().unwrap();
        assert!(
            written.len() > header,
            "{} bytes after a {header}-byte header",
            written.len()
        );
        assert_eq!(&written[header..header + 4], [0x1F, 0x43, 0xB6, 0x75]);
    }

    #[test]
    fn video_times_move_forward_and_catch_up_after_a_step_back() {
        let mut clock = VideoClock::default();
        let frames: Vec<u64> = [1_000, 1_033, 1_066, 1_100]
            .into_iter()
            .map(|ms| clock.place(ms))
            .collect();
        assert_eq!(
            frames,
            vec![1_000, 1_033, 1_066, 1_100],
            "on time: untouched"
        );
        // The source steps back 300 ms (re-anchored on its first sender report).
        let after: Vec<u64> = (0..30).map(|n| clock.place(800 + n * 33)).collect();
        assert_eq!(after[0], 1_101, "never back");
        for pair in after.windows(2) {
            assert!(pair[1] - pair[0] >= 16, "frames stay apart: {after:?}");
        }
        // Half of each frame's spacing goes to catching up: back on the timeline in ~20 frames.
        assert_eq!(*after.last().unwrap(), 800 + 29 * 33);
        let first_on_time = after.iter().zip(0..).position(|(&t, n)| t == 800 + n * 33);
        assert!(first_on_time.is_some_and(|n| n <= 20), "{after:?}");
        // A frame placed on the previous one's time still moves forward.
        let again = clock.place(800 + 29 * 33);
        assert_eq!(again, 800 + 29 * 33 + 1);
    }
}
