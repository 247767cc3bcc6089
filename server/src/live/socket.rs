//! `GET /api/rooms/{container_id}/ws?v=1`: the room's signalling socket. The upgrade is
//! authorised like the room page (session cookie, room entry rights); every message after it
//! is authorised again by the rules before anything changes.

use protocol::{
    ClientMessage, PublishedTrack, RoomInfo, ServerMessage, MAX_CLIENT_MESSAGE_BYTES,
    PROTOCOL_VERSION,
};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use room::{Actor, Command, ParticipantId, RoomError};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::api::{ApiPath, ApiQuery};
use crate::error::AppError;
use crate::session::{is_cross_site, CurrentViewer};
use crate::sfu::MemberKey;
use crate::AppState;

/// Most tracks one publisher may declare: microphone, camera, screen.
const MAX_PUBLISHED_TRACKS: usize = 3;
/// Messages a connection may send in a burst, and per second after it. A person's clicks and
/// the browser's renegotiations stay far below; a runaway or hostile client is cut short.
const BURST: f64 = 40.0;
const PER_SECOND: f64 = 20.0;

/// A token bucket per connection.
struct RateLimit {
    tokens: f64,
    last: std::time::Instant,
}

impl RateLimit {
    fn new(now: std::time::Instant) -> Self {
        Self {
            tokens: BURST,
            last: now,
        }
    }

    fn allow(&mut self, now: std::time::Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * PER_SECOND).min(BURST);
        self.last = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

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
    let invite = match query.invite.as_deref() {
        Some(token) => Some(state.store.check_invitation(container_id, token).await?),
        None => None,
    };
    let entry = state
        .store
        .room_entry_as(&viewer, container_id, invite)
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
        qna: entry.qna_enabled,
        stage_access: entry.stage_access,
        info,
    };
    Ok(upgrade
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
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
    invite: Option<domain::api::InviteRole>,
    qna: bool,
    stage_access: room::StageAccess,
    info: RoomInfo,
}

