//! Recording a room: one recorder per recording room beside the SFU. The SFU's forwarding
//! loop offers each packet of the room to the recorder's bounded queue and never waits (a
//! full queue drops the packet and asks for a key frame); the recorder ([`recorder`]) runs on
//! its own thread and writes a live WebM file under the media directory; after Stop the file
//! is remuxed for seeking, given a thumbnail and a duration, and marked ready
//! ([`finalize`]). Files a crash left behind are finalised at the next start as recovered.

mod audio;
mod depacketize;
mod finalize;
mod layout;
mod recorder;
mod serve;
mod still;
mod timeline;
mod webm;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Instant;

use protocol::Source;
use room::ParticipantId;

use crate::sfu::{MemberKey, SfuHandle};

pub use finalize::recover;
pub use serve::routes;
pub use timeline::SenderReport;

/// Packets queued for a recorder before the SFU drops them: ~1 s of a busy stage.
const QUEUE: usize = 4_096;

/// One RTP packet of a recording room, as the SFU received it.
#[derive(Clone, Debug)]
pub struct MediaPacket {
    pub participant: ParticipantId,
    pub source: Source,
    /// Simulcast layer (0 = lowest; 0 without simulcast).
    pub layer: u8,
    pub ssrc: u32,
    pub seq: u16,
    pub rtp_time: u32,
    pub marker: bool,
    pub payload: Arc<[u8]>,
    pub arrival: Instant,
    /// The stream's latest RTCP sender report.
    pub report: Option<SenderReport>,
}

/// The SFU's end of a recorder's queue.
#[derive(Clone, Debug)]
pub struct RecordSink {
    /// The recording's media id.
    pub id: i64,
    packets: SyncSender<MediaPacket>,
}

impl RecordSink {
    /// Queues a packet without waiting; `false` if it was dropped (queue full or gone).
    pub fn offer(&self, packet: MediaPacket) -> bool {
        match self.packets.try_send(packet) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

pub(crate) enum Control {
    /// The SFU's latest speakers, latest first.
    Speakers(Vec<ParticipantId>),
    Stop,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("the recording file could not be created: {0}")]
    File(#[from] std::io::Error),
    #[error("the audio encoder could not start: {0}")]
    Audio(#[from] audio::AudioError),
}

/// How a recorder's thread ended, for the room that started it.
#[derive(Debug)]
pub struct Ended {
    pub media_id: i64,
    /// Why it stopped by itself (a failed write); `None` after a Stop.
    pub error: Option<String>,
}

/// A running recorder; dropping it does not stop it (call [`RecorderHandle::stop`]).
#[derive(Clone, Debug)]
pub struct RecorderHandle {
    pub media_id: i64,
    control: mpsc::Sender<Control>,
}

impl RecorderHandle {
    /// A handle to no thread, and what it was told: for testing the live layer alone.
    #[cfg(test)]
    pub(crate) fn detached(media_id: i64) -> (Self, mpsc::Receiver<Control>) {
        let (control, commands) = mpsc::channel();
        (Self { media_id, control }, commands)
    }

    pub fn stop(&self) {
        let _ = self.control.send(Control::Stop);
    }

    pub fn speakers(&self, speakers: Vec<ParticipantId>) {
        let _ = self.control.send(Control::Speakers(speakers));
    }
}

/// Starts recorders and finalises their files.
#[derive(Clone)]
pub struct Recorders {
    media_dir: Arc<PathBuf>,
    store: store::Store,
    sfu: SfuHandle,
}

impl Recorders {
    pub fn new(media_dir: PathBuf, store: store::Store, sfu: SfuHandle) -> Self {
        Self {
            media_dir: Arc::new(media_dir),
            store,
            sfu,
        }
    }

    pub fn media_dir(&self) -> &Path {
        &self.media_dir
    }

    /// Starts recording `recording`'s room into its file; `ended` is called once the
    /// recorder stopped (whether asked to or by a failed write), before the file is
    /// finalised.
    pub async fn start(
        &self,
        recording: &store::Recording,
        room_title: &str,
        ended: impl FnOnce(Ended) + Send + 'static,
    ) -> Result<RecorderHandle, RecordingError> {
        tokio::fs::create_dir_all(self.media_dir.as_path()).await?;
        let path = self.media_dir.join(&recording.file_name);
        let still = match still::still_frame(room_title, &path).await {
            Ok(frame) => frame,
            Err(error) => {
                tracing::error!(%error, "the still frame could not be made");
                return Err(error.into());
            }
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let writer = webm::WebmWriter::new(file, still::WIDTH, still::HEIGHT)?;
        let room = recording.container_id;
        let sfu = self.sfu.clone();
        let keyframes: recorder::KeyframeRequest = Box::new(move |participant, source, layer| {
            sfu.recorder_keyframe(MemberKey { room, participant }, source, layer);
        });
        let recorder = recorder::Recorder::new(writer, still, keyframes)?;
        let (packets, queue) = mpsc::sync_channel(QUEUE);
        let (control, commands) = mpsc::channel();
        let media_id = recording.media_id;
        self.sfu.record(
            room,
            Some(RecordSink {
                id: media_id,
                packets,
            }),
        );
        let (done, outcome) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name(format!("recorder-{room}"))
            .spawn(move || {
                let _ = done.send(recorder.run(queue, commands));
            })?;
        let this = self.clone();
        let recording = recording.clone();
        tokio::spawn(async move {
            let outcome = outcome.await.unwrap_or(recorder::Outcome {
                duration_ms: 0,
                error: Some("the recorder stopped unexpectedly".into()),
            });
            this.sfu.stop_recording(room, media_id);
            match &outcome.error {
                Some(error) => tracing::error!(%error, media_id, "a recording stopped by itself"),
                None => tracing::info!(
                    media_id,
                    duration_ms = outcome.duration_ms,
                    "recording stopped"
                ),
            }
            ended(Ended {
                media_id,
                error: outcome.error.clone(),
            });
            finalize::finalize(&this.store, &this.media_dir, &recording, false).await;
        });
        tracing::info!(media_id, room, "recording started");
        Ok(RecorderHandle { media_id, control })
    }
}
