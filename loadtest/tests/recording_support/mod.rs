//! What the recording tests and the recording bench share: running a server binary as a
//! child process (it can be killed), waiting on a recording's status, and measuring a
//! recorded file with ffprobe and ffmpeg.
#![allow(dead_code)] // each user takes its part

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use protocol::ServerMessage;
use store::{Recording, RecordingState};

pub fn tool(program: &str, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Decodes every frame of `file` (`ffmpeg -v error`): whether it succeeded, and what ffmpeg
/// complained of. Frames keep their own times (the recording's frame rate varies): a constant
/// output rate, or an output clock ticking at the guessed frame rate, would merge close
/// frames and report that, not the file.
pub fn decode(file: &Path) -> (bool, String) {
    let (ok, _, errors) = tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            file.to_str().unwrap(),
            "-fps_mode",
            "passthrough",
            "-enc_time_base",
            "-1",
            "-f",
            "null",
            "-",
        ],
    );
    (ok, errors)
}

pub fn duration_secs(file: &Path) -> f64 {
    let (ok, out, err) = tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            file.to_str().unwrap(),
        ],
    );
    assert!(ok, "ffprobe: {err}");
    out.trim()
        .parse()
        .unwrap_or_else(|_| panic!("duration {out:?}"))
}

/// Per-frame (or per 10 ms block) values of a filter's metadata `key`, with their times in
/// the file (ffmpeg itself, unlike a lavfi source, follows the picture size changing when
/// the recording switches between the still frame and a camera).
pub fn series(file: &Path, filter: &str, key: &str) -> Vec<(f64, f64)> {
    let audio = filter.starts_with('a');
    let (option, drop, print) = if audio {
        ("-af", "-vn", "ametadata")
    } else {
        ("-vf", "-an", "metadata")
    };
    let graph = format!("{filter},{print}=print:key={key}:file=-");
    let (ok, out, err) = tool(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-copyts",
            "-i",
            file.to_str().unwrap(),
            option,
            &graph,
            drop,
            "-f",
            "null",
            "-",
        ],
    );
    assert!(ok, "ffmpeg {filter}: {err}");
    let mut values = Vec::new();
    let mut time = None;
    for line in out.lines() {
        if let Some(at) = line.split("pts_time:").nth(1) {
            time = at.trim().parse::<f64>().ok();
        } else if let Some(value) = line.strip_prefix(&format!("{key}=")) {
            if let (Some(time), Ok(value)) = (time, value.trim().parse::<f64>()) {
                values.push((time, value));
            }
        }
    }
    values
}

/// When the first flash and the first tone burst appear in the recording.
pub fn marker_times(file: &Path) -> (f64, f64) {
    let luma = series(file, "signalstats", "lavfi.signalstats.YAVG");
    let flash = luma
        .iter()
        .find(|(_, y)| *y > 180.0)
        .unwrap_or_else(|| panic!("no flash among {} frames", luma.len()))
        .0;
    let levels = series(
        file,
        "asetnsamples=n=480,astats=metadata=1:reset=1",
        "lavfi.astats.Overall.RMS_level",
    );
    let tone = levels
        .iter()
        .find(|(_, db)| *db > -30.0)
        .unwrap_or_else(|| panic!("no tone among {} blocks", levels.len()))
        .0;
    (flash, tone)
}

pub async fn wait_for_status(
    store: &store::Store,
    media_id: i64,
    limit: Duration,
    wanted: RecordingState,
) -> Recording {
    let deadline = Instant::now() + limit;
    loop {
        let recording = store.recording(media_id).await.expect("the recording row");
        if recording.status == wanted || Instant::now() >= deadline {
            return recording;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn is_recording(m: &ServerMessage, on: bool) -> bool {
    matches!(m, ServerMessage::Recording { recording } if recording.is_some() == on)
}

/// The server binary (`RECORDING_SERVER_BIN`, else this build's debug one, built first).
pub fn server_binary() -> PathBuf {
    // The bench passes a release build.
    if let Some(binary) = std::env::var_os("RECORDING_SERVER_BIN") {
        return binary.into();
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "-p", "server", "--bin", "server"])
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the server builds");
    profile_dir.join("server")
}

pub struct Child {
    pub process: std::process::Child,
    pub base_url: String,
}

pub fn spawn_server(binary: &Path, dir: &Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut process = std::process::Command::new(binary)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", dir.display()),
        )
        .env("MEDIA_DIR", dir.join("media"))
        .env("SEED_DEMO", "1")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RTC_UDP_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    // It prints its URL once it listens.
    let stdout = process.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    // Logs go to stdout too: read up to the URL line, then keep draining in the background
    // (a full pipe would block the server).
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.starts_with("Open http://"));
    assert!(listening, "the server said where it listens");
    std::thread::spawn(move || lines.for_each(drop));
    Child {
        process,
        base_url: format!("http://127.0.0.1:{port}"),
    }
}

/// Enables an Interactive room on `room` through the REST API of the server at `base_url`.
pub async fn enable_room(base_url: &str, manager: &str, room: i64) {
    let saved = reqwest::Client::new()
        .put(format!("{base_url}/api/containers/{room}/room"))
        .header("cookie", manager)
        .json(&serde_json::json!({
            "enabled": true, "mode": "interactive", "room_moderators": [],
            "chat_moderators": [], "qna": "on", "group_chat": true
        }))
        .send()
        .await
        .expect("saving the room");
    assert_eq!(saved.status(), 200);
}
