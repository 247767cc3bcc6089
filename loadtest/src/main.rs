//! Load test: fills a room with webrtc-rs bots against a running server and prints what the
//! server process spent (CPU, memory) and what the bots saw (packets, loss, time to first
//! video).
//!
//! `loadtest --url http://127.0.0.1:3000 --mode interactive --cameras 25 --participants 100
//!  --seconds 20 --server-pid <pid>`

use std::time::{Duration, Instant};

use loadtest::{process_usage, sign_in, sign_in_load_users, Bot, BotConfig, BotStats};
use room::Seat;

struct Args {
    url: String,
    room: i64,
    mode: String,
    cameras: usize,
    participants: usize,
    seconds: u64,
    server_pid: Option<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:3000".into(),
        room: 2,
        mode: "interactive".into(),
        cameras: 25,
        participants: 100,
        seconds: 20,
        server_pid: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => args.url = value.clone(),
            "--room" => args.room = number()? as i64,
            "--mode" => args.mode = value.clone(),
            "--cameras" => args.cameras = number()? as usize,
            "--participants" => args.participants = number()? as usize,
            "--seconds" => args.seconds = number()?,
            "--server-pid" => args.server_pid = Some(number()? as u32),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

#[derive(Default, Clone, Copy)]
struct Totals {
    video_out: u64,
    audio_out: u64,
    video_in: u64,
    audio_in: u64,
    bytes_in: u64,
}

fn totals(bots: &[Bot]) -> Totals {
    let mut t = Totals::default();
    for bot in bots {
        let s = &bot.stats;
        t.video_out += BotStats::get(&s.video_packets_out);
        t.audio_out += BotStats::get(&s.audio_packets_out);
        t.video_in += BotStats::get(&s.video_packets_in);
        t.audio_in += BotStats::get(&s.audio_packets_in);
        t.bytes_in += BotStats::get(&s.bytes_in);
    }
    t
}

/// `[{kind: "user", id}]` of load users `1..=count`, looked up by name as the moderator
/// picker does.
async fn load_user_ids(
    url: &str,
    manager: &str,
    count: usize,
) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let mut ids = Vec::with_capacity(count);
    for n in 1..=count {
        let found: Vec<serde_json::Value> = reqwest::Client::new()
            .get(format!("{url}/api/users?q=load{n}"))
            .header("cookie", manager)
            .send()
            .await?
            .json()
            .await?;
        let id = found
            .iter()
            .find(|u| u["username"] == format!("load{n}") || u["name"] == format!("load{n}"))
            .or(found.first())
            .and_then(|u| u["id"].as_i64())
            .ok_or(format!("load{n} is not seeded (SEED_LOAD_USERS)"))?;
        ids.push(serde_json::json!({"kind": "user", "id": id}));
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let (visible, audio_slots) = match args.mode.as_str() {
        "webinar" => (10, 10),
        _ => (25, 10),
    };
    let teacher = sign_in(&args.url, "teacher", "demo").await?;
    // Each bot is its own person (`SEED_LOAD_USERS` on the server); the cameras are room
    // moderators, as a Webinar's presenters are.
    let people = sign_in_load_users(&args.url, args.participants).await?;
    let presenters = load_user_ids(&args.url, &teacher, args.cameras).await?;
    let saved = reqwest::Client::new()
        .put(format!("{}/api/containers/{}/room", args.url, args.room))
        .header("cookie", &teacher)
        .json(
            &serde_json::json!({"enabled": true, "mode": args.mode, "room_moderators": presenters,
            "chat_moderators": [], "qna": "site_default", "group_chat": true}),
        )
        .send()
        .await?;
    if !saved.status().is_success() {
        return Err(format!("enabling the room: {}", saved.status()).into());
    }
    let config = |cookie: &str, seat| BotConfig {
        base_url: args.url.clone(),
        cookie: cookie.to_owned(),
        room: args.room,
        seat,
        media: true,
        watch: visible,
        invite: None,
    };
    let mut bots = Vec::new();
    let started = Instant::now();
    for (index, cookie) in people.iter().enumerate() {
        let seat = if index < args.cameras {
            Seat::Stage
        } else {
            Seat::Viewer
        };
        match Bot::join(config(cookie, seat)).await {
            Ok(bot) => bots.push(bot),
            Err(error) => {
                eprintln!("join {} failed: {error}", index + 1);
                break;
            }
        }
    }
    println!(
        "joined {} bots ({} on stage) in {:.1} s",
        bots.len(),
        bots.len().min(args.cameras),
        started.elapsed().as_secs_f64()
    );
    // Let every subscription settle before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let before = totals(&bots);
    let usage_before = args.server_pid.and_then(process_usage);
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let elapsed = window.elapsed().as_secs_f64();
    let after = totals(&bots);
    let usage_after = args.server_pid.and_then(process_usage);

    let publishers = bots.len().min(args.cameras) as f64;
    let per = |a: u64, b: u64| (a - b) as f64 / elapsed;
    let video_out_pps = per(after.video_out, before.video_out);
    let audio_out_pps = per(after.audio_out, before.audio_out);
    let video_in_pps = per(after.video_in, before.video_in);
    let audio_in_pps = per(after.audio_in, before.audio_in);
    // Each bot shows up to `visible` cameras and hears up to `audio_slots` microphones,
    // never its own.
    let (mut video_expected, mut audio_expected) = (0.0, 0.0);
    for index in 0..bots.len() {
        let others = if index < args.cameras {
            publishers - 1.0
        } else {
            publishers
        };
        video_expected += others.min(visible as f64) * video_out_pps / publishers.max(1.0);
        audio_expected += others.min(audio_slots as f64) * audio_out_pps / publishers.max(1.0);
    }
    let loss = |got: f64, expected: f64| {
        if expected > 0.0 {
            (1.0 - got / expected).max(0.0) * 100.0
        } else {
            0.0
        }
    };
    let mut first_video: Vec<f64> = bots
        .iter()
        .filter_map(|b| {
            b.stats
                .first_video_at
                .get()
                .map(|at| at.duration_since(b.joined_at).as_secs_f64() * 1000.0)
        })
        .collect();
    first_video.sort_by(f64::total_cmp);
    println!(
        "mode {} · {} participants · {} cameras · {:.0} s window",
        args.mode,
        bots.len(),
        publishers,
        elapsed
    );
    println!(
        "packets into the SFU: {:.0}/s (video {:.0}, audio {:.0})",
        video_out_pps + audio_out_pps,
        video_out_pps,
        audio_out_pps
    );
    println!(
        "packets out to bots: {:.0}/s (video {:.0}, audio {:.0}); {:.1} Mbit/s payload",
        video_in_pps + audio_in_pps,
        video_in_pps,
        audio_in_pps,
        per(after.bytes_in, before.bytes_in) * 8.0 / 1e6
    );
    println!(
        "loss against what should arrive: video {:.1} %, audio {:.1} %",
        loss(video_in_pps, video_expected),
        loss(audio_in_pps, audio_expected)
    );
    if !first_video.is_empty() {
        println!(
            "join to first video packet: p50 {:.0} ms, p90 {:.0} ms ({} bots)",
            first_video[first_video.len() / 2],
            first_video[first_video.len() * 9 / 10],
            first_video.len()
        );
    }
    if let (Some((cpu0, _)), Some((cpu1, rss_kb))) = (usage_before, usage_after) {
        println!(
            "server CPU {:.0} % of one core, resident memory {:.0} MB",
            (cpu1 - cpu0) / elapsed * 100.0,
            rss_kb as f64 / 1024.0
        );
    }
    Ok(())
}
