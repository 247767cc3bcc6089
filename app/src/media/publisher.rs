//! Sending: the publishing connection of a stage participant, and the mic / camera / screen
//! toggles. Muting detaches the track from its sender (nothing is sent, nothing forwarded);
//! a camera turned off is stopped so its light goes off.

use std::rc::Rc;

use leptos::prelude::*;
use room::MediaState;
use wasm_bindgen::prelude::*;
use web_sys::{
    MediaStream, MediaStreamTrack, RtcPeerConnection, RtcRtpTransceiver, RtcSignalingState,
};

use super::client::Client;
use super::{devices, health, peer};
use protocol::{ClientMessage, MediaLink, PublishedTrack, Source};

pub struct Publisher {
    pub(super) pc: RtcPeerConnection,
    senders: Vec<(Source, RtcRtpTransceiver)>,
    screen: Option<MediaStream>,
    _screen_ended: Option<Closure<dyn FnMut()>>,
}

impl Publisher {
    fn sender(&self, source: Source) -> Option<&RtcRtpTransceiver> {
        self.senders
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, t)| t)
    }

    fn tracks(&self) -> Vec<PublishedTrack> {
        self.senders
            .iter()
            .filter_map(|(source, t)| {
                t.mid().map(|mid| PublishedTrack {
                    mid,
                    source: *source,
                })
            })
            .collect()
    }

    pub fn close(self) {
        if let Some(screen) = &self.screen {
            devices::stop_all(screen);
        }
        health::retire(&self.pc);
    }
}

fn kind_of(source: Source) -> &'static str {
    match source {
        Source::Mic => "audio",
        Source::Camera | Source::Screen => "video",
    }
}

fn source_of(track: &MediaStreamTrack) -> Source {
    if track.kind() == "audio" {
        Source::Mic
    } else {
        Source::Camera
    }
}

impl Client {
    fn publishing_pc(&self) -> Option<RtcPeerConnection> {
        self.publisher.borrow().as_ref().map(|p| p.pc.clone())
    }

    /// A new publishing connection, watched, judged from now and waiting for its answer;
    /// `None` (with a notice) when the browser refuses one.
    fn publishing_connection(&self) -> Option<RtcPeerConnection> {
        let ice = self
            .ui
            .info
            .with_untracked(|i| i.as_ref().map(|i| i.ice_servers.clone()))
            .unwrap_or_default();
        let Ok(pc) = peer::connection(&ice) else {
            self.ui.notice.set(Some(
                "The browser could not open a media connection.".into(),
            ));
            return None;
        };
        peer::expose("publisher", &pc);
        self.watch(&pc);
        let now = health::now_ms();
        let mut healing = self.healing.borrow_mut();
        let link = healing.link(MediaLink::Publisher);
        link.fresh(now);
        link.awaiting(now);
        Some(pc)
    }

    /// On stage: one connection sending what Set devices opened, offered to the SFU.
    pub(super) fn start_publishing(self: Rc<Self>) {
        if self.publisher.borrow().is_some() {
            return;
        }
        let Some(pc) = self.publishing_connection() else {
            return;
        };
        let local = self
            .local_stream()
            .unwrap_or_else(|| MediaStream::new().expect("MediaStream"));
        let media = self.ui.media.get_untracked();
        let mut senders = Vec::new();
        for track in local.get_tracks().iter() {
            let track: MediaStreamTrack = track.unchecked_into();
            let source = source_of(&track);
            // Rejoining muted (after a reconnect) keeps the microphone's sender empty.
            let live = match source {
                Source::Mic => media.mic,
                _ => media.camera,
            };
            let transceiver = peer::send_only(
                &pc,
                &track.kind(),
                live.then_some(&track),
                &local,
                source == Source::Camera,
            );
            senders.push((source, transceiver));
        }
        *self.publisher.borrow_mut() = Some(Publisher {
            pc,
            senders,
            screen: None,
            _screen_ended: None,
        });
        leptos::task::spawn_local(async move { self.offer(false).await });
    }

