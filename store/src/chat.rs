//! Room chat persistence. Who may write or read is decided by the room's rules before these
//! are called; these only store and fetch.

use room::{ChatChannel, ChatMessage};

use crate::db::{next_id, now_secs, with_pool};
use crate::{Error, Result, Store};

/// Messages a (re)joining participant gets per channel.
pub const CHAT_HISTORY: i64 = 100;

type Row = (i64, String, i64, String, String, i64);

fn message((id, channel, user_id, author, text, at): Row) -> Result<ChatMessage> {
    let channel = ChatChannel::parse(&channel)
        .ok_or_else(|| Error::Invalid(format!("stored chat channel {channel:?}")))?;
    Ok(ChatMessage {
        id,
        channel,
        user_id,
        author,
        text,
        at,
    })
}

impl Store {
    /// Stores a message and returns it with its id (see [`next_message_id`]).
    pub async fn post_chat(
        &self,
        container_id: i64,
        channel: ChatChannel,
        user_id: i64,
        author: &str,
        text: &str,
    ) -> Result<ChatMessage> {
        let id = next_id();
        let at = now_secs();
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO chat_messages (id, container_id, channel, user_id, author, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(container_id)
        .bind(channel.as_str())
        .bind(user_id)
        .bind(author)
        .bind(text)
        .bind(at)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(ChatMessage {
            id,
            channel,
            user_id,
            author: author.to_owned(),
            text: text.to_owned(),
            at,
        })
    }

    /// The latest [`CHAT_HISTORY`] messages of a channel, oldest first.
    pub async fn recent_chat(
        &self,
        container_id: i64,
        channel: ChatChannel,
    ) -> Result<Vec<ChatMessage>> {
        let rows: Vec<Row> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, channel, user_id, author, body, created_at FROM chat_messages \
             WHERE container_id = $1 AND channel = $2 AND NOT deleted \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(container_id)
        .bind(channel.as_str())
        .bind(CHAT_HISTORY)
        .fetch_all(pool)
        .await?);
        rows.into_iter().rev().map(message).collect()
    }

    /// Hides a message of this room; returns its channel, or `NotFound`.
    pub async fn delete_chat(&self, container_id: i64, message_id: i64) -> Result<ChatChannel> {
        let channel: Option<(String,)> = with_pool!(&self.db, pool => sqlx::query_as(
            "UPDATE chat_messages SET deleted = TRUE \
             WHERE id = $1 AND container_id = $2 AND NOT deleted RETURNING channel",
        )
        .bind(message_id)
        .bind(container_id)
        .fetch_optional(pool)
        .await?);
        let (channel,) = channel.ok_or_else(|| Error::NotFound("no such chat message".into()))?;
        ChatChannel::parse(&channel)
            .ok_or_else(|| Error::Invalid(format!("stored chat channel {channel:?}")))
    }
}
