//! JSON shapes of the REST API, also what the app's server functions return.

use serde::{Deserialize, Serialize};

use crate::access::{PrincipalKind, PrincipalRef, RoomRights};
use crate::{
    ChannelPrivacy, ContainerKind, ContainerRole, Lms, MediaStatus, QnaSetting, RoomMode,
    StageAccess,
};

/// Upper bounds on what a request may carry, so a hostile body cannot grow the database.
pub const MAX_MODERATORS_PER_LIST: usize = 500;
pub const MAX_SEARCH_LEN: usize = 100;
pub const MAX_USERNAME_LEN: usize = 64;
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub site_admin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// A gallery or channel as listed on My media.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSummary {
    pub id: i64,
    pub kind: ContainerKind,
    pub title: String,
    pub lms: Option<Lms>,
    pub my_role: ContainerRole,
    pub room_enabled: bool,
    pub path: String,
}

/// A user or group found by the moderator pickers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// A user or group in a moderator list. `name` is filled on reads and ignored on writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: i64,
    #[serde(default)]
    pub name: String,
}

impl Principal {
    pub fn reference(&self) -> PrincipalRef {
        PrincipalRef {
            kind: self.kind,
            id: self.id,
        }
    }
}

/// The Meeting room tab of a gallery or channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    pub enabled: bool,
    pub mode: RoomMode,
    pub room_moderators: Vec<Principal>,
    pub chat_moderators: Vec<Principal>,
    pub qna: QnaSetting,
    pub group_chat: bool,
    /// How the audience gets onto the stage; absent: the mode's default. Reads always say.
    #[serde(default)]
    pub stage_access: Option<StageAccess>,
}

impl Default for RoomSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            mode: RoomMode::Interactive,
            room_moderators: Vec::new(),
            chat_moderators: Vec::new(),
            qna: QnaSetting::SiteDefault,
            group_chat: true,
            stage_access: None,
        }
    }
}

/// Site-wide switches only site admins change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    /// The "Chat and collaboration" module: media-entry moderators need it.
    pub chat_collaboration: bool,
    /// What a room's "According to site default" Q&A setting resolves to.
    pub qna_default: bool,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            chat_collaboration: true,
            qna_default: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    pub id: i64,
    pub title: String,
    pub duration_secs: i64,
    pub thumbnail_url: Option<String>,
    pub owner: Named,
    pub status: MediaStatus,
    /// Whether the viewer may open its edit page (owner, co-editor, manager).
    pub can_edit: bool,
    /// A video, or the container's meeting room.
    #[serde(default)]
    pub kind: crate::media::MediaKind,
    /// Recordings of the room: where their file stands.
    #[serde(default)]
    pub recording: Option<crate::media::RecordingStatus>,
}

/// Everything the gallery or channel page shows, already filtered for the viewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPage {
    pub id: i64,
    pub kind: ContainerKind,
    pub title: String,
    pub description: String,
    pub lms: Option<Lms>,
    pub course_id: Option<String>,
    pub privacy: Option<ChannelPrivacy>,
    pub my_role: ContainerRole,
    pub can_configure: bool,
    pub room_enabled: bool,
    pub room_mode: RoomMode,
    /// Shown to those who configure only ("N items pending approval").
    pub pending_count: Option<i64>,
    pub media: Vec<MediaEntry>,
}

/// Who is entering which room, with which rights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomEntry {
    pub container_id: i64,
    pub kind: ContainerKind,
    pub title: String,
    pub mode: RoomMode,
    pub rights: RoomRights,
    /// Speaks without asking (a speaker's invitation link, or a room moderator).
    pub presenter: bool,
    pub stage_access: StageAccess,
    pub qna_enabled: bool,
    pub group_chat: bool,
    pub back_path: String,
}

/// A moderator of one media entry's room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaModerator {
    pub principal: Principal,
    pub room_moderator: bool,
    pub chat_moderator: bool,
}

/// The Roles & permissions tab of a media entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRoles {
    pub media_id: i64,
    pub title: String,
    pub container_path: String,
    pub owner: Named,
    pub co_editors: Vec<Named>,
    pub co_publishers: Vec<Named>,
    pub moderators: Vec<MediaModerator>,
    /// Whether the site's "Chat and collaboration" module is on (moderators need it).
    pub chat_collaboration: bool,
}

/// "Add users > Moderators": the picked users and groups, and the ticked permissions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddModerators {
    pub principals: Vec<Principal>,
    pub room_moderator: bool,
    pub chat_moderator: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_settings_put_body_needs_no_names() {
        let body = r#"{"enabled":true,"mode":"webinar","room_moderators":[{"kind":"group","id":3}],
                       "chat_moderators":[],"qna":"site_default","group_chat":false}"#;
        let settings: RoomSettings = serde_json::from_str(body).unwrap();
        assert_eq!(settings.mode, RoomMode::Webinar);
        assert_eq!(
            settings.room_moderators[0].reference(),
            PrincipalRef::group(3)
        );
    }

    #[test]
    fn unknown_modes_are_rejected() {
        let body = r#"{"enabled":true,"mode":"party","room_moderators":[],"chat_moderators":[],
                       "qna":"on","group_chat":true}"#;
        assert!(serde_json::from_str::<RoomSettings>(body).is_err());
    }
}

/// What an invitation link lets its holder do in the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteRole {
    /// Enter and take the stage directly.
    Speaker,
    /// Enter as room and chat moderator.
    Moderator,
}

impl InviteRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Speaker => "speaker",
            Self::Moderator => "moderator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "speaker" => Some(Self::Speaker),
            "moderator" => Some(Self::Moderator),
            _ => None,
        }
    }
}

/// `POST /api/containers/{id}/room/invitations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub role: InviteRole,
    /// How long the link works, 1 to 168 hours (default 24).
    #[serde(default)]
    pub valid_hours: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Names the link for `DELETE /api/containers/{id}/room/invitations/{invitation_id}`.
    pub id: i64,
    pub role: InviteRole,
    /// The room page with the signed token, relative to the site.
    pub path: String,
    pub expires_at: i64,
}

/// An active invitation link, as its room's moderators see it
/// (`GET /api/containers/{id}/room/invitations`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationLink {
    pub id: i64,
    pub role: InviteRole,
    /// The room page with the signed token, relative to the site.
    pub path: String,
    /// The display name of the moderator who made it.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}
