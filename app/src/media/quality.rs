//! Link quality in the room, from the browser's own `getStats()`: every two seconds the
//! receiving connection's inbound videos (loss over the interval, jitter, frame rate) and
//! both connections' round trip, and the publishing connection's loss as the server reports
//! it back (remote-inbound-rtp). Each received video gets Good, Fair or Poor with the reason;
//! the top bar gets the worst of everything. The thresholds are in [`classify`], a pure
//! function tested natively.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::Reflect;
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{MediaLink, Source};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

use super::client::Client;
use crate::pages::room::connectivity::{LinkQuality, QualityLevel};

const SAMPLE_EVERY_MS: i32 = 2_000;
/// Loss over an interval with fewer packets says nothing (one lost of three is not 33 %).
const MIN_PACKETS_FOR_LOSS: f64 = 20.0;
const LOSS_FAIR: f64 = 0.03;
const LOSS_POOR: f64 = 0.10;
const RTT_FAIR_MS: f64 = 250.0;
const RTT_POOR_MS: f64 = 400.0;
const JITTER_FAIR_MS: f64 = 40.0;
const JITTER_POOR_MS: f64 = 100.0;
const FPS_FAIR: f64 = 12.0;
const FPS_POOR: f64 = 6.0;

/// What one sample says about a link; `None` where the statistics said nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Fraction of packets lost, 0.0 to 1.0.
    pub loss: Option<f64>,
    pub round_trip_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    /// Only for cameras: a still screen share legitimately sends a frame now and then.
    pub frames_per_second: Option<f64>,
}

/// Good, Fair (amber) or Poor (red), with every reason at the worst level found.
pub fn classify(metrics: &Metrics) -> LinkQuality {
    let grade = |value: f64, fair: f64, poor: f64| {
        if value >= poor {
            QualityLevel::Poor
        } else if value >= fair {
            QualityLevel::Fair
        } else {
            QualityLevel::Good
        }
    };
    let mut findings: Vec<(QualityLevel, String)> = Vec::new();
    if let Some(loss) = metrics.loss {
        let percent = (loss * 100.0).round();
        findings.push((
            grade(loss, LOSS_FAIR, LOSS_POOR),
            format!("{percent:.0}% packets lost"),
        ));
    }
    if let Some(ms) = metrics.round_trip_ms {
        findings.push((
            grade(ms, RTT_FAIR_MS, RTT_POOR_MS),
            format!("round trip {ms:.0} ms"),
        ));
    }
    if let Some(ms) = metrics.jitter_ms {
        findings.push((
            grade(ms, JITTER_FAIR_MS, JITTER_POOR_MS),
            format!("jitter {ms:.0} ms"),
        ));
    }
    if let Some(fps) = metrics.frames_per_second {
        // Fewer frames is worse: grade the shortfall.
        let level = if fps < FPS_POOR {
            QualityLevel::Poor
        } else if fps < FPS_FAIR {
            QualityLevel::Fair
        } else {
            QualityLevel::Good
        };
        findings.push((level, format!("{fps:.0} frames per second")));
    }
    let level = findings
        .iter()
        .map(|(level, _)| *level)
        .max()
        .unwrap_or_default();
    let reason = if level == QualityLevel::Good {
        String::new()
    } else {
        findings
            .into_iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, why)| why)
            .collect::<Vec<_>>()
            .join(", ")
    };
    LinkQuality { level, reason }
}

/// Loss between two cumulative (packetsLost, packetsReceived) readings; `None` when too few
/// packets passed to tell (or the counters restarted).
pub fn loss_between(before: Option<(f64, f64)>, now: (f64, f64)) -> Option<f64> {
    let (lost_before, received_before) = before?;
    // Duplicates can make packetsLost go down: a negative loss is no loss.
    let lost = (now.0 - lost_before).max(0.0);
    let received = now.1 - received_before;
    if received < 0.0 || lost + received < MIN_PACKETS_FOR_LOSS {
        return None;
    }
    Some(lost / (lost + received))
}

/// The worst of several qualities (`None` when there is none).
pub fn worst(qualities: impl IntoIterator<Item = LinkQuality>) -> Option<LinkQuality> {
    qualities.into_iter().max_by_key(|q| q.level)
}

