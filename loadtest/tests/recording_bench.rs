//! Figures for recording (run by `bench/recording.sh`, not by `cargo test`): a server process
//! with four stage cameras (webrtc-rs participants sending real VP8 and Opus); its CPU with
//! and without a recording running, then five one-minute recordings: Stop → playable, file
//! size per minute, and the A/V offset measured in each file.

mod common;
mod recording_support;

use std::time::{Duration, Instant};

use loadtest::fixture::{make_fixtures, FixtureBot};
use loadtest::{process_usage, sign_in};
use protocol::ClientMessage;
use store::RecordingState;

use common::{PATIENCE, ROOM};
use recording_support::*;

fn seconds(name: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// CPU of `pid` over `window`, in % of one core.
async fn cpu_percent(pid: u32, window: Duration) -> f64 {
    let (before, _) = process_usage(pid).expect("the server runs");
    tokio::time::sleep(window).await;
    let (after, _) = process_usage(pid).expect("the server runs");
    (after - before) / window.as_secs_f64() * 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bench/recording.sh runs it"]
async fn recording_figures() {
    let tries = std::env::var("TRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5usize);
    let length = seconds("RECORDING_SECS", 60);
    let window = seconds("CPU_WINDOW_SECS", 30);
    let binary = tokio::task::spawn_blocking(server_binary).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fixtures = make_fixtures(dir.path()).expect("fixtures");
    let mut server = spawn_server(&binary, dir.path());
    let pid = server.process.id();
    let teacher = sign_in(&server.base_url, "teacher", "demo").await.unwrap();
    enable_room(&server.base_url, &teacher, ROOM).await;
    let mut cameras = Vec::new();
    for user in ["teacher", "student", "student2", "admin"] {
        let cookie = sign_in(&server.base_url, user, "demo").await.unwrap();
        let bot = FixtureBot::join(&server.base_url, &cookie, ROOM, fixtures.clone())
            .await
            .unwrap_or_else(|e| panic!("{user} publishes: {e}"));
        cameras.push(bot);
    }
    let host = &cameras[0];
    tokio::time::sleep(Duration::from_secs(3)).await; // media settles
    let idle = cpu_percent(pid, window).await;

    let store = store::Store::connect(&format!("sqlite://{}/db.sqlite", dir.path().display()))
        .await
        .unwrap();
    let (mut ready, mut sizes, mut offsets, mut busy) = (Vec::new(), Vec::new(), Vec::new(), 0.0);
    for attempt in 0..tries {
        host.send(ClientMessage::StartRecording);
        let started = Instant::now();
        let media_id = loop {
            let found = store.unfinished_recordings().await.unwrap();
            if let Some(recording) = found.first() {
                break recording.media_id;
            }
            assert!(started.elapsed() < PATIENCE, "the recording started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if attempt == 0 {
            // Same run, same cameras: only the recorder differs.
            tokio::time::sleep(Duration::from_secs(2)).await;
            busy = cpu_percent(pid, window.min(length - Duration::from_secs(3))).await;
        }
        tokio::time::sleep_until((started + length).into()).await;
        host.send(ClientMessage::StopRecording);
        let stopped = Instant::now();
        let done = wait_for_status(&store, media_id, PATIENCE, RecordingState::Ready).await;
        assert_eq!(done.status, RecordingState::Ready);
        ready.push(stopped.elapsed().as_secs_f64());
        let file = dir.path().join("media").join(&done.file_name);
        let minutes = duration_secs(&file) / 60.0;
        sizes.push(std::fs::metadata(&file).unwrap().len() as f64 / minutes / 1e6);
        let (flash, tone) = marker_times(&file);
        offsets.push((tone - flash) * 1_000.0);
        // The next Start must not race the rows of this one.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    ready.sort_by(f64::total_cmp);
    println!(
        "\nrecordings: {tries} x {} s, 4 stage cameras (VP8 320x240 ~400 kbit/s + Opus each)",
        length.as_secs()
    );
    println!(
        "stop -> playable: p50 {:.2} s, max {:.2} s",
        percentile(&ready, 0.5),
        ready[ready.len() - 1]
    );
    println!("server CPU (% of one core, {} s windows): not recording {idle:.1} %, recording {busy:.1} %", window.as_secs());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!("file size: {:.2} MB per minute (mean)", mean(&sizes));
    let worst = offsets.iter().copied().fold(0.0f64, |w, o| w.max(o.abs()));
    println!(
        "A/V offset (tone - flash): mean {:+.0} ms, worst |{worst:.0}| ms, each {offsets:.0?}",
        mean(&offsets)
    );
    drop(cameras);
    server.process.kill().unwrap();
    server.process.wait().unwrap();
}
