//! Galleries, channels and their media, as the product names them.

use serde::{Deserialize, Serialize};

/// A media gallery belongs to an LMS course; a channel stands alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    Gallery,
    Channel,
}

impl ContainerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gallery => "gallery",
            Self::Channel => "channel",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "gallery" => Some(Self::Gallery),
            "channel" => Some(Self::Channel),
            _ => None,
        }
    }

    /// The page of a container of this kind, e.g. `/galleries/3`.
    pub fn page_path(self, id: i64) -> String {
        match self {
            Self::Gallery => format!("/galleries/{id}"),
            Self::Channel => format!("/channels/{id}"),
        }
    }

    /// The edit page (Configure / Manage content); `tab` picks a section such as `meeting-room`.
    pub fn edit_path(self, id: i64, tab: Option<&str>) -> String {
        let base = match self {
            Self::Gallery => format!("/galleries/{id}/configure"),
            Self::Channel => format!("/channels/{id}/manage"),
        };
        match tab {
            Some(tab) => format!("{base}/{tab}"),
            None => base,
        }
    }

    /// What the Actions menu calls the edit page: "Configure" (gallery) or "Manage content".
    pub fn edit_label(self) -> &'static str {
        match self {
            Self::Gallery => "Configure",
            Self::Channel => "Manage content",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::Gallery => "Media gallery",
            Self::Channel => "Channel",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lms {
    Moodle,
    Canvas,
}

impl Lms {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Moodle => "moodle",
            Self::Canvas => "canvas",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "moodle" => Some(Self::Moodle),
            "canvas" => Some(Self::Canvas),
            _ => None,
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Moodle => "Moodle",
            Self::Canvas => "Canvas",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelPrivacy {
    Open,
    Restricted,
    Private,
    /// Public, or open to subscribers only: group chat is advised off there.
    Public,
}

impl ChannelPrivacy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Restricted => "restricted",
            Self::Private => "private",
            Self::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "restricted" => Some(Self::Restricted),
            "private" => Some(Self::Private),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// A user's role in a gallery or channel. `Manager` outranks `Member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerRole {
    Member,
    Manager,
}

impl ContainerRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Manager => "manager",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "member" => Some(Self::Member),
            "manager" => Some(Self::Manager),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    Pending,
    Approved,
}

impl MediaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            _ => None,
        }
    }
}

/// "1:05" or "1:02:03": how a media list shows a duration.
pub fn format_duration(total_secs: i64) -> String {
    let secs = total_secs.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_player() {
        assert_eq!(format_duration(26), "00:26");
        assert_eq!(format_duration(605), "10:05");
        assert_eq!(format_duration(3723), "1:02:03");
        assert_eq!(format_duration(-4), "00:00");
    }

    #[test]
    fn names_round_trip() {
        for kind in [ContainerKind::Gallery, ContainerKind::Channel] {
            assert_eq!(ContainerKind::parse(kind.as_str()), Some(kind));
        }
        for role in [ContainerRole::Member, ContainerRole::Manager] {
            assert_eq!(ContainerRole::parse(role.as_str()), Some(role));
        }
        for privacy in [
            ChannelPrivacy::Open,
            ChannelPrivacy::Restricted,
            ChannelPrivacy::Private,
            ChannelPrivacy::Public,
        ] {
            assert_eq!(ChannelPrivacy::parse(privacy.as_str()), Some(privacy));
        }
        assert_eq!(Lms::parse("blackboard"), None);
        assert!(ContainerRole::Manager > ContainerRole::Member);
    }
}
