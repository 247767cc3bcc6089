use domain::{RoomMode, RoomRights};
use serde::{Deserialize, Serialize};

/// One connection in the room. A person may join from two devices: two participants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParticipantId(pub u64);

impl std::fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// Seconds since the Unix epoch, handed in by the caller (the rules never read a clock).
pub type UnixTime = i64;

/// What the server resolved about a user before they act in the room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: i64,
    pub rights: RoomRights,
    /// Assigned speaker in a Webinar (media owners and co-editors are hosts and count too).
    pub presenter: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seat {
    /// Watches the stage; sends no audio or video.
    #[default]
    Viewer,
    /// May publish microphone, camera and screen.
    Stage,
}

/// Which media a stage participant currently sends. Viewers send none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MediaState {
    pub mic: bool,
    pub camera: bool,
    pub screen: bool,
}

impl MediaState {
    pub const OFF: Self = Self {
        mic: false,
        camera: false,
        screen: false,
    };
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub user_id: i64,
    pub name: String,
    pub seat: Seat,
    pub media: MediaState,
    pub rights: RoomRights,
    pub joined_at: UnixTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A room moderator opens the live session; idempotent while it is open.
    Launch,
    Join {
        participant: ParticipantId,
        name: String,
        seat: Seat,
        media: MediaState,
    },
    /// Move between the stage and the audience.
    SetSeat {
        participant: ParticipantId,
        seat: Seat,
    },
    SetMedia {
        participant: ParticipantId,
        media: MediaState,
    },
    Leave {
        participant: ParticipantId,
    },
    /// A room moderator's "End session for all".
    EndForAll,
    /// The room was disabled (or its mode changed) on the Meeting room tab.
    Close {
        reason: CloseReason,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    EndedByModerator,
    RoomDisabled,
}

impl CloseReason {
    pub fn message(self) -> &'static str {
        match self {
            Self::EndedByModerator => "A moderator ended the session for everyone.",
            Self::RoomDisabled => "The meeting room was disabled.",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Launched {
        at: UnixTime,
    },
    Joined {
        participant: Participant,
    },
    SeatChanged {
        participant: ParticipantId,
        seat: Seat,
        media: MediaState,
    },
    MediaChanged {
        participant: ParticipantId,
        media: MediaState,
    },
    Left {
        participant: ParticipantId,
    },
    Closed {
        reason: CloseReason,
    },
}

/// What a participant tried to do, for [`RoomError::NotAllowed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Launch,
    TakeStage,
    Publish,
    EndForAll,
    ActForOthers,
    UseBackchannel,
    ModerateChat,
}

impl Action {
    fn describe(self) -> &'static str {
        match self {
            Self::Launch => "start the room (room moderators only)",
            Self::TakeStage => "join the stage in this room",
            Self::Publish => "send audio or video without being on stage",
            Self::EndForAll => "end the session for everyone (room moderators only)",
            Self::ActForOthers => "act for another participant",
            Self::UseBackchannel => "use the moderators' backchannel",
            Self::ModerateChat => "moderate this chat (chat moderators only)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RoomError {
    #[error("The room opens when a moderator starts it.")]
    NotOpen,
    #[error("This room is full ({limit} participants).")]
    RoomFull { limit: u32 },
    #[error("The stage is full ({limit} people on stage).")]
    StageFull { limit: u32 },
    #[error("You may not {}.", action.describe())]
    NotAllowed { action: Action },
    #[error("You have already joined this room.")]
    AlreadyJoined,
    #[error("You are not in this room.")]
    NotInRoom,
    #[error("The display name must be 1 to {max} characters.")]
    InvalidName { max: usize },
    #[error("Group chat is off in this room.")]
    ChatOff,
    #[error("A moderator has blocked you from writing in this chat.")]
    BlockedInChat,
    #[error("A chat message must be 1 to {max} characters.")]
    InvalidChat { max: usize },
}

impl RoomError {
    /// Stable machine-readable code for the wire (the variant's serde tag).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotOpen => "not_open",
            Self::RoomFull { .. } => "room_full",
            Self::StageFull { .. } => "stage_full",
            Self::NotAllowed { .. } => "not_allowed",
            Self::AlreadyJoined => "already_joined",
            Self::NotInRoom => "not_in_room",
            Self::InvalidName { .. } => "invalid_name",
            Self::ChatOff => "chat_off",
            Self::BlockedInChat => "blocked_in_chat",
            Self::InvalidChat { .. } => "invalid_chat",
        }
    }
}

/// The room's static configuration, from the Meeting room tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomConfig {
    pub mode: RoomMode,
}
