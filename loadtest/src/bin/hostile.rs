//! Hostile clients against a running server, one scenario after another, and what each cost
//! the server process: CPU seconds, resident memory before, at its peak and after, and the
//! slowest `/healthz` answer meanwhile (does everyone else still get served?), and the kernel
//! memory in TCP buffers (what a client that stops reading really costs). Loopback only;
//! every loop is bounded in count and in time.
//!
//! a. 50 clients join and never read while 10 others chat for `--seconds`
//! b. 20 sockets each announce a 15 MB frame and send half of it
//! c. 50 concurrent sign-ins with a wrong password
//! d. one user opens 200 sockets to the room and joins on each
//! e. 5 sockets flood binary frames
//!
//! `hostile --url http://127.0.0.1:3000 --server-pid <pid> [--room 2] [--seconds 30]
//!  [--scenarios abcde]`
//!
//! Needs the demo data and the load-test users (`SEED_LOAD_USERS=300`: `load1`…`load300`,
//! password `demo`), so every hostile client is its own person.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loadtest::{process_usage, sign_in, Bot, BotConfig};
use protocol::{socket_path, ClientMessage, ServerMessage};
use room::{ChatChannel, MediaState, Seat};
use tokio::task::JoinSet;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const NON_READERS: u32 = 50;
const CHATTERS: u32 = 10;
/// Chat messages per chatter per second: half the server's sustained rate per person.
const CHATS_PER_SECOND: u64 = 10;
/// Near the 1,000-character limit: the stalled clients' queues fill within seconds.
const CHAT_CHARS: usize = 900;
/// A non-reading client's receive buffer. Small, so the server feels a client that stopped
/// reading within the window rather than after the kernel's megabytes of buffer.
const STALLED_RECEIVE_BUFFER: u32 = 16 * 1024;
const HALF_FRAME_SOCKETS: u32 = 20;
const ANNOUNCED_FRAME_BYTES: u64 = 15 * 1024 * 1024;
const WRONG_PASSWORDS: usize = 50;
const SOCKETS_OF_ONE_USER: usize = 200;
const FLOODERS: u32 = 5;
const FLOOD_FRAMES: usize = 20_000;
const FLOOD_FRAME_BYTES: usize = 1024;
/// How long a hostile writer keeps going, at most.
const WRITE_PATIENCE: Duration = Duration::from_secs(10);
/// How long a reader waits for the server's next word before calling the socket quiet.
const READ_PATIENCE: Duration = Duration::from_secs(3);
/// Time for the server to clean up before the "after" figures.
const SETTLE: Duration = Duration::from_secs(2);

// Each scenario's people: load users by number, never shared between scenarios.
const FIRST_NON_READER: u32 = 1;
const FIRST_CHATTER: u32 = 51;
const FIRST_HALF_FRAME: u32 = 61;
const MANY_SOCKETS_USER: u32 = 81;
const FIRST_FLOODER: u32 = 82;
const WRONG_PASSWORD_USER: u32 = 300;
const RIGHT_PASSWORD_USER: u32 = 299;

struct Args {
    url: String,
    room: i64,
    seconds: u64,
    server_pid: u32,
    scenarios: String,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        room: 2,
        seconds: 30,
        server_pid: 0,
        scenarios: "abcde".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => args.url = value.trim_end_matches('/').to_owned(),
            "--room" => args.room = number()? as i64,
            "--seconds" => args.seconds = number()?,
            "--server-pid" => args.server_pid = number()? as u32,
            "--scenarios" => args.scenarios = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.server_pid == 0 {
        return Err("--server-pid is required: the figures are the server's".into());
    }
    Ok(args)
}

/// What every scenario needs: where the server is and who is signed in.
struct Ctx {
    url: String,
    addr: SocketAddr,
    path: String,
    room: i64,
    cookies: BTreeMap<u32, String>,
}

impl Ctx {
    fn cookie(&self, user: u32) -> String {
        self.cookies[&user].clone()
    }

