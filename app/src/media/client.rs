//! One browser's presence in a room: the signalling socket, the Set devices preview, the
//! publishing connection (when on stage) and the subscribing connection, kept in step with
//! the page's [`RoomUi`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use leptos::prelude::*;
use leptos::task::spawn_local;
use room::{MediaState, ParticipantId, Seat};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlAudioElement, MediaStream, MediaStreamTrack, RtcPeerConnection, RtcTrackEvent};

use super::devices::{self, LevelMeter};
use super::health::{self, Healing};
use super::peer;
use super::publisher::Publisher;
use super::signal::Signal;
use crate::pages::room::state::{Intent, Phase, RoomUi, SidePanel};
use protocol::{ClientMessage, MediaLink, ServerMessage, Tile};

type TrackHandler = Closure<dyn FnMut(RtcTrackEvent)>;

/// Refusals of a rejoin that mean the old seat is not to be had: choose again in Set devices.
const REJOIN_REFUSALS: [&str; 6] = [
    "not_open",
    "room_full",
    "too_many_devices",
    "stage_full",
    "not_allowed",
    "removed",
];

pub struct Client {
    pub(super) ui: RoomUi,
    pub(super) this: Weak<Client>,
    signal: RefCell<Option<Signal>>,
    /// Camera and microphone as picked in Set devices; the publisher sends these tracks.
    pub(super) local: RefCell<Option<MediaStream>>,
    meter: RefCell<Option<LevelMeter>>,
    meter_timer: Cell<Option<i32>>,
    _meter_tick: RefCell<Option<Closure<dyn FnMut()>>>,
    pub(super) publisher: RefCell<Option<Publisher>>,
    subscriber: RefCell<Option<RtcPeerConnection>>,
    _on_track: RefCell<Option<TrackHandler>>,
    remote: RefCell<HashMap<String, MediaStreamTrack>>,
    speakers_out: RefCell<Vec<HtmlAudioElement>>,
    last_tiles: RefCell<Vec<Tile>>,
    pub(super) container_id: i64,
    /// An invitation link's token, sent with every (re)connection.
    pub(super) invite: Option<String>,
    /// Reconnection attempts since the connection last proved healthy (see `reconnect.rs`).
    pub(super) attempts: Cell<u32>,
    /// When the connection was lost, while getting back (ms since the epoch).
    pub(super) lost_since: Cell<Option<f64>>,
    /// Where we were when the connection dropped: rejoin there without Set devices.
    pub(super) resume: Cell<Option<(Seat, MediaState)>>,
    pub(super) retry: RefCell<Option<Closure<dyn FnMut()>>>,
    pub(super) retry_timer: Cell<Option<i32>>,
    /// Both media links' health (see `health.rs`).
    pub(super) healing: RefCell<Healing>,
    /// Every peer connection's state changes land here.
    on_pc_state: Closure<dyn FnMut()>,
    pub(super) health_timer: Cell<Option<i32>>,
    pub(super) health_tick: RefCell<Option<Closure<dyn FnMut()>>>,
    /// Set devices' connectivity probes waiting for their answer (see `probe.rs`).
    pub(super) probes: super::probe::PendingProbes,
    /// Link quality sampling (see `quality.rs`).
    pub(super) quality: super::quality::Sampler,
    reaction_key: Cell<u32>,
}

impl Client {
    pub fn start(ui: RoomUi, container_id: i64, invite: Option<String>) -> Rc<Self> {
        let client = Rc::new_cyclic(|this| Self {
            ui,
            this: this.clone(),
            signal: RefCell::new(None),
            local: RefCell::new(None),
            meter: RefCell::new(None),
            meter_timer: Cell::new(None),
            _meter_tick: RefCell::new(None),
            publisher: RefCell::new(None),
            subscriber: RefCell::new(None),
            _on_track: RefCell::new(None),
            remote: RefCell::new(HashMap::new()),
            speakers_out: RefCell::new(Vec::new()),
            last_tiles: RefCell::new(Vec::new()),
            container_id,
            invite,
            attempts: Cell::new(0),
            lost_since: Cell::new(None),
            resume: Cell::new(None),
            retry: RefCell::new(None),
            retry_timer: Cell::new(None),
            healing: RefCell::new(Healing::default()),
            on_pc_state: {
                let this = this.clone();
                Closure::new(move || {
                    if let Some(client) = this.upgrade() {
                        client.check_media();
                    }
                })
            },
            health_timer: Cell::new(None),
            health_tick: RefCell::new(None),
            probes: Default::default(),
            quality: Default::default(),
            reaction_key: Cell::new(0),
        });
        client.start_health_checks();
        client.start_quality();
        client.connect();
        client
    }

