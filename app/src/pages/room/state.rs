//! The room page's reactive state, shared by its components. The browser-only media client
//! (`crate::media`) writes it; components read it and send [`Intent`]s back.

use leptos::prelude::*;
use room::{
    ChatChannel, ChatMessage, MediaState, Participant, ParticipantId, PollView, Question, Reaction,
    Seat,
};

use protocol::{ClientMessage, RecordingStatus, RoomInfo, SlotAssignment, Source, Standing};

// The browser's media client moves through the phases; the server only renders the first.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Connecting,
    /// The room is not open yet; a moderator has to start it.
    Waiting,
    SetDevices,
    Joining,
    InRoom,
    /// The session ended, was closed, or refused us; the message says why.
    Ended(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceOption {
    pub id: String,
    pub label: String,
}

/// The devices on offer and the ones picked (empty id = the browser's default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Devices {
    pub cameras: Vec<DeviceOption>,
    pub microphones: Vec<DeviceOption>,
    pub speakers: Vec<DeviceOption>,
    pub camera: String,
    pub microphone: String,
    pub speaker: String,
    /// `HTMLMediaElement.setSinkId` exists (Chromium); otherwise the system output plays.
    pub can_pick_speaker: bool,
    /// Why camera or microphone cannot be used, for the Set devices window.
    pub problem: Option<String>,
    pub have_camera: bool,
    pub have_microphone: bool,
}

/// Which side panels are open. Wide screens may show Participants and the chat column
/// together; narrow ones one at a time, as a sheet over the stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Panels {
    pub participants: bool,
    pub chat: bool,
}

/// A short message about something that needs attention; it goes away by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub id: u32,
    pub text: String,
}

/// How much of each list the person has looked at, for the unread counts on the panel buttons.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub chat: usize,
    pub questions: usize,
    pub polls: usize,
}

/// The tabs beside the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidePanel {
    Chat(ChatChannel),
    Qna,
    Polls,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    Join(Seat),
    PickCamera(String),
    PickMicrophone(String),
    PickSpeaker(String),
    ToggleMic,
    ToggleCamera,
    ToggleScreen,
    /// Move between the audience and the stage inside the room.
    SetSeat(Seat),
    SendChat(ChatChannel, String),
    /// A room message that needs nothing from the browser but sending (hands, Q&A, polls,
    /// moderation).
    Send(ClientMessage),
    /// Accept a moderator's invitation: take the stage.
    AcceptInvitation,
    DeclineInvitation,
    RequestStage(bool),
    DeleteChat(i64),
    BlockInChat(i64),
    Pin(Option<ParticipantId>),
    Page(usize),
    /// Open camera and microphone for the Set devices preview (phones start without them).
    PreviewDevices,
    Leave,
    EndForAll,
}

// Some signals are only read by browser-side effects.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy)]
pub struct RoomUi {
    pub container_id: i64,
    pub phase: RwSignal<Phase>,
    pub info: RwSignal<Option<RoomInfo>>,
    pub me: RwSignal<Option<ParticipantId>>,
    pub participants: RwSignal<Vec<Participant>>,
    pub speakers: RwSignal<Vec<ParticipantId>>,
    pub video_slots: RwSignal<Vec<SlotAssignment>>,
    pub devices: RwSignal<Devices>,
    /// Microphone level of the Set devices preview, 0.0 to 1.0.
    pub mic_level: RwSignal<f64>,
    pub media: RwSignal<MediaState>,
    pub pinned: RwSignal<Option<ParticipantId>>,
    pub page: RwSignal<usize>,
    /// A refusal or problem to show briefly (e.g. "The stage is full").
    pub notice: RwSignal<Option<String>>,
    /// Bumped when the browser gets or loses a remote track, so tiles re-attach.
    pub tracks_changed: RwSignal<u32>,
    /// Bumped when the local camera preview stream changes.
    pub preview_changed: RwSignal<u32>,
    /// Messages of both chats, oldest first.
    pub chat: RwSignal<Vec<ChatMessage>>,
    pub chat_tab: RwSignal<SidePanel>,
    /// A moderator blocked this user from writing in chat.
    pub chat_blocked: RwSignal<bool>,
    pub standing: RwSignal<Option<Standing>>,
    /// Raised hands in order (all for room moderators, one's own for others).
    pub hands: RwSignal<Vec<ParticipantId>>,
    /// Pending stage requests (room moderators).
    pub requests: RwSignal<Vec<ParticipantId>>,
    /// A moderator invited this participant to the stage.
    pub invited: RwSignal<bool>,
    /// This participant asked to join the stage and waits for an answer.
    pub requested: RwSignal<bool>,
    /// Reactions on screen now: (key, who, what); each disappears after a few seconds.
    pub reactions: RwSignal<Vec<(u32, ParticipantId, Reaction)>>,
    pub questions: RwSignal<Vec<Question>>,
    pub polls: RwSignal<Vec<PollView>>,
    /// The room's running recording, from the server's `recording` message (`None`: not
    /// recording).
    pub recording: RwSignal<Option<RecordingStatus>>,
    pub view: RwSignal<super::layout::StageView>,
    pub panels: RwSignal<Panels>,
    pub toasts: RwSignal<Vec<Toast>>,
    pub seen: RwSignal<Seen>,
    /// When this page entered the room (ms since the epoch), for the top bar's timer.
    pub live_since: RwSignal<Option<f64>>,
    /// Set devices' connectivity check (see `connectivity.rs`).
    pub connectivity: RwSignal<super::connectivity::Connectivity>,
    /// Link quality of each received video, by the receiving transceiver's mid (tile icons).
    pub link_quality: RwSignal<Vec<(String, super::connectivity::LinkQuality)>>,
    /// The worst of this page's publishing and receiving links (top bar); `None` before media.
    pub overall_quality: RwSignal<Option<super::connectivity::LinkQuality>>,
    #[cfg(feature = "hydrate")]
    pub client: StoredValue<Option<send_wrapper::SendWrapper<std::rc::Rc<crate::media::Client>>>>,
}

