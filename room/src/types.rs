use domain::RoomRights;
pub use domain::StageAccess;
use serde::{Deserialize, Serialize};

/// The fixed set of reactions, shown briefly over the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    ThumbsUp,
    Clap,
    Heart,
    Laugh,
    Surprised,
}

impl Reaction {
    pub const ALL: [Reaction; 5] = [
        Self::ThumbsUp,
        Self::Clap,
        Self::Heart,
        Self::Laugh,
        Self::Surprised,
    ];

    pub fn emoji(self) -> &'static str {
        match self {
            Self::ThumbsUp => "👍",
            Self::Clap => "👏",
            Self::Heart => "❤️",
            Self::Laugh => "😂",
            Self::Surprised => "😮",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ThumbsUp => "Thumbs up",
            Self::Clap => "Applause",
            Self::Heart => "Love",
            Self::Laugh => "Laugh",
            Self::Surprised => "Surprised",
        }
    }
}

/// What a room moderator does to another participant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    MuteMic,
    StopCamera,
    RemoveFromStage,
    /// Out of the room, and refused if they try to join again this session.
    RemoveFromRoom,
}

impl Moderation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MuteMic => "mute_mic",
            Self::StopCamera => "stop_camera",
            Self::RemoveFromStage => "remove_from_stage",
            Self::RemoveFromRoom => "remove_from_room",
        }
    }

    /// What the person it happened to reads.
    pub fn message(self) -> &'static str {
        match self {
            Self::MuteMic => "A moderator muted your microphone.",
            Self::StopCamera => "A moderator stopped your camera.",
            Self::RemoveFromStage => "A moderator moved you from the stage to the audience.",
            Self::RemoveFromRoom => "A moderator removed you from this session.",
        }
    }
}

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
    /// Speaks without asking: room moderators and holders of a speaker's invitation link.
    pub presenter: bool,
}

impl Actor {
    /// The server itself, applying what was saved on the Meeting room tab.
    pub const SYSTEM: Actor = Actor {
        user_id: 0,
        rights: RoomRights {
            room_moderator: true,
            chat_moderator: true,
        },
        presenter: false,
    };
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
    /// Room moderators: how the audience gets onto the stage from now on.
    SetStageAccess {
        access: StageAccess,
    },
    /// A viewer asks to join the stage (rooms where they may not step on directly).
    RequestStage {
        participant: ParticipantId,
    },
    CancelStageRequest {
        participant: ParticipantId,
    },
    /// Room moderators: approving invites the requester, who then steps on stage.
    AnswerStageRequest {
        participant: ParticipantId,
        approve: bool,
    },
    /// Room moderators invite a viewer to the stage; the viewer accepts by taking the stage.
    InviteToStage {
        participant: ParticipantId,
    },
    DeclineInvitation {
        participant: ParticipantId,
    },
    RaiseHand {
        participant: ParticipantId,
    },
    /// By the hand's owner or a room moderator.
    LowerHand {
        participant: ParticipantId,
    },
    React {
        participant: ParticipantId,
        reaction: Reaction,
    },
    /// Room moderators act on another participant.
    Moderate {
        participant: ParticipantId,
        action: Moderation,
    },
    /// The server re-resolved a connected user's rights (a role or group changed).
    SetRights {
        participant: ParticipantId,
        rights: RoomRights,
    },
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
    /// A moderator removed this participant (the others stay).
    Removed,
    /// The user no longer has access to the room (a role or group change).
    AccessRevoked,
}