    async fn open(&self, user: u32, receive_buffer: Option<u32>) -> Result<Opened> {
        RawSocket::open(self.addr, &self.path, &self.cookie(user), receive_buffer).await
    }
}

fn join_text() -> String {
    let join = ClientMessage::Join {
        seat: Seat::Viewer,
        media: MediaState::OFF,
    };
    serde_json::to_string(&join).expect("client messages serialise")
}

// ---------------------------------------------------------------------------------------------
// A WebSocket client written by hand, for what a well-behaved library will not do: stop
// reading, announce a frame it never finishes, flood. Blocking std sockets, run on blocking
// threads.

/// Client frames must be masked; the key does not matter here.
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;

struct RawSocket {
    stream: TcpStream,
    /// Read but not yet parsed (the upgrade answer may carry the first frames).
    pending: Vec<u8>,
}

/// An upgraded socket, or the HTTP status the upgrade was refused with.
type Opened = std::result::Result<RawSocket, u16>;

/// How reading a socket ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum End {
    /// The server sent a close frame with this code.
    Closed(Option<u16>),
    /// The server closed the connection without a close frame we could read.
    Dropped,
    /// Nothing came for [`READ_PATIENCE`]: the connection is still open.
    Quiet,
    /// The caller found what it was waiting for.
    Found,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Closed(Some(code)) => write!(f, "close {code}"),
            End::Closed(None) => write!(f, "close"),
            End::Dropped => write!(f, "dropped"),
            End::Quiet => write!(f, "still open"),
            End::Found => write!(f, "answered"),
        }
    }
}

impl RawSocket {
    /// Connects (with a small receive buffer when asked, which must be set before connecting)
    /// and upgrades.
    async fn open(
        addr: SocketAddr,
        path: &str,
        cookie: &str,
        receive_buffer: Option<u32>,
    ) -> Result<Opened> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        let stream = socket.connect(addr).await?.into_std()?;
        stream.set_nonblocking(false)?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Cookie: {cookie}\r\n\r\n"
        );
        Ok(tokio::task::spawn_blocking(move || Self::upgrade(stream, &request)).await??)
    }

    fn upgrade(mut stream: TcpStream, request: &str) -> io::Result<Opened> {
        stream.set_read_timeout(Some(READ_PATIENCE))?;
        stream.write_all(request.as_bytes())?;
        let mut pending = Vec::new();
        let mut chunk = [0u8; 4096];
        let header_end = loop {
            if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if pending.len() > 16 * 1024 {
                return Err(io::Error::other("no end to the upgrade answer"));
            }
            match stream.read(&mut chunk)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => pending.extend_from_slice(&chunk[..n]),
            }
        };
        let status = String::from_utf8_lossy(&pending[..header_end])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0);
        if status != 101 {
            return Ok(Err(status));
        }
        pending.drain(..header_end);
        Ok(Ok(RawSocket { stream, pending }))
    }

    fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let mut frame = frame_header(opcode, payload.len() as u64);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        self.stream.write_all(&frame)
    }

    /// Reads frames until the server closes, `found` says stop, or nothing comes for `patience`.
    /// Returns how it ended and the bytes read.
    fn read_until(
        &mut self,
        patience: Duration,
        mut found: impl FnMut(&str) -> bool,
    ) -> (End, u64) {
        let mut bytes = 0;
        let mut chunk = [0u8; 16 * 1024];
        let mut deadline = Instant::now() + patience;
        loop {
            while let Some((opcode, start, end)) = parse_frame(&self.pending) {
                let payload = &self.pending[start..end];
                match opcode {
                    OP_CLOSE => {
                        let code = payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                        return (End::Closed(code), bytes);
                    }
                    OP_TEXT if found(std::str::from_utf8(payload).unwrap_or_default()) => {
                        self.pending.drain(..end);
                        return (End::Found, bytes);
                    }
                    _ => {}
                }
                self.pending.drain(..end);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                return (End::Quiet, bytes);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return (End::Dropped, bytes),
                Ok(n) => {
                    bytes += n as u64;
                    self.pending.extend_from_slice(&chunk[..n]);
                    // Still talking: patience starts again.
                    deadline = Instant::now() + patience;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return (End::Quiet, bytes)
                }
                Err(_) => return (End::Dropped, bytes),
            }
        }
    }

    /// The next message the server sends, or how the socket ended before one came.
    fn next_message(&mut self) -> std::result::Result<ServerMessage, End> {
        let mut message = None;
        let (end, _) = self.read_until(READ_PATIENCE, |text| {
            message = serde_json::from_str(text).ok();
            message.is_some()
        });
        message.ok_or(end)
    }
}

