//! One bot participant: signs in (cookie given), opens the room's signalling socket, joins,
//! publishes synthetic media when on stage, subscribes to the stage, and counts everything.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use protocol::{socket_path, ClientMessage, PublishedTrack, Quality, ServerMessage, Source, Tile};
use room::{MediaState, ParticipantId, Seat};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::media_stream::Track;
use webrtc::peer_connection::{PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState};

use crate::media;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("HTTP: {0}")]
    Http(String),
    #[error("signalling socket: {0}")]
    Socket(String),
    #[error("refused ({code}): {message}")]
    Refused { code: String, message: String },
    #[error("WebRTC: {0}")]
    Media(String),
    #[error("no answer from the room within {0:?}")]
    Timeout(Duration),
}

#[derive(Clone, Debug)]
pub struct BotConfig {
    pub base_url: String,
    /// `mr_session=...`, from [`crate::sign_in`].
    pub cookie: String,
    pub room: i64,
    pub seat: Seat,
    /// Open peer connections (publish when on stage, subscribe always). Without, the bot only
    /// holds a seat: enough for limit tests.
    pub media: bool,
    /// How many stage cameras to ask for.
    pub watch: usize,
    /// An invitation link's token.
    pub invite: Option<String>,
}

/// Counters, readable while the bot runs.
#[derive(Debug, Default)]
pub struct BotStats {
    pub video_packets_in: AtomicU64,
    pub audio_packets_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub keyframes_in: AtomicU64,
    /// 0 = no video yet, 1 = the first video packet started a key frame, 2 = it did not.
    pub first_video: AtomicU8,
    pub first_video_at: OnceLock<Instant>,
    pub video_packets_out: AtomicU64,
    pub audio_packets_out: AtomicU64,
    pub bytes_out: AtomicU64,
    pub keyframe_requests_in: AtomicU64,
    /// Offers of a receiving connection from the server.
    pub subscribe_offers: AtomicU64,
    /// Video tracks that have delivered at least one packet.
    pub video_tracks_in: AtomicU64,
}

impl BotStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

pub struct Bot {
    pub me: ParticipantId,
    pub stats: Arc<BotStats>,
    pub joined_at: Instant,
    outgoing: mpsc::UnboundedSender<ClientMessage>,
    received: Arc<Mutex<Vec<(Instant, ServerMessage)>>>,
    tasks: Vec<JoinHandle<()>>,
    frozen: Arc<AtomicBool>,
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) async fn next_message(socket: &mut Socket) -> Result<ServerMessage, BotError> {
    loop {
        let frame = tokio::time::timeout(ANSWER_TIMEOUT, socket.next())
            .await
            .map_err(|_| BotError::Timeout(ANSWER_TIMEOUT))?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).map_err(|e| BotError::Socket(e.to_string()))
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(BotError::Socket(e.to_string())),
            None => return Err(BotError::Socket("closed".into())),
        }
    }
}

pub(crate) async fn send(socket: &mut Socket, message: &ClientMessage) -> Result<(), BotError> {
    let text = serde_json::to_string(message).expect("client messages serialise");
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| BotError::Socket(e.to_string()))
}