    /// Reports `pc`'s state changes to [`Client::check_media`].
    pub(super) fn watch(&self, pc: &RtcPeerConnection) {
        health::watch(pc, self.on_pc_state.as_ref().unchecked_ref());
    }

    pub(super) fn connection_of(&self, link: MediaLink) -> Option<RtcPeerConnection> {
        match link {
            MediaLink::Publisher => self.publisher.borrow().as_ref().map(|p| p.pc.clone()),
            MediaLink::Subscriber => self.subscriber.borrow().clone(),
        }
    }

    pub(super) fn send(&self, message: &ClientMessage) {
        if let Some(signal) = self.signal.borrow().as_ref() {
            signal.send(message);
        }
    }

    pub(super) fn rc(&self) -> Rc<Self> {
        self.this.upgrade().expect("the client lives while it acts")
    }

    pub fn local_stream(&self) -> Option<MediaStream> {
        self.local.borrow().clone()
    }

    pub fn remote_track(&self, mid: &str) -> Option<MediaStreamTrack> {
        self.remote.borrow().get(mid).cloned()
    }

    pub(super) fn on_message(&self, message: ServerMessage) {
        let ui = self.ui;
        match message {
            ServerMessage::Ping => {
                self.send(&ClientMessage::Pong);
                self.connection_healthy();
            }
            ServerMessage::Welcome { room } => {
                let (open, moderator) = (room.open, room.rights.room_moderator);
                ui.info.set(Some(room));
                let resume = self.resume.get();
                if resume.is_none() {
                    // Back where we were; only a rejoin still has to prove itself.
                    self.lost_since.set(None);
                }
                match resume {
                    Some((seat, media)) if open => self.send(&ClientMessage::Join { seat, media }),
                    None if open => self.begin_setup(),
                    // Enter Room by a room moderator launches the room (again, after a
                    // server restart); `Opened` then takes a rejoining page back in.
                    _ if moderator => self.send(&ClientMessage::Launch),
                    _ => ui.phase.set(Phase::Waiting),
                }
            }
            ServerMessage::Opened => {
                if let Some((seat, media)) = self.resume.get() {
                    self.send(&ClientMessage::Join { seat, media });
                } else if matches!(ui.phase.get_untracked(), Phase::Waiting | Phase::Connecting) {
                    self.begin_setup();
                }
            }
            ServerMessage::Joined { you, participants } => {
                self.resume.set(None);
                self.connection_healthy();
                ui.notice.set(None);
                ui.me.set(Some(you));
                ui.participants.set(participants);
                ui.phase.set(Phase::InRoom);
                // A (re)join starts a new receiving connection on the server, offered once
                // someone else sends: whatever this page still holds from before is dead.
                self.drop_subscriber();
                if ui.my_seat_untracked() == Some(Seat::Stage) {
                    self.rc().start_publishing();
                }
            }
            ServerMessage::PublishAnswer { sdp } => self.rc().publisher_answer(sdp),
            ServerMessage::SubscribeOffer { sdp, update } => self.answer_subscription(sdp, update),
            ServerMessage::ProbeAnswer { probe, sdp } => self.probes.settle(probe, Ok(sdp)),
            ServerMessage::ProbeRefused { probe, message } => {
                self.probes.settle(probe, Err(message))
            }
            ServerMessage::MediaFailed { link } => self.media_failed(link),
            ServerMessage::Slots { video, .. } => ui.video_slots.set(video),
            ServerMessage::ParticipantJoined { participant } => {
                ui.participants.update(|list| list.push(participant));
            }
            ServerMessage::ParticipantUpdated {
                participant,
                seat,
                media,
            } => {
                let before = ui.my_seat_untracked();
                ui.participants.update(|list| {
                    if let Some(p) = list.iter_mut().find(|p| p.id == participant) {
                        p.seat = seat;
                        p.media = media;
                    }
                });
                if ui.me.get_untracked() == Some(participant) && before != Some(seat) {
                    ui.invited.set(false);
                    ui.requested.set(false);
                    self.rc().seat_changed(seat);
                }
            }
            ServerMessage::ParticipantLeft { participant } => {
                ui.participants
                    .update(|list| list.retain(|p| p.id != participant));
                if ui.pinned.get_untracked() == Some(participant) {
                    ui.pinned.set(None);
                }
            }
            ServerMessage::ActiveSpeakers { participants } => ui.speakers.set(participants),
            ServerMessage::Closed { message, .. } => self.end(&message),
            ServerMessage::ChatHistory { channel, messages } => ui.chat.update(|chat| {
                chat.retain(|m| m.channel != channel);
                chat.extend(messages);
                chat.sort_by_key(|m| m.id);
            }),
            ServerMessage::Chat { message } => ui.chat.update(|chat| chat.push(message)),
            ServerMessage::ChatDeleted { message } => {
                ui.chat.update(|chat| chat.retain(|m| m.id != message));
            }
            ServerMessage::ChatBlocked { user_id } => {
                let me = ui.me.get_untracked();
                let mine = ui.participants.with_untracked(|list| {
                    list.iter()
                        .any(|p| Some(p.id) == me && p.user_id == user_id)
                });
                if mine {
                    ui.chat_blocked.set(true);
                }
            }
            ServerMessage::Standing { standing } => {
                ui.info.update(|info| {
                    if let Some(info) = info {
                        info.rights = standing.rights;
                        info.may_take_stage = standing.may_take_stage;
                    }
                });
                if !standing.rights.backchannel() {
                    // Lost with the rights: what was said among moderators leaves this page.
                    ui.chat.update(|chat| {
                        chat.retain(|m| m.channel != room::ChatChannel::Backchannel)
                    });
                    let backchannel = SidePanel::Chat(room::ChatChannel::Backchannel);
                    if ui.chat_tab.get_untracked() == backchannel {
                        ui.chat_tab.set(SidePanel::Chat(room::ChatChannel::Group));
                    }
                }
                ui.standing.set(Some(standing));
            }
            ServerMessage::ParticipantRights {
                participant,
                rights,
            } => ui.participants.update(|list| {
                if let Some(p) = list.iter_mut().find(|p| p.id == participant) {
                    p.rights = rights;
                }
            }),
            ServerMessage::StageRequests { requests } => {
                for id in fresh(&ui.requests.get_untracked(), &requests) {
                    ui.toast(format!("{} asks to join the stage", ui.name_of(id)));
                }
                ui.requests.set(requests);
            }
            ServerMessage::Invited => {
                if ui.requested.get_untracked() {
                    // They asked: an approval takes them up without a second question.
                    self.send(&ClientMessage::SetSeat { seat: Seat::Stage });
                } else {
                    ui.invited.set(true);
                    ui.toast("A moderator invited you to the stage");
                }
            }
            ServerMessage::StageRequestDeclined => {
                ui.requested.set(false);
                ui.notice.set(Some(
                    "A moderator declined your request to join the stage.".into(),
                ));
            }
            ServerMessage::InvitationDeclined { participant } => {
                let name = ui.name_of(participant);
                ui.notice.set(Some(format!(
                    "{name} declined the invitation to the stage."
                )));
            }
            ServerMessage::Hands { hands } => {
                if ui.rights().room_moderator {
                    let me = ui.me.get_untracked();
                    for id in fresh(&ui.hands.get_untracked(), &hands) {
                        if Some(id) != me {
                            ui.toast(format!("{} raised their hand", ui.name_of(id)));
                        }
                    }
                }
                ui.hands.set(hands);
            }
            ServerMessage::Reaction {
                participant,
                reaction,
            } => self.show_reaction(participant, reaction),
            ServerMessage::Moderated { action, message } => {
                ui.notice.set(Some(message));
                let media = ui.media.get_untracked();
                let client = self.rc();
                match action {
                    room::Moderation::MuteMic if media.mic => {
                        spawn_local(async move { client.toggle_mic().await })
                    }
                    room::Moderation::StopCamera if media.camera => {
                        spawn_local(async move { client.toggle_camera().await })
                    }
                    _ => {}
                }
            }
            ServerMessage::Questions { questions } => ui.questions.set(questions),
            ServerMessage::Question { question } => {
                ui.questions
                    .update(|list| match list.iter_mut().find(|q| q.id == question.id) {
                        Some(known) => *known = *question,
                        None => list.push(*question),
                    })
            }
            ServerMessage::Polls { polls } => ui.polls.set(polls),
            ServerMessage::Poll { poll } => {
                ui.polls
                    .update(|list| match list.iter_mut().find(|p| p.id == poll.id) {
                        Some(known) => *known = *poll,
                        None => {
                            if poll.open {
                                ui.toast(format!("New poll: {}", poll.question));
                            }
                            list.push(*poll)
                        }
                    })
            }
            ServerMessage::Recording { recording } => {
                let was = ui.recording.with_untracked(Option::is_some);
                if was && recording.is_none() && ui.rights().room_moderator {
                    ui.toast("Recording stopped: it will appear in the gallery's media");
                }
                ui.recording.set(recording);
            }
            ServerMessage::Error { code, message } => {
                if ui.phase.get_untracked() == Phase::Joining {
                    ui.phase.set(Phase::SetDevices);
                } else if self.resume.get().is_some()
                    && ui.me.get_untracked().is_none()
                    && REJOIN_REFUSALS.contains(&code.as_str())
                {
                    // The seat we had is gone (the stage filled up meanwhile, ...).
                    self.resume.set(None);
                    self.begin_setup();
                }
                leptos::logging::warn!("room refused a request: {code}");
                ui.notice.set(Some(message));
            }
        }
    }

