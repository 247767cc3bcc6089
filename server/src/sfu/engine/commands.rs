//! Commands from the signalling side: creating, renegotiating and removing peers.

use std::collections::HashMap;
use std::time::Instant;

use protocol::{PublishedTrack, Source, Tile};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaAdded, MediaKind};
use str0m::Rtc;

use super::*;

impl Engine {
    pub(super) fn command(&mut self, command: Command) {
        match command {
            Command::Publish {
                member,
                offer,
                tracks,
                media,
                restart,
                reply,
            } => {
                if restart {
                    if let Some(old) = self.publishers.get(&member).copied() {
                        self.remove_peer(old);
                    }
                }
                let _ = reply.send(self.publish(member, &offer, tracks, media));
            }
            Command::Subscribe {
                member,
                video_slots,
            } => self.subscribe(member, video_slots),
            Command::SubscribeAnswer { member, answer } => self.subscribe_answer(member, &answer),
            Command::SetTiles { member, tiles } => {
                if let Some(&key) = self.subscribers.get(&member) {
                    if let Some(Peer {
                        role: Role::Subscriber(sub),
                        ..
                    }) = self.peers.get_mut(&key)
                    {
                        sub.tiles = tiles;
                    }
                    self.assign_video(key);
                } else if let Some(waiting) = self.rooms.get_mut(&member.room).and_then(|r| {
                    r.waiting
                        .iter_mut()
                        .find(|w| w.participant == member.participant)
                }) {
                    waiting.tiles = tiles;
                }
            }
            Command::SetMedia { member, media } => {
                if let Some(&key) = self.publishers.get(&member) {
                    if let Some(Peer {
                        role: Role::Publisher(publisher),
                        ..
                    }) = self.peers.get_mut(&key)
                    {
                        publisher.allowed = media;
                    }
                    self.reassign_room(member.room);
                }
            }
            Command::Unpublish { member } => {
                if let Some(key) = self.publishers.get(&member).copied() {
                    self.remove_peer(key);
                }
            }
            Command::Leave { member } => {
                if let Some(room) = self.rooms.get_mut(&member.room) {
                    room.waiting.retain(|w| w.participant != member.participant);
                    if room.is_empty() {
                        self.rooms.remove(&member.room);
                    }
                }
                for key in [
                    self.publishers.get(&member).copied(),
                    self.subscribers.get(&member).copied(),
                ]
                .into_iter()
                .flatten()
                {
                    self.remove_peer(key);
                }
            }
            Command::Stats { reply } => {
                let _ = reply.send(SfuStats {
                    peers: self.peers.len(),
                    waiting: self.rooms.values().map(|r| r.waiting.len()).sum(),
                    probes: self.probes.len(),
                    ..self.stats
                });
            }
            Command::Probe { offer, reply } => {
                let now = Instant::now();
                let answer = self
                    .probes
                    .create(&offer, &self.candidate, &self.socket, now);
                self.wake_for_probes();
                let _ = reply.send(answer);
            }
            Command::BlockDirect { relay } => {
                tracing::warn!(
                    ?relay,
                    "test fault: direct UDP blocked unless from this relay"
                );
                self.block_direct = relay;
            }
            command @ (Command::Record { .. }
            | Command::StopRecording { .. }
            | Command::RecorderKeyframe { .. }) => self.recording_command(command),
            Command::CutMedia { members, until } => {
                for member in members {
                    self.cut.insert(member, until);
                }
            }
            Command::LimitDownlink { members, kbps } => {
                for member in members {
                    match kbps {
                        Some(kbps) => {
                            self.downlinks
                                .insert(member, Policer::new(kbps, Instant::now()));
                        }
                        None => {
                            self.downlinks.remove(&member);
                        }
                    }
                }
            }
        }
    }

