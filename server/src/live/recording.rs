//! Start and Stop recording. Only room moderators may (checked here, whatever a client
//! sends); every connection is told when a recording starts or stops, and each new one right
//! after its Welcome. Ending the session for all, switching the room off, the room failing
//! or the last participant leaving stops a running recording; a recorder that fails on its
//! own (a full disk) stops with a message to the moderators, and the room goes on.

use protocol::{ClientMessage, RecordingStatus, ServerMessage};
use room::{ParticipantId, RoomError};

use super::outbox::Wire;
use super::socket::{store_refusal, Session};
use super::{Hub, LiveRoom};
use crate::recording::{Ended, RecorderHandle};

/// The room's recording, as its actor knows it.
pub(super) enum Recording {
    /// A moderator asked; the entry and the file are being made.
    Starting,
    Running {
        handle: RecorderHandle,
        status: RecordingStatus,
    },
}

fn not_allowed() -> ServerMessage {
    ServerMessage::error("not_allowed", "Only room moderators can record the room.")
}

impl LiveRoom {
    /// What a connection is told about the recording.
    pub(super) fn recording_message(&self) -> ServerMessage {
        let recording = match &self.recording {
            Some(Recording::Running { status, .. }) => Some(status.clone()),
            _ => None,
        };
        ServerMessage::Recording { recording }
    }

    /// Every connection, joined or waiting, hears a change.
    fn announce_recording(&self) {
        let wire = Wire::new(&self.recording_message());
        for connection in self.connections.values() {
            connection.outbox.send_wire(&wire);
        }
    }

    /// Checks that `id` may start a recording now and reserves it: (user id, name, when the
    /// session opened).
    fn begin_recording(&mut self, id: ParticipantId) -> Result<(i64, String, i64), ServerMessage> {
        let actor = self.joined_actor(id).map_err(|e| ServerMessage::from(&e))?;
        if !actor.rights.room_moderator {
            return Err(not_allowed());
        }
        let Some(opened_at) = self.rules.launched_at() else {
            return Err(ServerMessage::from(&RoomError::NotOpen));
        };
        if self.recording.is_some() {
            return Err(ServerMessage::error(
                "already_recording",
                "The room is being recorded already.",
            ));
        }
        self.recording = Some(Recording::Starting);
        let name = self
            .rules
            .participant(id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        Ok((actor.user_id, name, opened_at))
    }

    /// The recorder runs; `false` if the start was called off meanwhile (the caller stops it).
    fn recording_started(&mut self, handle: RecorderHandle, status: RecordingStatus) -> bool {
        if !matches!(self.recording, Some(Recording::Starting)) {
            return false;
        }
        self.recording = Some(Recording::Running { handle, status });
        self.announce_recording();
        true
    }

    fn abandon_start(&mut self) {
        if matches!(self.recording, Some(Recording::Starting)) {
            self.recording = None;
        }
    }

    /// Stops a running recording (or calls off one starting); everyone is told.
    pub(super) fn stop_recording(&mut self) {
        match self.recording.take() {
            Some(Recording::Running { handle, .. }) => {
                handle.stop();
                self.announce_recording();
            }
            Some(Recording::Starting) | None => {}
        }
    }

    /// A recorder stopped by itself: the moderators learn why, everyone that it stopped.
    pub(super) fn recording_ended(&mut self, ended: Ended) {
        let ours = matches!(&self.recording, Some(Recording::Running { handle, .. }) if handle.media_id == ended.media_id);
        if !ours {
            return;
        }
        self.recording = None;
        self.announce_recording();
        if let Some(error) = ended.error {
            let message = ServerMessage::error(
                "recording_failed",
                format!("Recording stopped: {error}. What was recorded until then is kept."),
            );
            self.to_joined(&message, |_, c| c.actor.rights.room_moderator);
        }
    }

    /// The SFU's speakers reach the recorder, which follows them.
    pub(super) fn recording_speakers(&self, speakers: &[ParticipantId]) {
        if let Some(Recording::Running { handle, .. }) = &self.recording {
            handle.speakers(speakers.to_vec());
        }
    }
}

impl Hub {
    async fn start_recording(&self, room: i64, id: ParticipantId) -> Result<(), ServerMessage> {
        let (user_id, name, opened_at) = self
            .call(room, move |live| live.begin_recording(id))
            .await
            .map_err(|_| ServerMessage::from(&RoomError::NotInRoom))??;
        let abandon = || async {
            let _ = self.call(room, LiveRoom::abandon_start).await;
        };
        let recording = match self.store().start_recording(room, opened_at, user_id).await {
            Ok(recording) => recording,
            Err(error) => {
                abandon().await;
                return Err(store_refusal(error));
            }
        };
        let hub = self.clone();
        let ended = move |ended: Ended| {
            tokio::spawn(async move {
                let _ = hub
                    .call(room, move |live| live.recording_ended(ended))
                    .await;
            });
        };
        let handle = match self
            .recorders()
            .start(&recording, &recording.title, ended)
            .await
        {
            Ok(handle) => handle,
            Err(error) => {
                tracing::error!(%error, room, "a recording could not start");
                let reason = error.to_string();
                let failed = store::RecordingState::Failed;
                let _ = self
                    .store()
                    .set_recording_status(recording.media_id, failed, 0, Some(&reason))
                    .await;
                abandon().await;
                return Err(ServerMessage::error(
                    "recording_failed",
                    "The recording could not start on the server; try again.",
                ));
            }
        };
        let status = RecordingStatus {
            started_at: recording.started_at,
            started_by: name,
        };
        let running = handle.clone();
        let accepted = self
            .call(room, move |live| live.recording_started(running, status))
            .await
            .unwrap_or(false);
        if !accepted {
            handle.stop();
        }
        Ok(())
    }

