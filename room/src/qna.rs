//! Q&A: a participant's question is a private thread with the chat moderators until a
//! moderator publishes it; then everyone sees it and may upvote it once. The server stores
//! questions, replies and votes; these functions decide who may do what and who sees what.

use serde::{Deserialize, Serialize};

use crate::types::{Action, Actor, RoomError, UnixTime};

/// Longest question or reply, in characters (after trimming).
pub const MAX_QUESTION_CHARS: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QnaReply {
    pub id: i64,
    pub user_id: i64,
    pub author: String,
    pub text: String,
    pub at: UnixTime,
}

/// A question as stored, with everyone who upvoted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionRecord {
    pub id: i64,
    pub user_id: i64,
    pub asker: String,
    pub text: String,
    pub at: UnixTime,
    pub published: bool,
    pub answered: bool,
    pub replies: Vec<QnaReply>,
    pub voters: Vec<i64>,
}

/// What one person sees of a question: the count of votes, not who cast them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: i64,
    pub user_id: i64,
    pub asker: String,
    pub text: String,
    pub at: UnixTime,
    pub published: bool,
    pub answered: bool,
    pub replies: Vec<QnaReply>,
    pub votes: u32,
    /// This person upvoted it.
    pub voted: bool,
}

impl QuestionRecord {
    /// The asker and chat moderators see a question; everyone once it is published.
    pub fn may_see(&self, actor: &Actor) -> bool {
        self.published || self.user_id == actor.user_id || actor.rights.chat_moderator
    }

    pub fn view_for(&self, actor: &Actor) -> Option<Question> {
        self.may_see(actor).then(|| Question {
            id: self.id,
            user_id: self.user_id,
            asker: self.asker.clone(),
            text: self.text.clone(),
            at: self.at,
            published: self.published,
            answered: self.answered,
            replies: self.replies.clone(),
            votes: self.voters.len() as u32,
            voted: self.voters.contains(&actor.user_id),
        })
    }
}

/// Replies one question thread holds: a thread is sent whole on every change, so it stays
/// small enough for every reader's outbox.
pub const MAX_REPLIES: usize = 50;

/// Text without control characters (each costs six bytes as a JSON escape and shows nothing),
/// trimmed; line breaks and tabs are kept.
pub fn clean_text(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

fn check_text(text: &str) -> Result<String, RoomError> {
    let text = clean_text(text);
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_QUESTION_CHARS {
        return Err(RoomError::InvalidQuestion {
            max: MAX_QUESTION_CHARS,
        });
    }
    Ok(text.to_owned())
}

fn enabled(qna: bool) -> Result<(), RoomError> {
    if qna {
        Ok(())
    } else {
        Err(RoomError::QnaOff)
    }
}

/// Anyone in the room asks; returns the text to store.
pub fn check_ask(qna: bool, text: &str) -> Result<String, RoomError> {
    enabled(qna)?;
    check_text(text)
}

/// Chat moderators reply; the asker may follow up in their own thread.
pub fn check_reply(
    qna: bool,
    actor: &Actor,
    question: &QuestionRecord,
    text: &str,
) -> Result<String, RoomError> {
    enabled(qna)?;
    if !question.may_see(actor) {
        return Err(RoomError::UnknownQuestion);
    }
    if !actor.rights.chat_moderator && question.user_id != actor.user_id {
        return Err(RoomError::NotAllowed {
            action: Action::AnswerQuestions,
        });
    }
    if question.replies.len() >= MAX_REPLIES {
        return Err(RoomError::TooManyReplies { max: MAX_REPLIES });
    }
    check_text(text)
}

/// Publishing a question to everyone or marking it answered: chat moderators.
pub fn check_manage(qna: bool, actor: &Actor) -> Result<(), RoomError> {
    enabled(qna)?;
    if actor.rights.chat_moderator {
        Ok(())
    } else {
        Err(RoomError::NotAllowed {
            action: Action::AnswerQuestions,
        })
    }
}

/// One upvote per person, on published questions only.
pub fn check_upvote(qna: bool, actor: &Actor, question: &QuestionRecord) -> Result<(), RoomError> {
    enabled(qna)?;
    if !question.may_see(actor) {
        return Err(RoomError::UnknownQuestion);
    }
    if !question.published {
        return Err(RoomError::NotPublished);
    }
    if question.voters.contains(&actor.user_id) {
        return Err(RoomError::AlreadyVoted);
    }
    Ok(())
}

/// The order the Q&A list shows: open published questions by votes (ties: older first), then
/// answered ones, then private threads, oldest first.
pub fn sort_questions(questions: &mut [Question]) {
    questions.sort_by_key(|q| {
        let group = match (q.published, q.answered) {
            (true, false) => 0,
            (true, true) => 1,
            (false, _) => 2,
        };
        let votes = if q.published { q.votes } else { 0 };
        (group, std::cmp::Reverse(votes), q.at, q.id)
    });
}
