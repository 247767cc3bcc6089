//! What moderators did in live rooms, and the server's signing keys.

use crate::db::{next_id, now_secs, with_pool};
use crate::{Error, Result, Store};

impl Store {
    /// Keeps a record of a moderator's action on a participant.
    pub async fn log_moderation(
        &self,
        container_id: i64,
        moderator_id: i64,
        target_user_id: i64,
        action: &str,
    ) -> Result<()> {
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO moderation_log (id, container_id, moderator_id, target_user_id, action, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(next_id())
        .bind(container_id)
        .bind(moderator_id)
        .bind(target_user_id)
        .bind(action)
        .bind(now_secs())
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The room's moderation log, oldest first: (moderator, target user, action).
    pub async fn moderation_log(&self, container_id: i64) -> Result<Vec<(i64, i64, String)>> {
        Ok(with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT moderator_id, target_user_id, action FROM moderation_log \
             WHERE container_id = $1 ORDER BY id",
        )
        .bind(container_id)
        .fetch_all(pool)
        .await?))
    }

    /// A named signing key, made on first use (32 random bytes, hex); every node reads the same.
    pub async fn server_secret(&self, name: &str) -> Result<Vec<u8>> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(&fresh)
        .execute(pool)
        .await?
        .rows_affected());
        let (secret,): (String,) = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT secret FROM server_secrets WHERE name = $1",
        )
        .bind(name)
        .fetch_one(pool)
        .await?);
        hex::decode(&secret).map_err(|_| Error::corrupt("server secret", name))
    }
}
