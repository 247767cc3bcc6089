//! Collaboration fan-out: fills a room with signalling-only bots (no media) and measures how
//! fast chat messages and a burst of reactions reach every participant, and what the server
//! process spent doing it.
//!
//! `fanout --url http://127.0.0.1:3000 --participants 300 --messages 50 --server-pid <pid>`

use std::collections::HashMap;
use std::time::{Duration, Instant};

use loadtest::{process_usage, sign_in, sign_in_load_users, Bot, BotConfig};
use protocol::{ClientMessage, ServerMessage};
use room::{ChatChannel, Reaction, Seat};

const ROOM: i64 = 2;
const PATIENCE: Duration = Duration::from_secs(60);

struct Args {
    url: String,
    participants: usize,
    messages: usize,
    server_pid: Option<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        participants: 300,
        messages: 50,
        server_pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--participants" => args.participants = number()?,
            "--messages" => args.messages = number()?,
            "--server-pid" => args.server_pid = Some(number()? as u32),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(label: &str, mut latencies: Vec<Duration>, expected: usize, spent: Duration) {
    latencies.sort();
    println!(
        "{label}: {} of {expected} delivered in {:.2} s ({:.0}/s); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        spent.as_secs_f64(),
        latencies.len() as f64 / spent.as_secs_f64().max(1e-9),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Waits until every bot has `count` messages matching `wanted`, or the patience runs out.
async fn delivered(bots: &[Bot], count: usize, wanted: impl Fn(&ServerMessage) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        let done = bots
            .iter()
            .all(|bot| bot.received().iter().filter(|m| wanted(m)).count() >= count);
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let teacher = sign_in(&args.url, "teacher", "demo").await?;
    // Each bot is its own person (`SEED_LOAD_USERS` on the server).
    let students = sign_in_load_users(&args.url, args.participants).await?;
    let saved = reqwest::Client::new()
        .put(format!("{}/api/containers/{ROOM}/room", args.url))
        .header("cookie", &teacher)
        .json(&serde_json::json!({
            "enabled": true, "mode": "webinar", "room_moderators": [], "chat_moderators": [],
            "qna": "on", "group_chat": true
        }))
        .send()
        .await?;
    if !saved.status().is_success() {
        return Err(format!("enabling the room: {}", saved.status()).into());
    }
    let config = |cookie: &str, seat| BotConfig {
        base_url: args.url.clone(),
        cookie: cookie.to_owned(),
        room: ROOM,
        seat,
        media: false,
        watch: 0,
        invite: None,
    };
    let host = Bot::join(config(&teacher, Seat::Stage)).await?;
    let usage_before = args.server_pid.and_then(process_usage);
    let joining = Instant::now();
    let mut joins = Vec::new();
    let mut bots = Vec::new();
    for batch in (1..args.participants).collect::<Vec<_>>().chunks(50) {
        let pending: Vec<_> = batch
            .iter()
            .map(|&i| {
                let config = config(&students[i - 1], Seat::Viewer);
                async move {
                    let started = Instant::now();
                    Bot::join(config).await.map(|bot| (started.elapsed(), bot))
                }
            })
            .collect();
        for joined in futures_util::future::join_all(pending).await {
            let (took, bot) = joined?;
            joins.push(took);
            bots.push(bot);
        }
    }
    let joined_in = joining.elapsed();
    summary(
        &format!("join ({} viewers, batches of 50)", bots.len()),
        joins,
        args.participants - 1,
        joined_in,
    );

    // Chat: the host writes at 10 messages a second; every viewer should read each.
    let mut sent_at = HashMap::new();
    let chatting = Instant::now();
    for i in 0..args.messages {
        let text = format!("bench {i}");
        sent_at.insert(text.clone(), Instant::now());
        host.send(ClientMessage::Chat {
            channel: ChatChannel::Group,
            text,
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let is_chat = |m: &ServerMessage| matches!(m, ServerMessage::Chat { .. });
    delivered(&bots, args.messages, is_chat).await;
    let chat_spent = chatting.elapsed();
    let mut chat_latency = Vec::new();
    for bot in &bots {
        for (at, message) in bot.timeline() {
            if let ServerMessage::Chat { message } = message {
                if let Some(sent) = sent_at.get(&message.text) {
                    chat_latency.push(at.saturating_duration_since(*sent));
                }
            }
        }
    }
    summary("chat", chat_latency, bots.len() * args.messages, chat_spent);

    // Reactions: up to 100 viewers react at once; everyone sees every reaction.
    let reacting = bots.len().min(100);
    let burst = Instant::now();
    for bot in &bots[..reacting] {
        bot.send(ClientMessage::React {
            reaction: Reaction::Clap,
        });
    }
    let is_reaction = |m: &ServerMessage| matches!(m, ServerMessage::Reaction { .. });
    delivered(&bots, reacting, is_reaction).await;
    let burst_spent = burst.elapsed();
    let reaction_latency: Vec<Duration> = bots
        .iter()
        .flat_map(|bot| bot.timeline())
        .filter(|(_, m)| is_reaction(m))
        .map(|(at, _)| at.saturating_duration_since(burst))
        .collect();
    summary(
        &format!("reaction burst ({reacting} at once)"),
        reaction_latency,
        bots.len() * reacting,
        burst_spent,
    );

    if let (Some(pid), Some((cpu_before, _))) = (args.server_pid, usage_before) {
        if let Some((cpu_after, rss_kb)) = process_usage(pid) {
            println!(
                "server: {:.2} CPU seconds from the first viewer's join to the last reaction, RSS {} MB",
                cpu_after - cpu_before,
                rss_kb / 1024
            );
        }
    }
    let refused: usize = bots.iter().map(|b| b.errors().len()).sum();
    println!("refusals seen by viewers: {refused}");
    Ok(())
}
