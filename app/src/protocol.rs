//! The room's signalling protocol over `/api/rooms/{container_id}/ws?v=1`, shared by the
//! browser and the server. JSON text frames, one message each, tagged by `type`. A new
//! incompatible shape bumps [`PROTOCOL_VERSION`]; the server refuses versions it does not speak.

use domain::{RoomMode, RoomRights};
use room::{
    ChatChannel, ChatMessage, CloseReason, MediaState, Moderation, Participant, ParticipantId,
    PollDraft, PollView, Question, Reaction, Seat, StageAccess,
};
use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

/// Largest client message the server reads; SDP offers with simulcast are ~6-10 KB.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

pub fn socket_path(container_id: i64) -> String {
    format!("/api/rooms/{container_id}/ws?v={PROTOCOL_VERSION}")
}

/// Which of a stage participant's sources a track carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Mic,
    Camera,
    Screen,
}

/// The simulcast layer a tile asks for; the server may send less when bandwidth is short.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    Low,
    #[default]
    Medium,
    High,
}

impl Quality {
    pub const ALL: [Quality; 3] = [Quality::Low, Quality::Medium, Quality::High];

    /// The RTP stream id browsers publish this layer under (see [`Quality::scale_down_by`]).
    pub fn rid(self) -> &'static str {
        match self {
            Self::Low => "q",
            Self::Medium => "h",
            Self::High => "f",
        }
    }

    pub fn from_rid(rid: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.rid() == rid)
    }

    /// Resolution divisor of the layer relative to the captured camera.
    pub fn scale_down_by(self) -> f64 {
        match self {
            Self::Low => 4.0,
            Self::Medium => 2.0,
            Self::High => 1.0,
        }
    }

    /// Bitrate cap the browser encodes the layer with, bits per second.
    pub fn max_bitrate(self) -> u32 {
        match self {
            Self::Low => 150_000,
            Self::Medium => 500_000,
            Self::High => 1_700_000,
        }
    }
}

/// One video a subscriber wants to see, in priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tile {
    pub participant: ParticipantId,
    pub source: Source,
    pub quality: Quality,
}

/// A published track and the transceiver `mid` it travels on in the publisher's offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTrack {
    pub mid: String,
    pub source: Source,
}

/// What fills one receiving transceiver of the subscriber connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotAssignment {
    pub mid: String,
    pub participant: ParticipantId,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The room as a client first sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub title: String,
    pub mode: RoomMode,
    pub open: bool,
    pub rights: RoomRights,
    /// The rules' answer for this user: offer Join stage or only Join as viewer.
    pub may_take_stage: bool,
    /// The room's Group chat setting.
    pub group_chat: bool,
    pub ice_servers: Vec<IceServer>,
}