fn frame_header(opcode: u8, len: u64) -> Vec<u8> {
    let mut header = vec![0x80 | opcode];
    match len {
        0..=125 => header.push(0x80 | len as u8),
        126..=0xffff => {
            header.push(0x80 | 126);
            header.extend((len as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend(len.to_be_bytes());
        }
    }
    header.extend(MASK);
    header
}

/// (opcode, payload start, frame end) of the whole frame at the start of `buf`, if there is one.
fn parse_frame(buf: &[u8]) -> Option<(u8, usize, usize)> {
    let (&first, &second) = (buf.first()?, buf.get(1)?);
    let (len, mut start): (u64, usize) = match second & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    if second & 0x80 != 0 {
        start += 4; // servers do not mask; skip a key if one did
    }
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (buf.len() >= end).then_some((first & 0x0f, start, end))
}

/// Runs `work` on every socket at once (blocking threads) and collects the results.
async fn on_each<T: Send + 'static>(
    sockets: Vec<RawSocket>,
    work: impl Fn(RawSocket) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let mut tasks = JoinSet::new();
    for socket in sockets {
        let work = work.clone();
        tasks.spawn_blocking(move || work(socket));
    }
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        results.extend(result.ok());
    }
    results
}

/// "close 1009 ×20, dropped ×2" from any countable outcomes.
fn tally<T: Ord + std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0usize) += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(item, n)| format!("{item} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

// ---------------------------------------------------------------------------------------------
// The scenarios. Each returns one line saying what the server did.

/// (a) Clients that join and stop reading must be cut off, not buffered for, and must not slow
/// the chat down for everyone else.
async fn stalled_readers(ctx: &Ctx, seconds: u64) -> Result<String> {
    let mut stalled = Vec::new();
    let mut refused = Vec::new();
    for n in 0..NON_READERS {
        match ctx
            .open(FIRST_NON_READER + n, Some(STALLED_RECEIVE_BUFFER))
            .await?
        {
            Ok(mut socket) => {
                socket.send(OP_TEXT, join_text().as_bytes())?;
                stalled.push(socket);
            }
            Err(status) => refused.push(status),
        }
    }
    let mut chatters = Vec::new();
    for n in 0..CHATTERS {
        chatters.push(Bot::join(bot_config(ctx, FIRST_CHATTER + n)).await?);
    }
    let padding = "x".repeat(CHAT_CHARS);
    let mut sent: Vec<Vec<Instant>> = vec![Vec::new(); chatters.len()];
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / CHATS_PER_SECOND));
    for _ in 0..seconds * CHATS_PER_SECOND {
        tick.tick().await;
        for (index, bot) in chatters.iter().enumerate() {
            let seq = sent[index].len();
            let mut text = format!("c{index}:{seq}:{padding}");
            text.truncate(CHAT_CHARS);
            bot.send(ClientMessage::Chat {
                channel: ChatChannel::Group,
                text,
            });
            sent[index].push(Instant::now());
        }
    }
    tokio::time::sleep(SETTLE).await;
    let mut latencies = Vec::new();
    let mut rate_limited = 0;
    for (index, bot) in chatters.iter().enumerate() {
        let prefix = format!("c{index}:");
        for (at, message) in bot.timeline() {
            let ServerMessage::Chat { message } = message else {
                continue;
            };
            let seq = message
                .text
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split(':').next())
                .and_then(|seq| seq.parse::<usize>().ok());
            if let Some(sent_at) = seq.and_then(|seq| sent[index].get(seq)) {
                latencies.push(at.duration_since(*sent_at));
            }
        }
        rate_limited += bot
            .errors()
            .iter()
            .filter(|(code, _)| code == "rate_limited")
            .count();
    }
    latencies.sort();
    let total: usize = sent.iter().map(Vec::len).sum();
    drop(chatters);
    let ends = on_each(stalled, |mut socket| {
        socket.read_until(READ_PATIENCE, |_| false)
    })
    .await;
    let buffered = ends
        .iter()
        .map(|(_, bytes)| bytes)
        .max()
        .copied()
        .unwrap_or(0);
    Ok(format!(
        "{total} chats sent, {} echoed to their senders (p50 {}, p99 {}), {rate_limited} rate-limited; \
         the {} non-readers: {} (most buffered for one: {} KB){}",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        NON_READERS,
        tally(ends.iter().map(|(end, _)| *end)),
        buffered / 1024,
        if refused.is_empty() {
            String::new()
        } else {
            format!("; upgrades refused: {}", tally(refused))
        }
    ))
}

