//! What the recording shows, as the stage showed it: a screen share when there is one, else
//! the pinned participant, else the active speaker, else whoever still has a camera on, else
//! the still frame (`None`). Following the speaker has hysteresis: a new speaker takes over
//! only after leading for [`SPEAKER_LEAD`] and once the current view has been up for
//! [`MIN_SHOWN`], so a cough does not cut the picture. A view that is gone is left at once.

use std::time::{Duration, Instant};

use protocol::Source;
use room::ParticipantId;

pub const SPEAKER_LEAD: Duration = Duration::from_millis(1500);
pub const MIN_SHOWN: Duration = Duration::from_secs(3);

/// One video on the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct View {
    pub participant: ParticipantId,
    pub source: Source,
}

/// The stage now.
#[derive(Clone, Debug, Default)]
pub struct Stage {
    /// Participants sending a screen share, oldest share first.
    pub screens: Vec<ParticipantId>,
    /// Participants sending camera video.
    pub cameras: Vec<ParticipantId>,
    pub pinned: Option<ParticipantId>,
    /// Latest speaker first (the SFU's Speakers event).
    pub speakers: Vec<ParticipantId>,
}

impl Stage {
    fn live(&self, view: View) -> bool {
        match view.source {
            Source::Screen => self.screens.contains(&view.participant),
            _ => self.cameras.contains(&view.participant),
        }
    }
}

#[derive(Default)]
pub struct Layout {
    shown: Option<View>,
    shown_since: Option<Instant>,
    /// A speaker wanting the view, since when.
    challenger: Option<(View, Instant)>,
}

impl Layout {
    /// Decides the view at `now`.
    pub fn choose(&mut self, stage: &Stage, now: Instant) -> Option<View> {
        let camera = |participant| View {
            participant,
            source: Source::Camera,
        };
        let current = self.shown.filter(|&v| stage.live(v));
        let wanted = if let Some(&first) = stage.screens.first() {
            // A share keeps the view while it lasts, even when another one starts.
            Some(
                current
                    .filter(|v| v.source == Source::Screen)
                    .unwrap_or(View {
                        participant: first,
                        source: Source::Screen,
                    }),
            )
        } else if let Some(pinned) = stage.pinned.filter(|p| stage.cameras.contains(p)) {
            Some(camera(pinned))
        } else {
            let speaker = stage
                .speakers
                .iter()
                .copied()
                .find(|p| stage.cameras.contains(p))
                .map(camera);
            match (current, speaker) {
                (Some(current), Some(speaker)) if current != speaker => {
                    let (challenger, since) = match self.challenger {
                        Some((v, since)) if v == speaker => (v, since),
                        _ => (speaker, now),
                    };
                    self.challenger = Some((challenger, since));
                    let shown_long = self
                        .shown_since
                        .is_none_or(|at| now.duration_since(at) >= MIN_SHOWN);
                    let leads_long = now.duration_since(since) >= SPEAKER_LEAD;
                    Some(if shown_long && leads_long {
                        speaker
                    } else {
                        current
                    })
                }
                (Some(current), _) => {
                    self.challenger = None;
                    Some(current)
                }
                (None, Some(speaker)) => Some(speaker),
                (None, None) => stage.cameras.first().copied().map(camera),
            }
        };
        if wanted != self.shown {
            self.shown = wanted;
            self.shown_since = Some(now);
            self.challenger = None;
        }
        wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ParticipantId = ParticipantId(1);
    const B: ParticipantId = ParticipantId(2);

    fn cam(p: ParticipantId) -> Option<View> {
        Some(View {
            participant: p,
            source: Source::Camera,
        })
    }

    #[test]
    fn screen_beats_pin_beats_speaker_and_nothing_gives_the_still_frame() {
        let now = Instant::now();
        let mut layout = Layout::default();
        assert_eq!(layout.choose(&Stage::default(), now), None);
        let mut stage = Stage {
            cameras: vec![A, B],
            speakers: vec![B],
            ..Stage::default()
        };
        assert_eq!(layout.choose(&stage, now), cam(B));
        stage.pinned = Some(A);
        assert_eq!(layout.choose(&stage, now), cam(A), "a pin applies at once");
        stage.screens = vec![B];
        let screen = Some(View {
            participant: B,
            source: Source::Screen,
        });
        assert_eq!(layout.choose(&stage, now), screen);
        stage.screens = vec![A, B];
        assert_eq!(layout.choose(&stage, now), screen, "the shown share stays");
    }

    #[test]
    fn the_speaker_view_switches_only_after_a_lead_and_a_minimum_showing() {
        let t0 = Instant::now();
        let mut layout = Layout::default();
        let mut stage = Stage {
            cameras: vec![A, B],
            speakers: vec![A],
            ..Stage::default()
        };
        assert_eq!(layout.choose(&stage, t0), cam(A));
        // B speaks briefly: no cut.
        stage.speakers = vec![B, A];
        assert_eq!(layout.choose(&stage, t0 + Duration::from_secs(1)), cam(A));
        stage.speakers = vec![A, B];
        assert_eq!(layout.choose(&stage, t0 + Duration::from_secs(2)), cam(A));
        // B leads from 4 s on: after the lead (5.5 s) the view follows.
        stage.speakers = vec![B, A];
        assert_eq!(layout.choose(&stage, t0 + Duration::from_secs(4)), cam(A));
        assert_eq!(
            layout.choose(&stage, t0 + Duration::from_millis(5_000)),
            cam(A)
        );
        assert_eq!(
            layout.choose(&stage, t0 + Duration::from_millis(5_600)),
            cam(B)
        );
        // A answers at once: B has not been shown for MIN_SHOWN yet.
        stage.speakers = vec![A, B];
        assert_eq!(
            layout.choose(&stage, t0 + Duration::from_millis(7_200)),
            cam(B)
        );
        assert_eq!(
            layout.choose(&stage, t0 + Duration::from_millis(8_700)),
            cam(A)
        );
    }

    #[test]
    fn a_view_that_goes_is_left_at_once() {
        let now = Instant::now();
        let mut layout = Layout::default();
        let mut stage = Stage {
            cameras: vec![A, B],
            speakers: vec![A],
            ..Stage::default()
        };
        assert_eq!(layout.choose(&stage, now), cam(A));
        stage.cameras = vec![B];
        assert_eq!(
            layout.choose(&stage, now),
            cam(B),
            "the camera left: no wait"
        );
        stage.cameras.clear();
        assert_eq!(layout.choose(&stage, now), None);
    }
}
