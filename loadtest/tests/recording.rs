//! Recording through a running server: a webrtc-rs participant publishes real VP8 and Opus
//! (encoded by ffmpeg at test time, with a white flash and a tone burst at the same instant),
//! a moderator starts and stops recording, and the file that lands is checked with ffprobe
//! and ffmpeg: ready soon after Stop, the right length, decodable without error, audio and
//! video in sync. A crash (`kill -9` of a server process) mid-recording is recovered at the
//! next start. Whoever is not a room moderator is refused.

mod common;
mod recording_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use loadtest::fixture::{make_fixtures, FixtureBot};
use loadtest::{sign_in, Bot};
use protocol::ClientMessage;
use room::Seat;
use store::RecordingState;

use common::{start_server, PATIENCE, ROOM};
use recording_support::*;

/// How long after Stop the entry must be ready (the promise).
const READY_WITHIN: Duration = Duration::from_secs(10);

async fn recording_event(changes: &mut tokio::sync::broadcast::Receiver<store::Change>) -> i64 {
    loop {
        let change = tokio::time::timeout(PATIENCE, changes.recv())
            .await
            .expect("a recording was announced")
            .expect("changes flow");
        if let store::Change::RecordingChanged { media_id, .. } = change {
            return media_id;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_is_ready_within_seconds_plays_whole_and_keeps_sync() {
    let fixtures_dir = tempfile::tempdir().unwrap();
    let fixtures = make_fixtures(fixtures_dir.path()).expect("fixtures");
    let server = start_server().await;
    let teacher_cookie = server.enable_room().await;
    let mut changes = server.state.store.changes();
    let teacher = FixtureBot::join(&server.base_url, &teacher_cookie, ROOM, fixtures)
        .await
        .expect("the teacher publishes");

    teacher.send(ClientMessage::StartRecording);
    let (started, _) = teacher
        .wait_for(PATIENCE, |m| is_recording(m, true))
        .await
        .expect("everyone is told the room records");
    let media_id = recording_event(&mut changes).await;
    let row = server.state.store.recording(media_id).await.unwrap();
    assert_eq!(row.status, RecordingState::Recording);
    assert!(
        row.title.starts_with("Video Production — 20"),
        "{}",
        row.title
    );

    // A late joiner is told at once; a student may neither stop nor start.
    let student_cookie = sign_in(&server.base_url, "student", "demo").await.unwrap();
    let student = Bot::join(server.bot(&student_cookie, Seat::Viewer, false))
        .await
        .expect("the student joins");
    assert!(
        student
            .wait_for_message(PATIENCE, |m| is_recording(m, true))
            .await
            .is_some(),
        "a late joiner learns of the recording"
    );
    student.send(ClientMessage::StopRecording);
    let (code, _) = student.wait_for_error(PATIENCE).await.expect("refused");
    assert_eq!(code, "not_allowed");

    // The recording's length: from the start everyone saw until Stop.
    let length = Duration::from_secs(8);
    tokio::time::sleep_until((started + length).into()).await;
    teacher.send(ClientMessage::StopRecording);
    let stopped = Instant::now();
    assert!(
        student
            .wait_for_message(PATIENCE, |m| is_recording(m, false))
            .await
            .is_some(),
        "everyone is told it stopped"
    );
    let done = wait_for_status(
        &server.state.store,
        media_id,
        READY_WITHIN,
        RecordingState::Ready,
    )
    .await;
    let took = stopped.elapsed();
    assert_eq!(
        done.status,
        RecordingState::Ready,
        "ready within {READY_WITHIN:?}"
    );
    eprintln!("stop → ready: {took:?}");

    let file: PathBuf = server
        .state
        .hub
        .recorders()
        .media_dir()
        .join(&done.file_name);
    let duration = duration_secs(&file);
    assert!(
        (duration - length.as_secs_f64()).abs() <= 1.0,
        "duration {duration:.2} s for {length:?} recorded"
    );
    assert!((done.duration_ms as f64 / 1_000.0 - duration).abs() < 0.1);
    let (ok, errors) = decode(&file);
    assert!(ok && errors.trim().is_empty(), "decodes cleanly: {errors}");
    let (flash, tone) = marker_times(&file);
    let offset_ms = (tone - flash) * 1_000.0;
    eprintln!("flash at {flash:.3} s, tone at {tone:.3} s: A/V offset {offset_ms:+.0} ms");
    assert!(
        offset_ms.abs() <= 80.0,
        "audio and video within 80 ms: {offset_ms:+.0} ms"
    );
    assert!(
        flash > 0.5 && flash < duration,
        "the marker is inside: {flash}"
    );

    check_serving(
        &server,
        &teacher_cookie,
        media_id,
        std::fs::metadata(&file).unwrap().len(),
    )
    .await;
}

async fn check_serving(server: &common::LiveServer, cookie: &str, media_id: i64, len: u64) {
    let client = reqwest::Client::new();
    let url = format!("{}/media/{media_id}/file", server.base_url);
    let get = |cookie: &str, range: Option<&str>| {
        let mut request = client.get(&url).header("cookie", cookie);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send()
    };
    let whole = get(cookie, None).await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/webm");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().len() as u64, len);
    let part = get(cookie, Some("bytes=100-199")).await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 100-199/{len}").as_str()
    );
    assert_eq!(part.bytes().await.unwrap().len(), 100);
    let beyond = get(cookie, Some(&format!("bytes={len}-"))).await.unwrap();
    assert_eq!(beyond.status(), 416);
    let outsider = sign_in(&server.base_url, "outsider", "demo").await.unwrap();
    let refused = get(&outsider, None).await.unwrap();
    assert!(
        matches!(refused.status().as_u16(), 403 | 404),
        "{}",
        refused.status()
    );
    assert!(
        refused.bytes().await.unwrap().len() < 1_000,
        "no bytes of the file"
    );
    let anonymous = client.get(&url).send().await.unwrap();
    assert!(anonymous.status().is_client_error());
    let thumbnail = client
        .get(format!("{}/media/{media_id}/thumbnail", server.base_url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(thumbnail.status(), 200);
    assert_eq!(thumbnail.headers()["content-type"], "image/jpeg");
    assert!(thumbnail.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_cannot_start_a_recording_and_nothing_is_written() {
    let server = start_server().await;
    let (_, _teacher) = server.host().await;
    let mut changes = server.state.store.changes();
    let (_, student) = server.join_as("student", Seat::Stage).await;
    student.send(ClientMessage::StartRecording);
    let (code, _) = student.wait_for_error(PATIENCE).await.expect("refused");
    assert_eq!(code, "not_allowed");
    assert!(server
        .state
        .store
        .unfinished_recordings()
        .await
        .unwrap()
        .is_empty());
    let media_dir = server.state.hub.recorders().media_dir();
    let files = std::fs::read_dir(media_dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "no file in {}", media_dir.display());
    assert!(
        !student.received().iter().any(|m| is_recording(m, true)),
        "nobody is told of a recording"
    );
    while let Ok(change) = changes.try_recv() {
        assert!(
            !matches!(change, store::Change::RecordingChanged { .. }),
            "{change:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_cut_by_kill_9_is_recovered_at_the_next_start() {
    let binary = tokio::task::spawn_blocking(server_binary).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fixtures = make_fixtures(dir.path()).expect("fixtures");
    let mut first = spawn_server(&binary, dir.path());
    let teacher = sign_in(&first.base_url, "teacher", "demo").await.unwrap();
    enable_room(&first.base_url, &teacher, ROOM).await;
    let bot = FixtureBot::join(&first.base_url, &teacher, ROOM, fixtures)
        .await
        .expect("joins");
    bot.send(ClientMessage::StartRecording);
    let (started, _) = bot
        .wait_for(PATIENCE, |m| is_recording(m, true))
        .await
        .expect("records");
    tokio::time::sleep_until((started + Duration::from_secs(15)).into()).await;
    first.process.kill().expect("kill -9"); // SIGKILL: nothing is flushed or finalised
    first.process.wait().unwrap();
    drop(bot);

    let url = format!("sqlite://{}/db.sqlite", dir.path().display());
    let store = store::Store::connect(&url).await.unwrap();
    let cut = store.unfinished_recordings().await.unwrap();
    assert_eq!(
        cut.len(),
        1,
        "the interrupted recording is still marked as recording"
    );
    assert_eq!(cut[0].status, RecordingState::Recording);
    let media_id = cut[0].media_id;

    let mut second = spawn_server(&binary, dir.path());
    let recovered = wait_for_status(&store, media_id, PATIENCE, RecordingState::Recovered).await;
    assert_eq!(recovered.status, RecordingState::Recovered);
    let file = dir.path().join("media").join(&recovered.file_name);
    let duration = duration_secs(&file);
    eprintln!("recovered {duration:.2} s of 15 s");
    assert!(
        duration >= 12.0,
        "at most the last seconds are lost: {duration:.2} s"
    );
    let (ok, errors) = decode(&file);
    assert!(
        ok && errors.trim().is_empty(),
        "the recovered file decodes: {errors}"
    );
    second.process.kill().unwrap();
    second.process.wait().unwrap();
}
