//! What each simulcast layer of a published track really carries, in bits per second.
//! Browsers send well under the layers' caps (a still scene, a small camera, CPU
//! adaptation), so choosing layers by their caps wastes the bandwidth estimate.

use std::time::{Duration, Instant};

/// Bytes are summed over windows this long; a window's rate is blended into the estimate.
const WINDOW: Duration = Duration::from_millis(500);
/// A layer silent for a whole window keeps its last estimate for this many windows before
/// it reads as zero: key frames and browser pauses make short gaps.
const SILENT_WINDOWS_KEPT: u8 = 4;

#[derive(Debug, Default, Clone, Copy)]
struct Layer {
    window_bytes: u64,
    rate_bps: u64,
    silent_windows: u8,
}

/// Per-layer rate meter: one add per packet, the division once per window.
#[derive(Debug, Clone, Default)]
pub struct LayerMeter {
    window_start: Option<Instant>,
    layers: [Layer; 3],
}

impl LayerMeter {
    /// Counts one packet of `bytes` (header and payload) on `layer` at `now`.
    pub fn record(&mut self, layer: usize, bytes: usize, now: Instant) {
        self.window_start.get_or_insert(now);
        if let Some(slot) = self.layers.get_mut(layer) {
            slot.window_bytes += bytes as u64;
        }
    }

    /// Closes the window if it is over; call often (the SFU calls it every housekeeping tick).
    pub fn tick(&mut self, now: Instant) {
        let Some(start) = self.window_start else {
            return;
        };
        let elapsed = now.saturating_duration_since(start);
        if elapsed < WINDOW {
            return;
        }
        let micros = elapsed.as_micros().max(1) as u64;
        for layer in &mut self.layers {
            let measured = layer.window_bytes * 8 * 1_000_000 / micros;
            layer.window_bytes = 0;
            if measured == 0 {
                layer.silent_windows = layer.silent_windows.saturating_add(1);
                if layer.silent_windows > SILENT_WINDOWS_KEPT {
                    layer.rate_bps = 0;
                }
                continue;
            }
            layer.silent_windows = 0;
            // Rising at once (a layer that starts must be paid for), falling gently (a pause
            // between frames is not a cheaper layer).
            layer.rate_bps = if layer.rate_bps == 0 || measured > layer.rate_bps {
                measured
            } else {
                (layer.rate_bps * 3 + measured) / 4
            };
        }
        self.window_start = Some(now);
    }

    /// The measured rate of each layer (0 = not measured, or gone).
    pub fn rates(&self) -> [u64; 3] {
        self.layers.map(|layer| layer.rate_bps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bps` on `layer` as 50 packets a second for `seconds`, ticking as the SFU does.
    fn feed(
        meter: &mut LayerMeter,
        start: Instant,
        layer: usize,
        bps: u64,
        seconds: u64,
    ) -> Instant {
        let packet = (bps / 8 / 50) as usize;
        let mut now = start;
        for _ in 0..seconds * 50 {
            meter.record(layer, packet, now);
            now += Duration::from_millis(20);
            meter.tick(now);
        }
        now
    }

    #[test]
    fn measures_what_each_layer_carries() {
        let mut meter = LayerMeter::default();
        let start = Instant::now();
        feed(&mut meter, start, 2, 800_000, 3);
        let rates = meter.rates();
        assert_eq!(rates[0], 0);
        assert!(
            (760_000..=840_000).contains(&rates[2]),
            "measured {} for 800 kbps",
            rates[2]
        );
    }

    #[test]
    fn a_drop_is_followed_and_a_silent_layer_reads_zero_after_a_while() {
        let mut meter = LayerMeter::default();
        let mut now = feed(&mut meter, Instant::now(), 1, 500_000, 2);
        now = feed(&mut meter, now, 1, 100_000, 4);
        assert!(meter.rates()[1] < 150_000, "{:?}", meter.rates());
        for _ in 0..=SILENT_WINDOWS_KEPT {
            now += WINDOW;
            meter.tick(now);
        }
        assert_eq!(meter.rates()[1], 0);
    }
}