fn bot_config(ctx: &Ctx, user: u32) -> BotConfig {
    BotConfig {
        base_url: ctx.url.clone(),
        cookie: ctx.cookie(user),
        room: ctx.room,
        seat: Seat::Viewer,
        media: false,
        watch: 0,
        invite: None,
    }
}

/// How a hostile writer's writing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Writing {
    /// The server reset or closed the connection.
    CutOff,
    /// The server stopped reading but kept the connection.
    Stalled,
    /// Everything went out.
    Done,
}

/// Writes `chunk` up to `total` bytes (or until cut off or stalled). Returns how it ended, the
/// bytes written and when it ended.
fn write_up_to(socket: &mut RawSocket, chunk: &[u8], total: u64) -> (Writing, u64, Instant) {
    let started = Instant::now();
    let mut written = 0u64;
    if socket
        .stream
        .set_write_timeout(Some(WRITE_PATIENCE))
        .is_err()
    {
        return (Writing::CutOff, 0, Instant::now());
    }
    while written < total {
        if started.elapsed() > WRITE_PATIENCE {
            return (Writing::Stalled, written, Instant::now());
        }
        let part = &chunk[..chunk.len().min((total - written) as usize)];
        match socket.stream.write_all(part) {
            Ok(()) => written += part.len() as u64,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return (Writing::Stalled, written, Instant::now())
            }
            Err(_) => return (Writing::CutOff, written, Instant::now()),
        }
    }
    (Writing::Done, written, Instant::now())
}

impl std::fmt::Display for Writing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Writing::CutOff => "cut off",
            Writing::Stalled => "stalled",
            Writing::Done => "all sent",
        })
    }
}

/// (b) A frame header announcing 15 MB must be refused at the header, before any of its
/// payload is buffered.
async fn half_frames(ctx: &Ctx) -> Result<String> {
    let mut sockets = Vec::new();
    for n in 0..HALF_FRAME_SOCKETS {
        if let Ok(socket) = ctx.open(FIRST_HALF_FRAME + n, None).await? {
            sockets.push(socket);
        }
    }
    let opened = sockets.len();
    let started = Instant::now();
    let results = on_each(sockets, move |mut socket| {
        // Masked zeros: the mask itself, repeated (64 KiB is a multiple of its 4 bytes).
        let chunk: Vec<u8> = (0..64 * 1024).map(|i| MASK[i % 4]).collect();
        let header = frame_header(OP_TEXT, ANNOUNCED_FRAME_BYTES);
        let (writing, written, ended) = match socket.stream.write_all(&header) {
            Ok(()) => write_up_to(&mut socket, &chunk, ANNOUNCED_FRAME_BYTES / 2),
            Err(_) => (Writing::CutOff, 0, Instant::now()),
        };
        let (end, _) = socket.read_until(READ_PATIENCE, |_| false);
        (writing, written, ended, end)
    })
    .await;
    let most = results.iter().map(|r| r.1).max().unwrap_or(0);
    let slowest = results
        .iter()
        .map(|r| r.2.duration_since(started))
        .max()
        .unwrap_or_default();
    Ok(format!(
        "{opened} sockets: writing {}; the server then said {}; at most {} KB of the {} MB \
         written before being cut off; the last cut off after {}",
        tally(results.iter().map(|r| r.0)),
        tally(results.iter().map(|r| r.3)),
        most / 1024,
        ANNOUNCED_FRAME_BYTES / 2 / 1024 / 1024,
        ms(slowest)
    ))
}

