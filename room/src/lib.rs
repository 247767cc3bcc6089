//! The rules of a live meeting room, sans-IO: [`Room::handle`] takes a command, the acting
//! participant's rights and the current time, and returns the events it caused or a named
//! [`RoomError`]. The server only translates sockets and SFU state into commands; the UI asks the
//! same functions (e.g. [`may_take_stage`]) what to offer.

mod chat;
mod rules;
mod types;

pub use chat::{may_read, ChatChannel, ChatMessage, ChatRules, MAX_CHAT_CHARS};
pub use rules::{may_take_stage, Room};
pub use types::*;

#[cfg(test)]
mod tests;