impl Bot {
    /// Joins the room (launching it first if this user moderates and it is closed).
    pub async fn join(config: BotConfig) -> Result<Bot, BotError> {
        let mut ws_url = format!(
            "{}{}",
            config.base_url.replacen("http", "ws", 1),
            socket_path(config.room)
        );
        if let Some(token) = &config.invite {
            ws_url.push_str("&invite=");
            ws_url.push_str(token);
        }
        let mut request = ws_url
            .into_client_request()
            .map_err(|e| BotError::Socket(e.to_string()))?;
        request.headers_mut().insert(
            "cookie",
            config
                .cookie
                .parse()
                .map_err(|_| BotError::Http("bad cookie".into()))?,
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| BotError::Socket(e.to_string()))?;
        let ServerMessage::Welcome { room } = next_message(&mut socket).await? else {
            return Err(BotError::Socket("the room did not say welcome".into()));
        };
        if !room.open {
            if room.rights.room_moderator {
                send(&mut socket, &ClientMessage::Launch).await?;
            }
            loop {
                match next_message(&mut socket).await? {
                    ServerMessage::Opened => break,
                    ServerMessage::Error { code, message } => {
                        return Err(BotError::Refused { code, message })
                    }
                    _ => continue,
                }
            }
        }
        let media_state = match config.seat {
            Seat::Stage if config.media => MediaState {
                mic: true,
                camera: true,
                screen: false,
            },
            _ => MediaState::OFF,
        };
        send(
            &mut socket,
            &ClientMessage::Join {
                seat: config.seat,
                media: media_state,
            },
        )
        .await?;
        let (me, participants) = loop {
            match next_message(&mut socket).await? {
                ServerMessage::Joined { you, participants } => break (you, participants),
                ServerMessage::Error { code, message } => {
                    return Err(BotError::Refused { code, message })
                }
                _ => continue,
            }
        };
        let stats = Arc::new(BotStats::default());
        let received = Arc::new(Mutex::new(Vec::new()));
        let (outgoing, outbox) = mpsc::unbounded_channel();
        let frozen = Arc::new(AtomicBool::new(false));
        let stage: Vec<ParticipantId> = participants
            .iter()
            .filter(|p| p.seat == Seat::Stage && p.id != me)
            .map(|p| p.id)
            .collect();
        let driver = Driver {
            config: config.clone(),
            me,
            stats: stats.clone(),
            received: received.clone(),
            outgoing: outgoing.clone(),
            stage,
            subscriber: None,
            publisher: None,
            tasks: Vec::new(),
            frozen: frozen.clone(),
        };
        let task = tokio::spawn(driver.run(socket, outbox));
        Ok(Bot {
            me,
            stats,
            joined_at: Instant::now(),
            outgoing,
            received,
            tasks: vec![task],
            frozen,
        })
    }