impl RoomUi {
    pub fn new(container_id: i64) -> Self {
        Self {
            container_id,
            phase: RwSignal::new(Phase::Connecting),
            info: RwSignal::new(None),
            me: RwSignal::new(None),
            participants: RwSignal::new(Vec::new()),
            speakers: RwSignal::new(Vec::new()),
            video_slots: RwSignal::new(Vec::new()),
            devices: RwSignal::new(Devices::default()),
            mic_level: RwSignal::new(0.0),
            media: RwSignal::new(MediaState::OFF),
            pinned: RwSignal::new(None),
            page: RwSignal::new(0),
            notice: RwSignal::new(None),
            tracks_changed: RwSignal::new(0),
            preview_changed: RwSignal::new(0),
            chat: RwSignal::new(Vec::new()),
            chat_tab: RwSignal::new(SidePanel::Chat(ChatChannel::Group)),
            chat_blocked: RwSignal::new(false),
            standing: RwSignal::new(None),
            hands: RwSignal::new(Vec::new()),
            requests: RwSignal::new(Vec::new()),
            invited: RwSignal::new(false),
            requested: RwSignal::new(false),
            reactions: RwSignal::new(Vec::new()),
            questions: RwSignal::new(Vec::new()),
            polls: RwSignal::new(Vec::new()),
            recording: RwSignal::new(None),
            view: RwSignal::new(Default::default()),
            panels: RwSignal::new(Panels::default()),
            toasts: RwSignal::new(Vec::new()),
            seen: RwSignal::new(Seen::default()),
            live_since: RwSignal::new(None),
            connectivity: RwSignal::new(Default::default()),
            link_quality: RwSignal::new(Vec::new()),
            overall_quality: RwSignal::new(None),
            #[cfg(feature = "hydrate")]
            client: StoredValue::new(None),
        }
    }

