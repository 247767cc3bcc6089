//! `GET /api/rooms/{container_id}/ws?v=1`: the room's signalling socket. The upgrade is
//! authorised like the room page (session cookie, room entry rights); every message after it
//! is authorised again by the rules before anything changes.

use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use protocol::{
    close_code, ClientMessage, PublishedTrack, RoomInfo, ServerMessage, MAX_CLIENT_MESSAGE_BYTES,
    PROTOCOL_VERSION,
};
use room::{Actor, Command, ParticipantId, RoomError};
use serde::Deserialize;

use super::outbox::{outbox, Next, Outbox, OutboxReceiver, Wire};
use crate::api::{ApiPath, ApiQuery};
use crate::error::AppError;
use crate::session::{is_cross_site, CurrentViewer};
use crate::AppState;

/// Most tracks one publisher may declare: microphone, camera, screen.
const MAX_PUBLISHED_TRACKS: usize = 3;
/// A write the client's TCP window does not take within this is a client not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time to hand a close frame to a client that may have stopped reading.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Refused messages in a row (over the rate) after which the connection is closed.
const MAX_STRIKES: u32 = 200;

#[derive(Deserialize)]
pub struct SocketQuery {
    v: u32,
    /// An invitation link's token, carried over from the room page's URL.
    invite: Option<String>,
}

