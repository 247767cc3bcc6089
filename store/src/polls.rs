//! Polls and quizzes persistence. The room's rules check a poll and a vote before these are
//! called; the one-vote-per-person rule is also the table's primary key.

use room::{PollDraft, PollRecord};

use crate::db::{next_id, now_secs, with_pool};
use crate::{Error, Result, Store};

/// Polls a (re)joining participant gets (the most recent).
pub const POLL_HISTORY: i64 = 20;

type PollRow = (i64, String, String, bool, String, bool, i64);

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("lists of strings and numbers serialise")
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| Error::corrupt(what, text))
}

impl Store {
    pub async fn create_poll(
        &self,
        container_id: i64,
        user_id: i64,
        draft: &PollDraft,
    ) -> Result<PollRecord> {
        let id = next_id();
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO polls (id, container_id, created_by, question, options, multiple, correct, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(container_id)
        .bind(user_id)
        .bind(&draft.question)
        .bind(to_json(&draft.options))
        .bind(draft.multiple)
        .bind(to_json(&draft.correct))
        .bind(now_secs())
        .execute(pool)
        .await?
        .rows_affected());
        self.poll(container_id, id).await
    }

    /// One poll of this room with its votes, or `NotFound`.
    pub async fn poll(&self, container_id: i64, id: i64) -> Result<PollRecord> {
        let row: Option<PollRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, question, options, multiple, correct, is_open, created_at FROM polls \
             WHERE id = $1 AND container_id = $2",
        )
        .bind(id)
        .bind(container_id)
        .fetch_optional(pool)
        .await?);
        let row = row.ok_or_else(|| Error::NotFound("no such poll".into()))?;
        Ok(self.with_votes(vec![row]).await?.remove(0))
    }

    /// The latest [`POLL_HISTORY`] polls of a room, oldest first.
    pub async fn recent_polls(&self, container_id: i64) -> Result<Vec<PollRecord>> {
        let mut rows: Vec<PollRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, question, options, multiple, correct, is_open, created_at FROM polls \
             WHERE container_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(container_id)
        .bind(POLL_HISTORY)
        .fetch_all(pool)
        .await?);
        rows.reverse();
        self.with_votes(rows).await
    }

    async fn with_votes(&self, rows: Vec<PollRow>) -> Result<Vec<PollRecord>> {
        let mut polls = Vec::with_capacity(rows.len());
        for (id, question, options, multiple, correct, open, at) in rows {
            let votes: Vec<(i64, String)> = with_pool!(&self.db, pool => sqlx::query_as(
                "SELECT user_id, choices FROM poll_votes WHERE poll_id = $1 ORDER BY user_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?);
            polls.push(PollRecord {
                id,
                draft: PollDraft {
                    question,
                    options: from_json("poll options", &options)?,
                    multiple,
                    correct: from_json("poll answers", &correct)?,
                },
                open,
                at,
                votes: votes
                    .into_iter()
                    .map(|(user, choices)| Ok((user, from_json("poll choices", &choices)?)))
                    .collect::<Result<_>>()?,
            });
        }
        Ok(polls)
    }

    /// Records a vote while the poll is open; `false` if this user had voted already or it
    /// closed meanwhile.
    pub async fn vote_in_poll(
        &self,
        container_id: i64,
        poll_id: i64,
        user_id: i64,
        choices: &[u8],
    ) -> Result<bool> {
        let added = with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO poll_votes (poll_id, user_id, choices) \
             SELECT id, $1, $2 FROM polls WHERE id = $3 AND container_id = $4 AND is_open \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(to_json(&choices))
        .bind(poll_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(added == 1)
    }

    pub async fn close_poll(&self, container_id: i64, poll_id: i64) -> Result<PollRecord> {
        with_pool!(&self.db, pool => sqlx::query(
            "UPDATE polls SET is_open = FALSE WHERE id = $1 AND container_id = $2",
        )
        .bind(poll_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        self.poll(container_id, poll_id).await
    }
}
