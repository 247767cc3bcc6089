//! Media that heals without a click: each peer connection's state is watched (its events, and
//! a slow tick for the time limits), and a link whose media path is gone is rebuilt: the
//! publisher from the same local tracks (`PublishOffer { restart: true }`), the subscriber by
//! asking the server for a fresh offer (`RestartSubscriber`). Rebuilds of one link back off
//! with the reconnect jitter, so a dead network does not spin.

use js_sys::Reflect;
use leptos::prelude::*;
use protocol::{reconnect_delay_ms, ClientMessage, MediaLink};
use wasm_bindgen::prelude::*;
use web_sys::RtcPeerConnection;

use super::client::Client;

/// A `disconnected` connection gets this long to come back by itself (Wi-Fi roaming, a short
/// loss burst) before it is rebuilt.
const DISCONNECTED_GRACE_MS: f64 = 3_000.0;
/// A new connection that has not connected by then is taken as failed.
const CONNECT_TIMEOUT_MS: f64 = 15_000.0;
/// The tick that applies the time limits between state-change events.
pub(super) const CHECK_EVERY_MS: i32 = 1_000;

/// What a peer connection's `connectionState` and `iceConnectionState` say together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkState {
    /// `new`, `connecting`, `checking`.
    Pending,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

pub(super) fn state_of(pc: &RtcPeerConnection) -> LinkState {
    // Read by name: a browser without `connectionState` has ICE say it all, and the ICE enum
    // binding needs a web-sys feature this crate does not enable.
    let read = |name: &str| {
        Reflect::get(pc, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let (connection, ice) = (read("connectionState"), read("iceConnectionState"));
    match (connection.as_str(), ice.as_str()) {
        ("closed", _) | (_, "closed") => LinkState::Closed,
        ("failed", _) | (_, "failed") => LinkState::Failed,
        ("disconnected", _) | (_, "disconnected") => LinkState::Disconnected,
        ("connected", _) | ("", "connected" | "completed") => LinkState::Connected,
        _ => LinkState::Pending,
    }
}

/// One link's recent history, and the decision to rebuild it.
#[derive(Debug, Default)]
pub(super) struct LinkHealth {
    /// When the current connection (or the rebuild waiting for one) started, in ms.
    since: f64,
    connected_once: bool,
    disconnected_at: Option<f64>,
    /// The server said the link failed.
    reported: bool,
    /// A rebuild the server has not caught up with yet: the connection's state says nothing
    /// (the old one is still there, or the new one has no answer), and a failure report was
    /// about the old one.
    awaiting: bool,
    /// Rebuilds since the link last connected.
    attempts: u32,
    /// No rebuild before this instant (backoff between rebuilds).
    not_before: f64,
}

impl LinkHealth {
    /// A new connection is in place: judge it from `now` (the backoff carries over).
    pub fn fresh(&mut self, now: f64) {
        self.since = now;
        self.connected_once = false;
        self.disconnected_at = None;
        self.reported = false;
        self.awaiting = false;
    }

    /// The server has yet to act on a rebuild (or on a first offer).
    pub fn awaiting(&mut self, now: f64) {
        self.since = now;
        self.reported = false;
        self.awaiting = true;
    }

    /// The server answered: the connection's own state counts again.
    pub fn settled(&mut self) {
        self.awaiting = false;
    }

    /// The link is gone for good (left the stage, lost the socket).
    pub fn forget(&mut self) {
        *self = Self::default();
    }

    pub fn report(&mut self) {
        if !self.awaiting {
            self.reported = true;
        }
    }

    /// Whether to rebuild the link now, given its connection's `state`; a yes is counted
    /// against the backoff.
    pub fn should_rebuild(&mut self, state: LinkState, now: f64, unit_random: f64) -> bool {
        let broken = if self.awaiting {
            now - self.since >= CONNECT_TIMEOUT_MS
        } else {
            match state {
                LinkState::Connected => {
                    self.connected_once = true;
                    self.disconnected_at = None;
                    self.attempts = 0;
                    false
                }
                LinkState::Closed => false,
                LinkState::Failed => true,
                LinkState::Pending if !self.connected_once => {
                    now - self.since >= CONNECT_TIMEOUT_MS
                }
                // Disconnected, or checking again after having connected.
                LinkState::Disconnected | LinkState::Pending => {
                    now - *self.disconnected_at.get_or_insert(now) >= DISCONNECTED_GRACE_MS
                }
            }
        };
        if !(broken || self.reported) || now < self.not_before {
            return false;
        }
        self.not_before = now + f64::from(reconnect_delay_ms(self.attempts, unit_random));
        self.attempts += 1;
        self.reported = false;
        true
    }
}

/// Both links of a page.
#[derive(Debug, Default)]
pub(super) struct Healing {
    publisher: LinkHealth,
    subscriber: LinkHealth,
}

impl Healing {
    pub fn link(&mut self, link: MediaLink) -> &mut LinkHealth {
        match link {
            MediaLink::Publisher => &mut self.publisher,
            MediaLink::Subscriber => &mut self.subscriber,
        }
    }
}

/// Points a connection's state-change events at `handler`.
pub(super) fn watch(pc: &RtcPeerConnection, handler: &js_sys::Function) {
    pc.set_onconnectionstatechange(Some(handler));
    pc.set_oniceconnectionstatechange(Some(handler));
}

/// Closes a connection that is being replaced or dropped; no event of it reaches us after.
pub(super) fn retire(pc: &RtcPeerConnection) {
    pc.set_onconnectionstatechange(None);
    pc.set_oniceconnectionstatechange(None);
    pc.set_ontrack(None);
    pc.close();
}

pub(super) fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Client {
    /// Looks at both links and rebuilds what is broken (from state events and the tick).
    pub(super) fn check_media(&self) {
        if self.ui.me.get_untracked().is_none() {
            return;
        }
        let now = now_ms();
        for link in [MediaLink::Publisher, MediaLink::Subscriber] {
            let Some(pc) = self.connection_of(link) else {
                continue;
            };
            let state = state_of(&pc);
            let rebuild = self.healing.borrow_mut().link(link).should_rebuild(
                state,
                now,
                js_sys::Math::random(),
            );
            if rebuild {
                leptos::logging::warn!("rebuilding the {link:?} media connection ({state:?})");
                self.rebuild(link, now);
            }
        }
    }

    /// The server gave up on one of our links.
    pub(super) fn media_failed(&self, link: MediaLink) {
        self.healing.borrow_mut().link(link).report();
        self.check_media();
    }

    fn rebuild(&self, link: MediaLink, now: f64) {
        match link {
            MediaLink::Publisher => self.rc().restart_publishing(),
            MediaLink::Subscriber => {
                // The old connection stays until the new offer replaces it.
                self.healing.borrow_mut().subscriber.awaiting(now);
                self.send(&ClientMessage::RestartSubscriber);
            }
        }
    }

    /// Starts the tick that applies the time limits; it ends with the page's room.
    pub(super) fn start_health_checks(&self) {
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = this.upgrade() {
                client.check_media();
            }
        });
        let window = web_sys::window().expect("a window");
        let id = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                CHECK_EVERY_MS,
            )
            .ok();
        self.health_timer.set(id);
        *self.health_tick.borrow_mut() = Some(tick);
    }

    pub(super) fn stop_health_checks(&self) {
        if let (Some(id), Some(window)) = (self.health_timer.take(), web_sys::window()) {
            window.clear_interval_with_handle(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected(now: f64) -> LinkHealth {
        let mut link = LinkHealth::default();
        link.fresh(now);
        assert!(!link.should_rebuild(LinkState::Connected, now, 0.5));
        link
    }

    #[test]
    fn a_short_disconnection_heals_by_itself() {
        let mut link = connected(0.0);
        assert!(!link.should_rebuild(LinkState::Disconnected, 1_000.0, 0.5));
        assert!(!link.should_rebuild(LinkState::Disconnected, 3_500.0, 0.5));
        assert!(!link.should_rebuild(LinkState::Connected, 3_900.0, 0.5));
        // A later, separate blip gets its own grace.
        assert!(!link.should_rebuild(LinkState::Disconnected, 10_000.0, 0.5));
        assert!(!link.should_rebuild(LinkState::Disconnected, 12_000.0, 0.5));
    }

    #[test]
    fn a_long_disconnection_or_failure_rebuilds() {
        let mut link = connected(0.0);
        assert!(!link.should_rebuild(LinkState::Disconnected, 1_000.0, 0.5));
        assert!(link.should_rebuild(LinkState::Disconnected, 4_000.0, 0.5));
        let mut link = connected(0.0);
        assert!(link.should_rebuild(LinkState::Failed, 100.0, 0.5));
    }

    #[test]
    fn rebuilds_back_off_until_the_link_connects() {
        let mut link = connected(0.0);
        assert!(link.should_rebuild(LinkState::Failed, 1_000.0, 0.999));
        link.fresh(1_000.0);
        // The new connection fails at once: the second rebuild waits for the backoff.
        assert!(!link.should_rebuild(LinkState::Failed, 1_100.0, 0.999));
        assert!(link.should_rebuild(LinkState::Failed, 1_600.0, 0.999));
        link.fresh(1_600.0);
        assert!(!link.should_rebuild(LinkState::Failed, 2_400.0, 0.999));
        assert!(link.should_rebuild(LinkState::Failed, 2_700.0, 0.999));
        link.fresh(2_700.0);
        assert!(!link.should_rebuild(LinkState::Connected, 3_000.0, 0.999));
        assert_eq!(link.attempts, 0, "connecting resets the backoff");
    }

    #[test]
    fn a_connection_that_never_connects_is_rebuilt_after_the_timeout() {
        let mut link = LinkHealth::default();
        link.fresh(0.0);
        assert!(!link.should_rebuild(LinkState::Pending, 10_000.0, 0.5));
        assert!(link.should_rebuild(LinkState::Pending, 15_000.0, 0.5));
    }

    #[test]
    fn reports_count_unless_a_rebuild_is_in_flight() {
        let mut link = connected(0.0);
        link.report();
        assert!(link.should_rebuild(LinkState::Connected, 500.0, 0.5));
        link.awaiting(500.0);
        // About the connection just replaced: ignored, and the old state no longer counts.
        link.report();
        assert!(!link.should_rebuild(LinkState::Failed, 5_000.0, 0.5));
        assert!(link.should_rebuild(LinkState::Failed, 15_500.0, 0.5));
    }
}
