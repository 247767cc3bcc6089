//! A room's past sessions: who took part (counted as people join), the list the Sessions tab
//! shows, and what a session held (chat, backchannel, Q&A), filtered the way the reader could
//! see it in the room.

use domain::media::{
    PastSession, RecordingStatus, SessionList, SessionRecording, SessionTranscript, TranscriptLine,
    TranscriptQuestion,
};
use domain::RoomRights;
use room::{Actor, QnaReply, QuestionRecord};

use crate::auth::Viewer;
use crate::containers::ContainerRow;
use crate::db::with_pool;
use crate::error::{Error, Result};
use crate::Store;

/// Past sessions the tab lists (the newest).
pub const SESSION_HISTORY: i64 = 200;

type SessionRow = (i64, i64, i64, i64);

impl Store {
    /// `user_id` joined the session of room `container_id` opened at `opened_at`; counted once.
    pub async fn record_session_participant(
        &self,
        container_id: i64,
        opened_at: i64,
        user_id: i64,
    ) -> Result<()> {
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO session_participants (container_id, opened_at, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(container_id)
        .bind(opened_at)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Whether the viewer may see the container's page (and so hear that it changed).
    pub async fn may_view_container(&self, viewer: &Viewer, container_id: i64) -> Result<()> {
        self.viewable(viewer, container_id).await.map(|_| ())
    }

    /// Those who may enter the room read its past sessions; the rights say how much.
    async fn session_reader(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<(ContainerRow, RoomRights)> {
        let (container, access, _, rights) = self.room_rights(viewer, container_id).await?;
        if !rights.may_enter(access) {
            return Err(Error::Forbidden(format!(
                "you are not a member of this {}",
                container.kind.noun().to_lowercase()
            )));
        }
        Ok((container, rights))
    }

    /// The Sessions tab: past sessions, newest first, with their recordings.
    pub async fn past_sessions(&self, viewer: &Viewer, container_id: i64) -> Result<SessionList> {
        let (container, rights) = self.session_reader(viewer, container_id).await?;
        let rows: Vec<SessionRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, opened_at, closed_at, participants FROM room_sessions \
             WHERE container_id = $1 ORDER BY opened_at DESC LIMIT $2",
        )
        .bind(container_id)
        .bind(SESSION_HISTORY)
        .fetch_all(pool)
        .await?);
        let mut recordings = self.session_recordings(viewer, container_id).await?;
        let sessions = rows
            .into_iter()
            .map(|row| past_session(row, &mut recordings))
            .collect();
        Ok(SessionList {
            container_id,
            container_kind: container.kind,
            moderator: rights.backchannel(),
            sessions,
        })
    }

    /// One past session with its chat and Q&A. Room and chat moderators read all of it (deleted
    /// messages marked); others what the room showed them: the group chat, and the questions
    /// the Q&A rules let them see.
    pub async fn session_transcript(
        &self,
        viewer: &Viewer,
        container_id: i64,
        session_id: i64,
    ) -> Result<SessionTranscript> {
        let (container, rights) = self.session_reader(viewer, container_id).await?;
        let row: Option<SessionRow> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, opened_at, closed_at, participants FROM room_sessions \
             WHERE id = $1 AND container_id = $2",
        )
        .bind(session_id)
        .bind(container_id)
        .fetch_optional(pool)
        .await?);
        let row = row.ok_or_else(|| Error::NotFound("there is no such past session".into()))?;
        let (opened_at, closed_at) = (row.1, row.2);
        let moderator = rights.backchannel();
        let mut recordings = self.session_recordings(viewer, container_id).await?;
        let group_chat = self
            .chat_between(container_id, "group", opened_at, closed_at, moderator)
            .await?;
        let backchannel = if moderator {
            Some(
                self.chat_between(container_id, "backchannel", opened_at, closed_at, true)
                    .await?,
            )
        } else {
            None
        };
        let actor = Actor {
            user_id: viewer.identity.user_id,
            rights,
            presenter: false,
        };
        let questions = self
            .questions_between(container_id, opened_at, closed_at)
            .await?
            .iter()
            .filter_map(|record| record.view_for(&actor))
            .map(|q| TranscriptQuestion {
                id: q.id,
                asker: q.asker,
                text: q.text,
                at: q.at,
                published: q.published,
                answered: q.answered,
                votes: q.votes,
                replies: q.replies.into_iter().map(reply_line).collect(),
            })
            .collect();
        Ok(SessionTranscript {
            session: past_session(row, &mut recordings),
            container_path: container.kind.page_path(container_id),
            container_title: container.title,
            moderator,
            group_chat,
            backchannel,
            questions,
        })
    }

    /// Recordings of the room as (session start, recording), those the viewer may see.
    async fn session_recordings(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<Vec<(i64, SessionRecording)>> {
        let (_, access) = self.access(viewer, container_id).await?;
        let rows: Vec<(i64, i64, String, String, i64)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT r.session_opened_at, m.id, m.title, r.status, m.owner_id FROM recordings r \
             JOIN media_entries m ON m.id = r.media_id WHERE r.container_id = $1 ORDER BY r.started_at, m.id",
        )
        .bind(container_id)
        .fetch_all(pool)
        .await?);
        let mut recordings = Vec::with_capacity(rows.len());
        for (opened_at, media_id, title, status, owner_id) in rows {
            let status = RecordingStatus::parse(&status)
                .ok_or_else(|| Error::corrupt("recording status", &status))?;
            // As on the Media tab: a failed recording is for its owner and the managers.
            let own = owner_id == viewer.identity.user_id;
            if status == RecordingStatus::Failed && !own && !access.can_configure() {
                continue;
            }
            let recording = SessionRecording {
                media_id,
                title,
                status,
            };
            recordings.push((opened_at, recording));
        }
        Ok(recordings)
    }

    async fn chat_between(
        &self,
        container_id: i64,
        channel: &str,
        from: i64,
        to: i64,
        with_deleted: bool,
    ) -> Result<Vec<TranscriptLine>> {
        let rows: Vec<(i64, String, String, i64, bool)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id, author, body, created_at, deleted FROM chat_messages \
             WHERE container_id = $1 AND channel = $2 AND created_at BETWEEN $3 AND $4 \
             AND ($5 OR NOT deleted) ORDER BY id",
        )
        .bind(container_id)
        .bind(channel)
        .bind(from)
        .bind(to)
        .bind(with_deleted)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, author, text, at, deleted)| TranscriptLine {
                id,
                author,
                text,
                at,
                deleted,
            })
            .collect())
    }

    /// Questions asked during a session, with their replies and votes.
    async fn questions_between(
        &self,
        container_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<QuestionRecord>> {
        let ids: Vec<(i64,)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id FROM qna_questions WHERE container_id = $1 AND created_at BETWEEN $2 AND $3 \
             ORDER BY id",
        )
        .bind(container_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?);
        let mut questions = Vec::with_capacity(ids.len());
        for (id,) in ids {
            questions.push(self.question(container_id, id).await?);
        }
        Ok(questions)
    }
}

/// A session row with the recordings made in it (taken out of `recordings`).
fn past_session(
    (id, opened_at, closed_at, participants): SessionRow,
    recordings: &mut Vec<(i64, SessionRecording)>,
) -> PastSession {
    let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(recordings)
        .into_iter()
        .partition(|(at, _)| *at == opened_at);
    *recordings = others;
    PastSession {
        id,
        opened_at,
        closed_at,
        participants,
        recordings: mine.into_iter().map(|(_, r)| r).collect(),
    }
}

fn reply_line(reply: QnaReply) -> TranscriptLine {
    TranscriptLine {
        id: reply.id,
        author: reply.author,
        text: reply.text,
        at: reply.at,
        deleted: false,
    }
}
