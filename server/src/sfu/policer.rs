//! Test-only fault: a constrained downlink. A token bucket drops what a subscriber's link
//! cannot carry, as a slow access link's router does, so the bandwidth estimate, the layer
//! choice and their recovery are exercised by real browsers.

use std::time::{Duration, Instant};

/// How much a burst may exceed the rate: a router's buffer of this many milliseconds.
const BURST: Duration = Duration::from_millis(300);

#[derive(Clone, Copy, Debug)]
pub struct Policer {
    bytes_per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl Policer {
    pub fn new(kbps: u32, now: Instant) -> Self {
        let bytes_per_sec = f64::from(kbps) * 1000.0 / 8.0;
        Self {
            bytes_per_sec,
            tokens: bytes_per_sec * BURST.as_secs_f64(),
            last: now,
        }
    }

    /// Whether a datagram of `len` bytes gets through now (taking its tokens).
    pub fn admit(&mut self, len: usize, now: Instant) -> bool {
        let depth = self.bytes_per_sec * BURST.as_secs_f64();
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.bytes_per_sec).min(depth);
        self.last = now;
        let len = len as f64;
        if self.tokens >= len {
            self.tokens -= len;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policed_link_carries_its_rate_and_drops_the_rest() {
        let start = Instant::now();
        let mut link = Policer::new(400, start);
        // 10 s of 1,000-byte datagrams at 800 kbps (100 a second): about half pass.
        let mut passed = 0;
        for n in 0..1000u32 {
            if link.admit(1000, start + Duration::from_millis(u64::from(n) * 10)) {
                passed += 1;
            }
        }
        let carried_kbps = f64::from(passed) * 1000.0 * 8.0 / 10.0 / 1000.0;
        assert!(
            (395.0..=420.0).contains(&carried_kbps),
            "{carried_kbps} kbps"
        );
    }

    #[test]
    fn a_burst_within_the_buffer_passes() {
        let start = Instant::now();
        // 1 Mbps: a 300 ms buffer holds 37,500 bytes.
        let mut link = Policer::new(1000, start);
        assert!((0..37).all(|_| link.admit(1000, start)));
        assert!(!link.admit(1000, start));
        assert!(link.admit(1000, start + Duration::from_millis(8)));
    }
}
