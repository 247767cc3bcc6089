//! Media entries beyond uploads: the room as an entry, recordings and their status, the media
//! page, and a room's past sessions as the Sessions tab reads them.

use serde::{Deserialize, Serialize};

use crate::api::Named;
use crate::ContainerKind;

/// What a media entry is: an uploaded or recorded video, or a container's meeting room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    #[default]
    Video,
    Room,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Room => "room",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "video" => Some(Self::Video),
            "room" => Some(Self::Room),
            _ => None,
        }
    }
}

/// Where a recording's file stands (the `recordings` table's status).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    /// Being written while the session goes on.
    Recording,
    /// Stopped; being made seekable.
    Processing,
    Ready,
    /// Finalised after the server stopped mid-recording: it may end a few seconds early.
    Recovered,
    /// Nothing playable was left.
    Failed,
}

impl RecordingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Recovered => "recovered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "recording" => Some(Self::Recording),
            "processing" => Some(Self::Processing),
            "ready" => Some(Self::Ready),
            "recovered" => Some(Self::Recovered),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    /// Whether the file can be played (and has a thumbnail).
    pub fn playable(self) -> bool {
        matches!(self, Self::Ready | Self::Recovered)
    }

    /// How lists and the media page name the status.
    pub fn label(self) -> &'static str {
        match self {
            Self::Recording => "Recording",
            Self::Processing => "Processing",
            Self::Ready => "Ready",
            Self::Recovered => "Recovered after an interruption",
            Self::Failed => "Recording failed",
        }
    }
}

/// The page of one media entry (`/media/{id}`), for those who may see its container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaPage {
    pub id: i64,
    pub kind: MediaKind,
    pub title: String,
    pub owner: Named,
    pub created_at: i64,
    pub duration_secs: i64,
    /// Recordings only.
    pub recording: Option<RecordingStatus>,
    /// The file's URL when it plays; the thumbnail's likewise.
    pub file_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub container_id: i64,
    pub container_kind: ContainerKind,
    pub container_title: String,
    pub container_path: String,
    /// Room entries: the room's page while the room is enabled.
    pub room_path: Option<String>,
    /// Owner, co-editors and managers (never mere room moderators).
    pub can_edit: bool,
}

/// A recording made in a past session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecording {
    pub media_id: i64,
    pub title: String,
    pub status: RecordingStatus,
}

/// One past session of a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastSession {
    pub id: i64,
    pub opened_at: i64,
    pub closed_at: i64,
    /// People who joined (each once, however often they rejoined).
    pub participants: i64,
    pub recordings: Vec<SessionRecording>,
}

/// The Sessions tab: a room's past sessions, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionList {
    pub container_id: i64,
    pub container_kind: ContainerKind,
    /// Room and chat moderators read everything a session held.
    pub moderator: bool,
    pub sessions: Vec<PastSession>,
}

/// A chat message or Q&A reply as a past session shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub id: i64,
    pub author: String,
    pub text: String,
    pub at: i64,
    /// Deleted by a chat moderator (only moderators see such lines).
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptQuestion {
    pub id: i64,
    pub asker: String,
    pub text: String,
    pub at: i64,
    pub published: bool,
    pub answered: bool,
    pub votes: u32,
    pub replies: Vec<TranscriptLine>,
}

/// What one past session held, filtered as the reader could see it in the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTranscript {
    pub session: PastSession,
    pub container_title: String,
    pub container_path: String,
    pub moderator: bool,
    pub group_chat: Vec<TranscriptLine>,
    /// Moderators only (`None` for others).
    pub backchannel: Option<Vec<TranscriptLine>>,
    pub questions: Vec<TranscriptQuestion>,
}

/// The title a container's room entry gets.
pub fn room_entry_title(container_title: &str) -> String {
    format!("{container_title} — Meeting room")
}

/// "2026-12-02 14:05 UTC": how pages show a moment (the same text on the server and in the
/// browser, so a hydrated page matches its HTML).
pub fn format_utc(unix_secs: i64) -> String {
    format!("{} UTC", utc_minute(unix_secs))
}

/// "2026-12-02 14:05" (UTC) for unix seconds: the minute a recording's title carries.
pub fn utc_minute(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian), by 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3600,
        secs / 60 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_as_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_796_220_300), "2026-12-02 14:05 UTC");
        assert_eq!(format_utc(-60), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn titles_carry_the_utc_minute() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00");
        // 2026-12-02 14:05:59 UTC.
        assert_eq!(utc_minute(1_796_220_359), "2026-12-02 14:05");
        // A leap day.
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00");
    }

    #[test]
    fn names_round_trip() {
        for kind in [MediaKind::Video, MediaKind::Room] {
            assert_eq!(MediaKind::parse(kind.as_str()), Some(kind));
        }
        for status in [
            RecordingStatus::Recording,
            RecordingStatus::Processing,
            RecordingStatus::Ready,
            RecordingStatus::Recovered,
            RecordingStatus::Failed,
        ] {
            assert_eq!(RecordingStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(MediaKind::parse("podcast"), None);
        assert_eq!(RecordingStatus::parse("done"), None);
    }

    #[test]
    fn only_finished_recordings_play() {
        assert!(RecordingStatus::Ready.playable());
        assert!(RecordingStatus::Recovered.playable());
        assert!(!RecordingStatus::Recording.playable());
        assert!(!RecordingStatus::Processing.playable());
        assert!(!RecordingStatus::Failed.playable());
    }
}