    pub fn act(&self, intent: Intent) {
        let client = self.rc();
        match intent {
            // Phones open camera and microphone only now, when their person chose the stage.
            Intent::Join(Seat::Stage) if self.local.borrow().is_none() => spawn_local(async move {
                client.reacquire(true, true).await;
                if client
                    .ui
                    .devices
                    .with_untracked(|d| d.have_camera || d.have_microphone)
                {
                    client.join(Seat::Stage);
                }
            }),
            Intent::Join(seat) => client.join(seat),
            Intent::PreviewDevices => {
                spawn_local(async move { client.reacquire(true, true).await })
            }
            Intent::PickCamera(id) => {
                devices::remember("camera", &id);
                self.ui.devices.update(|d| d.camera = id);
                spawn_local(async move { client.reacquire(true, false).await });
            }
            Intent::PickMicrophone(id) => {
                devices::remember("microphone", &id);
                self.ui.devices.update(|d| d.microphone = id);
                spawn_local(async move { client.reacquire(false, true).await });
            }
            Intent::PickSpeaker(id) => {
                devices::remember("speaker", &id);
                for element in self.speakers_out.borrow().iter() {
                    devices::set_speaker(element, &id);
                }
                self.ui.devices.update(|d| d.speaker = id);
            }
            Intent::ToggleMic => spawn_local(async move { client.toggle_mic().await }),
            Intent::ToggleCamera => spawn_local(async move { client.toggle_camera().await }),
            Intent::ToggleScreen => spawn_local(async move { client.toggle_screen().await }),
            Intent::SetSeat(seat) => self.send(&ClientMessage::SetSeat { seat }),
            Intent::SendChat(channel, text) => self.send(&ClientMessage::Chat { channel, text }),
            Intent::Send(message) => self.send(&message),
            Intent::AcceptInvitation => self.send(&ClientMessage::SetSeat { seat: Seat::Stage }),
            Intent::DeclineInvitation => {
                self.ui.invited.set(false);
                self.send(&ClientMessage::DeclineInvitation);
            }
            Intent::RequestStage(ask) => {
                self.ui.requested.set(ask);
                self.send(&if ask {
                    ClientMessage::RequestStage
                } else {
                    ClientMessage::CancelStageRequest
                });
            }
            Intent::DeleteChat(message) => self.send(&ClientMessage::DeleteChat { message }),
            Intent::BlockInChat(user_id) => self.send(&ClientMessage::BlockInChat { user_id }),
            Intent::Pin(participant) => self.ui.pinned.set(participant),
            Intent::Page(page) => self.ui.page.set(page),
            Intent::Leave => {
                self.send(&ClientMessage::Leave);
                self.end("You left the room.");
            }
            Intent::EndForAll => self.send(&ClientMessage::EndForAll),
        }
    }

