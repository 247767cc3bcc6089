//! The still frame shown while nobody sends video: the room's title on a dark background, one
//! VP8 key frame encoded by ffmpeg when the recording starts (about 0.2 s, once), then
//! repeated once a second. Every repetition is a key frame, so a switch to and from it needs
//! nothing from any sender. Measured against a tiny encoder of our own: ffmpeg is already
//! needed for the remux, and draws text properly.

use std::path::Path;

use tokio::process::Command;

/// The recording's frame size; camera frames keep their own (VP8 key frames carry it).
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// One VP8 key frame showing `title`; without a usable font, a plain background.
pub async fn still_frame(title: &str, scratch: &Path) -> std::io::Result<Vec<u8>> {
    let text_file = scratch.with_extension("title.txt");
    tokio::fs::write(&text_file, title).await?;
    let size = format!("{WIDTH}x{HEIGHT}");
    let background = format!("color=c=0x1f2937:s={size}:d=1");
    let text = format!(
        "drawtext=textfile='{}':fontcolor=white:fontsize=56:expansion=none:x=(w-text_w)/2:y=(h-text_h)/2",
        text_file.display()
    );
    let mut frame = encode(&background, Some(&text)).await;
    if frame.is_err() {
        frame = encode(&background, None).await;
    }
    let _ = tokio::fs::remove_file(&text_file).await;
    frame
}

async fn encode(background: &str, filter: Option<&str>) -> std::io::Result<Vec<u8>> {
    let mut command = Command::new("ffmpeg");
    command.args(["-v", "error", "-f", "lavfi", "-i", background]);
    if let Some(filter) = filter {
        command.args(["-vf", filter]);
    }
    command.args([
        "-frames:v",
        "1",
        "-c:v",
        "libvpx",
        "-b:v",
        "500k",
        "-f",
        "ivf",
        "-",
    ]);
    let output = command.kill_on_drop(true).output().await?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "ffmpeg: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    ivf_first_frame(&output.stdout)
        .ok_or_else(|| std::io::Error::other("ffmpeg wrote no VP8 frame"))
}

/// The first frame of an IVF stream (32-byte file header, 12-byte frame headers).
pub fn ivf_first_frame(ivf: &[u8]) -> Option<Vec<u8>> {
    if ivf.get(..4)? != b"DKIF" {
        return None;
    }
    let header_len = u16::from_le_bytes(ivf.get(6..8)?.try_into().ok()?) as usize;
    let size_at = header_len;
    let size = u32::from_le_bytes(ivf.get(size_at..size_at + 4)?.try_into().ok()?) as usize;
    let start = size_at + 12;
    ivf.get(start..start + size).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_ivf_frame_is_found() {
        let mut ivf = b"DKIF".to_vec();
        ivf.extend([0, 0, 32, 0]);
        ivf.resize(32, 0);
        ivf.extend(3u32.to_le_bytes());
        ivf.extend([0; 8]);
        ivf.extend([9, 8, 7, 6]);
        assert_eq!(ivf_first_frame(&ivf), Some(vec![9, 8, 7]));
        assert_eq!(ivf_first_frame(b"RIFF"), None);
        assert_eq!(ivf_first_frame(&ivf[..40]), None, "truncated");
    }
}