impl CloseReason {
    pub fn message(self) -> &'static str {
        match self {
            Self::EndedByModerator => "A moderator ended the session for everyone.",
            Self::RoomDisabled => "The meeting room was disabled.",
            Self::Removed => Moderation::RemoveFromRoom.message(),
            Self::AccessRevoked => "You no longer have access to this room.",
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
    StageAccessChanged {
        access: StageAccess,
    },
    /// Pending stage requests, oldest first (for room moderators).
    StageRequestsChanged {
        requests: Vec<ParticipantId>,
    },
    Invited {
        participant: ParticipantId,
    },
    /// A room moderator declined a request; the requester is told.
    StageRequestDeclined {
        participant: ParticipantId,
    },
    InvitationDeclined {
        participant: ParticipantId,
    },
    /// Raised hands in the order they went up.
    HandsChanged {
        hands: Vec<ParticipantId>,
    },
    Reacted {
        participant: ParticipantId,
        reaction: Reaction,
    },
    /// Tells the target what a moderator did (the state change comes as its own event).
    Moderated {
        participant: ParticipantId,
        action: Moderation,
    },
    /// A participant was removed by a moderator (after `Moderated`); they get `Closed`.
    Removed {
        participant: ParticipantId,
        reason: CloseReason,
    },
    RightsChanged {
        participant: ParticipantId,
        rights: RoomRights,
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
    ModerateRoom,
    RequestStage,
    AnswerQuestions,
    RunPolls,
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
            Self::ModerateRoom => "moderate participants (room moderators only)",
            Self::RequestStage => "ask to join the stage: a moderator invites people in this room",
            Self::AnswerQuestions => "reply to, publish or answer questions (chat moderators only)",
            Self::RunPolls => "launch or close polls (chat moderators only)",
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
    #[error("You are already in this room on {limit} devices; leave on one of them first.")]
    TooManyDevices { limit: usize },
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
    #[error("That participant is not in the room.")]
    UnknownParticipant,
    #[error("A moderator removed you from this session.")]
    Removed,
    #[error("Too many reactions; wait a moment.")]
    TooManyReactions,
    #[error("Q&A is off in this room.")]
    QnaOff,
    #[error("A question or reply must be 1 to {max} characters.")]
    InvalidQuestion { max: usize },
    #[error("This question has its {max} replies; ask a new one.")]
    TooManyReplies { max: usize },
    #[error("That question does not exist or is not visible to you.")]
    UnknownQuestion,
    #[error("Only published questions can be upvoted.")]
    NotPublished,
    #[error("You have already voted.")]
    AlreadyVoted,
    #[error("A poll needs a question of 1 to {max_question} characters and 2 to {max_options} distinct options of 1 to {max_option} characters; correct answers must be among them.")]
    InvalidPoll {
        max_question: usize,
        max_options: usize,
        max_option: usize,
    },
    #[error("That poll does not exist.")]
    UnknownPoll,
    #[error("This poll is closed.")]
    PollClosed,
    #[error("Pick one option (or several where the poll allows it).")]
    InvalidVote,
}

impl RoomError {
    /// Stable machine-readable code for the wire (the variant's serde tag).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotOpen => "not_open",
            Self::RoomFull { .. } => "room_full",
            Self::TooManyDevices { .. } => "too_many_devices",
            Self::StageFull { .. } => "stage_full",
            Self::NotAllowed { .. } => "not_allowed",
            Self::AlreadyJoined => "already_joined",
            Self::NotInRoom => "not_in_room",
            Self::InvalidName { .. } => "invalid_name",
            Self::ChatOff => "chat_off",
            Self::BlockedInChat => "blocked_in_chat",
            Self::InvalidChat { .. } => "invalid_chat",
            Self::UnknownParticipant => "unknown_participant",
            Self::Removed => "removed",
            Self::TooManyReactions => "too_many_reactions",
            Self::QnaOff => "qna_off",
            Self::InvalidQuestion { .. } => "invalid_question",
            Self::TooManyReplies { .. } => "too_many_replies",
            Self::UnknownQuestion => "unknown_question",
            Self::NotPublished => "not_published",
            Self::AlreadyVoted => "already_voted",
            Self::InvalidPoll { .. } => "invalid_poll",
            Self::UnknownPoll => "unknown_poll",
            Self::PollClosed => "poll_closed",
            Self::InvalidVote => "invalid_vote",
        }
    }
}

/// The room's configuration, from the Meeting room tab (stage access also changes live).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomConfig {
    pub mode: domain::RoomMode,
    pub stage_access: StageAccess,
}

impl RoomConfig {
    /// A room of `mode` with that mode's default stage access.
    pub fn new(mode: domain::RoomMode) -> Self {
        Self {
            mode,
            stage_access: StageAccess::default_for(mode),
        }
    }
}
