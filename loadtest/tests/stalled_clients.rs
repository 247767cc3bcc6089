//! Clients that stop reading are let go and cost the server bounded memory. Its own test
//! binary: RSS is measured for the whole process, so no other test may run beside it.

mod common;

use std::time::{Duration, Instant};

use common::raw::{Raw, Socket};
use common::{start_server_with, LiveServer, ROOM};
use futures_util::{SinkExt, StreamExt};
use loadtest::sign_in;
use protocol::{socket_path, ClientMessage, ServerMessage};
use room::{ChatChannel, MediaState, Seat};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn chat(text: &str) -> ClientMessage {
    ClientMessage::Chat {
        channel: ChatChannel::Group,
        text: text.into(),
    }
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// A joined socket with a tiny receive window that never reads a byte after joining.
async fn never_reading(server: &LiveServer, cookie: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let address = server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let stream = socket.connect(address).await.unwrap();
    let url = format!(
        "{}{}",
        server.base_url.replacen("http", "ws", 1),
        socket_path(ROOM)
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .unwrap();
    let mut raw = Raw { socket };
    raw.until(|m| matches!(m, ServerMessage::Welcome { .. }))
        .await;
    raw.send(&ClientMessage::Join {
        seat: Seat::Viewer,
        media: MediaState::OFF,
    })
    .await;
    raw.until(|m| matches!(m, ServerMessage::Joined { .. }))
        .await;
    raw.socket
}

/// RSS growth allowed while 50 stalled clients are fed: each connection's outbox holds at
/// most 1 MiB, so this is what the queues may cost, plus the allocator's slack.
const STALLED_RSS_BOUND: u64 = 100 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_that_never_read_are_disconnected_and_memory_stays_bounded() {
    let server = start_server_with(|config| {
        // The chatters here are the flood; the per-person limit is tested elsewhere.
        config.live.messages_per_second = std::num::NonZeroU32::new(5_000).unwrap();
        config.live.message_burst = std::num::NonZeroU32::new(5_000).unwrap();
    })
    .await;
    server.state.store.seed_load_users(17).await.unwrap();
    let teacher_cookie = server.enable_room().await;
    let _teacher = Raw::join(&server, &teacher_cookie, ROOM, Seat::Stage).await;
    let mut stalled = Vec::new();
    for n in 1..=17 {
        let cookie = sign_in(&server.base_url, &format!("load{n}"), "demo")
            .await
            .unwrap();
        for _ in 0..3 {
            if stalled.len() < 50 {
                stalled.push(never_reading(&server, &cookie).await);
            }
        }
    }
    assert_eq!(server.state.hub.participants_of(ROOM).await, 51);
    let before = rss_bytes();

    // Two chatters who do read, sending 3,000 messages of 1,000 characters between them.
    let mut chatters = Vec::new();
    for user in ["student", "student2"] {
        let cookie = sign_in(&server.base_url, user, "demo").await.unwrap();
        let raw = Raw::join(&server, &cookie, ROOM, Seat::Viewer).await;
        let (mut sink, mut stream) = raw.socket.split();
        let reader = tokio::spawn(async move { while stream.next().await.is_some() {} });
        let writer = tokio::spawn(async move {
            let text = "x".repeat(1000);
            for _ in 0..1500 {
                let message = serde_json::to_string(&chat(&text)).unwrap();
                if sink.send(Message::Text(message.into())).await.is_err() {
                    break;
                }
            }
            sink
        });
        chatters.push((reader, writer));
    }
    let mut peak = before;
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.state.hub.participants_of(ROOM).await > 3 {
        assert!(Instant::now() < deadline, "stalled clients were not let go");
        peak = peak.max(rss_bytes());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak = peak.max(rss_bytes());
    println!(
        "RSS before {} MB, peak {} MB while 50 stalled clients were fed",
        before / 1_000_000,
        peak / 1_000_000
    );
    assert!(
        peak.saturating_sub(before) < STALLED_RSS_BOUND,
        "RSS grew by {} MB",
        (peak - before) / 1_000_000
    );
    drop(stalled);
    for (reader, writer) in chatters {
        reader.abort();
        writer.abort();
    }
}