    async fn stop_recording(&self, room: i64, id: ParticipantId) -> Result<(), ServerMessage> {
        self.call(room, move |live| {
            let actor = live.joined_actor(id).map_err(|e| ServerMessage::from(&e))?;
            if !actor.rights.room_moderator {
                return Err(not_allowed());
            }
            if !matches!(live.recording, Some(Recording::Running { .. })) {
                return Err(ServerMessage::error(
                    "not_recording",
                    "The room is not being recorded.",
                ));
            }
            live.stop_recording();
            Ok(())
        })
        .await
        .map_err(|_| ServerMessage::from(&RoomError::NotInRoom))?
    }
}

impl Session {
    pub(super) async fn handle_recording(
        &self,
        id: ParticipantId,
        message: ClientMessage,
    ) -> Result<(), ServerMessage> {
        let hub = &self.state.hub;
        match message {
            ClientMessage::StartRecording => hub.start_recording(self.container_id, id).await,
            ClientMessage::StopRecording => hub.stop_recording(self.container_id, id).await,
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Who hears about a recording, decided by the room's state alone (no recorder thread).

    use domain::{RoomMode, RoomRights};
    use room::{Actor, Command, MediaState, Seat};

    use super::*;
    use crate::live::outbox::{outbox, Next, OutboxReceiver};
    use crate::recording::Control;
    use crate::sfu::SfuHandle;

    const MODERATOR: Actor = Actor {
        user_id: 1,
        rights: RoomRights {
            room_moderator: true,
            chat_moderator: true,
        },
        presenter: false,
    };
    const STUDENT: Actor = Actor {
        user_id: 2,
        rights: RoomRights {
            room_moderator: false,
            chat_moderator: false,
        },
        presenter: false,
    };

    fn open_room() -> LiveRoom {
        let setup = store::LiveRoomSetup {
            enabled: true,
            mode: RoomMode::Interactive,
            stage_access: room::StageAccess::Direct,
            group_chat: true,
            qna: true,
            opened_at: Some(1),
        };
        LiveRoom::new(7, SfuHandle::detached(), Some(setup))
    }

    fn join(live: &mut LiveRoom, id: u64, actor: Actor) -> OutboxReceiver {
        let (sender, receiver) = outbox();
        live.connect(ParticipantId(id), actor, None, None, sender, None)
            .expect("connects");
        let command = Command::Join {
            participant: ParticipantId(id),
            name: format!("person {id}"),
            seat: Seat::Viewer,
            media: MediaState::OFF,
        };
        live.command(ParticipantId(id), command).expect("joins");
        receiver
    }

    async fn drain(receiver: &mut OutboxReceiver) -> Vec<ServerMessage> {
        let mut messages = Vec::new();
        while let Ok(Next::Text(text)) =
            tokio::time::timeout(std::time::Duration::from_millis(10), receiver.next()).await
        {
            messages.push(serde_json::from_str(&text).unwrap());
        }
        messages
    }

    /// A recording running with a detached recorder; what it is told.
    fn running(live: &mut LiveRoom) -> std::sync::mpsc::Receiver<Control> {
        let (user_id, name, _) = live.begin_recording(ParticipantId(1)).unwrap();
        assert_eq!((user_id, name.as_str()), (1, "person 1"));
        let (handle, commands) = RecorderHandle::detached(42);
        let status = RecordingStatus {
            started_at: 5,
            started_by: "person 1".into(),
        };
        assert!(live.recording_started(handle, status));
        commands
    }

    fn recording_states(messages: &[ServerMessage]) -> Vec<bool> {
        messages
            .iter()
            .filter_map(|m| match m {
                ServerMessage::Recording { recording } => Some(recording.is_some()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn only_moderators_start_and_everyone_including_latecomers_is_told() {
        let mut live = open_room();
        let mut moderator = join(&mut live, 1, MODERATOR);
        let mut student = join(&mut live, 2, STUDENT);
        let refused = live.begin_recording(ParticipantId(2)).unwrap_err();
        assert!(matches!(refused, ServerMessage::Error { ref code, .. } if code == "not_allowed"));
        assert!(live.recording.is_none(), "a refusal reserves nothing");
        drain(&mut moderator).await;
        drain(&mut student).await;
        let _commands = running(&mut live);
        assert_eq!(recording_states(&drain(&mut student).await), [true]);
        assert_eq!(recording_states(&drain(&mut moderator).await), [true]);
        let mut late = join(&mut live, 3, STUDENT);
        assert!(recording_states(&drain(&mut late).await).contains(&true));
    }

    #[tokio::test]
    async fn the_last_one_leaving_stops_the_recording() {
        let mut live = open_room();
        let _moderator = join(&mut live, 1, MODERATOR);
        let commands = running(&mut live);
        let leave = Command::Leave {
            participant: ParticipantId(1),
        };
        live.command(ParticipantId(1), leave).unwrap();
        assert!(matches!(commands.try_recv(), Ok(Control::Stop)));
        assert!(live.recording.is_none());
    }

    #[tokio::test]
    async fn ending_for_all_switching_off_or_failing_stops_the_recording() {
        let end_for_all = |live: &mut LiveRoom| {
            live.command(ParticipantId(1), Command::EndForAll).unwrap();
        };
        let switch_off = |live: &mut LiveRoom| live.close(room::CloseReason::RoomDisabled);
        let fail = |live: &mut LiveRoom| live.fail();
        for end in [&end_for_all as &dyn Fn(&mut LiveRoom), &switch_off, &fail] {
            let mut live = open_room();
            let _moderator = join(&mut live, 1, MODERATOR);
            let _student = join(&mut live, 2, STUDENT);
            let commands = running(&mut live);
            end(&mut live);
            assert!(matches!(commands.try_recv(), Ok(Control::Stop)));
            assert!(live.recording.is_none());
        }
    }

    #[tokio::test]
    async fn a_failed_recorder_tells_moderators_why_and_the_room_goes_on() {
        let mut live = open_room();
        let mut moderator = join(&mut live, 1, MODERATOR);
        let mut student = join(&mut live, 2, STUDENT);
        let _commands = running(&mut live);
        drain(&mut moderator).await;
        drain(&mut student).await;
        live.recording_ended(Ended {
            media_id: 42,
            error: Some("the server's disk is full".into()),
        });
        let to_moderator = drain(&mut moderator).await;
        assert_eq!(recording_states(&to_moderator), [false]);
        assert!(to_moderator.iter().any(
            |m| matches!(m, ServerMessage::Error { code, message } if code == "recording_failed" && message.contains("disk is full"))
        ));
        let to_student = drain(&mut student).await;
        assert_eq!(recording_states(&to_student), [false]);
        assert!(!to_student
            .iter()
            .any(|m| matches!(m, ServerMessage::Error { .. })));
        assert!(live.rules.is_open(), "the room goes on");
    }
}
