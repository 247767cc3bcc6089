//! A bare room socket for tests that act as hostile clients would.

use futures_util::{SinkExt, StreamExt};
use protocol::{socket_path, ClientMessage, ServerMessage};
use room::{MediaState, Seat};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::{LiveServer, PATIENCE};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A bare room socket, driven message by message, the way a hostile client would.
pub struct Raw {
    pub socket: Socket,
}

impl Raw {
    pub async fn open(server: &LiveServer, cookie: &str, room: i64) -> Raw {
        Self::try_open(server, cookie, room)
            .await
            .expect("socket opens")
    }

    pub async fn try_open(server: &LiveServer, cookie: &str, room: i64) -> Option<Raw> {
        let url = format!(
            "{}{}",
            server.base_url.replacen("http", "ws", 1),
            socket_path(room)
        );
        let mut request = url.into_client_request().expect("request");
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("cookie"));
        let (socket, _) = tokio_tungstenite::connect_async(request).await.ok()?;
        Some(Raw { socket })
    }

    pub async fn send(&mut self, message: &ClientMessage) -> bool {
        let text = serde_json::to_string(message).expect("serialises");
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// The next room message; `None` once the socket is closed.
    pub async fn next(&mut self) -> Option<Result<ServerMessage, Option<CloseFrame>>> {
        loop {
            match tokio::time::timeout(PATIENCE, self.socket.next()).await {
                Err(_) => panic!("nothing from the server within {PATIENCE:?}"),
                Ok(Some(Ok(Message::Text(text)))) => {
                    let message: ServerMessage = serde_json::from_str(&text).expect("JSON");
                    if message == ServerMessage::Ping {
                        continue;
                    }
                    return Some(Ok(message));
                }
                Ok(Some(Ok(Message::Close(frame)))) => return Some(Err(frame)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => return None,
            }
        }
    }

    /// Reads until a message matches; panics if the socket closes first.
    pub async fn until(&mut self, found: impl Fn(&ServerMessage) -> bool) -> ServerMessage {
        loop {
            match self.next().await {
                Some(Ok(message)) if found(&message) => return message,
                Some(Ok(_)) => continue,
                other => panic!("socket closed while waiting: {other:?}"),
            }
        }
    }

    /// Reads to the server's close frame and returns its code; panics on anything odd.
    pub async fn close_code(&mut self) -> u16 {
        loop {
            match self.next().await {
                Some(Ok(_)) => continue,
                Some(Err(Some(frame))) => return frame.code.into(),
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Opens, takes the welcome, launches the room if it is closed (moderators), joins as
    /// `seat`.
    pub async fn join(server: &LiveServer, cookie: &str, room: i64, seat: Seat) -> Raw {
        let mut raw = Raw::open(server, cookie, room).await;
        let welcome = raw
            .until(|m| matches!(m, ServerMessage::Welcome { .. }))
            .await;
        if matches!(welcome, ServerMessage::Welcome { room } if !room.open) {
            assert!(raw.send(&ClientMessage::Launch).await);
            raw.until(|m| matches!(m, ServerMessage::Opened)).await;
        }
        let media = MediaState::OFF;
        assert!(raw.send(&ClientMessage::Join { seat, media }).await);
        raw.until(|m| matches!(m, ServerMessage::Joined { .. }))
            .await;
        raw
    }
}
