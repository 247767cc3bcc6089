//! The room's WebSocket: JSON messages of [`protocol`] in both directions.

use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use protocol::{ClientMessage, ServerMessage};

pub struct Signal {
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Signal {
    /// Opens `path` on this page's host (`ws:` or `wss:` to match the page).
    pub fn open(
        path: &str,
        mut on_message: impl FnMut(ServerMessage) + 'static,
        mut on_close: impl FnMut(u16) + 'static,
    ) -> Result<Self, JsValue> {
        let location = web_sys::window().expect("a window").location();
        let scheme = if location.protocol()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        let socket = WebSocket::new(&format!("{scheme}://{}{path}", location.host()?))?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => on_message(message),
                Err(error) => leptos::logging::warn!("unreadable room message: {error}"),
            }
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            on_close(event.code());
        });
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            _on_message: on_message,
            _on_close: on_close,
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

    pub fn close(&self) {
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
