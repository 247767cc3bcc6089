//! The room's signalling protocol over `/api/rooms/{container_id}/ws?v=1`, shared by the
//! browser and the server. JSON text frames, one message each, tagged by `type`. A new
//! incompatible shape bumps [`PROTOCOL_VERSION`]; the server refuses versions it does not speak.

use domain::{RoomMode, RoomRights};
use room::{
    ChatChannel, ChatMessage, CloseReason, MediaState, Moderation, Participant, ParticipantId,
    PollDraft, PollView, Question, Reaction, Seat, StageAccess,
};
use serde::{Deserialize, Serialize};

pub mod sdp;
pub mod vp8;

pub const PROTOCOL_VERSION: u32 = 1;

/// Largest client message the server reads; SDP offers with simulcast are ~6-10 KB.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// The server pings every connection this often (a [`ServerMessage::Ping`]; the page answers
/// [`ClientMessage::Pong`]); one that sends nothing for [`IDLE_TIMEOUT_SECS`] is dropped and
/// its participant leaves, so a frozen laptop cannot keep a stage seat.
pub const PING_INTERVAL_SECS: u64 = 15;
pub const IDLE_TIMEOUT_SECS: u64 = 45;

pub use room::MAX_PARTICIPANTS_PER_PERSON;

/// How long the server keeps a connectivity probe's peer (see [`ClientMessage::ProbeOffer`]).
pub const PROBE_LIFETIME_SECS: u64 = 10;

/// Largest SDP the server parses, and the most media sections and simulcast layers it accepts
/// in a publisher's offer (microphone, camera, screen, plus stopped transceivers a browser
/// keeps after renegotiations).
pub const MAX_SDP_BYTES: usize = 48 * 1024;
pub const MAX_OFFER_MEDIA_SECTIONS: usize = 8;
pub const MAX_SIMULCAST_LAYERS: usize = 3;

/// WebSocket close codes the server ends a room socket with, and what the page does next.
pub mod close_code {
    /// The session ended for this connection (after a `closed` message): stay out.
    pub const ENDED: u16 = 1000;
    /// The server is shutting down or restarting: reconnect.
    pub const RESTARTING: u16 = 1012;
    /// A frame over [`super::MAX_CLIENT_MESSAGE_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// The client kept sending far over its rate, or sent what the protocol forbids.
    pub const POLICY: u16 = 1008;
    /// The client read too slowly: its outbox filled up. Reconnect.
    pub const TOO_SLOW: u16 = 4000;
    /// Nothing came back for [`super::IDLE_TIMEOUT_SECS`]. Reconnect.
    pub const NOT_RESPONDING: u16 = 4001;
    /// The room hit an internal fault and restarted: rejoin.
    pub const ROOM_RESTARTED: u16 = 4002;

    /// Whether a page should reconnect after the server closed its socket with `code`.
    pub fn should_reconnect(code: u16) -> bool {
        !matches!(code, ENDED | TOO_BIG | POLICY)
    }
}

/// Delay before reconnect attempt `attempt` (0-based): "full jitter" over an exponential
/// ceiling (500 ms doubling to 15 s), so the pages of a restarted server do not all come back
/// in the same instant. `unit_random` is uniform in [0, 1).
pub fn reconnect_delay_ms(attempt: u32, unit_random: f64) -> u32 {
    const BASE_MS: u32 = 500;
    const CAP_MS: u32 = 15_000;
    let ceiling = BASE_MS.saturating_mul(1 << attempt.min(5)).min(CAP_MS);
    // At least a quarter of the ceiling: a page never hammers the server back to back.
    let spread = f64::from(ceiling) * 0.75 * unit_random.clamp(0.0, 1.0);
    ceiling / 4 + spread as u32
}

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

    /// The layers a camera of this size is published with. Chromium sends at most two layers
    /// under 960x540 and one under 480x270, dropping the top ones: asked for three, a
    /// 640x480 camera would reach everyone at 320x240. Asking only for what it sends keeps
    /// the camera's own resolution as the top layer.
    pub fn simulcast_layers(width: u32, height: u32) -> &'static [Quality] {
        let pixels = u64::from(width) * u64::from(height);
        if pixels >= 960 * 540 {
            &Self::ALL
        } else if pixels >= 480 * 270 {
            &Self::ALL[1..]
        } else {
            &Self::ALL[2..]
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

/// One of a participant's two peer connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaLink {
    Publisher,
    Subscriber,
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
    /// The answer to [`ServerMessage::Ping`].
    Pong,
    /// A room moderator opens the live session.
    Launch,
    Join {
        seat: Seat,
        media: MediaState,
    },
    /// Offer of the publishing connection (the client always offers on it). `restart` says it
    /// comes from a new peer connection replacing one whose media failed: the server drops the
    /// old one and forwards the new one's tracks to the same subscriber slots.
    PublishOffer {
        sdp: String,
        tracks: Vec<PublishedTrack>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        restart: bool,
    },
    /// The subscribing connection failed: the server builds a new one and sends its
    /// [`ServerMessage::SubscribeOffer`]; the page replaces its receiving peer connection.
    RestartSubscriber,
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
    /// Set devices' connectivity check: the offer of a short-lived peer connection with one
    /// data channel and nothing else. The server answers it from a probe peer that only lives
    /// until it connects (or [`PROBE_LIFETIME_SECS`]); `probe` pairs the answer with the offer.
    ProbeOffer {
        probe: u32,
        sdp: String,
    },
    /// Room moderators: start recording the stage (see [`ServerMessage::Recording`]).
    StartRecording,
    /// Room moderators: stop the running recording.
    StopRecording,
}