    /// Shows a reaction over the stage for a few seconds.
    fn show_reaction(&self, participant: room::ParticipantId, reaction: room::Reaction) {
        const SHOWN_MS: i32 = 4000;
        let key = self.reaction_key.get().wrapping_add(1);
        self.reaction_key.set(key);
        let ui = self.ui;
        ui.reactions
            .update(|shown| shown.push((key, participant, reaction)));
        // The page may have left the room meanwhile: then there is nothing to remove.
        let remove = Closure::once_into_js(move || {
            ui.reactions
                .try_update(|shown| shown.retain(|(k, _, _)| *k != key));
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                remove.unchecked_ref(),
                SHOWN_MS,
            );
        }
    }

    /// Asks the SFU for exactly these videos; repeated identical lists are not resent.
    pub fn show_tiles(&self, tiles: Vec<Tile>) {
        if *self.last_tiles.borrow() == tiles || self.ui.me.get_untracked().is_none() {
            return;
        }
        self.send(&ClientMessage::Subscribe {
            tiles: tiles.clone(),
        });
        *self.last_tiles.borrow_mut() = tiles;
    }

    /// Set devices: ask for camera and microphone, list devices, start the preview and meter.
    fn begin_setup(&self) {
        self.ui.phase.set(Phase::SetDevices);
        let client = self.rc();
        spawn_local(async move {
            let (camera, microphone) = (
                devices::remembered("camera"),
                devices::remembered("microphone"),
            );
            client.ui.devices.update(|d| {
                d.camera = camera;
                d.microphone = microphone;
                d.speaker = devices::remembered("speaker");
                d.can_pick_speaker = devices::can_pick_speaker();
            });
            // A phone's viewer never has camera or microphone opened until they choose to
            // (Join stage or the preview button).
            if !devices::is_mobile() {
                client.reacquire(true, true).await;
            }
            if let Ok(found) = devices::enumerate().await {
                client.ui.devices.update(|d| {
                    let keep =
                        |chosen: &mut String, list: &[crate::pages::room::state::DeviceOption]| {
                            if !list.iter().any(|o| o.id == *chosen) {
                                chosen.clear();
                            }
                        };
                    keep(&mut d.camera, &found.cameras);
                    keep(&mut d.microphone, &found.microphones);
                    keep(&mut d.speaker, &found.speakers);
                    d.cameras = found.cameras;
                    d.microphones = found.microphones;
                    d.speakers = found.speakers;
                });
            }
        });
    }