    fn new_peer(&mut self, member: MemberKey, rtc: Rtc, role: Role) -> PeerKey {
        let key = self.next_key;
        self.next_key += 1;
        self.peers.insert(
            key,
            Peer {
                rtc,
                member,
                role,
                deadline: Instant::now(),
                dirty: false,
                disconnected_since: None,
            },
        );
        let room = self.rooms.entry(member.room).or_default();
        match self.peers[&key].role {
            Role::Publisher(_) => {
                room.publishers.push(key);
                self.publishers.insert(member, key);
            }
            Role::Subscriber(_) => {
                room.subscribers.push(key);
                self.subscribers.insert(member, key);
            }
        }
        key
    }

    /// Answers a publisher's offer: the first creates its connection, later ones (a screen
    /// share added) renegotiate it.
    fn publish(
        &mut self,
        member: MemberKey,
        offer: &str,
        tracks: Vec<PublishedTrack>,
        media: room::MediaState,
    ) -> Result<String, SfuError> {
        // Bounded before the parser sees it; the parser's own words stay in the debug log.
        protocol::sdp::check_offer(offer)?;
        let offer = SdpOffer::from_sdp_string(offer).map_err(|error| {
            tracing::debug!(%error, "unparsable offer");
            SfuError::BadSdp
        })?;
        let declared: HashMap<String, Source> =
            tracks.into_iter().map(|t| (t.mid, t.source)).collect();
        let key = match self.publishers.get(&member) {
            Some(&key) => key,
            None => {
                let mut rtc = rtc_config().build(Instant::now());
                rtc.add_local_candidate(self.candidate.clone());
                let publisher = Publisher {
                    tracks: Vec::new(),
                    ssrc_index: HashMap::new(),
                    declared: HashMap::new(),
                    allowed: media,
                    last_spoke: None,
                };
                self.new_peer(member, rtc, Role::Publisher(publisher))
            }
        };
        let peer = self.peers.get_mut(&key).expect("created above");
        if let Role::Publisher(publisher) = &mut peer.role {
            publisher.declared.extend(declared);
            publisher.allowed = media;
        }
        let accepted = guarded(|| peer.rtc.sdp_api().accept_offer(offer));
        let answer = match accepted {
            Some(Ok(answer)) => answer,
            None => {
                self.remove_peer(key);
                return Err(SfuError::Refused);
            }
            Some(Err(error)) => {
                let fresh = matches!(&peer.role, Role::Publisher(p) if p.tracks.is_empty());
                if fresh {
                    self.remove_peer(key);
                }
                tracing::debug!(%error, "offer refused");
                return Err(SfuError::Refused);
            }
        };
        let sdp = answer.to_sdp_string();
        self.drain(key);
        Ok(sdp)
    }

    pub(super) fn media_added(&mut self, key: PeerKey, added: MediaAdded) {
        let Some(Peer {
            role: Role::Publisher(publisher),
            member,
            ..
        }) = self.peers.get_mut(&key)
        else {
            return;
        };
        let Some(&source) = publisher.declared.get(&added.mid.to_string()) else {
            tracing::debug!(mid = %added.mid, "undeclared media is not forwarded");
            return;
        };
        let kind_matches = matches!(
            (source, added.kind),
            (Source::Mic, MediaKind::Audio) | (Source::Camera | Source::Screen, MediaKind::Video)
        );
        if !kind_matches
            || publisher.track(source).is_some()
            || !matches!(added.direction, Direction::RecvOnly | Direction::SendRecv)
        {
            tracing::debug!(mid = %added.mid, ?source, "media refused");
            return;
        }
        let simulcast = added.simulcast.is_some();
        publisher
            .tracks
            .push(TrackIn::new(added.mid, source, added.kind, simulcast));
        let member = *member;
        if !self.rooms_with_new_tracks.contains(&member.room) {
            self.rooms_with_new_tracks.push(member.room);
        }
        self.subscribe_waiting(member);
        self.reassign_room(member.room);
    }