/// (c) Wrong passwords at once: limited (and cheap to refuse) rather than all hashed.
async fn wrong_passwords(ctx: &Ctx) -> Result<String> {
    let client = reqwest::Client::new();
    let mut tasks = JoinSet::new();
    for attempt in 0..WRONG_PASSWORDS {
        let client = client.clone();
        let url = format!("{}/api/session", ctx.url);
        tasks.spawn(async move {
            let started = Instant::now();
            let body = serde_json::json!({
                "username": format!("load{WRONG_PASSWORD_USER}"),
                "password": format!("wrong-{attempt}"),
            });
            let status = client
                .post(url)
                .json(&body)
                .send()
                .await
                .map(|r| r.status().as_u16());
            (status.unwrap_or(0), started.elapsed())
        });
    }
    let mut results = Vec::new();
    while let Some(result) = tasks.join_next().await {
        results.extend(result.ok());
    }
    let mut latencies: Vec<Duration> = results.iter().map(|r| r.1).collect();
    latencies.sort();
    // Someone else signing in right after, from the same (loopback) address.
    let right = client
        .post(format!("{}/api/session", ctx.url))
        .json(&serde_json::json!({"username": format!("load{RIGHT_PASSWORD_USER}"), "password": "demo"}))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    Ok(format!(
        "{WRONG_PASSWORDS} wrong passwords: HTTP {}; p50 {}, max {}; then the right password of \
         another user from the same address: HTTP {right}",
        tally(results.iter().map(|r| r.0)),
        ms(percentile(&latencies, 0.5)),
        ms(latencies.last().copied().unwrap_or_default()),
    ))
}

/// What became of one of the sockets of scenario (d).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum JoinOutcome {
    UpgradeRefused(u16),
    Joined,
    Refused(String),
    /// The first message was neither a welcome nor a refusal.
    Unexpected,
    Ended(End),
}

impl std::fmt::Display for JoinOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UpgradeRefused(status) => write!(f, "upgrade refused {status}"),
            Self::Joined => write!(f, "joined"),
            Self::Refused(code) => write!(f, "refused {code}"),
            Self::Unexpected => write!(f, "unexpected first message"),
            Self::Ended(end) => write!(f, "{end} without answer"),
        }
    }
}

/// The room's answer to a join: joined, refused, or nothing.
fn join_answer(socket: &mut RawSocket) -> JoinOutcome {
    // Bounded: a join is answered within a few messages (participants, standing, history).
    for _ in 0..100 {
        match socket.next_message() {
            Ok(ServerMessage::Joined { .. }) => return JoinOutcome::Joined,
            Ok(ServerMessage::Error { code, .. }) => return JoinOutcome::Refused(code),
            Ok(_) => continue,
            Err(end) => return JoinOutcome::Ended(end),
        }
    }
    JoinOutcome::Ended(End::Quiet)
}