pub async fn room_socket(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(container_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<SocketQuery>,
    headers: HeaderMap,
    // Checked after authorisation: who may not enter learns that, not how to upgrade.
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    // A page on another site must not open a socket with our user's cookie.
    if is_cross_site(&headers) {
        return Err(AppError::Request {
            status: StatusCode::FORBIDDEN,
            code: "cross_site",
            message: "the room can only be opened from this site".into(),
        });
    }
    if query.v != PROTOCOL_VERSION {
        return Err(AppError::Request {
            status: StatusCode::BAD_REQUEST,
            code: "protocol_version",
            message: format!(
                "this server speaks room protocol v{PROTOCOL_VERSION}; reload the page"
            ),
        });
    }
    // Changes saved from here on may not be reflected in the entry read below.
    let changes_seen = state.hub.changes_seen();
    let invite = match query.invite {
        Some(token) => match state.store.check_invitation(container_id, &token).await {
            Ok(role) => Some((role, token)),
            // A revoked or expired link does not shut out someone with access of their own
            // (a page reconnecting keeps the link in its URL).
            Err(link) if !link.is_internal() => {
                if state
                    .store
                    .room_entry_as(&viewer, container_id, None)
                    .await
                    .is_err()
                {
                    return Err(link.into());
                }
                None
            }
            Err(error) => return Err(error.into()),
        },
        None => None,
    };
    let entry = state
        .store
        .room_entry_as(
            &viewer,
            container_id,
            invite.as_ref().map(|(role, _)| *role),
        )
        .await?;
    let upgrade = upgrade.map_err(|rejection| AppError::Request {
        status: rejection.status(),
        code: "not_a_websocket",
        message: rejection.body_text(),
    })?;
    let actor = Actor {
        user_id: viewer.identity.user_id,
        rights: entry.rights,
        presenter: entry.presenter,
    };
    let info = RoomInfo {
        title: entry.title.clone(),
        mode: entry.mode,
        open: false,
        rights: entry.rights,
        may_take_stage: false,
        group_chat: entry.group_chat,
        ice_servers: state.ice.servers_for(viewer.identity.user_id, unix_secs()),
    };
    let session = Session {
        state,
        container_id,
        name: viewer.me.name.clone(),
        actor,
        invite,
        info,
        changes_seen,
    };
    // The frame limit equals the message limit: an oversize frame is refused at its header,
    // before its payload is read.
    Ok(upgrade
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        .on_upgrade(move |socket| session.run(socket)))
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(super) struct Session {
    pub(super) state: AppState,
    pub(super) container_id: i64,
    pub(super) name: String,
    actor: Actor,
    invite: Option<(domain::api::InviteRole, String)>,
    info: RoomInfo,
    /// The live layer's change count when this connection was authorised.
    changes_seen: u64,
}

type Sink = SplitSink<WebSocket, Message>;

impl Session {
    /// The signed-in user behind this connection.
    pub(super) fn user_id(&self) -> i64 {
        self.actor.user_id
    }

    async fn run(mut self, socket: WebSocket) {
        let hub = self.state.hub.clone();
        let (outbox, receiver) = outbox();
        let (mut sink, stream) = socket.split();
        let connected = hub
            .connect(
                self.container_id,
                self.actor,
                self.invite.take(),
                outbox.clone(),
                self.info.clone(),
            )
            .await;
        let id = match connected {
            Ok(connected) => connected.id,
            Err(refusal) => {
                let code = match &refusal {
                    ServerMessage::Closed { .. } => close_code::ENDED,
                    ServerMessage::Error { code, .. } if code == "room_unavailable" => {
                        close_code::ROOM_RESTARTED
                    }
                    _ => close_code::POLICY,
                };
                let text = Wire::new(&refusal).text();
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                    sink.send(Message::Text(text)).await?;
                    sink.send(close_frame(code, "refused")).await
                })
                .await;
                return;
            }
        };
        if hub.changes_seen() != self.changes_seen {
            hub.refresh_connection(self.container_id, id).await;
        }
        let ping_every = hub.config().ping_interval;
        let mut writer = tokio::spawn(write_loop(sink, receiver, ping_every));
        let writer_done = tokio::select! {
            _ = &mut writer => true,
            () = self.read_loop(id, stream, &outbox) => false,
        };
        if !writer_done {
            // The client went: the writer ends now, not at its next ping. A close the server
            // already queued (after `closed`) or an abort goes out as it is.
            if !outbox.is_closing() {
                outbox.abort(close_code::ENDED, "closed");
            }
            // Let the writer send what it must (a close frame) before the socket goes.
            if tokio::time::timeout(CLOSE_TIMEOUT * 2, &mut writer)
                .await
                .is_err()
            {
                writer.abort();
            }
        }
        hub.disconnect(self.container_id, id).await;
    }

    /// Reads frames until the client or the server ends the connection. Every frame counts
    /// against its sender's rate and proves the client alive.
    async fn read_loop(
        &self,
        id: ParticipantId,
        mut stream: SplitStream<WebSocket>,
        outbox: &Outbox,
    ) {
        let hub = &self.state.hub;
        let idle_timeout = hub.config().idle_timeout;
        let mut strikes = 0u32;
        let mut last_refusal: Option<Instant> = None;
        loop {
            let frame = match tokio::time::timeout(idle_timeout, stream.next()).await {
                Err(_) => {
                    tracing::info!(user_id = self.actor.user_id, "room socket silent; dropped");
                    outbox.abort(close_code::NOT_RESPONDING, "no answer to pings");
                    return;
                }
                Ok(None) => return,
                Ok(Some(Err(error))) => {
                    if is_too_big(&error) {
                        tracing::warn!(user_id = self.actor.user_id, "oversize frame refused");
                        outbox.abort(close_code::TOO_BIG, "frames are limited to 64 KiB");
                    }
                    return;
                }
                Ok(Some(Ok(frame))) => frame,
            };
            // Once the server has closed this connection, nothing sent on it has any effect.
            if outbox.is_closing() || matches!(frame, Message::Close(_)) {
                return;
            }
            if !hub.allow_message(self.actor.user_id) {
                strikes += 1;
                if strikes > MAX_STRIKES {
                    tracing::warn!(user_id = self.actor.user_id, "room socket flooding; closed");
                    outbox.abort(close_code::POLICY, "far too many messages");
                    return;
                }
                // One refusal a second is enough to say it; more would only feed the flood.
                let now = Instant::now();
                if last_refusal.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
                    last_refusal = Some(now);
                    outbox.send(&ServerMessage::error(
                        "rate_limited",
                        "Too many messages at once; some were ignored.",
                    ));
                }
                continue;
            }
            strikes = 0;
            let reply = match frame {
                Message::Text(text) => match serde_json::from_str::<ClientMessage>(&text) {
                    Ok(ClientMessage::Pong) => Ok(()),
                    Ok(message) => self.handle(id, message, outbox).await,
                    Err(error) => Err(ServerMessage::error(
                        "bad_message",
                        format!("The message was not understood: {error}"),
                    )),
                },
                Message::Binary(_) => Err(ServerMessage::error(
                    "bad_message",
                    "Messages are JSON text.",
                )),
                // Pings are answered by the socket layer; they still proved the client alive.
                _ => Ok(()),
            };
            if let Err(refusal) = reply {
                outbox.send(&refusal);
            }
        }
    }

    async fn handle(
        &self,
        id: ParticipantId,
        message: ClientMessage,
        outbox: &Outbox,
    ) -> Result<(), ServerMessage> {
        let hub = &self.state.hub;
        let room = self.container_id;
        let refusal = |e: RoomError| ServerMessage::from(&e);
        let rules = |command| async move {
            hub.command(room, id, command)
                .await
                .map(|_| ())
                .map_err(|e| ServerMessage::from(&e))
        };
        match message {
            ClientMessage::Pong => Ok(()),
            ClientMessage::Launch => rules(Command::Launch).await,
            ClientMessage::Join { seat, media } => {
                rules(Command::Join {
                    participant: id,
                    name: self.name.clone(),
                    seat,
                    media,
                })
                .await?;
                // Late joiners read what was said and asked before them.
                super::rights::replay_history(hub, room, id, outbox).await;
                Ok(())
            }
            ClientMessage::Chat { channel, text } => {
                let (text, user_id) = hub
                    .check_chat(room, id, channel, text)
                    .await
                    .map_err(refusal)?;
                let message = self
                    .state
                    .store
                    .post_chat(room, channel, user_id, &self.name, &text)
                    .await
                    .map_err(store_refusal)?;
                hub.broadcast_chat(room, channel, ServerMessage::Chat { message })
                    .await;
                Ok(())
            }
            ClientMessage::DeleteChat { message } => {
                hub.check_chat_moderation(room, id).await.map_err(refusal)?;
                let channel = self
                    .state
                    .store
                    .delete_chat(room, message)
                    .await
                    .map_err(store_refusal)?;
                hub.broadcast_chat(room, channel, ServerMessage::ChatDeleted { message })
                    .await;
                Ok(())
            }
            ClientMessage::BlockInChat { user_id } => {
                hub.block_in_chat(room, id, user_id).await.map_err(refusal)
            }
            ClientMessage::SetMedia { media } => {
                rules(Command::SetMedia {
                    participant: id,
                    media,
                })
                .await
            }
            ClientMessage::SetSeat { seat } => {
                rules(Command::SetSeat {
                    participant: id,
                    seat,
                })
                .await
            }
            ClientMessage::EndForAll => rules(Command::EndForAll).await,
            ClientMessage::Leave => rules(Command::Leave { participant: id }).await,
            ClientMessage::PublishOffer {
                sdp,
                tracks,
                restart,
            } => {
                check_tracks(&tracks)?;
                let answer = hub
                    .publish(room, id, sdp, tracks, restart)
                    .await
                    .map_err(refusal)?
                    .await
                    .map_err(|e| ServerMessage::error(e.code(), e.to_string()))?;
                outbox.send(&ServerMessage::PublishAnswer { sdp: answer });
                Ok(())
            }
            ClientMessage::SubscribeAnswer { sdp } => hub
                .media_request(room, id, move |sfu, member, _| {
                    sfu.subscribe_answer(member, sdp)
                })
                .await
                .map_err(refusal),
            ClientMessage::RestartSubscriber => hub
                .media_request(room, id, |sfu, member, slots| sfu.subscribe(member, slots))
                .await
                .map_err(refusal),
            ClientMessage::Subscribe { tiles } => {
                let limit = self.info.mode.limits().max_visible_cameras as usize;
                if tiles.len() > limit {
                    return Err(ServerMessage::error(
                        "too_many_tiles",
                        format!("At most {limit} videos are shown at once in this room."),
                    ));
                }
                hub.media_request(room, id, |sfu, member, _| sfu.set_tiles(member, tiles))
                    .await
                    .map_err(refusal)
            }
            ClientMessage::ProbeOffer { probe, sdp } => {
                hub.probe(self.user_id(), probe, sdp, outbox).await;
                Ok(())
            }
            ClientMessage::StartRecording | ClientMessage::StopRecording => {
                self.handle_recording(id, message).await
            }
            other => self.handle_collab(id, other).await,
        }
    }
}