    /// Hands a user's action to the media client (browser only; nothing is clickable in SSR).
    pub fn act(&self, intent: Intent) {
        #[cfg(feature = "hydrate")]
        if let Some(client) = self.client.get_value() {
            client.act(intent);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = intent;
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    /// Shows `text` as a toast for a few seconds (screen readers hear it too).
    pub fn toast(&self, text: impl Into<String>) {
        let text = text.into();
        let id = self
            .toasts
            .with_untracked(|t| t.last().map_or(1, |last| last.id.wrapping_add(1)));
        self.toasts.update(|toasts| {
            toasts.push(Toast { id, text });
            // Never a wall of them: the oldest go first.
            if toasts.len() > MAX_TOASTS {
                toasts.remove(0);
            }
        });
        #[cfg(feature = "hydrate")]
        {
            let toasts = self.toasts;
            leptos::prelude::set_timeout(
                move || {
                    toasts.try_update(|t| t.retain(|toast| toast.id != id));
                },
                std::time::Duration::from_secs(TOAST_SECS),
            );
        }
    }

    /// Opens or closes a side panel. On narrow screens opening one closes the other.
    pub fn toggle_panel(&self, participants: bool) {
        let narrow = is_narrow();
        self.panels.update(|p| {
            if participants {
                p.participants = !p.participants;
                if narrow && p.participants {
                    p.chat = false;
                }
            } else {
                p.chat = !p.chat;
                if narrow && p.chat {
                    p.participants = false;
                }
            }
        });
    }

    /// Opens the chat column on `tab` (closing it when that tab is already showing).
    pub fn show_tab(&self, tab: SidePanel) {
        let showing =
            self.panels.with_untracked(|p| p.chat) && self.chat_tab.get_untracked() == tab;
        self.chat_tab.set(tab);
        if showing || !self.panels.with_untracked(|p| p.chat) {
            self.toggle_panel(false);
        }
    }

    pub fn my_user_id(&self) -> Option<i64> {
        let me = self.me.get()?;
        self.participants
            .read()
            .iter()
            .find(|p| p.id == me)
            .map(|p| p.user_id)
    }

    pub fn rights(&self) -> domain::RoomRights {
        self.info
            .with(|i| i.as_ref().map(|i| i.rights).unwrap_or_default())
    }

    pub fn name_of(&self, id: ParticipantId) -> String {
        self.participants.with(|people| {
            people
                .iter()
                .find(|p| p.id == id)
                .map_or_else(|| "Someone".to_owned(), |p| p.name.clone())
        })
    }

    pub fn my_seat(&self) -> Option<Seat> {
        let me = self.me.get()?;
        self.participants
            .read()
            .iter()
            .find(|p| p.id == me)
            .map(|p| p.seat)
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const MAX_TOASTS: usize = 4;
#[cfg(feature = "hydrate")]
const TOAST_SECS: u64 = 6;

/// Phones and narrow windows (under 900 px, as in the style sheet): one side panel at a time,
/// as a sheet over the stage.
pub fn is_narrow() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_some_and(|w| w < 900.0)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// The videos to show, in order: the pinned participant, then recent speakers, then the
/// stage in join order; cameras and screens of others, paged by the room's visible limit.
/// Returns the page's tiles and the number of pages.
pub fn stage_tiles(
    participants: &[Participant],
    me: Option<ParticipantId>,
    speakers: &[ParticipantId],
    pinned: Option<ParticipantId>,
    per_page: usize,
    page: usize,
) -> (Vec<(ParticipantId, Source)>, usize) {
    let rank = |p: &Participant| {
        if Some(p.id) == pinned {
            (0, 0)
        } else if let Some(i) = speakers.iter().position(|s| *s == p.id) {
            (1, i)
        } else {
            (2, 0)
        }
    };
    let mut stage: Vec<&Participant> = participants
        .iter()
        .filter(|p| p.seat == Seat::Stage && Some(p.id) != me)
        .collect();
    stage.sort_by_key(|p| rank(p));
    let mut videos = Vec::new();
    for p in stage {
        if p.media.screen {
            videos.push((p.id, Source::Screen));
        }
        videos.push((p.id, Source::Camera));
    }
    let per_page = per_page.max(1);
    let pages = videos.len().div_ceil(per_page).max(1);
    let page = page.min(pages - 1);
    let shown = videos
        .into_iter()
        .skip(page * per_page)
        .take(per_page)
        .collect();
    (shown, pages)
}

#[cfg(test)]
mod tests {
    use domain::RoomRights;

    use super::*;

    fn on_stage(id: u64, screen: bool) -> Participant {
        Participant {
            id: ParticipantId(id),
            user_id: id as i64,
            name: format!("p{id}"),
            seat: Seat::Stage,
            media: MediaState {
                mic: true,
                camera: true,
                screen,
            },
            rights: RoomRights::default(),
            joined_at: 0,
        }
    }

    #[test]
    fn pinned_then_speakers_then_join_order_paged() {
        let people: Vec<Participant> = (1..=30).map(|id| on_stage(id, id == 3)).collect();
        let (first, pages) = stage_tiles(
            &people,
            Some(ParticipantId(1)),
            &[ParticipantId(9), ParticipantId(5)],
            Some(ParticipantId(20)),
            25,
            0,
        );
        assert_eq!(pages, 2, "29 cameras and one screen make 30 videos");
        assert_eq!(first.len(), 25);
        assert_eq!(first[0], (ParticipantId(20), Source::Camera));
        assert_eq!(first[1], (ParticipantId(9), Source::Camera));
        assert_eq!(first[2], (ParticipantId(5), Source::Camera));
        assert_eq!(first[3], (ParticipantId(2), Source::Camera));
        assert_eq!(first[4], (ParticipantId(3), Source::Screen));
        assert!(
            !first.iter().any(|(p, _)| *p == ParticipantId(1)),
            "never myself"
        );
        let (second, _) = stage_tiles(&people, Some(ParticipantId(1)), &[], None, 25, 1);
        assert_eq!(second.len(), 5);
        let (clamped, _) = stage_tiles(&people, None, &[], None, 25, 99);
        assert_eq!(clamped.len(), 6);
    }
}