/// (d) One person opening the room 200 times: only a few connections and joins are accepted.
async fn one_user_many_sockets(ctx: &Ctx) -> Result<String> {
    let mut outcomes = Vec::new();
    let mut sockets = Vec::new();
    for _ in 0..SOCKETS_OF_ONE_USER {
        match ctx.open(MANY_SOCKETS_USER, None).await? {
            Ok(socket) => sockets.push(socket),
            Err(status) => outcomes.push(JoinOutcome::UpgradeRefused(status)),
        }
    }
    let upgraded = sockets.len();
    let answers = on_each(sockets, |mut socket| {
        // A connection over the person's limit is refused right after the upgrade; the
        // others are welcomed and then join.
        let outcome = match socket.next_message() {
            Ok(ServerMessage::Welcome { .. }) => match socket.send(OP_TEXT, join_text().as_bytes())
            {
                Ok(()) => join_answer(&mut socket),
                Err(_) => JoinOutcome::Ended(End::Dropped),
            },
            Ok(ServerMessage::Error { code, .. }) => JoinOutcome::Refused(code),
            Ok(_) => JoinOutcome::Unexpected,
            Err(end) => JoinOutcome::Ended(end),
        };
        // The socket is kept open until every answer is in, so all 200 count at once.
        (outcome, socket)
    })
    .await;
    outcomes.extend(answers.into_iter().map(|(outcome, _)| outcome));
    let joined = outcomes
        .iter()
        .filter(|o| **o == JoinOutcome::Joined)
        .count();
    Ok(format!(
        "{SOCKETS_OF_ONE_USER} sockets, {upgraded} upgraded; joins accepted: {joined}; all: {}",
        tally(outcomes)
    ))
}

/// (e) Binary frames (the protocol is JSON text) as fast as a socket takes them: counted
/// against the sender's rate and cut off, without slowing anyone else.
async fn binary_flood(ctx: &Ctx) -> Result<String> {
    let mut sockets = Vec::new();
    for n in 0..FLOODERS {
        if let Ok(mut socket) = ctx.open(FIRST_FLOODER + n, None).await? {
            socket.send(OP_TEXT, join_text().as_bytes())?;
            sockets.push(socket);
        }
    }
    let opened = sockets.len();
    let started = Instant::now();
    let results = on_each(sockets, move |mut socket| {
        let mut frame = frame_header(OP_BINARY, FLOOD_FRAME_BYTES as u64);
        frame.extend((0..FLOOD_FRAME_BYTES).map(|i| 0xab ^ MASK[i % 4]));
        let frames = frame.repeat(16);
        let total = (frames.len() * FLOOD_FRAMES / 16) as u64;
        let (writing, written, ended) = write_up_to(&mut socket, &frames, total);
        let (end, _) = socket.read_until(READ_PATIENCE, |_| false);
        (writing, written / frame.len() as u64, ended, end)
    })
    .await;
    let sent: u64 = results.iter().map(|r| r.1).sum();
    let slowest = results
        .iter()
        .map(|r| r.2.duration_since(started))
        .max()
        .unwrap_or_default();
    Ok(format!(
        "{opened} sockets wrote {sent} frames of {FLOOD_FRAME_BYTES} B (at most {} each): \
         writing {}; the server said {}; the last stopped after {}",
        FLOOD_FRAMES,
        tally(results.iter().map(|r| r.0)),
        tally(results.iter().map(|r| r.3)),
        ms(slowest)
    ))
}

// ---------------------------------------------------------------------------------------------
// Measuring the server.

/// Memory the kernel holds in TCP buffers, machine-wide (`/proc/net/sockstat`, in pages).
/// A client that stops reading costs the server socket buffer before anything in its RSS.
fn tcp_buffers_kb() -> Option<u64> {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let tcp = sockstat.lines().find_map(|l| l.strip_prefix("TCP:"))?;
    let mut fields = tcp.split_whitespace();
    let pages: u64 = fields
        .find(|f| *f == "mem")
        .and(fields.next())?
        .parse()
        .ok()?;
    // 4 KiB pages on every common Linux configuration.
    Some(pages * 4)
}