    /// Opens `member`'s receiving connection, or, while no one else in the room publishes,
    /// notes that it waits for the first track.
    fn subscribe(&mut self, member: MemberKey, video_limit: usize) {
        // The videos asked for so far carry over to the new connection.
        let mut tiles = Vec::new();
        if let Some(old) = self.subscribers.get(&member).copied() {
            if let Some(Peer {
                role: Role::Subscriber(sub),
                ..
            }) = self.peers.get_mut(&old)
            {
                tiles = std::mem::take(&mut sub.tiles);
            }
            self.remove_peer(old);
        }
        let (video, audio) = self.others_tracks(member);
        let room = self.rooms.entry(member.room).or_default();
        if let Some(at) = room
            .waiting
            .iter()
            .position(|w| w.participant == member.participant)
        {
            tiles = room.waiting.swap_remove(at).tiles;
        }
        if video + audio == 0 {
            room.waiting.push(Waiting {
                participant: member.participant,
                video_limit,
                tiles,
            });
            return;
        }
        self.open_subscriber(member, video_limit, tiles);
    }

    /// A track arrived from `publisher`: everyone else waiting in its room gets a connection.
    fn subscribe_waiting(&mut self, publisher: MemberKey) {
        let Some(room) = self.rooms.get_mut(&publisher.room) else {
            return;
        };
        let (others, own): (Vec<_>, Vec<_>) = std::mem::take(&mut room.waiting)
            .into_iter()
            .partition(|w| w.participant != publisher.participant);
        room.waiting = own;
        for waiting in others {
            let member = MemberKey {
                room: publisher.room,
                participant: waiting.participant,
            };
            self.open_subscriber(member, waiting.video_limit, waiting.tiles);
        }
    }

    /// A receiving connection with as many slots as the room has others' tracks now (at least
    /// one of each kind); more are added by renegotiation when more are wanted
    /// ([`Engine::grow_slots`]), up to `video_limit` and [`AUDIO_SLOTS`].
    fn open_subscriber(&mut self, member: MemberKey, video_limit: usize, tiles: Vec<Tile>) {
        let (video_tracks, audio_tracks) = self.others_tracks(member);
        let mut rtc = rtc_config()
            .enable_bwe(Some(INITIAL_ESTIMATE))
            .build(Instant::now());
        rtc.add_local_candidate(self.candidate.clone());
        let mut changes = rtc.sdp_api();
        let video = add_slots(
            &mut changes,
            MediaKind::Video,
            video_tracks.clamp(1, video_limit.max(1)),
        );
        let audio = add_slots(
            &mut changes,
            MediaKind::Audio,
            audio_tracks.clamp(1, AUDIO_SLOTS),
        );
        let Some((offer, pending)) = changes.apply() else {
            return;
        };
        let _ = self.events.send(SfuEvent::SubscribeOffer {
            member,
            sdp: offer.to_sdp_string(),
            update: false,
        });
        let subscriber = Subscriber {
            pending: Some(pending),
            video,
            audio,
            adding: (Vec::new(), Vec::new()),
            video_limit,
            tiles,
            estimate_bps: INITIAL_ESTIMATE.as_u64(),
            bwe_targets: (0, 0),
            pt_video: None,
            pt_audio: None,
            slots_sent: None,
        };
        let key = self.new_peer(member, rtc, Role::Subscriber(subscriber));
        self.drain(key);
    }