impl Session {
    async fn run(mut self, socket: WebSocket) {
        let hub = self.state.hub.clone();
        let (outbox, mut inbox) = mpsc::unbounded_channel();
        let setup = super::RoomSetup {
            mode: self.info.mode,
            stage_access: self.stage_access,
            group_chat: self.info.group_chat,
            qna: self.qna,
        };
        let connected = hub.connect(
            self.container_id,
            setup,
            self.actor,
            self.invite,
            outbox.clone(),
        );
        let id = connected.id;
        self.info.open = connected.open;
        self.info.may_take_stage =
            room::may_take_stage(self.info.mode, connected.stage_access, &self.actor);
        let _ = outbox.send(ServerMessage::Welcome {
            room: self.info.clone(),
        });
        let (mut sink, mut stream) = socket.split();
        let mut limit = RateLimit::new(std::time::Instant::now());
        loop {
            tokio::select! {
                outgoing = inbox.recv() => {
                    let Some(message) = outgoing else { break };
                    let text = serde_json::to_string(&message).expect("server messages serialise");
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(_))) if !limit.allow(std::time::Instant::now()) => {
                        let _ = outbox.send(ServerMessage::error(
                            "rate_limited",
                            "Too many messages at once; this one was ignored.",
                        ));
                    }
                    Some(Ok(Message::Text(text))) => {
                        let reply = match serde_json::from_str::<ClientMessage>(&text) {
                            Ok(message) => self.handle(id, message, &outbox).await,
                            Err(error) => Err(ServerMessage::error(
                                "bad_message",
                                format!("The message was not understood: {error}"),
                            )),
                        };
                        if let Err(refusal) = reply {
                            let _ = outbox.send(refusal);
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let _ = outbox.send(ServerMessage::error("bad_message", "Messages are JSON text."));
                    }
                    Some(Ok(_)) => {}
                    // Oversize frames end the stream with an error: the client gets a close.
                    Some(Err(_)) | None => break,
                },
            }
        }
        hub.disconnect(self.container_id, id);
    }

    async fn handle(
        &self,
        id: ParticipantId,
        message: ClientMessage,
        outbox: &super::Outbox,
    ) -> Result<(), ServerMessage> {
        let hub = &self.state.hub;
        let room = self.container_id;
        let member = MemberKey {
            room,
            participant: id,
        };
        let rules = |command| {
            hub.command(room, id, command)
                .map(|_| ())
                .map_err(|e| ServerMessage::from(&e))
        };
        match message {
            ClientMessage::Launch => rules(Command::Launch),
            ClientMessage::Join { seat, media } => {
                rules(Command::Join {
                    participant: id,
                    name: self.name.clone(),
                    seat,
                    media,
                })?;
                // Late joiners read what was said and asked before them.
                super::rights::replay_history(&self.state.store, hub, room, id, outbox).await;
                Ok(())
            }
            ClientMessage::Chat { channel, text } => {
                let (text, user_id) = hub
                    .check_chat(room, id, channel, &text)
                    .map_err(|e| ServerMessage::from(&e))?;
                let message = self
                    .state
                    .store
                    .post_chat(room, channel, user_id, &self.name, &text)
                    .await
                    .map_err(store_refusal)?;
                hub.broadcast_chat(room, channel, ServerMessage::Chat { message });
                Ok(())
            }
            ClientMessage::DeleteChat { message } => {
                hub.check_chat_moderation(room, id)
                    .map_err(|e| ServerMessage::from(&e))?;
                let channel = self
                    .state
                    .store
                    .delete_chat(room, message)
                    .await
                    .map_err(store_refusal)?;
                hub.broadcast_chat(room, channel, ServerMessage::ChatDeleted { message });
                Ok(())
            }
            ClientMessage::BlockInChat { user_id } => hub
                .block_in_chat(room, id, user_id)
                .map_err(|e| ServerMessage::from(&e)),
            ClientMessage::SetMedia { media } => rules(Command::SetMedia {
                participant: id,
                media,
            }),
            ClientMessage::SetSeat { seat } => rules(Command::SetSeat {
                participant: id,
                seat,
            }),
            ClientMessage::EndForAll => rules(Command::EndForAll),
            ClientMessage::Leave => rules(Command::Leave { participant: id }),
            ClientMessage::PublishOffer { sdp, tracks, .. } => {
                check_tracks(&tracks)?;
                let answer = hub
                    .publish(room, id, sdp, tracks)
                    .map_err(|e| ServerMessage::from(&e))?
                    .await
                    .map_err(|e| ServerMessage::error("bad_offer", e.to_string()))?;
                let _ = outbox.send(ServerMessage::PublishAnswer { sdp: answer });
                Ok(())
            }
            ClientMessage::SubscribeAnswer { sdp } => {
                if !hub.is_joined(room, id) {
                    return Err(ServerMessage::from(&RoomError::NotInRoom));
                }
                hub.sfu().subscribe_answer(member, sdp);
                Ok(())
            }
            ClientMessage::Subscribe { tiles } => {
                let limit = self.info.mode.limits().max_visible_cameras as usize;
                if tiles.len() > limit {
                    return Err(ServerMessage::error(
                        "too_many_tiles",
                        format!("At most {limit} videos are shown at once in this room."),
                    ));
                }
                if !hub.is_joined(room, id) {
                    return Err(ServerMessage::from(&RoomError::NotInRoom));
                }
                hub.sfu().set_tiles(member, tiles);
                Ok(())
            }
            other => self.handle_collab(id, other).await,
        }
    }
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        let burst = (0..100).filter(|_| limit.allow(start)).count();
        assert_eq!(burst, BURST as usize);
        assert!(!limit.allow(start));
        let second_later = start + Duration::from_secs(1);
        let refilled = (0..100).filter(|_| limit.allow(second_later)).count();
        assert_eq!(refilled, PER_SECOND as usize);
    }
}