/// Writes what the room queues, pings, and closes the socket when the server ends it. A
/// client that does not take a write within [`WRITE_TIMEOUT`] is not reading: it is dropped.
async fn write_loop(mut sink: Sink, mut receiver: OutboxReceiver, ping_every: Duration) {
    let ping = Wire::new(&ServerMessage::Ping);
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    loop {
        let next = tokio::select! {
            next = receiver.next() => next,
            _ = pings.tick() => Next::Text(ping.text()),
        };
        match next {
            Next::Text(text) => {
                let sent = tokio::select! {
                    sent = tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Text(text))) => {
                        matches!(sent, Ok(Ok(())))
                    }
                    _ = receiver.until_aborted() => false,
                };
                if !sent {
                    let abort = receiver.aborted();
                    let code = abort.map_or(close_code::TOO_SLOW, |a| a.code);
                    let reason =
                        abort.map_or("too slow: messages were not being read", |a| a.reason);
                    let _ =
                        tokio::time::timeout(CLOSE_TIMEOUT, sink.send(close_frame(code, reason)))
                            .await;
                    return;
                }
            }
            Next::Close { code, reason } => {
                let _ =
                    tokio::time::timeout(CLOSE_TIMEOUT, sink.send(close_frame(code, reason))).await;
                return;
            }
            Next::Gone => return,
        }
    }
}

fn close_frame(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Whether a read failed on a frame or message over the size limit.
fn is_too_big(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(tungstenite::Error::Capacity(_)) = error.downcast_ref::<tungstenite::Error>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// A store failure as a refusal; internal details stay in the log.
pub(super) fn store_refusal(error: store::Error) -> ServerMessage {
    if error.is_internal() {
        tracing::error!(%error, "room request failed");
        ServerMessage::error("internal", "Something went wrong on the server; try again.")
    } else {
        ServerMessage::error(error.code(), error.to_string())
    }
}

fn check_tracks(tracks: &[PublishedTrack]) -> Result<(), ServerMessage> {
    let duplicate = tracks.iter().enumerate().any(|(i, t)| {
        tracks[..i]
            .iter()
            .any(|o| o.source == t.source || o.mid == t.mid)
    });
    if tracks.len() > MAX_PUBLISHED_TRACKS || duplicate || tracks.iter().any(|t| t.mid.len() > 32) {
        return Err(ServerMessage::error(
            "bad_tracks",
            "Publish at most one microphone, one camera and one screen.",
        ));
    }
    Ok(())
}