/// The sampler's memory between ticks.
#[derive(Default)]
pub(super) struct Sampler {
    timer: Cell<Option<i32>>,
    tick: RefCell<Option<Closure<dyn FnMut()>>>,
    busy: Cell<bool>,
    /// The receiving connection the counters below belong to.
    receiving: RefCell<Option<RtcPeerConnection>>,
    /// (packetsLost, packetsReceived) per mid at the last tick.
    counters: RefCell<HashMap<String, (f64, f64)>>,
}

impl Client {
    pub(super) fn start_quality(&self) {
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            let Some(client) = this.upgrade() else {
                return;
            };
            // A slow getStats() must not pile ticks up.
            if client.quality.busy.replace(true) {
                return;
            }
            spawn_local(async move {
                client.sample_quality().await;
                client.quality.busy.set(false);
            });
        });
        if let Some(window) = web_sys::window() {
            if let Ok(id) = window.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                SAMPLE_EVERY_MS,
            ) {
                self.quality.timer.set(Some(id));
            }
        }
        *self.quality.tick.borrow_mut() = Some(tick);
    }

    pub(super) fn stop_quality(&self) {
        if let (Some(id), Some(window)) = (self.quality.timer.take(), web_sys::window()) {
            window.clear_interval_with_handle(id);
        }
        self.quality.tick.borrow_mut().take();
        // Also called while the page tears the room down: its signals may be gone.
        self.ui.link_quality.try_set(Vec::new());
        self.ui.overall_quality.try_set(None);
    }

    async fn sample_quality(&self) {
        let mut overall = Vec::new();
        let mut tiles = Vec::new();
        if let Some(pc) = self.connection_of(MediaLink::Subscriber) {
            if self.quality.receiving.borrow().as_ref() != Some(&pc) {
                self.quality.counters.borrow_mut().clear();
                *self.quality.receiving.borrow_mut() = Some(pc.clone());
            }
            let reports = stats(&pc).await;
            let round_trip_ms = selected_pair(&reports)
                .and_then(|pair| number(&pair, "currentRoundTripTime"))
                .map(|s| s * 1000.0);
            let slots = self.ui.video_slots.try_get_untracked().unwrap_or_default();
            let mut counters = self.quality.counters.borrow_mut();
            for report in reports.iter().filter(|r| {
                text(r, "type").as_deref() == Some("inbound-rtp")
                    && text(r, "kind").as_deref() == Some("video")
            }) {
                let Some(mid) = text(report, "mid") else {
                    continue;
                };
                // Only transceivers showing someone now.
                let Some(slot) = slots.iter().find(|s| s.mid == mid) else {
                    continue;
                };
                let now = (
                    number(report, "packetsLost").unwrap_or(0.0),
                    number(report, "packetsReceived").unwrap_or(0.0),
                );
                let loss = loss_between(counters.insert(mid.clone(), now), now);
                let metrics = Metrics {
                    loss,
                    round_trip_ms,
                    jitter_ms: number(report, "jitter").map(|s| s * 1000.0),
                    frames_per_second: (slot.source == Source::Camera)
                        .then(|| number(report, "framesPerSecond"))
                        .flatten(),
                };
                let quality = classify(&metrics);
                overall.push(quality.clone());
                tiles.push((mid, quality));
            }
            overall.push(classify(&Metrics {
                round_trip_ms,
                ..Metrics::default()
            }));
        }
        if let Some(pc) = self.connection_of(MediaLink::Publisher) {
            let reports = stats(&pc).await;
            // The server's receiver reports: what our outgoing media lost on its way.
            for report in reports
                .iter()
                .filter(|r| text(r, "type").as_deref() == Some("remote-inbound-rtp"))
            {
                overall.push(classify(&Metrics {
                    loss: number(report, "fractionLost"),
                    round_trip_ms: number(report, "roundTripTime").map(|s| s * 1000.0),
                    ..Metrics::default()
                }));
            }
        }
        // Set only on change: every tile and the top bar read these. The page may have left
        // meanwhile; its signals then are gone (hence `try_`).
        let ui = self.ui;
        if ui.link_quality.try_with_untracked(|q| *q != tiles) == Some(true) {
            ui.link_quality.try_set(tiles);
        }
        let overall = worst(overall);
        if ui.overall_quality.try_with_untracked(|q| *q != overall) == Some(true) {
            ui.overall_quality.try_set(overall);
        }
    }
}

/// Every report of `pc.getStats()` (empty when it fails).
pub(super) async fn stats(pc: &RtcPeerConnection) -> Vec<JsValue> {
    let Ok(report) = JsFuture::from(pc.get_stats()).await else {
        return Vec::new();
    };
    let Ok(Some(entries)) = js_sys::try_iter(&report) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| Reflect::get(&entry, &JsValue::from(1)).ok())
        .collect()
}

