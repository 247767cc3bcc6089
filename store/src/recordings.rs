//! A room's recordings: each is a media entry of the room's container plus a `recordings` row
//! that follows the file behind it (recording → processing → ready, or recovered / failed
//! after a crash). Every status change is announced as [`Change::RecordingChanged`] so pages
//! listing the container's media refresh by themselves.

use crate::auth::Viewer;
use crate::db::{next_id, now_secs, with_pool};
use crate::error::{Error, Result};
use crate::{Change, Store};

/// Where a recording stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordingState {
    Recording,
    Processing,
    Ready,
    Recovered,
    Failed,
}

impl RecordingState {
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
        [
            Self::Recording,
            Self::Processing,
            Self::Ready,
            Self::Recovered,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether the file is finished and may be played.
    pub fn playable(self) -> bool {
        matches!(self, Self::Ready | Self::Recovered)
    }
}

/// One recording as saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub media_id: i64,
    pub container_id: i64,
    pub title: String,
    pub status: RecordingState,
    /// Relative to the media directory.
    pub file_name: String,
    pub started_by: i64,
    pub started_at: i64,
    pub duration_ms: i64,
}

type Row = (i64, i64, String, String, String, i64, i64, i64);

const SELECT: &str =
    "SELECT r.media_id, r.container_id, m.title, r.status, r.file_name, r.started_by, \
     r.started_at, r.duration_ms FROM recordings r JOIN media_entries m ON m.id = r.media_id";

fn parse(row: Row) -> Result<Recording> {
    let (media_id, container_id, title, status, file_name, started_by, started_at, duration_ms) =
        row;
    Ok(Recording {
        media_id,
        container_id,
        title,
        status: RecordingState::parse(&status)
            .ok_or_else(|| Error::corrupt("recording status", &status))?,
        file_name,
        started_by,
        started_at,
        duration_ms,
    })
}

impl Store {
    /// Saves a new recording of room `container_id`: its media entry ("<room title> — <date,
    /// time>", owned by `started_by`, approved) and its row, status `recording`.
    pub async fn start_recording(
        &self,
        container_id: i64,
        session_opened_at: i64,
        started_by: i64,
    ) -> Result<Recording> {
        let container = self.container(container_id).await?;
        let media_id = next_id();
        let started_at = now_secs();
        let title = format!(
            "{} — {}",
            container.title,
            domain::media::utc_minute(started_at)
        );
        let file_name = format!("{media_id}.webm");
        let thumbnail = format!("/media/{media_id}/thumbnail");
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO media_entries (id, container_id, title, duration_secs, thumbnail_url, owner_id, status, created_at) \
                 VALUES ($1, $2, $3, 0, $4, $5, 'approved', $6)",
            )
            .bind(media_id).bind(container_id).bind(&title).bind(&thumbnail).bind(started_by).bind(started_at)
            .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO recordings (media_id, container_id, session_opened_at, status, file_name, started_by, started_at) \
                 VALUES ($1, $2, $3, 'recording', $4, $5, $6)",
            )
            .bind(media_id).bind(container_id).bind(session_opened_at).bind(&file_name).bind(started_by).bind(started_at)
            .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.announce_recording(container_id, media_id);
        Ok(Recording {
            media_id,
            container_id,
            title,
            status: RecordingState::Recording,
            file_name,
            started_by,
            started_at,
            duration_ms: 0,
        })
    }

    /// Moves a recording to `status`; a playable one gets its duration on the media entry.
    pub async fn set_recording_status(
        &self,
        media_id: i64,
        status: RecordingState,
        duration_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let stopped_at = (status != RecordingState::Recording).then(now_secs);
        let container: Option<(i64,)> = with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let container: Option<(i64,)> = sqlx::query_as(
                "UPDATE recordings SET status = $1, duration_ms = $2, error = $3, \
                 stopped_at = COALESCE(stopped_at, $4) WHERE media_id = $5 RETURNING container_id",
            )
            .bind(status.as_str()).bind(duration_ms).bind(error).bind(stopped_at).bind(media_id)
            .fetch_optional(&mut *tx).await?;
            if status.playable() {
                // Rounded up: a 900 ms recording still shows as one second.
                sqlx::query("UPDATE media_entries SET duration_secs = $1 WHERE id = $2")
                    .bind((duration_ms + 999) / 1_000).bind(media_id)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            container
        });
        let (container_id,) = container
            .ok_or_else(|| Error::NotFound(format!("there is no recording {media_id}")))?;
        self.announce_recording(container_id, media_id);
        Ok(())
    }

    /// Recordings a stopped process left unfinished (`recording` or `processing`).
    pub async fn unfinished_recordings(&self) -> Result<Vec<Recording>> {
        let rows: Vec<Row> = with_pool!(&self.db, pool =>
            sqlx::query_as(&format!("{SELECT} WHERE r.status IN ('recording', 'processing') ORDER BY r.started_at"))
                .fetch_all(pool)
                .await?
        );
        rows.into_iter().map(parse).collect()
    }

    pub async fn recording(&self, media_id: i64) -> Result<Recording> {
        let row: Option<Row> = with_pool!(&self.db, pool =>
            sqlx::query_as(&format!("{SELECT} WHERE r.media_id = $1"))
                .bind(media_id)
                .fetch_optional(pool)
                .await?
        );
        parse(row.ok_or_else(|| Error::NotFound(format!("there is no recording {media_id}")))?)
    }

    /// The recording behind media entry `media_id`, if the viewer may see its container (as
    /// on the container's page) and its file is finished.
    pub async fn playable_recording(&self, viewer: &Viewer, media_id: i64) -> Result<Recording> {
        let recording = self.recording(media_id).await?;
        self.viewable(viewer, recording.container_id).await?;
        if !recording.status.playable() {
            return Err(Error::NotFound(
                "this recording is not ready to play yet".into(),
            ));
        }
        Ok(recording)
    }

    fn announce_recording(&self, container_id: i64, media_id: i64) {
        let _ = self.changes.send(Change::RecordingChanged {
            container_id,
            media_id,
        });
    }
}
