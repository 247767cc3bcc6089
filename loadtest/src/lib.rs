//! Rust participants for meeting rooms, on webrtc-rs: an implementation independent of the
//! browser's and of our SFU's, so the SFU is tested against more than itself.

mod bot;
mod keyframes;
mod media;
mod session;

pub use bot::{Bot, BotConfig, BotError, BotStats};
pub use session::sign_in;