/// A running recording, as every participant is told of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingStatus {
    /// Unix seconds.
    pub started_at: i64,
    /// The display name of the moderator who started it.
    pub started_by: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Liveness check: answer [`ClientMessage::Pong`] (see [`PING_INTERVAL_SECS`]).
    Ping,
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
    /// The server gave up on one of this page's peer connections (no media path for longer
    /// than its grace period): the page builds that one again (see
    /// [`ClientMessage::RestartSubscriber`] and `PublishOffer::restart`).
    MediaFailed {
        link: MediaLink,
    },
    /// An offer for the receiving connection. A new connection replaces the page's one;
    /// `update` offers add slots to the connection the page has, and are answered on it.
    SubscribeOffer {
        sdp: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        update: bool,
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
    /// Whether the room is being recorded: sent to every connection when it changes and to
    /// each new connection right after its Welcome (`None`: not recording).
    Recording {
        recording: Option<RecordingStatus>,
    },
    /// The answer to [`ClientMessage::ProbeOffer`] `probe`.
    ProbeAnswer {
        probe: u32,
        sdp: String,
    },
    /// [`ClientMessage::ProbeOffer`] `probe` was refused (malformed, too many, server busy).
    ProbeRefused {
        probe: u32,
        message: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cameras_publish_the_layers_their_size_allows_with_their_own_size_on_top() {
        use Quality::*;
        assert_eq!(Quality::simulcast_layers(1280, 720), &[Low, Medium, High]);
        assert_eq!(Quality::simulcast_layers(960, 540), &[Low, Medium, High]);
        assert_eq!(Quality::simulcast_layers(640, 480), &[Medium, High]);
        assert_eq!(Quality::simulcast_layers(480, 270), &[Medium, High]);
        assert_eq!(Quality::simulcast_layers(320, 240), &[High]);
        assert_eq!(Quality::simulcast_layers(0, 0), &[High]);
    }

    #[test]
    fn reconnect_delays_spread_and_stay_bounded() {
        for attempt in 0..20 {
            let low = reconnect_delay_ms(attempt, 0.0);
            let high = reconnect_delay_ms(attempt, 0.999_999);
            assert!(
                low >= 125 && high <= 15_000,
                "attempt {attempt}: {low}..{high}"
            );
            assert!(high > low, "attempt {attempt} has no jitter");
        }
        assert!(reconnect_delay_ms(6, 0.5) > reconnect_delay_ms(0, 0.5));
    }

    #[test]
    fn pings_and_pongs_are_plain_tagged_json() {
        let ping = serde_json::to_string(&ServerMessage::Ping).unwrap();
        assert_eq!(ping, r#"{"type":"ping"}"#);
        let pong: ClientMessage = serde_json::from_str(r#"{"type":"pong"}"#).unwrap();
        assert_eq!(pong, ClientMessage::Pong);
    }

    #[test]
    fn only_ended_sessions_and_abuse_stay_closed() {
        assert!(!close_code::should_reconnect(close_code::ENDED));
        assert!(!close_code::should_reconnect(close_code::TOO_BIG));
        assert!(close_code::should_reconnect(close_code::RESTARTING));
        assert!(close_code::should_reconnect(close_code::TOO_SLOW));
        assert!(close_code::should_reconnect(1006));
    }
}