    /// The publishing connection lost its media path: a new connection takes over the same
    /// senders (same tracks, muted ones stay empty, same simulcast layers) and the screen
    /// share, and the server swaps it in for the old one (`restart`).
    pub(super) fn restart_publishing(self: Rc<Self>) {
        let Some(old) = self.publisher.borrow_mut().take() else {
            return;
        };
        let Some(pc) = self.publishing_connection() else {
            old.close();
            return;
        };
        let local = self
            .local_stream()
            .unwrap_or_else(|| MediaStream::new().expect("MediaStream"));
        let senders = old
            .senders
            .iter()
            .map(|(source, transceiver)| {
                let stream = match (source, &old.screen) {
                    (Source::Screen, Some(screen)) => screen.clone(),
                    _ => local.clone(),
                };
                let track = transceiver.sender().track();
                let fresh = peer::send_only(
                    &pc,
                    kind_of(*source),
                    track.as_ref(),
                    &stream,
                    *source == Source::Camera,
                );
                (*source, fresh)
            })
            .collect();
        let Publisher {
            pc: old_pc,
            screen,
            _screen_ended,
            ..
        } = old;
        health::retire(&old_pc);
        *self.publisher.borrow_mut() = Some(Publisher {
            pc,
            senders,
            screen,
            _screen_ended,
        });
        leptos::task::spawn_local(async move { self.offer(true).await });
    }

    /// (Re)negotiates the publishing connection: first time, when a source is added, and
    /// from a rebuilt connection (`restart`).
    async fn offer(&self, restart: bool) {
        let Some(pc) = self.publishing_pc() else {
            return;
        };
        let offered = peer::offer(&pc).await;
        // Replaced meanwhile (a rebuild, leaving the stage): the new connection offers itself.
        if self.publishing_pc().as_ref() != Some(&pc) {
            return;
        }
        match offered {
            Ok(sdp) => {
                let tracks = self
                    .publisher
                    .borrow()
                    .as_ref()
                    .map(Publisher::tracks)
                    .unwrap_or_default();
                self.send(&ClientMessage::PublishOffer {
                    sdp,
                    tracks,
                    restart,
                });
            }
            Err(_) => self
                .ui
                .notice
                .set(Some("The browser could not start sending media.".into())),
        }
    }

    pub(super) fn publisher_answer(self: Rc<Self>, sdp: String) {
        leptos::task::spawn_local(async move {
            let Some(pc) = self.publishing_pc() else {
                return;
            };
            // The answer to a connection that was replaced meanwhile finds this one not
            // waiting for an answer.
            if pc.signaling_state() != RtcSignalingState::HaveLocalOffer {
                return;
            }
            let accepted = peer::accept_answer(&pc, &sdp).await;
            if self.publishing_pc().as_ref() != Some(&pc) {
                return;
            }
            match accepted {
                Ok(()) => self
                    .healing
                    .borrow_mut()
                    .link(MediaLink::Publisher)
                    .settled(),
                Err(_) => self
                    .ui
                    .notice
                    .set(Some("The room refused this browser's media.".into())),
            }
        });
    }

    /// A freshly opened camera or microphone replaces the one being sent.
    pub(super) async fn replace_published(&self, track: &MediaStreamTrack) {
        let sender = self
            .publisher
            .borrow()
            .as_ref()
            .and_then(|p| p.sender(source_of(track)).cloned());
        let Some(sender) = sender else {
            return;
        };
        let live = match source_of(track) {
            Source::Mic => self.ui.media.get_untracked().mic,
            _ => self.ui.media.get_untracked().camera,
        };
        if live {
            let _ = peer::replace_track(&sender, Some(track)).await;
        }
    }

    /// Sends on `source`'s transceiver, adding one (and renegotiating) the first time.
    async fn send_on(&self, source: Source, track: &MediaStreamTrack, stream: &MediaStream) {
        let existing = self
            .publisher
            .borrow()
            .as_ref()
            .and_then(|p| p.sender(source).cloned());
        match existing {
            Some(sender) => {
                let _ = peer::replace_track(&sender, Some(track)).await;
            }
            None => {
                let added = {
                    let mut publisher = self.publisher.borrow_mut();
                    let Some(publisher) = publisher.as_mut() else {
                        return;
                    };
                    let transceiver = peer::send_only(
                        &publisher.pc,
                        kind_of(source),
                        Some(track),
                        stream,
                        source == Source::Camera,
                    );
                    publisher.senders.push((source, transceiver));
                    true
                };
                if added {
                    self.offer(false).await;
                }
            }
        }
    }

    async fn stop_sending(&self, source: Source) {
        let sender = self
            .publisher
            .borrow()
            .as_ref()
            .and_then(|p| p.sender(source).cloned());
        if let Some(sender) = sender {
            let _ = peer::replace_track(&sender, None).await;
        }
    }

