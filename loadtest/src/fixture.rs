//! A stage participant sending real encoded media: VP8 (IVF) and Opus (Ogg) files made with
//! ffmpeg at test time, looped, paced on one clock and packetised as browsers do. Recording
//! tests check what comes out of the server against what went in (a white flash and a tone
//! burst at the same instant of every loop).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use protocol::{socket_path, ClientMessage, PublishedTrack, ServerMessage, Source};
use room::{MediaState, Seat};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::peer_connection::{PeerConnection, PeerConnectionEventHandler, RTCIceGatheringState};

use crate::bot::{next_message, send, BotError, Socket};
use crate::media;

/// The fixtures' loop length and where in it the marker (flash + tone) sits.
pub const LOOP_SECS: u32 = 10;
pub const MARKER_AT: f64 = 5.0;
pub const MARKER_LEN: f64 = 0.2;
const FPS: u32 = 30;

/// Encoded media, one loop of it.
#[derive(Clone)]
pub struct Fixtures {
    /// VP8 frames, one per 1/30 s.
    pub video: Vec<Vec<u8>>,
    /// Opus packets, one per 20 ms.
    pub audio: Vec<Vec<u8>>,
}

fn ffmpeg(args: &[&str]) -> Result<(), BotError> {
    let output = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .map_err(|e| BotError::Media(format!("ffmpeg: {e}")))?;
    if !output.status.success() {
        return Err(BotError::Media(format!(
            "ffmpeg: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

/// Encodes the fixtures into `dir`: a dark moving picture with a white flash and silence with
/// a 1 kHz burst, both at [`MARKER_AT`] for [`MARKER_LEN`]; a key frame every second (a file
/// cannot answer a key frame request).
pub fn make_fixtures(dir: &Path) -> Result<Fixtures, BotError> {
    let video = dir.join("fixture.ivf");
    let audio = dir.join("fixture.ogg");
    let (from, to) = (MARKER_AT, MARKER_AT + MARKER_LEN);
    let source = format!("testsrc2=s=320x240:r={FPS}:d={LOOP_SECS},lutyuv=y=val/4");
    let flash =
        format!("drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,{from},{to})'");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &source,
        "-vf",
        &flash,
        "-c:v",
        "libvpx",
        "-b:v",
        "400k",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-lag-in-frames",
        "0",
        "-auto-alt-ref",
        "0",
        "-g",
        "30",
        "-keyint_min",
        "30",
        "-f",
        "ivf",
        path(&video),
    ])?;
    let tone = format!(
        "sine=f=1000:r=48000:d={LOOP_SECS},volume=enable='not(between(t,{from},{to}))':volume=0"
    );
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &tone,
        "-ac",
        "1",
        "-c:a",
        "libopus",
        "-b:a",
        "48k",
        "-frame_duration",
        "20",
        "-application",
        "audio",
        path(&audio),
    ])?;
    // Exactly one loop of each, so they stay together loop after loop.
    Ok(Fixtures {
        video: ivf_frames(&std::fs::read(&video).map_err(io)?)?
            .into_iter()
            .take((LOOP_SECS * FPS) as usize)
            .collect(),
        audio: ogg_packets(&std::fs::read(&audio).map_err(io)?)?
            .into_iter()
            .skip(2) // OpusHead, OpusTags
            .take((LOOP_SECS * 50) as usize)
            .collect(),
    })
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn io(e: std::io::Error) -> BotError {
    BotError::Media(e.to_string())
}

fn bad(what: &str) -> BotError {
    BotError::Media(format!("fixture: {what}"))
}

/// The frames of an IVF file.
pub fn ivf_frames(ivf: &[u8]) -> Result<Vec<Vec<u8>>, BotError> {
    if ivf.get(..4) != Some(b"DKIF") {
        return Err(bad("not IVF"));
    }
    let mut at = u16::from_le_bytes([ivf[6], ivf[7]]) as usize;
    let mut frames = Vec::new();
    while at + 12 <= ivf.len() {
        let size = u32::from_le_bytes(ivf[at..at + 4].try_into().expect("4 bytes")) as usize;
        let frame = ivf
            .get(at + 12..at + 12 + size)
            .ok_or_else(|| bad("cut IVF"))?;
        frames.push(frame.to_vec());
        at += 12 + size;
    }
    Ok(frames)
}

/// The packets of an Ogg stream (one logical stream), joined across pages.
pub fn ogg_packets(ogg: &[u8]) -> Result<Vec<Vec<u8>>, BotError> {
    let mut packets = Vec::new();
    let mut partial = Vec::new();
    let mut at = 0;
    while at + 27 <= ogg.len() {
        if &ogg[at..at + 4] != b"OggS" {
            return Err(bad("not Ogg"));
        }
        let segments = ogg[at + 26] as usize;
        let table = ogg
            .get(at + 27..at + 27 + segments)
            .ok_or_else(|| bad("cut Ogg"))?;
        let mut body = at + 27 + segments;
        for &lace in table {
            let data = ogg
                .get(body..body + lace as usize)
                .ok_or_else(|| bad("cut Ogg"))?;
            partial.extend_from_slice(data);
            body += lace as usize;
            if lace < 255 {
                packets.push(std::mem::take(&mut partial));
            }
        }
        at = body;
    }
    Ok(packets)
}

/// A publisher of [`Fixtures`] in room `room`, on stage with microphone and camera.
pub struct FixtureBot {
    outgoing: mpsc::UnboundedSender<ClientMessage>,
    received: Arc<Mutex<Vec<(Instant, ServerMessage)>>>,
    /// When the media clock started (fixture time 0 of the first loop).
    pub media_started: Arc<Mutex<Option<Instant>>>,
    tasks: Vec<JoinHandle<()>>,
}

struct Gathering(Arc<Notify>);

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Gathering {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.0.notify_one();
        }
    }
}

