//! Q&A persistence: questions, their reply threads and upvotes. The room's rules decide who
//! may ask, reply, publish, answer and vote before these are called.

use room::{QnaReply, QuestionRecord};

use crate::db::{next_id, now_secs, with_pool};
use crate::{Error, Result, Store};

/// Questions a (re)joining participant gets (the most recent).
pub const QNA_HISTORY: i64 = 100;

type QuestionRow = (i64, i64, String, String, i64, bool, bool);

impl Store {
    pub async fn ask_question(
        &self,
        container_id: i64,
        user_id: i64,
        asker: &str,
        text: &str,
    ) -> Result<QuestionRecord> {
        let id = next_id();
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO qna_questions (id, container_id, user_id, asker, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(container_id)
        .bind(user_id)
        .bind(asker)
        .bind(text)
        .bind(now_secs())
        .execute(pool)
        .await?
        .rows_affected());
        self.question(container_id, id).await
    }

    /// One question of this room with its replies and voters, or `NotFound`.
    pub async fn question(&self, container_id: i64, id: i64) -> Result<QuestionRecord> {
        let row: Option<QuestionRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, user_id, asker, body, created_at, published, answered FROM qna_questions \
             WHERE id = $1 AND container_id = $2",
        )
        .bind(id)
        .bind(container_id)
        .fetch_optional(pool)
        .await?);
        let row = row.ok_or_else(|| Error::NotFound("no such question".into()))?;
        Ok(self.complete(container_id, vec![row]).await?.remove(0))
    }

    /// The latest [`QNA_HISTORY`] questions of a room, oldest first.
    pub async fn recent_questions(&self, container_id: i64) -> Result<Vec<QuestionRecord>> {
        let mut rows: Vec<QuestionRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, user_id, asker, body, created_at, published, answered FROM qna_questions \
             WHERE container_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(container_id)
        .bind(QNA_HISTORY)
        .fetch_all(pool)
        .await?);
        rows.reverse();
        self.complete(container_id, rows).await
    }

    /// Adds replies and voters to question rows, ascending by id (two queries whatever the count).
    async fn complete(
        &self,
        container: i64,
        rows: Vec<QuestionRow>,
    ) -> Result<Vec<QuestionRecord>> {
        let Some(first) = rows.first().map(|r| r.0) else {
            return Ok(Vec::new());
        };
        let last = rows.last().map_or(first, |r| r.0);
        let replies: Vec<(i64, i64, i64, String, String, i64)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT r.question_id, r.id, r.user_id, r.author, r.body, r.created_at \
             FROM qna_replies r JOIN qna_questions q ON q.id = r.question_id \
             WHERE q.container_id = $1 AND q.id BETWEEN $2 AND $3 ORDER BY r.id",
        )
        .bind(container)
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?);
        let votes: Vec<(i64, i64)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT v.question_id, v.user_id FROM qna_votes v \
             JOIN qna_questions q ON q.id = v.question_id \
             WHERE q.container_id = $1 AND q.id BETWEEN $2 AND $3 ORDER BY v.user_id",
        )
        .bind(container)
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(
                |(id, user_id, asker, text, at, published, answered)| QuestionRecord {
                    id,
                    user_id,
                    asker,
                    text,
                    at,
                    published,
                    answered,
                    replies: replies
                        .iter()
                        .filter(|r| r.0 == id)
                        .map(|(_, id, user_id, author, text, at)| QnaReply {
                            id: *id,
                            user_id: *user_id,
                            author: author.clone(),
                            text: text.clone(),
                            at: *at,
                        })
                        .collect(),
                    voters: votes.iter().filter(|v| v.0 == id).map(|v| v.1).collect(),
                },
            )
            .collect())
    }

    pub async fn reply_to_question(
        &self,
        container_id: i64,
        question_id: i64,
        user_id: i64,
        author: &str,
        text: &str,
    ) -> Result<QuestionRecord> {
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO qna_replies (id, question_id, user_id, author, body, created_at) \
             SELECT $1, id, $2, $3, $4, $5 FROM qna_questions WHERE id = $6 AND container_id = $7",
        )
        .bind(next_id())
        .bind(user_id)
        .bind(author)
        .bind(text)
        .bind(now_secs())
        .bind(question_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        self.question(container_id, question_id).await
    }

    /// Publishes a question to everyone and/or marks it answered (flags only ever turn on).
    pub async fn mark_question(
        &self,
        container_id: i64,
        question_id: i64,
        publish: bool,
        answered: bool,
    ) -> Result<QuestionRecord> {
        with_pool!(&self.db, pool => sqlx::query(
            "UPDATE qna_questions SET published = published OR $1, answered = answered OR $2 \
             WHERE id = $3 AND container_id = $4",
        )
        .bind(publish)
        .bind(answered)
        .bind(question_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        self.question(container_id, question_id).await
    }

    /// Counts `user_id`'s upvote once; `false` if they had voted already.
    pub async fn upvote_question(
        &self,
        container_id: i64,
        question_id: i64,
        user_id: i64,
    ) -> Result<bool> {
        let added = with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO qna_votes (question_id, user_id) \
             SELECT id, $1 FROM qna_questions WHERE id = $2 AND container_id = $3 AND published \
             ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(question_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(added == 1)
    }
}