    /// From now on the bot behaves like a frozen laptop: it answers no ping.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::Relaxed);
    }

    pub fn send(&self, message: ClientMessage) {
        let _ = self.outgoing.send(message);
    }

    /// Error messages the room sent this bot, as (code, message).
    pub fn errors(&self) -> Vec<(String, String)> {
        self.received
            .lock()
            .expect("received lock")
            .iter()
            .filter_map(|(_, m)| match m {
                ServerMessage::Error { code, message } => Some((code.clone(), message.clone())),
                _ => None,
            })
            .collect()
    }

    /// The room's messages so far (all but media signalling), in order.
    pub fn received(&self) -> Vec<ServerMessage> {
        self.timeline().into_iter().map(|(_, m)| m).collect()
    }

    /// The room's messages with when each arrived (for latency figures).
    pub fn timeline(&self) -> Vec<(Instant, ServerMessage)> {
        self.received.lock().expect("received lock").clone()
    }

    /// Polls until some kept message matches `found`, or `limit` passes.
    pub async fn wait_for_message(
        &self,
        limit: Duration,
        found: impl Fn(&ServerMessage) -> bool,
    ) -> Option<ServerMessage> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(message) = self.received().into_iter().find(|m| found(m)) {
                return Some(message);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The room's closing message, once it came.
    pub fn closed(&self) -> Option<String> {
        self.received
            .lock()
            .expect("received lock")
            .iter()
            .find_map(|(_, m)| match m {
                ServerMessage::Closed { message, .. } => Some(message.clone()),
                _ => None,
            })
    }

    /// Polls `condition` every 20 ms until it holds or `limit` passes.
    pub async fn wait_until(&self, limit: Duration, condition: impl Fn(&BotStats) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if condition(&self.stats) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        condition(&self.stats)
    }

    pub async fn wait_for_error(&self, limit: Duration) -> Option<(String, String)> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(error) = self.errors().into_iter().next() {
                return Some(error);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    pub fn leave(self) {
        self.send(ClientMessage::Leave);
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Driver {
    config: BotConfig,
    me: ParticipantId,
    stats: Arc<BotStats>,
    received: Arc<Mutex<Vec<(Instant, ServerMessage)>>>,
    outgoing: mpsc::UnboundedSender<ClientMessage>,
    stage: Vec<ParticipantId>,
    subscriber: Option<Arc<dyn PeerConnection>>,
    publisher: Option<Arc<dyn PeerConnection>>,
    tasks: Vec<JoinHandle<()>>,
    /// A frozen page: it stops answering the server's pings.
    frozen: Arc<AtomicBool>,
}

impl Driver {
    async fn run(mut self, mut socket: Socket, mut outbox: mpsc::UnboundedReceiver<ClientMessage>) {
        if self.config.media && self.config.seat == Seat::Stage {
            if let Err(error) = self.publish(&mut socket).await {
                tracing::warn!(%error, "bot could not publish");
            }
        }
        self.resubscribe();
        loop {
            tokio::select! {
                outgoing = outbox.recv() => match outgoing {
                    Some(message) => {
                        let leaving = message == ClientMessage::Leave;
                        if send(&mut socket, &message).await.is_err() || leaving {
                            break;
                        }
                    }
                    None => break,
                },
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else { continue };
                        if self.handle(&mut socket, message).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                },
            }
        }
        for pc in [self.publisher.take(), self.subscriber.take()]
            .into_iter()
            .flatten()
        {
            let _ = pc.close().await;
        }
        for task in self.tasks {
            task.abort();
        }
    }

    async fn handle(
        &mut self,
        socket: &mut Socket,
        message: ServerMessage,
    ) -> Result<(), BotError> {
        match &message {
            ServerMessage::Ping if self.frozen.load(Ordering::Relaxed) => return Ok(()),
            ServerMessage::Ping => return send(socket, &ClientMessage::Pong).await,
            ServerMessage::SubscribeOffer { sdp, update } if self.config.media => {
                self.stats.subscribe_offers.fetch_add(1, Ordering::Relaxed);
                let answer = self.answer_subscription(sdp.clone(), *update).await?;
                send(socket, &ClientMessage::SubscribeAnswer { sdp: answer }).await?;
            }
            ServerMessage::PublishAnswer { sdp } => {
                if let Some(pc) = &self.publisher {
                    let answer = RTCSessionDescription::answer(sdp.clone())
                        .map_err(|e| BotError::Media(e.to_string()))?;
                    pc.set_remote_description(answer)
                        .await
                        .map_err(|e| BotError::Media(e.to_string()))?;
                }
            }
            ServerMessage::ParticipantJoined { participant } if participant.seat == Seat::Stage => {
                self.stage.push(participant.id);
                self.resubscribe();
            }
            ServerMessage::ParticipantUpdated {
                participant, seat, ..
            } => {
                self.stage.retain(|p| p != participant);
                if *seat == Seat::Stage && *participant != self.me {
                    self.stage.push(*participant);
                }
                self.resubscribe();
            }
            ServerMessage::ParticipantLeft { participant } => {
                self.stage.retain(|p| p != participant);
                self.resubscribe();
            }
            _ => {}
        }
        // Everything but the media plumbing, which would grow without bound.
        let keep = !matches!(
            message,
            ServerMessage::Slots { .. }
                | ServerMessage::ActiveSpeakers { .. }
                | ServerMessage::SubscribeOffer { .. }
                | ServerMessage::PublishAnswer { .. }
        );
        if keep {
            self.received
                .lock()
                .expect("received lock")
                .push((Instant::now(), message));
        }
        Ok(())
    }

    fn resubscribe(&self) {
        if !self.config.media {
            return;
        }
        let tiles = self
            .stage
            .iter()
            .take(self.config.watch)
            .map(|&participant| Tile {
                participant,
                source: Source::Camera,
                quality: Quality::Low,
            })
            .collect();
        let _ = self.outgoing.send(ClientMessage::Subscribe { tiles });
    }

    /// A peer connection counting what it receives, and a signal for ICE gathering done.
    async fn connection(&self) -> Result<(Arc<dyn PeerConnection>, Arc<Notify>), BotError> {
        let gathered = Arc::new(Notify::new());
        let handler = Arc::new(Receiving {
            stats: self.stats.clone(),
            gathered: gathered.clone(),
        });
        Ok((Arc::new(media::connection(handler).await?), gathered))
    }

    /// Answers on the connection the bot has when the offer only adds slots (`update`), else
    /// on a new one.
    async fn answer_subscription(&mut self, sdp: String, update: bool) -> Result<String, BotError> {
        let offer = RTCSessionDescription::offer(sdp).map_err(media_error)?;
        if let Some(pc) = self.subscriber.as_ref().filter(|_| update) {
            pc.set_remote_description(offer)
                .await
                .map_err(media_error)?;
            let answer = pc.create_answer(None).await.map_err(media_error)?;
            pc.set_local_description(answer)
                .await
                .map_err(media_error)?;
            return applied_sdp(pc.as_ref()).await;
        }
        if let Some(old) = self.subscriber.take() {
            let _ = old.close().await;
        }
        let (pc, gathered) = self.connection().await?;
        pc.set_remote_description(offer)
            .await
            .map_err(media_error)?;
        let answer = pc.create_answer(None).await.map_err(media_error)?;
        let sdp = local_sdp(pc.as_ref(), answer, &gathered).await?;
        self.subscriber = Some(pc);
        Ok(sdp)
    }

    async fn publish(&mut self, socket: &mut Socket) -> Result<(), BotError> {
        let (pc, gathered) = self.connection().await?;
        let audio = media::local_track(RtpCodecKind::Audio, rand::random());
        let video = media::local_track(RtpCodecKind::Video, rand::random());
        pc.add_track(audio.clone()).await.map_err(media_error)?;
        pc.add_track(video.clone()).await.map_err(media_error)?;
        let offer = pc.create_offer(None).await.map_err(media_error)?;
        let sdp = local_sdp(pc.as_ref(), offer, &gathered).await?;
        let tracks = media::mids(&sdp)
            .into_iter()
            .map(|(kind, mid)| PublishedTrack {
                mid,
                source: if kind == RtpCodecKind::Audio {
                    Source::Mic
                } else {
                    Source::Camera
                },
            })
            .collect();
        send(
            socket,
            &ClientMessage::PublishOffer {
                sdp,
                tracks,
                restart: false,
            },
        )
        .await?;
        self.publisher = Some(pc);
        let keyframe_wanted = Arc::new(AtomicBool::new(true));
        self.tasks.push(tokio::spawn(listen_for_keyframe_requests(
            video.clone(),
            keyframe_wanted.clone(),
            self.stats.clone(),
        )));
        self.tasks.push(tokio::spawn(send_media(
            audio,
            video,
            keyframe_wanted,
            self.stats.clone(),
        )));
        Ok(())
    }
}

fn media_error(error: webrtc::error::Error) -> BotError {
    BotError::Media(error.to_string())
}

/// Applies our description and returns it with the candidates gathered by then (at most 2 s:
/// the SFU learns our address from ICE checks anyway).
async fn local_sdp(
    pc: &dyn PeerConnection,
    description: RTCSessionDescription,
    gathered: &Notify,
) -> Result<String, BotError> {
    pc.set_local_description(description)
        .await
        .map_err(media_error)?;
    let _ = tokio::time::timeout(Duration::from_secs(2), gathered.notified()).await;
    applied_sdp(pc).await
}

/// The local description in effect, candidates included.
async fn applied_sdp(pc: &dyn PeerConnection) -> Result<String, BotError> {
    pc.local_description()
        .await
        .map(|d| d.sdp)
        .ok_or_else(|| BotError::Media("no local description".into()))
}

struct Receiving {
    stats: Arc<BotStats>,
    gathered: Arc<Notify>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Receiving {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.notify_one();
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let stats = self.stats.clone();
        tokio::spawn(async move {
            let video = track.kind().await == RtpCodecKind::Video;
            let mut first = true;
            while let Some(event) = track.poll().await {
                let TrackRemoteEvent::OnRtpPacket(packet) = event else {
                    continue;
                };
                stats
                    .bytes_in
                    .fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
                if !video {
                    stats.audio_packets_in.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if std::mem::take(&mut first) {
                    stats.video_tracks_in.fetch_add(1, Ordering::Relaxed);
                }
                let keyframe = protocol::vp8::starts_keyframe(&packet.payload);
                let _ = stats.first_video_at.set(Instant::now());
                let _ = stats.first_video.compare_exchange(
                    0,
                    if keyframe { 1 } else { 2 },
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                stats.video_packets_in.fetch_add(1, Ordering::Relaxed);
                if keyframe {
                    stats.keyframes_in.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

async fn listen_for_keyframe_requests(
    video: Arc<TrackLocalStaticRTP>,
    wanted: Arc<AtomicBool>,
    stats: Arc<BotStats>,
) {
    while let Some(event) = video.poll().await {
        if !matches!(event, TrackLocalEvent::OnRtcpPacket(_)) {
            continue;
        }
        stats.keyframe_requests_in.fetch_add(1, Ordering::Relaxed);
        wanted.store(true, Ordering::Relaxed);
    }
}

const KEYFRAME_INTERVAL: Duration = Duration::from_secs(3);
/// ~150 kbps at 30 fps: what a simulcast publisher's low layer sends, the layer a subscriber
/// showing a grid of small tiles gets.
const FRAME_BYTES: usize = 600;
const KEYFRAME_BYTES: usize = 4_000;

/// 30 fps VP8 and 50 pps Opus until the task is aborted.
async fn send_media(
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    keyframe_wanted: Arc<AtomicBool>,
    stats: Arc<BotStats>,
) {
    let audio_ssrc = audio.ssrcs().await.first().copied().unwrap_or_default();
    let video_ssrc = video.ssrcs().await.first().copied().unwrap_or_default();
    let mut frame_tick = tokio::time::interval(Duration::from_millis(33));
    let mut audio_tick = tokio::time::interval(Duration::from_millis(20));
    let (mut video_seq, mut audio_seq) = (rand::random::<u16>(), rand::random::<u16>());
    let (mut video_time, mut audio_time) = (rand::random::<u32>(), rand::random::<u32>());
    let mut picture_id: u16 = 0;
    let mut last_keyframe = Instant::now();
    let mut payloads = Vec::new();
    let opus = Bytes::from_static(&[0xfc; 80]);
    loop {
        tokio::select! {
            _ = frame_tick.tick() => {
                let keyframe = keyframe_wanted.swap(false, Ordering::Relaxed)
                    || last_keyframe.elapsed() >= KEYFRAME_INTERVAL;
                if keyframe {
                    last_keyframe = Instant::now();
                }
                picture_id = (picture_id + 1) & 0x7fff;
                media::vp8_frame(picture_id, keyframe, if keyframe { KEYFRAME_BYTES } else { FRAME_BYTES }, &mut payloads);
                let last = payloads.len() - 1;
                for (index, payload) in payloads.drain(..).enumerate() {
                    stats.bytes_out.fetch_add(payload.len() as u64, Ordering::Relaxed);
                    let packet = rtp_packet(media::VP8_PT, video_seq, video_time, video_ssrc, index == last, Bytes::from(payload));
                    video_seq = video_seq.wrapping_add(1);
                    if video.write_rtp(packet).await.is_err() {
                        return;
                    }
                    stats.video_packets_out.fetch_add(1, Ordering::Relaxed);
                }
                video_time = video_time.wrapping_add(3_000);
            }
            _ = audio_tick.tick() => {
                let packet = rtp_packet(media::OPUS_PT, audio_seq, audio_time, audio_ssrc, false, opus.clone());
                audio_seq = audio_seq.wrapping_add(1);
                audio_time = audio_time.wrapping_add(960);
                if audio.write_rtp(packet).await.is_err() {
                    return;
                }
                stats.audio_packets_out.fetch_add(1, Ordering::Relaxed);
                stats.bytes_out.fetch_add(opus.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

fn rtp_packet(
    pt: u8,
    seq: u16,
    time: u32,
    ssrc: u32,
    marker: bool,
    payload: Bytes,
) -> rtc::rtp::packet::Packet {
    rtc::rtp::packet::Packet {
        header: rtc::rtp::header::Header {
            version: 2,
            marker,
            payload_type: pt,
            sequence_number: seq,
            timestamp: time,
            ssrc,
            ..Default::default()
        },
        payload,
    }
}