fn media_error(e: impl std::fmt::Display) -> BotError {
    BotError::Media(e.to_string())
}

impl FixtureBot {
    /// Joins (launching the room if it is closed) and starts publishing `fixtures`.
    pub async fn join(
        base_url: &str,
        cookie: &str,
        room: i64,
        fixtures: Fixtures,
    ) -> Result<Self, BotError> {
        let url = format!(
            "{}{}",
            base_url.replacen("http", "ws", 1),
            socket_path(room)
        );
        let mut request = url
            .into_client_request()
            .map_err(|e| BotError::Socket(e.to_string()))?;
        request.headers_mut().insert(
            "cookie",
            cookie
                .parse()
                .map_err(|_| BotError::Http("bad cookie".into()))?,
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|e| BotError::Socket(e.to_string()))?;
        let ServerMessage::Welcome { room: info } = next_message(&mut socket).await? else {
            return Err(BotError::Socket("no welcome".into()));
        };
        if !info.open {
            send(&mut socket, &ClientMessage::Launch).await?;
            while !matches!(next_message(&mut socket).await?, ServerMessage::Opened) {}
        }
        let media = MediaState {
            mic: true,
            camera: true,
            screen: false,
        };
        send(
            &mut socket,
            &ClientMessage::Join {
                seat: Seat::Stage,
                media,
            },
        )
        .await?;
        while !matches!(
            next_message(&mut socket).await?,
            ServerMessage::Joined { .. }
        ) {}

        let gathered = Arc::new(Notify::new());
        let pc = media::connection(Arc::new(Gathering(gathered.clone()))).await?;
        let audio = media::local_track(RtpCodecKind::Audio, rand::random());
        let video = media::local_track(RtpCodecKind::Video, rand::random());
        pc.add_track(audio.clone()).await.map_err(media_error)?;
        pc.add_track(video.clone()).await.map_err(media_error)?;
        let offer = pc.create_offer(None).await.map_err(media_error)?;
        pc.set_local_description(offer).await.map_err(media_error)?;
        let _ = tokio::time::timeout(Duration::from_secs(2), gathered.notified()).await;
        let sdp = pc
            .local_description()
            .await
            .ok_or_else(|| BotError::Media("no local description".into()))?
            .sdp;
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
            &mut socket,
            &ClientMessage::PublishOffer {
                sdp,
                tracks,
                restart: false,
            },
        )
        .await?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let answer = loop {
            match next_message(&mut socket).await? {
                ServerMessage::PublishAnswer { sdp } => break sdp,
                ServerMessage::Error { code, message } => {
                    return Err(BotError::Refused { code, message })
                }
                other => received.lock().expect("lock").push((Instant::now(), other)),
            }
        };
        let answer = RTCSessionDescription::answer(answer).map_err(media_error)?;
        pc.set_remote_description(answer)
            .await
            .map_err(media_error)?;

