//! Losing the signalling socket (a train tunnel, a laptop lid, a server restart) is not the
//! end: unless the server closed it for good, the client retries with jittered backoff (so a
//! restarted server's pages do not all come back at once) and, when it was in the room, joins
//! again where it was, without Set devices. The server has already let the old participant
//! go; the rejoined one gets fresh peer connections.

use leptos::prelude::*;
use room::MediaState;
use wasm_bindgen::prelude::*;

use super::client::Client;
use super::health::now_ms;
use super::signal::Signal;
use crate::pages::room::state::Phase;
use protocol::{close_code, reconnect_delay_ms, socket_path};

/// How long to keep trying before giving up and asking for a reload.
const GIVE_UP_AFTER_MS: f64 = 120_000.0;

impl Client {
    /// Opens the signalling socket; its loss starts [`Client::connection_lost`].
    pub(super) fn connect(&self) {
        if matches!(self.ui.phase.get_untracked(), Phase::Ended(_)) {
            return;
        }
        let on_message = {
            let this = self.this.clone();
            move |message| {
                if let Some(client) = this.upgrade() {
                    client.on_message(message);
                }
            }
        };
        let on_close = {
            let this = self.this.clone();
            move |code| {
                if let Some(client) = this.upgrade() {
                    client.socket_closed(code);
                }
            }
        };
        let mut path = socket_path(self.container_id);
        if let Some(token) = &self.invite {
            path.push_str("&invite=");
            path.push_str(&String::from(js_sys::encode_uri_component(token)));
        }
        match Signal::open(&path, on_message, on_close) {
            Ok(signal) => self.replace_signal(Some(signal)),
            Err(_) => self.connection_lost(),
        }
    }

    fn socket_closed(&self, code: u16) {
        if close_code::should_reconnect(code) {
            self.connection_lost();
        } else if !matches!(self.ui.phase.get_untracked(), Phase::Ended(_)) {
            // A session that ended sent `closed` first (the page has ended already); this is
            // the server refusing the connection for good.
            self.end("The room closed the connection. Reload the page to enter again.");
        }
    }

    /// The connection works (a ping, or a rejoin went through): a later loss starts over.
    pub(super) fn connection_healthy(&self) {
        self.attempts.set(0);
        self.lost_since.set(None);
    }

    fn connection_lost(&self) {
        let ui = self.ui;
        let phase = ui.phase.get_untracked();
        if matches!(phase, Phase::Ended(_)) {
            return;
        }
        self.replace_signal(None);
        let now = now_ms();
        let since = self.lost_since.get().unwrap_or(now);
        self.lost_since.set(Some(since));
        if now - since >= GIVE_UP_AFTER_MS {
            self.end("The connection to the room was lost. Reload the page to enter again.");
            return;
        }
        // Lost again before a rejoin went through: `resume` still holds where we were.
        if let (Phase::InRoom, Some(seat)) = (&phase, ui.my_seat_untracked()) {
            let mut media = if seat == room::Seat::Stage {
                ui.media.get_untracked()
            } else {
                MediaState::OFF
            };
            // The share ends with its connection; sharing again takes the person's own pick.
            media.screen = false;
            ui.media.set(media);
            self.resume.set(Some((seat, media)));
        }
        // Pending stage requests and invitations belonged to the participant that is gone.
        ui.invited.set(false);
        ui.requested.set(false);
        self.drop_connections();
        ui.notice.set(Some(
            "The connection to the room was lost. Reconnecting…".into(),
        ));
        let attempt = self.attempts.get();
        self.attempts.set(attempt + 1);
        let delay = reconnect_delay_ms(attempt, js_sys::Math::random());
        self.schedule_retry(i32::try_from(delay).unwrap_or(i32::MAX));
    }

    fn schedule_retry(&self, delay_ms: i32) {
        self.cancel_retry();
        let this = self.this.clone();
        let retry = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = this.upgrade() {
                client.retry_timer.set(None);
                client.connect();
            }
        });
        let window = web_sys::window().expect("a window");
        let id = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                retry.as_ref().unchecked_ref(),
                delay_ms,
            )
            .ok();
        self.retry_timer.set(id);
        *self.retry.borrow_mut() = Some(retry);
    }

    /// No retry fires after this (the page ended, or another was scheduled).
    pub(super) fn cancel_retry(&self) {
        if let (Some(id), Some(window)) = (self.retry_timer.take(), web_sys::window()) {
            window.clear_timeout_with_handle(id);
        }
    }
}
