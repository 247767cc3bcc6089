//! The room's WebSocket: JSON messages of [`protocol`] in both directions.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use protocol::{close_code, ClientMessage, ServerMessage, IDLE_TIMEOUT_SECS};

/// How often the watchdog looks at when the server was last heard.
const WATCHDOG_EVERY_MS: i32 = 5_000;

type CloseHandler = Rc<RefCell<Box<dyn FnMut(u16)>>>;

pub struct Signal {
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    watchdog: Option<i32>,
    _watch: Closure<dyn FnMut()>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Signal {
    /// Opens `path` on this page's host (`ws:` or `wss:` to match the page). `on_close` gets
    /// the close code, once: the server's, or [`close_code::NOT_RESPONDING`] when the
    /// watchdog gives up on a silent connection.
    pub fn open(
        path: &str,
        mut on_message: impl FnMut(ServerMessage) + 'static,
        on_close: impl FnMut(u16) + 'static,
    ) -> Result<Self, JsValue> {
        let window = web_sys::window().expect("a window");
        let location = window.location();
        let scheme = if location.protocol()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let socket = WebSocket::new(&format!("{scheme}://{}{path}", location.host()?))?;
        let on_close: CloseHandler = Rc::new(RefCell::new(Box::new(on_close)));
        let closed = Rc::new(Cell::new(false));
        let last_heard = Rc::new(Cell::new(now_ms()));
        // Armed by the first ping: a server that never pings must not be taken for dead.
        let pinged = Rc::new(Cell::new(false));

        let on_message = {
            let (last_heard, pinged) = (last_heard.clone(), pinged.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                last_heard.set(now_ms());
                let Some(text) = event.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<ServerMessage>(&text) {
                    Ok(message) => {
                        if matches!(message, ServerMessage::Ping) {
                            pinged.set(true);
                        }
                        on_message(message)
                    }
                    Err(error) => leptos::logging::warn!("unreadable room message: {error}"),
                }
            })
        };
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        let report = {
            let (on_close, closed) = (on_close.clone(), closed.clone());
            move |code: u16| {
                if !closed.replace(true) {
                    (on_close.borrow_mut())(code);
                }
            }
        };
        let on_close_event = {
            let report = report.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| report(event.code()))
        };
        socket.set_onclose(Some(on_close_event.as_ref().unchecked_ref()));

        // A half-open connection (sleeping laptop, dead NAT entry) never fires `close`:
        // silence well past the ping interval means the link is gone.
        let watch = {
            let socket = socket.clone();
            Closure::<dyn FnMut()>::new(move || {
                let silent_ms = now_ms() - last_heard.get();
                if pinged.get() && silent_ms > (IDLE_TIMEOUT_SECS * 1000) as f64 {
                    socket.set_onclose(None);
                    let _ = socket.close();
                    report(close_code::NOT_RESPONDING);
                }
            })
        };
        let watchdog = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                watch.as_ref().unchecked_ref(),
                WATCHDOG_EVERY_MS,
            )
            .ok();
        Ok(Self {
            socket,
            _on_message: on_message,
            _on_close: on_close_event,
            watchdog,
            _watch: watch,
        })
    }

    /// Sends once the socket is open; messages sent while connecting wait for it.
    pub fn send(&self, message: &ClientMessage) {
        let text = serde_json::to_string(message).expect("client messages serialise");
        if self.socket.ready_state() == WebSocket::OPEN {
            let _ = self.socket.send_with_str(&text);
        } else {
            let socket = self.socket.clone();
            let once = Closure::once_into_js(move || {
                let _ = socket.send_with_str(&text);
            });
            let _ = self
                .socket
                .add_event_listener_with_callback("open", once.unchecked_ref());
        }
    }
}

/// Dropping the signal closes it without reporting the close: whoever replaced it knows.
impl Drop for Signal {
    fn drop(&mut self) {
        if let (Some(id), Some(window)) = (self.watchdog.take(), web_sys::window()) {
            window.clear_interval_with_handle(id);
        }
        self.socket.set_onclose(None);
        self.socket.set_onmessage(None);
        let _ = self.socket.close();
    }
}