        let (outgoing, outbox) = mpsc::unbounded_channel();
        let media_started = Arc::new(Mutex::new(None));
        let sender = tokio::spawn(send_fixtures(audio, video, fixtures, media_started.clone()));
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let driver = tokio::spawn(drive(socket, outbox, received.clone(), pc));
        Ok(Self {
            outgoing,
            received,
            media_started,
            tasks: vec![sender, driver],
        })
    }

    pub fn send(&self, message: ClientMessage) {
        let _ = self.outgoing.send(message);
    }

    /// The first kept message matching `found` within `limit`, with when it came.
    pub async fn wait_for(
        &self,
        limit: Duration,
        found: impl Fn(&ServerMessage) -> bool,
    ) -> Option<(Instant, ServerMessage)> {
        let deadline = Instant::now() + limit;
        loop {
            let hit = self
                .received
                .lock()
                .expect("lock")
                .iter()
                .find(|(_, m)| found(m))
                .cloned();
            if hit.is_some() || Instant::now() >= deadline {
                return hit;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for FixtureBot {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Answers pings, keeps what the room says, sends what the test asks.
async fn drive(
    mut socket: Socket,
    mut outbox: mpsc::UnboundedReceiver<ClientMessage>,
    received: Arc<Mutex<Vec<(Instant, ServerMessage)>>>,
    pc: Arc<dyn PeerConnection>,
) {
    loop {
        tokio::select! {
            message = outbox.recv() => match message {
                Some(message) => if send(&mut socket, &message).await.is_err() { break },
                None => break,
            },
            incoming = next_message(&mut socket) => match incoming {
                Ok(ServerMessage::Ping) => {
                    if send(&mut socket, &ClientMessage::Pong).await.is_err() { break }
                }
                // Only publishing here: the stage's own subscription is not needed.
                Ok(ServerMessage::SubscribeOffer { .. } | ServerMessage::Slots { .. }
                    | ServerMessage::ActiveSpeakers { .. }) => {}
                Ok(message) => received.lock().expect("lock").push((Instant::now(), message)),
                Err(BotError::Timeout(_)) => {}
                Err(_) => break,
            },
        }
    }
    let _ = pc.close().await;
}

/// Sends the fixtures in a loop, each frame and packet at its time on one clock.
async fn send_fixtures(
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    fixtures: Fixtures,
    started: Arc<Mutex<Option<Instant>>>,
) {
    use webrtc::media_stream::track_local::TrackLocal;
    use webrtc::media_stream::Track;
    let audio_ssrc = audio.ssrcs().await.first().copied().unwrap_or_default();
    let video_ssrc = video.ssrcs().await.first().copied().unwrap_or_default();
    let (mut video_seq, mut audio_seq) = (rand::random::<u16>(), rand::random::<u16>());
    let (video_base, audio_base) = (rand::random::<u32>(), rand::random::<u32>());
    let start = tokio::time::Instant::now();
    *started.lock().expect("lock") = Some(start.into_std());
    let (mut frame, mut packet) = (0u64, 0u64);
    let mut picture_id: u16 = rand::random::<u16>() & 0x7fff;
    loop {
        let video_at = Duration::from_micros(frame * 1_000_000 / u64::from(FPS));
        let audio_at = Duration::from_millis(packet * 20);
        if video_at <= audio_at {
            tokio::time::sleep_until(start + video_at).await;
            let data = &fixtures.video[frame as usize % fixtures.video.len()];
            let time = video_base.wrapping_add((frame * 3_000) as u32);
            let chunks: Vec<&[u8]> = data.chunks(1_100).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                let mut payload = vec![if i == 0 { 0x90 } else { 0x80 }, 0x80];
                payload.push(0x80 | (picture_id >> 8) as u8);
                payload.push(picture_id as u8);
                payload.extend_from_slice(chunk);
                let last = i + 1 == chunks.len();
                let rtp = rtp_packet(media::VP8_PT, video_seq, time, video_ssrc, last, payload);
                video_seq = video_seq.wrapping_add(1);
                if video.write_rtp(rtp).await.is_err() {
                    return;
                }
            }
            picture_id = (picture_id + 1) & 0x7fff;
            frame += 1;
        } else {
            tokio::time::sleep_until(start + audio_at).await;
            let data = &fixtures.audio[packet as usize % fixtures.audio.len()];
            let time = audio_base.wrapping_add((packet * 960) as u32);
            let rtp = rtp_packet(
                media::OPUS_PT,
                audio_seq,
                time,
                audio_ssrc,
                false,
                data.clone(),
            );
            audio_seq = audio_seq.wrapping_add(1);
            if audio.write_rtp(rtp).await.is_err() {
                return;
            }
            packet += 1;
        }
    }
}

fn rtp_packet(
    pt: u8,
    seq: u16,
    time: u32,
    ssrc: u32,
    marker: bool,
    payload: Vec<u8>,
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
        payload: Bytes::from(payload),
    }
}