    /// The microphone or camera track of the local stream, with the stream.
    fn local_track(&self, source: Source) -> Option<(MediaStreamTrack, MediaStream)> {
        let local = self.local_stream()?;
        let tracks = match source {
            Source::Mic => local.get_audio_tracks(),
            _ => local.get_video_tracks(),
        };
        let track = tracks.get(0).dyn_into::<MediaStreamTrack>().ok()?;
        Some((track, local))
    }

    fn announce(&self, media: MediaState) {
        self.ui.media.set(media);
        self.send(&ClientMessage::SetMedia { media });
    }

    /// The server moved us (we asked, or a moderator did): open devices and publish when on
    /// stage; stop sending and release them when back in the audience.
    pub(super) fn seat_changed(self: Rc<Self>, seat: room::Seat) {
        if seat == room::Seat::Viewer {
            if let Some(publisher) = self.publisher.borrow_mut().take() {
                publisher.close();
            }
            self.healing
                .borrow_mut()
                .link(MediaLink::Publisher)
                .forget();
            if let Some(local) = self.local.borrow_mut().take() {
                devices::stop_all(&local);
            }
            self.ui.media.set(MediaState::OFF);
            self.ui.preview_changed.update(|n| *n += 1);
            return;
        }
        leptos::task::spawn_local(async move {
            self.reacquire(true, true).await;
            let devices = self.ui.devices.get_untracked();
            let media = MediaState {
                mic: devices.have_microphone,
                camera: devices.have_camera,
                screen: false,
            };
            self.ui.media.set(media);
            self.clone().start_publishing();
            self.send(&ClientMessage::SetMedia { media });
        });
    }

    pub(super) async fn toggle_mic(&self) {
        let mut media = self.ui.media.get_untracked();
        media.mic = !media.mic;
        if media.mic {
            if self.local_track(Source::Mic).is_none() {
                self.reacquire(false, true).await;
            }
            let Some((track, local)) = self.local_track(Source::Mic) else {
                return;
            };
            self.send_on(Source::Mic, &track, &local).await;
        } else {
            self.stop_sending(Source::Mic).await;
        }
        self.announce(media);
    }

    pub(super) async fn toggle_camera(&self) {
        let mut media = self.ui.media.get_untracked();
        media.camera = !media.camera;
        if media.camera {
            self.reacquire(true, false).await;
            let Some((track, local)) = self.local_track(Source::Camera) else {
                return;
            };
            self.send_on(Source::Camera, &track, &local).await;
        } else {
            self.stop_sending(Source::Camera).await;
            if let Some(local) = self.local_stream() {
                for track in local.get_video_tracks().iter() {
                    let track: MediaStreamTrack = track.unchecked_into();
                    track.stop();
                    local.remove_track(&track);
                }
            }
        }
        self.announce(media);
        self.ui.preview_changed.update(|n| *n += 1);
    }

    pub(super) async fn toggle_screen(&self) {
        let mut media = self.ui.media.get_untracked();
        if media.screen {
            self.stop_sending(Source::Screen).await;
            if let Some(publisher) = self.publisher.borrow_mut().as_mut() {
                if let Some(screen) = publisher.screen.take() {
                    devices::stop_all(&screen);
                }
            }
            media.screen = false;
            self.announce(media);
            return;
        }
        let screen = match devices::display_media().await {
            Ok(screen) => screen,
            Err(_) => return, // The person cancelled the picker.
        };
        let Ok(track) = screen
            .get_video_tracks()
            .get(0)
            .dyn_into::<MediaStreamTrack>()
        else {
            return;
        };
        // The browser's own "Stop sharing" button ends the track: treat it as our toggle.
        let this = self.this.clone();
        let ended = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = this.upgrade() {
                if client.ui.media.get_untracked().screen {
                    leptos::task::spawn_local(async move { client.toggle_screen().await });
                }
            }
        });
        track.set_onended(Some(ended.as_ref().unchecked_ref()));
        if let Some(publisher) = self.publisher.borrow_mut().as_mut() {
            publisher.screen = Some(screen.clone());
            publisher._screen_ended = Some(ended);
        }
        self.send_on(Source::Screen, &track, &screen).await;
        media.screen = true;
        self.announce(media);
    }
}
