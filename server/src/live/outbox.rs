//! What the server has yet to write to one room socket. Bounded by messages and by bytes: a
//! client that stops reading fills it, and is then disconnected with a reason instead of
//! growing the server. Messages are serialised once and shared (a broadcast to 300 people is
//! one JSON string and 300 reference counts).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use protocol::{close_code, ServerMessage};
use tokio::sync::{mpsc, Notify};

/// Messages queued for one connection before it counts as not reading. A room's burst (a
/// join replaying 100 chat messages, Q&A and polls) is a handful of messages.
pub const MAX_QUEUED_MESSAGES: usize = 256;
/// Bytes queued for one connection before it counts as not reading.
pub const MAX_QUEUED_BYTES: usize = 1024 * 1024;

/// A message serialised once, to send to any number of connections.
#[derive(Clone, Debug)]
pub struct Wire(Utf8Bytes);

impl Wire {
    pub fn new(message: &ServerMessage) -> Self {
        Self(
            serde_json::to_string(message)
                .expect("server messages serialise")
                .into(),
        )
    }

    /// Its size in bytes, as counted against an outbox's bound.
    pub fn bytes(&self) -> usize {
        self.0.len()
    }

    pub fn text(&self) -> Utf8Bytes {
        self.0.clone()
    }
}

pub(super) enum Frame {
    Text(Wire),
    /// Ends the connection after everything queued before it (a `closed` message first).
    Close {
        code: u16,
        reason: &'static str,
    },
}

/// Why a connection is being cut short, out of band (ahead of anything queued).
#[derive(Clone, Copy, Debug)]
pub struct Abort {
    pub code: u16,
    pub reason: &'static str,
}

struct Shared {
    bytes: AtomicUsize,
    closing: AtomicBool,
    abort: Mutex<Option<Abort>>,
    aborted: Notify,
}

/// The sending side, held by the room's actor (and the SFU event pump through it).
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Frame>,
    shared: Arc<Shared>,
}

/// The connection's writer side.
pub(super) struct OutboxReceiver {
    frames: mpsc::Receiver<Frame>,
    shared: Arc<Shared>,
}

pub fn outbox() -> (Outbox, OutboxReceiver) {
    let (frames, receiver) = mpsc::channel(MAX_QUEUED_MESSAGES);
    let shared = Arc::new(Shared {
        bytes: AtomicUsize::new(0),
        closing: AtomicBool::new(false),
        abort: Mutex::new(None),
        aborted: Notify::new(),
    });
    (
        Outbox {
            frames,
            shared: shared.clone(),
        },
        OutboxReceiver {
            frames: receiver,
            shared,
        },
    )
}

impl Outbox {
    /// Queues one message; a connection over its bounds is aborted as too slow. Returns
    /// whether it was queued.
    pub fn send(&self, message: &ServerMessage) -> bool {
        self.send_wire(&Wire::new(message))
    }

    pub fn send_wire(&self, wire: &Wire) -> bool {
        if self.shared.closing.load(Ordering::Acquire) {
            return false;
        }
        let len = wire.bytes();
        if len > MAX_QUEUED_BYTES {
            // Our own fault, not the reader's: no message should be this big.
            tracing::error!(
                bytes = len,
                "a room message over the outbox bound was dropped"
            );
            return false;
        }
        let queued = self.shared.bytes.fetch_add(len, Ordering::AcqRel) + len;
        if queued > MAX_QUEUED_BYTES || self.frames.try_send(Frame::Text(wire.clone())).is_err() {
            self.shared.bytes.fetch_sub(len, Ordering::AcqRel);
            self.abort(
                close_code::TOO_SLOW,
                "too slow: messages were not being read",
            );
            return false;
        }
        true
    }

    /// Sends what is queued, then closes the socket (after a `closed` message). Nothing queued
    /// later goes out.
    pub fn close(&self, code: u16, reason: &'static str) {
        if self.shared.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.frames.try_send(Frame::Close { code, reason }).is_err() {
            // Full or gone: the client is not reading anyway.
            self.abort(code, reason);
        }
    }

    /// Closes the socket now, ahead of anything queued.
    pub fn abort(&self, code: u16, reason: &'static str) {
        self.shared.closing.store(true, Ordering::Release);
        let mut abort = self.shared.abort.lock().expect("abort slot");
        if abort.is_none() {
            *abort = Some(Abort { code, reason });
            self.shared.aborted.notify_one();
        }
    }

    pub fn is_closing(&self) -> bool {
        self.shared.closing.load(Ordering::Acquire)
    }
}

pub(super) enum Next {
    Text(Utf8Bytes),
    Close { code: u16, reason: &'static str },
    Gone,
}

impl OutboxReceiver {
    /// The next thing to write: an abort first, else the queue in order.
    pub(super) async fn next(&mut self) -> Next {
        if let Some(abort) = self.aborted() {
            return Next::Close {
                code: abort.code,
                reason: abort.reason,
            };
        }
        tokio::select! {
            biased;
            () = self.shared.aborted.notified() => self.next_after_abort(),
            frame = self.frames.recv() => match frame {
                Some(Frame::Text(wire)) => {
                    self.shared.bytes.fetch_sub(wire.bytes(), Ordering::AcqRel);
                    Next::Text(wire.text())
                }
                Some(Frame::Close { code, reason }) => Next::Close { code, reason },
                None => Next::Gone,
            },
        }
    }

    fn next_after_abort(&self) -> Next {
        match self.aborted() {
            Some(abort) => Next::Close {
                code: abort.code,
                reason: abort.reason,
            },
            None => Next::Gone,
        }
    }

    pub(super) fn aborted(&self) -> Option<Abort> {
        *self.shared.abort.lock().expect("abort slot")
    }

    /// Waits until the connection is aborted (to cut a slow write short).
    pub(super) async fn until_aborted(&self) -> Abort {
        loop {
            if let Some(abort) = self.aborted() {
                return abort;
            }
            self.shared.aborted.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(text: &str) -> ServerMessage {
        ServerMessage::error("x", text)
    }

    #[tokio::test]
    async fn a_reader_that_stops_reading_is_aborted_once_over_the_message_bound() {
        let (outbox, mut receiver) = outbox();
        for _ in 0..MAX_QUEUED_MESSAGES {
            assert!(outbox.send(&chat("hi")));
        }
        assert!(!outbox.send(&chat("one too many")));
        assert!(outbox.is_closing());
        match receiver.next().await {
            Next::Close { code, .. } => assert_eq!(code, close_code::TOO_SLOW),
            _ => panic!("the abort comes before anything queued"),
        }
    }

    #[tokio::test]
    async fn bytes_are_bounded_too() {
        let (outbox, _receiver) = outbox();
        let big = chat(&"x".repeat(300 * 1024));
        assert!(outbox.send(&big));
        assert!(outbox.send(&big));
        assert!(outbox.send(&big));
        assert!(
            !outbox.send(&big),
            "the fourth 300 KB message is over 1 MiB"
        );
    }

    #[tokio::test]
    async fn a_close_goes_out_after_what_was_queued_and_nothing_after_it() {
        let (outbox, mut receiver) = outbox();
        assert!(outbox.send(&chat("closed")));
        outbox.close(close_code::ENDED, "ended");
        assert!(!outbox.send(&chat("late")));
        assert!(matches!(receiver.next().await, Next::Text(_)));
        assert!(matches!(
            receiver.next().await,
            Next::Close {
                code: close_code::ENDED,
                ..
            }
        ));
    }
}
