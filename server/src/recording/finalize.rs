//! After a recording stops: a stream-copy remux (`ffmpeg -c copy`) gives the live-written file
//! its duration and cues, so players seek; a frame becomes the thumbnail; the entry gets its
//! duration and is ready. At start-up, recordings a crash left as `recording` or
//! `processing` go through the same steps from whatever reached the disk, as recovered.

use std::path::{Path, PathBuf};

use store::{Recording, RecordingState};
use tokio::process::Command;

/// The thumbnail of media entry `media_id`.
pub fn thumbnail_path(media_dir: &Path, media_id: i64) -> PathBuf {
    media_dir.join(format!("{media_id}.jpg"))
}

async fn run(command: &mut Command) -> Result<Vec<u8>, String> {
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("{e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    Ok(output.stdout)
}

/// The container's duration in milliseconds, by ffprobe.
pub async fn probe_duration_ms(file: &Path) -> Result<u64, String> {
    let out = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(file))
    .await?;
    let text = String::from_utf8_lossy(&out);
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("no duration in {text:?}"))?;
    Ok((secs * 1_000.0).round() as u64)
}

/// Remuxes `file` in place (through a temporary file beside it); a truncated input gives
/// whatever could be read.
async fn remux(file: &Path) -> Result<(), String> {
    let temporary = file.with_extension("remux.webm");
    let result = run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(file)
        .args(["-map", "0", "-c", "copy", "-f", "webm"])
        .arg(&temporary))
    .await;
    // A cut-off last cluster makes ffmpeg complain but still write what came before it; a
    // remux cut short itself (a full disk) must not replace the whole file written live.
    if let Err(error) = &result {
        let original = tokio::fs::metadata(file).await.map_or(0, |m| m.len());
        let remuxed = tokio::fs::metadata(&temporary).await.map_or(0, |m| m.len());
        if remuxed == 0 || remuxed * 10 < original * 9 {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(error.clone());
        }
        tracing::warn!(%error, "remux read a damaged file");
    }
    tokio::fs::rename(&temporary, file)
        .await
        .map_err(|e| e.to_string())
}

async fn thumbnail(file: &Path, target: &Path, duration_ms: u64) -> Result<(), String> {
    let at = format!("{:.3}", (duration_ms as f64 / 2_000.0).min(1.0));
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-ss", &at, "-i"])
        .arg(file)
        .args(["-frames:v", "1", "-vf", "scale=320:-2", "-f", "image2"])
        .arg(target))
    .await
    .map(|_| ())
}

/// Makes `recording`'s file playable and saves the outcome; `recovered` after a crash.
pub async fn finalize(
    store: &store::Store,
    media_dir: &Path,
    recording: &Recording,
    recovered: bool,
) {
    let media_id = recording.media_id;
    if let Err(error) = store
        .set_recording_status(media_id, RecordingState::Processing, 0, None)
        .await
    {
        tracing::error!(%error, media_id, "marking a recording as processing failed");
    }
    let file = media_dir.join(&recording.file_name);
    let started = std::time::Instant::now();
    let finished = async {
        remux(&file).await?;
        let duration_ms = probe_duration_ms(&file).await?;
        if duration_ms == 0 {
            return Err("nothing playable was recorded".to_owned());
        }
        if let Err(error) =
            thumbnail(&file, &thumbnail_path(media_dir, media_id), duration_ms).await
        {
            // A recording without a picture still plays.
            tracing::warn!(%error, media_id, "no thumbnail");
        }
        Ok(duration_ms)
    }
    .await;
    let saved = match finished {
        Ok(duration_ms) => {
            let status = if recovered {
                RecordingState::Recovered
            } else {
                RecordingState::Ready
            };
            tracing::info!(media_id, duration_ms, took = ?started.elapsed(), ?status, "recording finalised");
            store
                .set_recording_status(media_id, status, duration_ms as i64, None)
                .await
        }
        Err(error) => {
            tracing::error!(%error, media_id, "recording could not be finalised");
            store
                .set_recording_status(media_id, RecordingState::Failed, 0, Some(&error))
                .await
        }
    };
    if let Err(error) = saved {
        tracing::error!(%error, media_id, "saving a recording's status failed");
    }
}

/// Finalises every recording a stopped process left unfinished.
pub async fn recover(store: store::Store, media_dir: PathBuf) {
    let unfinished = match store.unfinished_recordings().await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "listing unfinished recordings failed");
            return;
        }
    };
    for recording in unfinished {
        tracing::info!(
            media_id = recording.media_id,
            "recovering an interrupted recording"
        );
        finalize(&store, &media_dir, &recording, true).await;
    }
}
