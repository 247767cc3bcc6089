//! All stage audio in one Opus track: each microphone's packets are decoded (libopus) at
//! their place on the recording's timeline, summed, and the sum is encoded again in 20 ms
//! frames once no packet for them can still arrive. Silence where nobody sends.

use std::collections::{HashMap, VecDeque};

use super::webm::{Block, AUDIO_TRACK};

pub const RATE: u32 = 48_000;
const FRAME: usize = 960; // 20 ms
/// The longest Opus packet decodes to 120 ms.
const MAX_DECODED: usize = 5_760;
const BITRATE: i32 = 64_000;

#[derive(Debug, thiserror::Error)]
#[error("Opus: {0}")]
pub struct AudioError(#[from] opus::Error);

pub struct Mixer {
    decoders: HashMap<u32, opus::Decoder>,
    encoder: opus::Encoder,
    /// Sums from sample `base` of the timeline on.
    sums: VecDeque<i32>,
    base: u64,
    decoded: Vec<i16>,
    encoded: Vec<u8>,
}

impl Mixer {
    pub fn new() -> Result<Self, AudioError> {
        let mut encoder = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Audio)?;
        encoder.set_bitrate(opus::Bitrate::Bits(BITRATE))?;
        Ok(Self {
            decoders: HashMap::new(),
            encoder,
            sums: VecDeque::new(),
            base: 0,
            decoded: vec![0; MAX_DECODED],
            encoded: vec![0; 4_000],
        })
    }

    /// Adds one packet of stream `ssrc` that starts at `at_secs` on the timeline. A packet
    /// that cannot be decoded is skipped (its stream goes on with the next one).
    pub fn add(&mut self, ssrc: u32, at_secs: f64, payload: &[u8]) {
        if at_secs < 0.0 || payload.is_empty() {
            return;
        }
        let decoder = match self.decoders.entry(ssrc) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                match opus::Decoder::new(RATE, opus::Channels::Mono) {
                    Ok(decoder) => entry.insert(decoder),
                    Err(error) => {
                        tracing::warn!(%error, "no Opus decoder");
                        return;
                    }
                }
            }
        };
        let samples = match decoder.decode(payload, &mut self.decoded, false) {
            Ok(samples) => samples,
            Err(error) => {
                tracing::debug!(%error, ssrc, "undecodable Opus packet skipped");
                return;
            }
        };
        let start = (at_secs * f64::from(RATE)).round() as u64;
        for (i, &sample) in self.decoded[..samples].iter().enumerate() {
            let Some(index) = (start + i as u64).checked_sub(self.base) else {
                continue; // that part was encoded already: too late
            };
            let index = index as usize;
            if index >= self.sums.len() {
                self.sums.resize(index + 1, 0);
            }
            self.sums[index] += i32::from(sample);
        }
    }

    /// Encodes every whole frame that ends before `until_secs` into `out`.
    pub fn frames_until(
        &mut self,
        until_secs: f64,
        out: &mut Vec<Block>,
    ) -> Result<(), AudioError> {
        let until = (until_secs.max(0.0) * f64::from(RATE)) as u64;
        let mut pcm = [0i16; FRAME];
        while self.base + FRAME as u64 <= until {
            for sample in &mut pcm {
                *sample =
                    self.sums
                        .pop_front()
                        .unwrap_or(0)
                        .clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            }
            let len = self.encoder.encode(&pcm, &mut self.encoded)?;
            out.push(Block {
                track: AUDIO_TRACK,
                ms: self.base * 1_000 / u64::from(RATE),
                keyframe: true,
                data: self.encoded[..len].to_vec(),
            });
            self.base += FRAME as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 20 ms 440 Hz tone at `amplitude`, Opus-encoded.
    fn tone(encoder: &mut opus::Encoder, amplitude: f64, phase: &mut f64) -> Vec<u8> {
        let pcm: Vec<i16> = (0..FRAME)
            .map(|_| {
                *phase += 2.0 * std::f64::consts::PI * 440.0 / f64::from(RATE);
                (amplitude * phase.sin()) as i16
            })
            .collect();
        encoder.encode_vec(&pcm, 4_000).unwrap()
    }

    fn energy(decoder: &mut opus::Decoder, block: &Block) -> f64 {
        let mut pcm = vec![0i16; MAX_DECODED];
        let n = decoder.decode(&block.data, &mut pcm, false).unwrap();
        (pcm[..n].iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / n as f64).sqrt()
    }

    #[test]
    fn two_speakers_are_summed_on_the_timeline_and_silence_fills_the_rest() {
        let encoder =
            || opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Audio).unwrap();
        // One encoder per speaker, as each browser has its own.
        let (mut first, mut second) = (encoder(), encoder());
        let mut mixer = Mixer::new().unwrap();
        let (mut p1, mut p2) = (0.0, 0.0);
        // One second of each speaker, the second one starting at 0.5 s.
        for i in 0..50 {
            let at = f64::from(i) * 0.02;
            mixer.add(1, at, &tone(&mut first, 6_000.0, &mut p1));
            mixer.add(2, at + 0.5, &tone(&mut second, 6_000.0, &mut p2));
        }
        let mut blocks = Vec::new();
        mixer.frames_until(2.0, &mut blocks).unwrap();
        assert_eq!(blocks.len(), 100);
        assert_eq!(blocks[1].ms, 20);
        let mut decoder = opus::Decoder::new(RATE, opus::Channels::Mono).unwrap();
        let levels: Vec<f64> = blocks.iter().map(|b| energy(&mut decoder, b)).collect();
        let one = levels[10..20].iter().sum::<f64>() / 10.0;
        let both = levels[30..45].iter().sum::<f64>() / 15.0;
        let none = levels[85..].iter().sum::<f64>() / 15.0;
        assert!(one > 2_000.0, "one speaker is heard: {one}");
        assert!(both > one * 1.2, "two are louder than one: {both} vs {one}");
        assert!(none < 100.0, "then silence: {none}");
        // A packet for time already encoded is dropped, not shifted.
        mixer.add(1, 0.1, &tone(&mut first, 6_000.0, &mut p1));
        let mut more = Vec::new();
        mixer.frames_until(2.1, &mut more).unwrap();
        assert_eq!(more.len(), 5);
    }
}
