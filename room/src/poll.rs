//! Polls and quizzes: chat moderators launch and close them; everyone in the room votes once.
//! Moderators see results live; everyone sees them (and a quiz's correct answers) once closed.

use serde::{Deserialize, Serialize};

use crate::types::{Action, Actor, RoomError, UnixTime};

pub const MAX_POLL_QUESTION_CHARS: usize = 300;
pub const MAX_POLL_OPTIONS: usize = 10;
pub const MAX_POLL_OPTION_CHARS: usize = 200;

/// A poll as a chat moderator writes it. `correct` empty: a poll; otherwise a quiz.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollDraft {
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
    #[serde(default)]
    pub correct: Vec<u8>,
}

/// A poll as stored, with every vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollRecord {
    pub id: i64,
    pub draft: PollDraft,
    pub open: bool,
    pub at: UnixTime,
    /// (user, their choices), one per user.
    pub votes: Vec<(i64, Vec<u8>)>,
}

/// What one person sees of a poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollView {
    pub id: i64,
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
    pub quiz: bool,
    pub open: bool,
    /// A quiz's answers, for moderators and once closed.
    pub correct: Option<Vec<u8>>,
    /// Votes per option, for moderators and once closed.
    pub results: Option<Vec<u32>>,
    pub voters: Option<u32>,
    /// This person's choices, if they voted.
    pub mine: Option<Vec<u8>>,
    pub at: UnixTime,
}

fn invalid() -> RoomError {
    RoomError::InvalidPoll {
        max_question: MAX_POLL_QUESTION_CHARS,
        max_options: MAX_POLL_OPTIONS,
        max_option: MAX_POLL_OPTION_CHARS,
    }
}

fn bounded(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= max).then(|| text.to_owned())
}

/// Sorted, without repeats, every index below `options`.
fn normalised(choices: &[u8], options: usize) -> Option<Vec<u8>> {
    let mut choices = choices.to_vec();
    choices.sort_unstable();
    choices.dedup();
    choices
        .iter()
        .all(|&c| (c as usize) < options)
        .then_some(choices)
}

pub fn check_run_polls(actor: &Actor) -> Result<(), RoomError> {
    if actor.rights.chat_moderator {
        Ok(())
    } else {
        Err(RoomError::NotAllowed {
            action: Action::RunPolls,
        })
    }
}

/// Checks a new poll and returns it as it will be stored (trimmed, answers sorted).
pub fn check_poll(actor: &Actor, draft: &PollDraft) -> Result<PollDraft, RoomError> {
    check_run_polls(actor)?;
    let question = bounded(&draft.question, MAX_POLL_QUESTION_CHARS).ok_or_else(invalid)?;
    let options: Vec<String> = draft
        .options
        .iter()
        .map(|o| bounded(o, MAX_POLL_OPTION_CHARS))
        .collect::<Option<_>>()
        .ok_or_else(invalid)?;
    let distinct = options
        .iter()
        .enumerate()
        .all(|(i, o)| !options[..i].contains(o));
    if !(2..=MAX_POLL_OPTIONS).contains(&options.len()) || !distinct {
        return Err(invalid());
    }
    let correct = normalised(&draft.correct, options.len()).ok_or_else(invalid)?;
    if !draft.multiple && correct.len() > 1 {
        return Err(invalid());
    }
    Ok(PollDraft {
        question,
        options,
        multiple: draft.multiple,
        correct,
    })
}

impl PollRecord {
    /// Checks a vote and returns the choices as they will be stored.
    pub fn check_vote(&self, actor: &Actor, choices: &[u8]) -> Result<Vec<u8>, RoomError> {
        if !self.open {
            return Err(RoomError::PollClosed);
        }
        if self.votes.iter().any(|(user, _)| *user == actor.user_id) {
            return Err(RoomError::AlreadyVoted);
        }
        let choices =
            normalised(choices, self.draft.options.len()).ok_or(RoomError::InvalidVote)?;
        let fits = if self.draft.multiple {
            !choices.is_empty()
        } else {
            choices.len() == 1
        };
        if !fits {
            return Err(RoomError::InvalidVote);
        }
        Ok(choices)
    }

    /// Votes per option.
    pub fn tally(&self) -> Vec<u32> {
        let mut counts = vec![0; self.draft.options.len()];
        for (_, choices) in &self.votes {
            for &choice in choices {
                if let Some(count) = counts.get_mut(choice as usize) {
                    *count += 1;
                }
            }
        }
        counts
    }

    pub fn view_for(&self, actor: &Actor) -> PollView {
        let revealed = actor.rights.chat_moderator || !self.open;
        let quiz = !self.draft.correct.is_empty();
        PollView {
            id: self.id,
            question: self.draft.question.clone(),
            options: self.draft.options.clone(),
            multiple: self.draft.multiple,
            quiz,
            open: self.open,
            correct: (revealed && quiz).then(|| self.draft.correct.clone()),
            results: revealed.then(|| self.tally()),
            voters: revealed.then_some(self.votes.len() as u32),
            mine: self
                .votes
                .iter()
                .find(|(user, _)| *user == actor.user_id)
                .map(|(_, choices)| choices.clone()),
            at: self.at,
        }
    }
}