/// Where this user stands in the room now; sent after joining and whenever their rights or
/// the room's stage access change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub rights: RoomRights,
    pub stage_access: StageAccess,
    /// Join stage is offered without asking.
    pub may_take_stage: bool,
    /// "Ask to join the stage" is offered.
    pub may_request_stage: bool,
    pub qna: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// A room moderator opens the live session.
    Launch,
    Join {
        seat: Seat,
        media: MediaState,
    },
    /// Offer of the publishing connection (the client always offers on it).
    PublishOffer {
        sdp: String,
        tracks: Vec<PublishedTrack>,
    },
    /// Answer to the server's offer on the subscribing connection.
    SubscribeAnswer {
        sdp: String,
    },
    /// The videos this client shows, highest priority first (at most the room's visible limit).
    Subscribe {
        tiles: Vec<Tile>,
    },
    SetMedia {
        media: MediaState,
    },
    SetSeat {
        seat: Seat,
    },
    EndForAll,
    Leave,
    Chat {
        channel: ChatChannel,
        text: String,
    },
    /// Chat moderators: hide a message for everyone.
    DeleteChat {
        message: i64,
    },
    /// Chat moderators: stop a participant writing for the rest of the session.
    BlockInChat {
        user_id: i64,
    },
    /// Room moderators: how the audience gets on stage.
    SetStageAccess {
        access: StageAccess,
    },
    RequestStage,
    CancelStageRequest,
    /// Room moderators: approving invites the requester.
    AnswerStageRequest {
        participant: ParticipantId,
        approve: bool,
    },
    InviteToStage {
        participant: ParticipantId,
    },
    DeclineInvitation,
    RaiseHand,
    /// Own hand without `participant`; room moderators lower anyone's.
    LowerHand {
        #[serde(default)]
        participant: Option<ParticipantId>,
    },
    React {
        reaction: Reaction,
    },
    Moderate {
        participant: ParticipantId,
        action: Moderation,
    },
    Ask {
        text: String,
    },
    Reply {
        question: i64,
        text: String,
    },
    /// Chat moderators: show a question to everyone.
    PublishQuestion {
        question: i64,
    },
    MarkAnswered {
        question: i64,
    },
    Upvote {
        question: i64,
    },
    LaunchPoll {
        poll: PollDraft,
    },
    Vote {
        poll: i64,
        choices: Vec<u8>,
    },
    ClosePoll {
        poll: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        room: RoomInfo,
    },
    /// A moderator launched the room: waiting clients go on to Set devices.
    Opened,
    Joined {
        you: ParticipantId,
        participants: Vec<Participant>,
    },
    PublishAnswer {
        sdp: String,
    },
    SubscribeOffer {
        sdp: String,
    },
    /// Current mapping of the subscriber connection's transceivers to participants.
    Slots {
        video: Vec<SlotAssignment>,
        audio: Vec<SlotAssignment>,
    },
    ParticipantJoined {
        participant: Participant,
    },
    ParticipantUpdated {
        participant: ParticipantId,
        seat: Seat,
        media: MediaState,
    },
    ParticipantLeft {
        participant: ParticipantId,
    },
    /// Who spoke most recently, loudest first.
    ActiveSpeakers {
        participants: Vec<ParticipantId>,
    },
    Closed {
        reason: CloseReason,
        message: String,
    },
    /// The recent messages of a channel this participant may read, oldest first.
    ChatHistory {
        channel: ChatChannel,
        messages: Vec<ChatMessage>,
    },
    Chat {
        message: ChatMessage,
    },
    ChatDeleted {
        message: i64,
    },
    ChatBlocked {
        user_id: i64,
    },
    Standing {
        standing: Standing,
    },
    ParticipantRights {
        participant: ParticipantId,
        rights: RoomRights,
    },
    /// Pending stage requests, oldest first (room moderators).
    StageRequests {
        requests: Vec<ParticipantId>,
    },
    /// A moderator invited you to the stage (or approved your request): take it or decline.
    Invited,
    StageRequestDeclined,
    /// Room moderators: someone turned an invitation down.
    InvitationDeclined {
        participant: ParticipantId,
    },
    /// Raised hands in order: all of them for room moderators, one's own for others.
    Hands {
        hands: Vec<ParticipantId>,
    },
    Reaction {
        participant: ParticipantId,
        reaction: Reaction,
    },
    /// A moderator acted on you; `message` says what.
    Moderated {
        action: Moderation,
        message: String,
    },
    /// The questions this participant may see (after joining or a rights change).
    Questions {
        questions: Vec<Question>,
    },
    /// A question was asked or changed (insert or replace by id).
    Question {
        question: Box<Question>,
    },
    Polls {
        polls: Vec<PollView>,
    },
    /// A poll was launched or changed (insert or replace by id).
    Poll {
        poll: Box<PollView>,
    },
    /// A refused request; nothing changed. `code` is stable, `message` is for people.
    Error {
        code: String,
        message: String,
    },
}

impl ServerMessage {
    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::Error {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<&room::RoomError> for ServerMessage {
    fn from(error: &room::RoomError) -> Self {
        Self::error(error.code(), error.to_string())
    }
}