pub(super) fn text(report: &JsValue, name: &str) -> Option<String> {
    Reflect::get(report, &name.into()).ok()?.as_string()
}

pub(super) fn number(report: &JsValue, name: &str) -> Option<f64> {
    Reflect::get(report, &name.into()).ok()?.as_f64()
}

/// The candidate pair ICE uses now: the transport's selected one (Chromium), else the one
/// flagged `selected` (Firefox), else a nominated pair that succeeded.
pub(super) fn selected_pair(reports: &[JsValue]) -> Option<JsValue> {
    let of_type = |kind: &'static str| {
        reports
            .iter()
            .filter(move |r| text(r, "type").as_deref() == Some(kind))
    };
    let by_id = |id: &str| {
        of_type("candidate-pair")
            .find(|r| text(r, "id").as_deref() == Some(id))
            .cloned()
    };
    of_type("transport")
        .find_map(|t| text(t, "selectedCandidatePairId"))
        .and_then(|id| by_id(&id))
        .or_else(|| {
            of_type("candidate-pair")
                .find(|p| {
                    Reflect::get(p, &"selected".into()).ok() == Some(JsValue::TRUE)
                        || (Reflect::get(p, &"nominated".into()).ok() == Some(JsValue::TRUE)
                            && text(p, "state").as_deref() == Some("succeeded"))
                })
                .cloned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_round_trip_and_frame_rate_grade_a_link_with_the_reason() {
        let good = classify(&Metrics {
            loss: Some(0.0),
            round_trip_ms: Some(20.0),
            jitter_ms: Some(5.0),
            frames_per_second: Some(20.0),
        });
        assert_eq!(good.level, QualityLevel::Good);
        assert_eq!(good.describe(), "Good connection");

        let lossy = classify(&Metrics {
            loss: Some(0.12),
            round_trip_ms: Some(300.0),
            ..Metrics::default()
        });
        assert_eq!(lossy.level, QualityLevel::Poor);
        assert_eq!(lossy.reason, "12% packets lost", "only the worst reasons");

        let slow = classify(&Metrics {
            round_trip_ms: Some(450.0),
            frames_per_second: Some(4.0),
            ..Metrics::default()
        });
        assert_eq!(slow.level, QualityLevel::Poor);
        assert_eq!(slow.reason, "round trip 450 ms, 4 frames per second");

        let amber = classify(&Metrics {
            loss: Some(0.05),
            jitter_ms: Some(10.0),
            ..Metrics::default()
        });
        assert_eq!(amber.level, QualityLevel::Fair);
        assert_eq!(amber.describe(), "Fair connection: 5% packets lost");
        assert_eq!(
            classify(&Metrics {
                frames_per_second: Some(10.0),
                ..Metrics::default()
            })
            .level,
            QualityLevel::Fair
        );
        assert_eq!(
            classify(&Metrics {
                jitter_ms: Some(150.0),
                ..Metrics::default()
            })
            .reason,
            "jitter 150 ms"
        );
        assert_eq!(classify(&Metrics::default()).level, QualityLevel::Good);
    }

    #[test]
    fn loss_is_measured_between_samples_and_only_on_enough_packets() {
        assert_eq!(loss_between(None, (5.0, 100.0)), None, "first sample");
        assert_eq!(loss_between(Some((0.0, 100.0)), (12.0, 188.0)), Some(0.12));
        assert_eq!(
            loss_between(Some((0.0, 100.0)), (1.0, 102.0)),
            None,
            "3 packets"
        );
        assert_eq!(
            loss_between(Some((10.0, 100.0)), (8.0, 150.0)),
            Some(0.0),
            "duplicates lowered packetsLost"
        );
        assert_eq!(
            loss_between(Some((0.0, 500.0)), (0.0, 40.0)),
            None,
            "restarted"
        );
    }

    #[test]
    fn the_overall_quality_is_the_worst_link() {
        let q = |level| LinkQuality {
            level,
            reason: format!("{level:?}"),
        };
        let overall = worst([
            q(QualityLevel::Fair),
            q(QualityLevel::Poor),
            q(QualityLevel::Good),
        ]);
        assert_eq!(overall.map(|q| q.level), Some(QualityLevel::Poor));
        assert_eq!(worst(Vec::new()), None);
    }
}
