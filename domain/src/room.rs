//! Meeting room settings and the limits each room mode promises.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomMode {
    /// Everyone's camera on by default, everyone may take the stage.
    #[default]
    Interactive,
    /// Speakers on stage, everyone else watches and chats.
    Webinar,
}

/// The numbers a room mode promises; the server enforces them and the UI shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoomLimits {
    pub max_participants: u32,
    /// Video tiles shown at once (Interactive: the rest are paged).
    pub max_visible_cameras: u32,
    /// People on stage at once; `None` when everyone may be on stage.
    pub max_on_stage: Option<u32>,
}

impl RoomMode {
    pub const ALL: [RoomMode; 2] = [RoomMode::Interactive, RoomMode::Webinar];

    pub fn limits(self) -> RoomLimits {
        match self {
            Self::Interactive => RoomLimits {
                max_participants: 100,
                max_visible_cameras: 25,
                max_on_stage: None,
            },
            Self::Webinar => RoomLimits {
                max_participants: 300,
                max_visible_cameras: 10,
                max_on_stage: Some(10),
            },
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Webinar => "webinar",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "interactive" => Some(Self::Interactive),
            "webinar" => Some(Self::Webinar),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Interactive => "Interactive",
            Self::Webinar => "Webinar",
        }
    }

    /// The card text of the Meeting room tab, with the limits read from [`RoomMode::limits`].
    pub fn summary(self) -> String {
        let limits = self.limits();
        match self {
            Self::Interactive => format!(
                "Everyone's camera is on by default • Up to {} visible, {} total participants.",
                limits.max_visible_cameras, limits.max_participants
            ),
            Self::Webinar => format!(
                "Speakers take the stage while everyone else chats. Up to {} cameras, {} total participants.",
                limits.max_visible_cameras, limits.max_participants
            ),
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Self::Interactive => {
                "Great for workshops, training sessions, and lively group discussions."
            }
            Self::Webinar => "Easily bring audience members up to the stage.",
        }
    }
}

/// Q&A is on, off, or whatever the site's default says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QnaSetting {
    #[default]
    SiteDefault,
    On,
    Off,
}

impl QnaSetting {
    pub const ALL: [QnaSetting; 3] = [QnaSetting::SiteDefault, QnaSetting::On, QnaSetting::Off];

    /// Whether Q&A is on in a room, given the site's default.
    pub fn resolve(self, site_default_on: bool) -> bool {
        match self {
            Self::SiteDefault => site_default_on,
            Self::On => true,
            Self::Off => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SiteDefault => "site_default",
            Self::On => "on",
            Self::Off => "off",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "site_default" => Some(Self::SiteDefault),
            "on" => Some(Self::On),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SiteDefault => "According to site default",
            Self::On => "On",
            Self::Off => "Off",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_product_promise() {
        let interactive = RoomMode::Interactive.limits();
        assert_eq!(
            (
                interactive.max_participants,
                interactive.max_visible_cameras
            ),
            (100, 25)
        );
        assert_eq!(interactive.max_on_stage, None);
        let webinar = RoomMode::Webinar.limits();
        assert_eq!(
            (webinar.max_participants, webinar.max_on_stage),
            (300, Some(10))
        );
    }

    #[test]
    fn cards_show_the_enforced_limits() {
        assert!(RoomMode::Interactive
            .summary()
            .contains("Up to 25 visible, 100 total"));
        assert!(RoomMode::Webinar
            .summary()
            .contains("Up to 10 cameras, 300 total"));
    }

    #[test]
    fn qna_resolves_against_the_site_default() {
        assert!(QnaSetting::SiteDefault.resolve(true));
        assert!(!QnaSetting::SiteDefault.resolve(false));
        assert!(QnaSetting::On.resolve(false));
        assert!(!QnaSetting::Off.resolve(true));
        for setting in QnaSetting::ALL {
            assert_eq!(QnaSetting::parse(setting.as_str()), Some(setting));
        }
        for mode in RoomMode::ALL {
            assert_eq!(RoomMode::parse(mode.as_str()), Some(mode));
        }
    }
}

/// How audience members get onto the stage (room moderators and presenters always may).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageAccess {
    /// Anyone steps on stage (Interactive only: a Webinar audience always asks).
    #[default]
    Direct,
    /// A viewer asks; a room moderator approves or declines.
    Request,
    /// Only whom a room moderator invites.
    Invitation,
}

impl StageAccess {
    pub const ALL: [StageAccess; 3] = [Self::Direct, Self::Request, Self::Invitation];

    /// What a room starts with until someone picks: Interactive rooms are open, Webinars
    /// take requests.
    pub fn default_for(mode: RoomMode) -> Self {
        match mode {
            RoomMode::Interactive => Self::Direct,
            RoomMode::Webinar => Self::Request,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Request => "request",
            Self::Invitation => "invitation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|access| access.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Direct => "Anyone may join",
            Self::Request => "On request",
            Self::Invitation => "By invitation only",
        }
    }
}