/// Samples the server's resident memory and the kernel's TCP buffers, and probes `/healthz`,
/// while a scenario runs.
struct Watch {
    peak_rss_kb: Arc<AtomicU64>,
    peak_tcp_kb: Arc<AtomicU64>,
    worst_health_us: Arc<AtomicU64>,
    health_failures: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watch {
    fn start(pid: u32, url: &str) -> Self {
        let watch = Watch {
            peak_rss_kb: Arc::default(),
            peak_tcp_kb: Arc::default(),
            worst_health_us: Arc::default(),
            health_failures: Arc::default(),
            stop: Arc::default(),
            tasks: Vec::new(),
        };
        let (peak, peak_tcp, stop) = (
            watch.peak_rss_kb.clone(),
            watch.peak_tcp_kb.clone(),
            watch.stop.clone(),
        );
        let memory = tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Some((_, rss)) = process_usage(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                if let Some(tcp) = tcp_buffers_kb() {
                    peak_tcp.fetch_max(tcp, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let (worst, failures, stop) = (
            watch.worst_health_us.clone(),
            watch.health_failures.clone(),
            watch.stop.clone(),
        );
        let health = format!("{url}/healthz");
        let probe = tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client");
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = client
                    .get(&health)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                worst.fetch_max(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Watch {
            tasks: vec![memory, probe],
            ..watch
        }
    }

    /// (peak RSS KB, peak TCP buffers KB, slowest health answer, failed health probes)
    async fn finish(self) -> (u64, u64, Duration, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        (
            self.peak_rss_kb.load(Ordering::Relaxed),
            self.peak_tcp_kb.load(Ordering::Relaxed),
            Duration::from_micros(self.worst_health_us.load(Ordering::Relaxed)),
            self.health_failures.load(Ordering::Relaxed),
        )
    }
}

struct Row {
    name: String,
    wall: Duration,
    cpu_s: f64,
    rss_before_kb: u64,
    rss_peak_kb: u64,
    rss_after_kb: u64,
    tcp_before_kb: u64,
    tcp_peak_kb: u64,
    health: Duration,
    health_failures: u64,
    outcome: String,
}

fn print_table(rows: &[Row]) {
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!();
    println!(
        "CPU and RSS: the server process; TCP: kernel socket buffers, whole machine (both ends \
         of loopback); healthz: slowest answer during the scenario"
    );
    println!(
        "{:<36} {:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9}",
        "scenario", "wall s", "CPU s", "RSS MB", "peak", "after", "TCP MB", "peak", "healthz"
    );
    for row in rows {
        let health = if row.health_failures > 0 {
            format!("{} failed", row.health_failures)
        } else {
            ms(row.health)
        };
        println!(
            "{:<36} {:>6.1} {:>6.2} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>9}",
            row.name,
            row.wall.as_secs_f64(),
            row.cpu_s,
            mb(row.rss_before_kb),
            mb(row.rss_peak_kb),
            mb(row.rss_after_kb),
            mb(row.tcp_before_kb),
            mb(row.tcp_peak_kb),
            health
        );
    }
    println!();
    for row in rows {
        println!("{}: {}", row.name, row.outcome);
    }
}

async fn enable_room(url: &str, room: i64, teacher: &str) -> Result<()> {
    // Webinar: room for 300, so only the per-person limits stop scenario (d).
    let saved = reqwest::Client::new()
        .put(format!("{url}/api/containers/{room}/room"))
        .header("cookie", teacher)
        .json(
            &serde_json::json!({"enabled": true, "mode": "webinar", "room_moderators": [],
            "chat_moderators": [], "qna": "site_default", "group_chat": true}),
        )
        .send()
        .await?;
    if !saved.status().is_success() {
        return Err(format!("enabling the room: {}", saved.status()).into());
    }
    Ok(())
}

/// The load users each scenario needs.
fn users_for(scenario: char) -> Vec<u32> {
    match scenario {
        'a' => (FIRST_NON_READER..FIRST_NON_READER + NON_READERS)
            .chain(FIRST_CHATTER..FIRST_CHATTER + CHATTERS)
            .collect(),
        'b' => (FIRST_HALF_FRAME..FIRST_HALF_FRAME + HALF_FRAME_SOCKETS).collect(),
        'd' => vec![MANY_SOCKETS_USER],
        'e' => (FIRST_FLOODER..FIRST_FLOODER + FLOODERS).collect(),
        _ => Vec::new(),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let addr: SocketAddr = args
        .url
        .strip_prefix("http://")
        .ok_or("--url must be http:// on loopback")?
        .parse()?;
    if !addr.ip().is_loopback() {
        return Err("hostile clients only go to a loopback server".into());
    }
    let teacher = sign_in(&args.url, "teacher", "demo").await?;
    enable_room(&args.url, args.room, &teacher).await?;
    // The teacher launches the room and stays in it throughout.
    let host = Bot::join(BotConfig {
        base_url: args.url.clone(),
        cookie: teacher,
        room: args.room,
        seat: Seat::Viewer,
        media: false,
        watch: 0,
        invite: None,
    })
    .await?;
    // Everyone signs in before scenario (c) makes loopback a suspicious address.
    let started = Instant::now();
    let mut cookies = BTreeMap::new();
    for user in args.scenarios.chars().flat_map(users_for) {
        let cookie = sign_in(&args.url, &format!("load{user}"), "demo")
            .await
            .map_err(|e| format!("{e} (is the server seeded with SEED_LOAD_USERS=300?)"))?;
        cookies.insert(user, cookie);
    }
    println!(
        "signed in {} load users in {:.1} s",
        cookies.len(),
        started.elapsed().as_secs_f64()
    );
    let ctx = Ctx {
        url: args.url.clone(),
        addr,
        path: socket_path(args.room),
        room: args.room,
        cookies,
    };

    let mut rows = Vec::new();
    for scenario in args.scenarios.chars() {
        let name = match scenario {
            'a' => format!(
                "a. {NON_READERS} never read, {CHATTERS} chat {} s",
                args.seconds
            ),
            'b' => format!("b. {HALF_FRAME_SOCKETS} × half a 15 MB frame"),
            'c' => format!("c. {WRONG_PASSWORDS} wrong passwords at once"),
            'd' => format!("d. one user, {SOCKETS_OF_ONE_USER} sockets"),
            'e' => format!("e. binary flood, {FLOODERS} sockets"),
            other => return Err(format!("no scenario {other:?}; they are a to e").into()),
        };
        println!("== {name}");
        let (cpu_before, rss_before) = process_usage(args.server_pid).ok_or("server gone")?;
        let tcp_before = tcp_buffers_kb().unwrap_or(0);
        let watch = Watch::start(args.server_pid, &args.url);
        let started = Instant::now();
        let outcome = match scenario {
            'a' => stalled_readers(&ctx, args.seconds).await,
            'b' => half_frames(&ctx).await,
            'c' => wrong_passwords(&ctx).await,
            'd' => one_user_many_sockets(&ctx).await,
            _ => binary_flood(&ctx).await,
        }
        .unwrap_or_else(|e| format!("FAILED: {e}"));
        let wall = started.elapsed();
        tokio::time::sleep(SETTLE).await;
        let (peak, tcp_peak, health, health_failures) = watch.finish().await;
        let (cpu_after, rss_after) = process_usage(args.server_pid).ok_or("server gone")?;
        println!("   {outcome}");
        rows.push(Row {
            name,
            wall,
            cpu_s: cpu_after - cpu_before,
            rss_before_kb: rss_before,
            rss_peak_kb: peak.max(rss_before).max(rss_after),
            rss_after_kb: rss_after,
            tcp_before_kb: tcp_before,
            tcp_peak_kb: tcp_peak.max(tcp_before),
            health,
            health_failures,
            outcome,
        });
    }
    let host_alive = host.closed().is_none();
    print_table(&rows);
    println!(
        "the host's own socket {} throughout",
        if host_alive {
            "stayed in the room"
        } else {
            "was closed"
        }
    );
    Ok(())
}