    /// (Re)opens the picked camera and/or microphone, replacing those tracks in the local
    /// stream (and in the publisher, when on stage).
    pub(super) async fn reacquire(&self, camera: bool, microphone: bool) {
        let picked = self.ui.devices.get_untracked();
        let (camera_id, microphone_id) = (picked.camera.as_str(), picked.microphone.as_str());
        let mut stream = devices::user_media(
            camera.then_some(camera_id),
            microphone.then_some(microphone_id),
        )
        .await;
        if stream.is_err() && camera && microphone {
            // One missing or blocked device must not cost the other: try each alone.
            let video = devices::user_media(Some(camera_id), None).await;
            let audio = devices::user_media(None, Some(microphone_id)).await;
            stream = match (video, audio) {
                (Ok(video), Ok(audio)) => {
                    for track in audio.get_tracks().iter() {
                        video.add_track(&track.unchecked_into());
                    }
                    Ok(video)
                }
                (Ok(one), Err(_)) | (Err(_), Ok(one)) => Ok(one),
                (Err(error), Err(_)) => Err(error),
            };
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                let problem = devices::media_problem(&error);
                self.ui.devices.update(|d| {
                    d.problem = Some(problem);
                    if camera {
                        d.have_camera = false;
                    }
                    if microphone {
                        d.have_microphone = false;
                    }
                });
                return;
            }
        };
        let local = self
            .local
            .borrow()
            .clone()
            .unwrap_or_else(|| MediaStream::new().expect("MediaStream constructor"));
        for fresh in stream.get_tracks().iter() {
            let fresh: MediaStreamTrack = fresh.unchecked_into();
            for old in local.get_tracks().iter() {
                let old: MediaStreamTrack = old.unchecked_into();
                if old.kind() == fresh.kind() {
                    old.stop();
                    local.remove_track(&old);
                }
            }
            local.add_track(&fresh);
            self.replace_published(&fresh).await;
        }
        *self.local.borrow_mut() = Some(local.clone());
        self.ui.devices.update(|d| {
            d.problem = None;
            d.have_microphone = local.get_audio_tracks().length() > 0;
            d.have_camera = local.get_video_tracks().length() > 0;
        });
        if microphone && self.ui.phase.get_untracked() == Phase::SetDevices {
            self.start_meter(&local);
        }
        self.ui.preview_changed.update(|n| *n += 1);
    }

    fn start_meter(&self, stream: &MediaStream) {
        self.stop_meter();
        let Ok(meter) = LevelMeter::new(stream) else {
            return;
        };
        *self.meter.borrow_mut() = Some(meter);
        let this = self.this.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = this.upgrade() {
                if let Some(meter) = client.meter.borrow().as_ref() {
                    client.ui.mic_level.set(meter.level());
                }
            }
        });
        let window = web_sys::window().expect("a window");
        if let Ok(id) = window.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            100,
        ) {
            self.meter_timer.set(Some(id));
        }
        *self._meter_tick.borrow_mut() = Some(tick);
    }

    fn stop_meter(&self) {
        if let Some(id) = self.meter_timer.take() {
            web_sys::window()
                .expect("a window")
                .clear_interval_with_handle(id);
        }
        if let Some(meter) = self.meter.borrow_mut().take() {
            meter.close();
        }
        self.ui.mic_level.set(0.0);
    }

    fn join(&self, seat: Seat) {
        self.stop_meter();
        let devices = self.ui.devices.get_untracked();
        let media = match seat {
            Seat::Stage => MediaState {
                mic: devices.have_microphone,
                camera: devices.have_camera,
                screen: false,
            },
            Seat::Viewer => {
                // Viewers send nothing: release camera and microphone (the light goes off).
                if let Some(local) = self.local.borrow_mut().take() {
                    devices::stop_all(&local);
                }
                MediaState::OFF
            }
        };
        self.ui.media.set(media);
        self.ui.notice.set(None);
        self.ui.phase.set(Phase::Joining);
        self.send(&ClientMessage::Join { seat, media });
    }

    /// Answers the server's offer. One that only adds slots (`update`) is answered on the
    /// connection we have; any other comes from a new connection on the server (the first
    /// track in the room, or a restart after media failed) and gets a new one here too, in
    /// place of the old.
    fn answer_subscription(&self, sdp: String, update: bool) {
        let current = self.subscriber.borrow().clone().filter(|_| update);
        let pc = match current {
            Some(pc) => pc,
            None => {
                self.drop_subscriber();
                match self.subscriber_connection() {
                    Ok(pc) => pc,
                    Err(_) => return self.end("The browser could not open a media connection."),
                }
            }
        };
        let client = self.rc();
        spawn_local(async move {
            let answered = peer::answer(&pc, &sdp).await;
            // A later offer replaced this connection meanwhile: that one is answered instead.
            if client.subscriber.borrow().as_ref() != Some(&pc) {
                return;
            }
            match answered {
                Ok(answer) => {
                    client.send(&ClientMessage::SubscribeAnswer { sdp: answer });
                    // The server's new connection does not know which videos we show.
                    let tiles = client.last_tiles.borrow().clone();
                    if !tiles.is_empty() {
                        client.send(&ClientMessage::Subscribe { tiles });
                    }
                }
                Err(_) => client.end("The browser refused the room's media."),
            }
        });
    }

    fn subscriber_connection(&self) -> Result<RtcPeerConnection, JsValue> {
        let ice = self
            .ui
            .info
            .with_untracked(|i| i.as_ref().map(|i| i.ice_servers.clone()))
            .unwrap_or_default();
        let pc = peer::connection(&ice)?;
        let this = self.this.clone();
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
            if let Some(client) = this.upgrade() {
                client.track_arrived(event);
            }
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        *self._on_track.borrow_mut() = Some(on_track);
        self.watch(&pc);
        peer::expose("subscriber", &pc);
        self.healing
            .borrow_mut()
            .link(MediaLink::Subscriber)
            .fresh(health::now_ms());
        *self.subscriber.borrow_mut() = Some(pc.clone());
        Ok(pc)
    }

    /// Closes the receiving connection and lets its tracks and speakers go.
    fn drop_subscriber(&self) {
        if let Some(pc) = self.subscriber.borrow_mut().take() {
            health::retire(&pc);
        }
        for element in self.speakers_out.borrow_mut().drain(..) {
            let _ = element.pause();
            element.set_src_object(None);
        }
        self.remote.borrow_mut().clear();
        // The new connection's transceivers are assigned afresh (a `Slots` follows).
        self.ui.video_slots.set(Vec::new());
        self.ui.tracks_changed.update(|n| *n += 1);
    }

    fn track_arrived(&self, event: RtcTrackEvent) {
        let Some(mid) = event.transceiver().mid() else {
            return;
        };
        let track = event.track();
        if track.kind() == "audio" {
            if let Ok(element) = HtmlAudioElement::new() {
                let stream = MediaStream::new().expect("MediaStream constructor");
                stream.add_track(&track);
                element.set_src_object(Some(&stream));
                element.set_autoplay(true);
                let speaker = self.ui.devices.with_untracked(|d| d.speaker.clone());
                if !speaker.is_empty() {
                    devices::set_speaker(&element, &speaker);
                }
                let _ = element.play();
                self.speakers_out.borrow_mut().push(element);
            }
        }
        self.remote.borrow_mut().insert(mid, track);
        self.ui.tracks_changed.update(|n| *n += 1);
    }

    /// Leaves the live room locally: closes connections, releases devices, shows `message`.
    pub fn end(&self, message: &str) {
        self.replace_signal(None);
        self.cancel_retry();
        self.stop_health_checks();
        self.stop_quality();
        self.stop_meter();
        self.drop_connections();
        if let Some(local) = self.local.borrow_mut().take() {
            devices::stop_all(&local);
        }
        self.ui.phase.set(Phase::Ended(message.to_owned()));
    }

    /// Swaps the signalling socket, closing the old one without reporting it lost.
    pub(super) fn replace_signal(&self, signal: Option<Signal>) {
        let old = std::mem::replace(&mut *self.signal.borrow_mut(), signal);
        drop(old);
    }

    /// Closes both peer connections and forgets remote media (devices stay open).
    pub(super) fn drop_connections(&self) {
        if let Some(publisher) = self.publisher.borrow_mut().take() {
            publisher.close();
        }
        self.drop_subscriber();
        *self.healing.borrow_mut() = Healing::default();
        self.last_tiles.borrow_mut().clear();
        self.ui.me.set(None);
    }
}

impl RoomUi {
    pub(super) fn my_seat_untracked(&self) -> Option<Seat> {
        let me = self.me.get_untracked()?;
        self.participants
            .with_untracked(|list| list.iter().find(|p| p.id == me).map(|p| p.seat))
    }
}

/// Who is in `now` and was not in `before` (a raised hand, a new stage request).
fn fresh(before: &[ParticipantId], now: &[ParticipantId]) -> Vec<ParticipantId> {
    now.iter()
        .filter(|id| !before.contains(id))
        .copied()
        .collect()
}
