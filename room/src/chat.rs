//! Who may write and read which chat of a room, and the limits of a message. Messages
//! themselves are persisted by the server; the rules only decide.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::types::{Action, Actor, RoomError, UnixTime};

/// Longest chat message, in characters (after trimming).
pub const MAX_CHAT_CHARS: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatChannel {
    /// Everyone in the room, when the room's Group chat setting is on.
    Group,
    /// Room and chat moderators only.
    Backchannel,
}

impl ChatChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Backchannel => "backchannel",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "group" => Some(Self::Group),
            "backchannel" => Some(Self::Backchannel),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub channel: ChatChannel,
    pub user_id: i64,
    pub author: String,
    /// Plain text; the UI escapes it like any other text.
    pub text: String,
    pub at: UnixTime,
}

/// Whether `actor` may read `channel` (a room without group chat has none to read).
pub fn may_read(channel: ChatChannel, actor: &Actor, group_chat: bool) -> bool {
    match channel {
        ChatChannel::Group => group_chat,
        ChatChannel::Backchannel => actor.rights.backchannel(),
    }
}

/// The chat state of a live session: who is blocked from writing.
#[derive(Clone, Debug, Default)]
pub struct ChatRules {
    pub group_chat: bool,
    blocked: BTreeSet<i64>,
}

impl ChatRules {
    pub fn new(group_chat: bool) -> Self {
        Self {
            group_chat,
            blocked: BTreeSet::new(),
        }
    }

    pub fn is_blocked(&self, user_id: i64) -> bool {
        self.blocked.contains(&user_id)
    }

    /// Checks a message and returns its text as it will be stored (trimmed).
    pub fn check_post(
        &self,
        actor: &Actor,
        channel: ChatChannel,
        text: &str,
    ) -> Result<String, RoomError> {
        if !may_read(channel, actor, self.group_chat) {
            return Err(match channel {
                ChatChannel::Group => RoomError::ChatOff,
                ChatChannel::Backchannel => RoomError::NotAllowed {
                    action: Action::UseBackchannel,
                },
            });
        }
        if self.is_blocked(actor.user_id) {
            return Err(RoomError::BlockedInChat);
        }
        let text = crate::qna::clean_text(text);
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_CHAT_CHARS {
            return Err(RoomError::InvalidChat {
                max: MAX_CHAT_CHARS,
            });
        }
        Ok(text.to_owned())
    }

    /// Deleting a message or blocking someone: chat moderators only.
    pub fn check_moderation(actor: &Actor) -> Result<(), RoomError> {
        if actor.rights.chat_moderator {
            Ok(())
        } else {
            Err(RoomError::NotAllowed {
                action: Action::ModerateChat,
            })
        }
    }

    /// Blocks `user_id` from writing for the rest of the session; moderators cannot be blocked.
    pub fn block(
        &mut self,
        actor: &Actor,
        user_id: i64,
        target_is_moderator: bool,
    ) -> Result<bool, RoomError> {
        Self::check_moderation(actor)?;
        if target_is_moderator || user_id == actor.user_id {
            return Err(RoomError::NotAllowed {
                action: Action::ModerateChat,
            });
        }
        Ok(self.blocked.insert(user_id))
    }
}
