//! Which published tracks fill each subscriber's slots: video from the tiles the client asked
//! for, audio from the most recent speakers. Assignments stay put while still wanted, so a
//! tile never flickers because another one changed.

use std::time::Instant;

use protocol::{SlotAssignment, Source};

use super::commands::add_slots;

use super::*;

impl Engine {
    pub(super) fn assign_video(&mut self, sub_key: PeerKey) {
        let now = Instant::now();
        let Some(Peer {
            member,
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get(&sub_key)
        else {
            return;
        };
        if sub.pt_video.is_none() {
            return; // Not negotiated yet; the answer triggers assignment.
        }
        let (slots, limit) = (sub.video.len(), sub.video_limit);
        let mut desired: Vec<Feed> = Vec::with_capacity(sub.tiles.len().min(limit));
        for tile in &sub.tiles {
            if desired.len() == limit {
                break;
            }
            let publisher_member = MemberKey {
                room: member.room,
                participant: tile.participant,
            };
            let Some(feed) = self.feed_of(publisher_member, tile.source, tile.quality, now) else {
                continue;
            };
            if !desired
                .iter()
                .any(|d| d.publisher == feed.publisher && d.track == feed.track)
            {
                desired.push(feed);
            }
        }
        // Until added slots are answered ([`Engine::grow_slots`]), the first tiles get them.
        desired.truncate(slots);
        self.apply_feeds(sub_key, true, desired);
        self.update_layers(sub_key, now);
    }

    pub(super) fn assign_audio(&mut self, sub_key: PeerKey) {
        let now = Instant::now();
        let Some(Peer {
            member,
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get(&sub_key)
        else {
            return;
        };
        if sub.pt_audio.is_none() {
            return;
        }
        let Some(room) = self.rooms.get(&member.room) else {
            return;
        };
        let mut speakers: Vec<(Option<Instant>, Feed)> = room
            .publishers
            .iter()
            .filter_map(|key| self.peers.get(key))
            .filter(|p| p.member != *member)
            .filter_map(|p| {
                let Role::Publisher(publisher) = &p.role else {
                    return None;
                };
                let feed = self.feed_of(p.member, Source::Mic, Quality::Low, now)?;
                Some((publisher.last_spoke, feed))
            })
            .collect();
        // Most recent speakers first; those who never spoke keep their join order.
        speakers.sort_by_key(|(spoke, _)| std::cmp::Reverse(*spoke));
        let slots = sub.audio.len();
        let desired = speakers
            .into_iter()
            .take(slots)
            .map(|(_, feed)| feed)
            .collect();
        self.apply_feeds(sub_key, false, desired);
    }

    /// Gives every subscriber in `room` as many slots as the others there publish tracks
    /// (up to the limits), by renegotiation.
    pub(super) fn grow_slots_in_room(&mut self, room: i64) {
        let subscribers = self
            .rooms
            .get(&room)
            .map(|r| r.subscribers.clone())
            .unwrap_or_default();
        for sub in subscribers {
            self.grow_slots(sub);
        }
    }

    /// Offers the subscriber the slots it lacks for the others' tracks in its room. One offer
    /// at a time: the answer calls this again for what was published meanwhile.
    pub(super) fn grow_slots(&mut self, sub_key: PeerKey) {
        let Some(member) = self.peers.get(&sub_key).map(|p| p.member) else {
            return;
        };
        let (video, audio) = self.others_tracks(member);
        let Some(Peer {
            rtc,
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        else {
            return;
        };
        if sub.pending.is_some() {
            return;
        }
        let more_video = video.min(sub.video_limit).saturating_sub(sub.video.len());
        let more_audio = audio.min(AUDIO_SLOTS).saturating_sub(sub.audio.len());
        if more_video + more_audio == 0 {
            return;
        }
        let mut changes = rtc.sdp_api();
        let added_video = add_slots(&mut changes, MediaKind::Video, more_video);
        let added_audio = add_slots(&mut changes, MediaKind::Audio, more_audio);
        let Some((offer, pending)) = changes.apply() else {
            return;
        };
        tracing::debug!(more_video, more_audio, "offering more receiving slots");
        sub.pending = Some(pending);
        sub.adding = (added_video, added_audio);
        let _ = self.events.send(SfuEvent::SubscribeOffer {
            member,
            sdp: offer.to_sdp_string(),
            update: true,
        });
        self.drain(sub_key);
    }

    /// The feed for `member`'s `source`, if they publish it and may.
    fn feed_of(
        &self,
        member: MemberKey,
        source: Source,
        want: Quality,
        now: Instant,
    ) -> Option<Feed> {
        let &publisher = self.publishers.get(&member)?;
        let Some(Peer {
            role: Role::Publisher(p),
            ..
        }) = self.peers.get(&publisher)
        else {
            return None;
        };
        let track = p.track(source)?;
        if !p.allows(source) {
            return None;
        }
        Some(Feed {
            publisher,
            member,
            track,
            source,
            want,
            current: None,
            target: p.tracks[track].pick_layer(want, now),
        })
    }

    /// Makes the slots hold exactly `desired` (in priority order, as far as slots go), keeping
    /// feeds that are still wanted where they are.
    fn apply_feeds(&mut self, sub_key: PeerKey, video: bool, desired: Vec<Feed>) {
        let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        else {
            return;
        };
        let slot_ref = |index| {
            if video {
                SlotRef::Video(index)
            } else {
                SlotRef::Audio(index)
            }
        };
        let slots = if video {
            &mut sub.video
        } else {
            &mut sub.audio
        };
        let mut placed = vec![false; desired.len()];
        let mut dropped = Vec::new();
        for (index, slot) in slots.iter_mut().enumerate() {
            let Some(feed) = &mut slot.feed else {
                continue;
            };
            match desired
                .iter()
                .position(|d| d.publisher == feed.publisher && d.track == feed.track)
            {
                Some(wanted) => {
                    placed[wanted] = true;
                    feed.want = desired[wanted].want;
                }
                None => {
                    dropped.push((*feed, slot_ref(index)));
                    slot.feed = None;
                }
            }
        }
        let mut added = Vec::new();
        let mut free = slots
            .iter_mut()
            .enumerate()
            .filter(|(_, slot)| slot.feed.is_none());
        for (feed, _) in desired.iter().zip(&placed).filter(|(_, placed)| !**placed) {
            let Some((index, slot)) = free.next() else {
                break;
            };
            slot.feed = Some(*feed);
            added.push((*feed, slot_ref(index)));
        }
        let now = Instant::now();
        for (feed, slot) in dropped {
            self.unlisten(feed, sub_key, Some(slot));
        }
        for (feed, slot) in added {
            if let Some(Peer {
                role: Role::Publisher(p),
                ..
            }) = self.peers.get_mut(&feed.publisher)
            {
                p.tracks[feed.track].listeners.push((sub_key, slot));
            }
            // A new viewer of this track needs a key frame to start decoding.
            self.request_keyframe(feed.publisher, feed.track, feed.target, now);
        }
        self.send_slots(sub_key);
    }

    /// Removes `sub_key`'s listener entries (one slot, or all) from the track `feed` reads.
    pub(super) fn unlisten(&mut self, feed: Feed, sub_key: PeerKey, slot: Option<SlotRef>) {
        if let Some(Peer {
            role: Role::Publisher(p),
            ..
        }) = self.peers.get_mut(&feed.publisher)
        {
            if let Some(track) = p.tracks.get_mut(feed.track) {
                track
                    .listeners
                    .retain(|(k, s)| *k != sub_key || slot.is_some_and(|slot| *s != slot));
            }
        }
    }

    pub(super) fn clear_feeds_from(&mut self, sub_key: PeerKey, publisher: PeerKey) {
        if let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        {
            for slot in sub.video.iter_mut().chain(sub.audio.iter_mut()) {
                if slot.feed.is_some_and(|f| f.publisher == publisher) {
                    slot.feed = None;
                }
            }
        }
    }

    pub(super) fn reassign_room(&mut self, room: i64) {
        let subscribers = match self.rooms.get(&room) {
            Some(media) => media.subscribers.clone(),
            None => return,
        };
        for key in subscribers {
            self.assign_video(key);
            self.assign_audio(key);
        }
    }

    fn send_slots(&mut self, sub_key: PeerKey) {
        let Some(Peer {
            role: Role::Subscriber(sub),
            ..
        }) = self.peers.get_mut(&sub_key)
        else {
            return;
        };
        let assignments = |slots: &[DownTrack]| -> Vec<SlotAssignment> {
            slots
                .iter()
                .filter_map(|slot| {
                    slot.feed.map(|feed| SlotAssignment {
                        mid: slot.mid.to_string(),
                        participant: feed.member.participant,
                        source: feed.source,
                    })
                })
                .collect()
        };
        let slots = (assignments(&sub.video), assignments(&sub.audio));
        if sub.slots_sent.as_ref() != Some(&slots) {
            let (video, audio) = slots.clone();
            sub.slots_sent = Some(slots);
            let member = self.peers[&sub_key].member;
            let _ = self.events.send(SfuEvent::Slots {
                member,
                video,
                audio,
            });
        }
    }

    /// How many (video, audio) tracks the others in `member`'s room publish.
    pub(super) fn others_tracks(&self, member: MemberKey) -> (usize, usize) {
        let (mut video, mut audio) = (0, 0);
        let publishers = self
            .rooms
            .get(&member.room)
            .map_or(&[][..], |r| &r.publishers[..]);
        for key in publishers {
            if let Some(Peer {
                member: m,
                role: Role::Publisher(p),
                ..
            }) = self.peers.get(key)
            {
                if m.participant != member.participant {
                    let mics = p.tracks.iter().filter(|t| t.source == Source::Mic).count();
                    audio += mics;
                    video += p.tracks.len() - mics;
                }
            }
        }
        (video, audio)
    }

    pub(super) fn update_speakers(&mut self, room: i64, now: Instant) {
        let Some(media) = self.rooms.get(&room) else {
            return;
        };
        let mut speaking: Vec<(Instant, room::ParticipantId)> = media
            .publishers
            .iter()
            .filter_map(|key| self.peers.get(key))
            .filter_map(|peer| match &peer.role {
                Role::Publisher(p) => p
                    .last_spoke
                    .filter(|at| now.saturating_duration_since(*at) < SPEAKER_MEMORY)
                    .map(|at| (at, peer.member.participant)),
                Role::Subscriber(_) => None,
            })
            .collect();
        speaking.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        let speakers: Vec<room::ParticipantId> = speaking.into_iter().map(|(_, p)| p).collect();
        if speakers == media.speakers {
            return;
        }
        let subscribers = media.subscribers.clone();
        if let Some(media) = self.rooms.get_mut(&room) {
            media.speakers = speakers.clone();
        }
        // Once per room: the live layer tells everyone joined.
        let _ = self.events.send(SfuEvent::Speakers {
            room,
            participants: speakers,
        });
        for key in subscribers {
            self.assign_audio(key);
        }
    }
}
