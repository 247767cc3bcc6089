//! Per-subscriber sequence number and timestamp rewriting. One outgoing stream (a receiving
//! transceiver of the subscriber) carries packets of whichever source and simulcast layer it is
//! switched to; the browser must see one gapless sequence and a monotonic clock.

use std::time::Instant;

const FIRST_SEQ: u64 = 1;

#[derive(Clone, Copy, Debug, Default)]
pub struct Rebaser {
    /// Added (wrapping) to incoming sequence numbers of the current source.
    seq_offset: u64,
    /// Added (wrapping) to incoming RTP timestamps of the current source.
    time_offset: u32,
    last_out: Option<LastOut>,
}

#[derive(Clone, Copy, Debug)]
struct LastOut {
    seq: u64,
    time: u32,
    at: Instant,
}

impl Rebaser {
    /// Continues the outgoing sequence from a new source whose next packet is `seq`/`time`,
    /// leaving a time gap equal to the wall-clock gap since the last forwarded packet.
    pub fn switch_to(&mut self, seq: u64, time: u32, now: Instant, clock_rate: u32) {
        match self.last_out {
            None => {
                // Start every outgoing stream at rollover counter 0: a receiver assumes ROC 0, and
                // a publisher that has sent 65,536 packets is already past it.
                self.seq_offset = FIRST_SEQ.wrapping_sub(seq);
                self.time_offset = 0;
            }
            Some(last) => {
                let elapsed = now.saturating_duration_since(last.at).as_secs_f64();
                let ticks = ((elapsed * f64::from(clock_rate)) as u32).max(1);
                let next_seq = last.seq + 1;
                self.seq_offset = next_seq.wrapping_sub(seq);
                self.time_offset = last.time.wrapping_add(ticks).wrapping_sub(time);
            }
        }
    }

    /// The outgoing (sequence, timestamp) for an incoming packet of the current source.
    pub fn rewrite(&mut self, seq: u64, time: u32, now: Instant) -> (u64, u32) {
        let out_seq = seq.wrapping_add(self.seq_offset);
        let out_time = time.wrapping_add(self.time_offset);
        if self.last_out.is_none_or(|last| out_seq > last.seq) {
            self.last_out = Some(LastOut {
                seq: out_seq,
                time: out_time,
                at: now,
            });
        }
        (out_seq, out_time)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn switching_sources_keeps_one_gapless_sequence_and_clock() {
        let start = Instant::now();
        let mut rebaser = Rebaser::default();
        // A publisher past its first rollover (ROC 1) still starts the subscriber at ROC 0.
        rebaser.switch_to(66_000, 50_000, start, 90_000);
        assert_eq!(rebaser.rewrite(66_000, 50_000, start), (1, 50_000));
        assert_eq!(rebaser.rewrite(66_001, 53_000, start), (2, 53_000));
        // A retransmission of an older packet maps back without moving the high-water mark.
        assert_eq!(rebaser.rewrite(65_999, 47_000, start), (0, 47_000));

        let later = start + Duration::from_millis(100);
        rebaser.switch_to(70_000, 7, later, 90_000);
        let (seq, time) = rebaser.rewrite(70_000, 7, later);
        assert_eq!(seq, 3);
        assert_eq!(time, 53_000 + 9_000);
        assert_eq!(rebaser.rewrite(70_001, 3_007, later), (4, 65_000));
    }

    #[test]
    fn timestamps_wrap_like_rtp() {
        let now = Instant::now();
        let mut rebaser = Rebaser::default();
        rebaser.switch_to(5, u32::MAX - 10, now, 48_000);
        rebaser.rewrite(5, u32::MAX - 10, now);
        rebaser.switch_to(9, 100, now + Duration::from_millis(20), 48_000);
        let (seq, time) = rebaser.rewrite(9, 100, now + Duration::from_millis(20));
        assert_eq!(seq, 2);
        assert_eq!(time, (u32::MAX - 10).wrapping_add(960));
    }
}
