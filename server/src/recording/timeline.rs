//! One timeline for every stream of a recording. RTCP sender reports pair a stream's RTP clock
//! with its sender's wall clock (NTP); a sender's audio and video share that wall clock, so
//! mapping both through it keeps them in sync whatever their RTP offsets. The sender's clock
//! is put onto the server's once per sender (at its first report, one-way delay included),
//! and that one offset serves all its streams. Before a stream's first report its packets
//! are placed by arrival time.

use std::collections::HashMap;

/// A sender report: the sender's wall clock (seconds since the Unix epoch) at RTP time `rtp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SenderReport {
    pub ntp_secs: f64,
    pub rtp: u32,
}

#[derive(Clone, Copy, Debug)]
struct Anchor {
    rtp: u32,
    /// Server wall-clock seconds of `rtp`.
    at: f64,
}

#[derive(Default)]
pub struct Timeline {
    /// Server clock minus sender clock, per sender.
    offsets: HashMap<u64, f64>,
    streams: HashMap<u32, Anchor>,
}

/// Seconds from `from` to `to` on a `rate` Hz RTP clock, across the 32-bit wrap-around.
fn rtp_secs(from: u32, to: u32, rate: u32) -> f64 {
    f64::from(to.wrapping_sub(from) as i32) / f64::from(rate)
}

impl Timeline {
    /// Server wall-clock seconds of RTP time `rtp` of stream `ssrc` (clock `rate`) from
    /// `sender`, which arrived at `arrival` (server seconds) carrying the stream's latest
    /// sender report, if any.
    pub fn place(
        &mut self,
        sender: u64,
        ssrc: u32,
        rate: u32,
        rtp: u32,
        arrival: f64,
        report: Option<SenderReport>,
    ) -> f64 {
        if let Some(report) = report {
            let sender_time = report.ntp_secs + rtp_secs(report.rtp, rtp, rate);
            let offset = *self
                .offsets
                .entry(sender)
                .or_insert_with(|| arrival - sender_time);
            // Re-anchored at every report, so the two clocks' drift never builds up.
            let anchor = Anchor {
                rtp: report.rtp,
                at: report.ntp_secs + offset,
            };
            self.streams.insert(ssrc, anchor);
            return anchor.at + rtp_secs(anchor.rtp, rtp, rate);
        }
        let anchor = *self
            .streams
            .entry(ssrc)
            .or_insert(Anchor { rtp, at: arrival });
        anchor.at + rtp_secs(anchor.rtp, rtp, rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIDEO: u32 = 11;
    const AUDIO: u32 = 22;

    #[test]
    fn audio_and_video_of_one_sender_line_up_through_their_reports() {
        let mut timeline = Timeline::default();
        // The sender's clock is 100 s behind the server's; its streams start at unrelated
        // RTP times, and the audio packet arrives 70 ms later than the video one (jitter).
        let video_report = SenderReport {
            ntp_secs: 1_000.0,
            rtp: 4_000_000_000,
        };
        let audio_report = SenderReport {
            ntp_secs: 1_000.5,
            rtp: 123,
        };
        // Both captured at sender time 1001.0.
        let video_rtp = 4_000_000_000u32.wrapping_add(90_000);
        let audio_rtp = 123 + 24_000;
        let v = timeline.place(1, VIDEO, 90_000, video_rtp, 1_101.0, Some(video_report));
        let a = timeline.place(1, AUDIO, 48_000, audio_rtp, 1_101.07, Some(audio_report));
        assert!((v - 1_101.0).abs() < 1e-9, "{v}");
        assert!(
            (a - v).abs() < 1e-9,
            "one offset per sender keeps sync: {a} vs {v}"
        );
    }

    #[test]
    fn rtp_wrap_around_moves_forward() {
        let mut timeline = Timeline::default();
        let report = SenderReport {
            ntp_secs: 50.0,
            rtp: u32::MAX - 44_999,
        };
        let before = timeline.place(7, VIDEO, 90_000, u32::MAX - 44_999, 50.0, Some(report));
        let after = timeline.place(7, VIDEO, 90_000, 45_000, 51.0, Some(report));
        assert!((after - before - 1.0).abs() < 1e-9, "{before} → {after}");
    }

    #[test]
    fn streams_without_reports_follow_their_first_arrival_then_switch_to_reports() {
        let mut timeline = Timeline::default();
        let first = timeline.place(3, AUDIO, 48_000, 1_000, 10.0, None);
        let later = timeline.place(3, AUDIO, 48_000, 1_000 + 48_000, 10.9, None);
        assert_eq!(first, 10.0);
        assert!(
            (later - 11.0).abs() < 1e-9,
            "RTP time, not arrival: {later}"
        );
        let report = SenderReport {
            ntp_secs: 500.0,
            rtp: 1_000 + 96_000,
        };
        let reported = timeline.place(3, AUDIO, 48_000, 1_000 + 96_000, 12.0, Some(report));
        assert!((reported - 12.0).abs() < 1e-9);
    }
}
