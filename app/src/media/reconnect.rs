//! Losing the signalling socket (a train tunnel, a laptop lid) is not the end: the client
//! retries with backoff and, when it was in the room, joins again where it was, without
//! Set devices. The server has already let the old participant go.

use leptos::prelude::*;
use room::MediaState;
use wasm_bindgen::prelude::*;

use super::client::Client;
use super::signal::Signal;
use crate::pages::room::state::Phase;
use protocol::socket_path;

/// Attempts before giving up (about a minute with the backoff below).
const MAX_ATTEMPTS: u32 = 8;

fn backoff_ms(attempt: u32) -> i32 {
    (500 * 2_i32.pow(attempt.min(4))).min(8_000)
}

impl Client {
    /// Opens the signalling socket; its loss starts [`Client::connection_lost`].
    pub(super) fn connect(&self) {
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
            move |_code| {
                if let Some(client) = this.upgrade() {
                    client.connection_lost();
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

    fn connection_lost(&self) {
        let ui = self.ui;
        let phase = ui.phase.get_untracked();
        if matches!(phase, Phase::Ended(_)) {
            return;
        }
        let attempt = self.attempts.get();
        if attempt >= MAX_ATTEMPTS {
            self.end("The connection to the room was lost. Reload the page to enter again.");
            return;
        }
        self.attempts.set(attempt + 1);
        if phase == Phase::InRoom {
            let seat = ui.my_seat_untracked().unwrap_or_default();
            let media = if seat == room::Seat::Stage {
                ui.media.get_untracked()
            } else {
                MediaState::OFF
            };
            self.resume.set(Some((seat, media)));
            self.drop_connections();
        }
        ui.notice.set(Some(
            "The connection to the room was lost. Reconnecting…".into(),
        ));
        let this = self.this.clone();
        let retry = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = this.upgrade() {
                client.connect();
            }
        });
        let window = web_sys::window().expect("a window");
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            retry.as_ref().unchecked_ref(),
            backoff_ms(attempt),
        );
        *self.retry.borrow_mut() = Some(retry);
    }
}