    fn subscribe_answer(&mut self, member: MemberKey, answer: &str) {
        let Some(&key) = self.subscribers.get(&member) else {
            return;
        };
        let Some(Peer {
            rtc,
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&key)
        else {
            return;
        };
        let Some(pending) = sub.pending.take() else {
            let _ = self.events.send(SfuEvent::AnswerRefused {
                member,
                message: "There is no offer waiting for an answer.".into(),
            });
            return;
        };
        let sections = sub.video.len() + sub.audio.len() + sub.adding.0.len() + sub.adding.1.len();
        let accepted = match protocol::sdp::check_answer(answer, sections) {
            Err(refusal) => Err(refusal.to_string()),
            Ok(()) => SdpAnswer::from_sdp_string(answer)
                .map_err(|error| error.to_string())
                .and_then(|answer| {
                    guarded(|| rtc.sdp_api().accept_answer(pending, answer))
                        .ok_or_else(|| "the media server could not use it".to_owned())?
                        .map_err(|error| error.to_string())
                })
                .map_err(|error| {
                    tracing::debug!(%error, "subscriber answer refused");
                    "it does not answer the offer".to_owned()
                }),
        };
        if let Err(why) = accepted {
            let _ = self.events.send(SfuEvent::AnswerRefused {
                member,
                message: format!("The media answer was refused: {why}."),
            });
            self.remove_peer(key);
            return;
        }
        let pt_of = |codec: Codec| {
            rtc.codec_config()
                .params()
                .iter()
                .find(|p| p.spec().codec == codec)
                .map(|p| p.pt())
        };
        sub.pt_video = pt_of(Codec::Vp8);
        sub.pt_audio = pt_of(Codec::Opus);
        let (video, audio) = std::mem::take(&mut sub.adding);
        sub.video.extend(video);
        sub.audio.extend(audio);
        // The estimate picks layers (`update_layers`); str0m's pacer holding video back to it
        // as well stalled video entirely once the SFU got busy, and cost CPU and memory.
        let mut api = rtc.direct_api();
        for slot in sub.video.iter().chain(&sub.audio) {
            if let Some(stream) = api.stream_tx_by_mid(slot.mid, None) {
                stream.set_unpaced(true);
            }
        }
        self.drain(key);
        self.assign_video(key);
        self.assign_audio(key);
        self.grow_slots(key);
    }

    /// Forgets a peer and everything pointing at it.
    pub(super) fn remove_peer(&mut self, key: PeerKey) {
        let Some(peer) = self.peers.remove(&key) else {
            return;
        };
        self.by_addr.retain(|_, k| *k != key);
        let member = peer.member;
        let room = self.rooms.entry(member.room).or_default();
        room.publishers.retain(|k| *k != key);
        room.subscribers.retain(|k| *k != key);
        match peer.role {
            Role::Publisher(publisher) => {
                if self.publishers.get(&member) == Some(&key) {
                    self.publishers.remove(&member);
                }
                let listening: Vec<PeerKey> = publisher
                    .tracks
                    .iter()
                    .flat_map(|t| t.listeners.iter().map(|(sub, _)| *sub))
                    .collect();
                for sub in listening {
                    self.clear_feeds_from(sub, key);
                }
                self.reassign_room(member.room);
            }
            Role::Subscriber(sub) => {
                if self.subscribers.get(&member) == Some(&key) {
                    self.subscribers.remove(&member);
                }
                for feed in sub.video.iter().chain(&sub.audio).filter_map(|d| d.feed) {
                    self.unlisten(feed, key, None);
                }
            }
        }
        if self
            .rooms
            .get(&member.room)
            .is_some_and(RoomMedia::is_empty)
        {
            self.rooms.remove(&member.room);
        }
    }

    /// Every 250 ms: active speakers, layers that went idle or came back, peers past their
    /// grace.
    pub(super) fn housekeeping(&mut self, now: Instant) {
        self.expire(now);
        for peer in self.peers.values_mut() {
            if let Role::Publisher(publisher) = &mut peer.role {
                for track in &mut publisher.tracks {
                    track.meter.tick(now);
                }
            }
        }
        let rooms: Vec<i64> = self.rooms.keys().copied().collect();
        for room in rooms {
            self.update_speakers(room, now);
        }
        let subscribers: Vec<PeerKey> = self.subscribers.values().copied().collect();
        for key in subscribers {
            self.update_layers(key, now);
        }
    }
}

/// `count` send-only slots of `kind` in the offer being built.
pub(super) fn add_slots(
    changes: &mut str0m::change::SdpApi<'_>,
    kind: MediaKind,
    count: usize,
) -> Vec<DownTrack> {
    (0..count)
        .map(|_| DownTrack::new(changes.add_media(kind, Direction::SendOnly, None, None, None)))
        .collect()
}
