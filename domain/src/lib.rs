//! Plain types and pure rules shared by the browser and the server.
//!
//! Nothing here does I/O or reads a clock, so the rules are tested exhaustively and the UI can
//! ask the very same functions the server uses what to show.

pub mod access;
pub mod api;
pub mod container;
pub mod lti;
pub mod media;
pub mod room;

pub use access::{Access, Identity, PrincipalRef, RoomRights};
pub use container::{ChannelPrivacy, ContainerKind, ContainerRole, Lms, MediaStatus};
pub use room::{QnaSetting, RoomLimits, RoomMode, StageAccess};
