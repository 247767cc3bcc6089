//! What a live room needs from the database when its actor starts, and its open session,
//! kept so that a restarted server finds the rooms that were open still open.

use domain::RoomMode;
use room::StageAccess;

use crate::db::with_pool;
use crate::{Result, Store};

/// A live room's saved settings, read when its actor starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveRoomSetup {
    pub enabled: bool,
    pub mode: RoomMode,
    pub stage_access: StageAccess,
    pub group_chat: bool,
    /// Q&A with the site default resolved.
    pub qna: bool,
    /// When the open session started, if one is open.
    pub opened_at: Option<i64>,
}

impl Store {
    pub async fn live_room_setup(&self, container_id: i64) -> Result<LiveRoomSetup> {
        let room = self.stored_room(container_id).await?;
        let qna = room.qna.resolve(self.site_settings().await?.qna_default);
        let opened_at: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT opened_at FROM live_sessions WHERE container_id = $1")
                .bind(container_id)
                .fetch_optional(pool)
                .await?
        );
        Ok(LiveRoomSetup {
            enabled: room.enabled,
            mode: room.mode,
            stage_access: room.stage_access,
            group_chat: room.group_chat,
            qna,
            opened_at: opened_at.map(|(at,)| at),
        })
    }

    /// A moderator launched the room's session at `opened_at` (Unix seconds).
    pub async fn open_live_session(&self, container_id: i64, opened_at: i64) -> Result<()> {
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO live_sessions (container_id, opened_at) VALUES ($1, $2) \
             ON CONFLICT (container_id) DO UPDATE SET opened_at = excluded.opened_at",
        )
        .bind(container_id)
        .bind(opened_at)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The session ended (for all, or the room was switched off): it becomes a past session,
    /// with how many people took part. Closing a room with no open session changes nothing.
    pub async fn close_live_session(&self, container_id: i64) -> Result<()> {
        let closed_at = crate::db::now_secs();
        let archived = with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let open: Option<(i64,)> = sqlx::query_as(
                "DELETE FROM live_sessions WHERE container_id = $1 RETURNING opened_at",
            )
            .bind(container_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((opened_at,)) = open {
                sqlx::query(
                    "INSERT INTO room_sessions (id, container_id, opened_at, closed_at, participants) \
                     SELECT $1, $2, $3, $4, COUNT(*) FROM session_participants \
                     WHERE container_id = $2 AND opened_at = $3 \
                     ON CONFLICT (container_id, opened_at) DO NOTHING",
                )
                .bind(crate::db::next_id())
                .bind(container_id)
                .bind(opened_at)
                .bind(closed_at.max(opened_at))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            open.is_some()
        });
        if archived {
            let _ = self
                .changes
                .send(crate::Change::ContainerContent { container_id });
        }
        Ok(())
    }

    /// A user's id by username (test faults name people the way tests do).
    pub async fn user_id_by_name(&self, username: &str) -> Result<i64> {
        let row: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await?
        );
        row.map(|(id,)| id)
            .ok_or_else(|| crate::Error::NotFound(format!("no user {username:?}")))
    }
}
