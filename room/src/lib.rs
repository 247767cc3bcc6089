//! The rules of a live meeting room, sans-IO: [`Room::handle`] takes a command, the acting
//! participant's rights and the current time, and returns the events it caused or a named
//! [`RoomError`]. The server only translates sockets and SFU state into commands; the UI asks the
//! same functions (e.g. [`may_take_stage`]) what to offer. Chat, Q&A and polls are persisted by
//! the server; their modules here decide who may do what and what each person sees.

mod chat;
mod poll;
mod qna;
mod rules;
mod stage;
mod types;

pub use chat::{may_read, ChatChannel, ChatMessage, ChatRules, MAX_CHAT_CHARS};
pub use poll::*;
pub use qna::*;
pub use rules::{may_request_stage, may_take_stage, Room, MAX_PARTICIPANTS_PER_PERSON};
pub use stage::{REACTION_BURST, REACTION_WINDOW_SECS};
pub use types::*;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_collab;
