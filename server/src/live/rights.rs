//! Rights are taken when a socket connects and re-resolved whenever a saved change may alter
//! them (the room's moderator lists, a user's groups): the participant's rights, UI and
//! readable history follow at once, without leaving and rejoining. Losing access altogether
//! takes them out of the room.

use protocol::ServerMessage;
use room::{Actor, CloseReason, Command, ParticipantId};

use super::{Hub, Outbox};

struct Target {
    container_id: i64,
    id: ParticipantId,
    actor: Actor,
    invite: Option<domain::api::InviteRole>,
    outbox: Outbox,
}

impl Hub {
    /// Re-resolves the rights of every connection `affected(container, actor)` selects.
    pub(super) async fn refresh_rights(
        &self,
        store: &store::Store,
        affected: impl Fn(i64, &Actor) -> bool,
    ) {
        let targets: Vec<Target> = {
            let rooms = self.rooms.lock().expect("room lock");
            rooms
                .iter()
                .flat_map(|(&container_id, live)| {
                    let affected = &affected;
                    live.connections
                        .iter()
                        .filter(move |(_, c)| affected(container_id, &c.actor))
                        .map(move |(&id, c)| Target {
                            container_id,
                            id,
                            actor: c.actor,
                            invite: c.invite,
                            outbox: c.outbox.clone(),
                        })
                })
                .collect()
        };
        for target in targets {
            let entry = match store.viewer_by_id(target.actor.user_id).await {
                Ok(Some(viewer)) => {
                    store
                        .room_entry_as(&viewer, target.container_id, target.invite)
                        .await
                }
                Ok(None) => Err(store::Error::NotFound("the user is gone".into())),
                Err(error) => Err(error),
            };
            match entry {
                Ok(entry) => {
                    let actor = Actor {
                        rights: entry.rights,
                        presenter: entry.presenter,
                        ..target.actor
                    };
                    if actor != target.actor {
                        self.set_actor(target.container_id, target.id, actor);
                        // Waiting connections get the history when they join.
                        if self.is_joined(target.container_id, target.id) {
                            replay_history(
                                store,
                                self,
                                target.container_id,
                                target.id,
                                &target.outbox,
                            )
                            .await;
                        }
                    }
                }
                Err(error) if !error.is_internal() => {
                    tracing::info!(user_id = target.actor.user_id, %error, "room access revoked");
                    self.revoke(target.container_id, target.id);
                }
                Err(error) => tracing::error!(%error, "re-resolving room rights failed"),
            }
        }
    }

    fn set_actor(&self, container_id: i64, id: ParticipantId, actor: Actor) {
        let mut rooms = self.rooms.lock().expect("room lock");
        let Some(live) = rooms.get_mut(&container_id) else {
            return;
        };
        let Some(connection) = live.connections.get_mut(&id) else {
            return;
        };
        connection.actor = actor;
        let command = Command::SetRights {
            participant: id,
            rights: actor.rights,
        };
        let rights_changed = self
            .apply(container_id, live, &Actor::SYSTEM, command)
            .unwrap_or(false);
        // A rights change replays the standing with its event; presenter status alone (or a
        // connection that has not joined) still changes what is offered.
        if !rights_changed {
            live.send_standing(id);
        }
    }

    /// Takes a participant who lost access out of the room and tells them why.
    fn revoke(&self, container_id: i64, id: ParticipantId) {
        let mut rooms = self.rooms.lock().expect("room lock");
        let Some(live) = rooms.get_mut(&container_id) else {
            return;
        };
        let Some(connection) = live.connections.get(&id) else {
            return;
        };
        let (actor, outbox) = (connection.actor, connection.outbox.clone());
        if live.rules.participant(id).is_some() {
            let _ = self.apply(
                container_id,
                live,
                &actor,
                Command::Leave { participant: id },
            );
        }
        let reason = CloseReason::AccessRevoked;
        let _ = outbox.send(ServerMessage::Closed {
            reason,
            message: reason.message().to_owned(),
        });
    }
}

/// Sends a joined participant everything their rights let them read: chat of each readable
/// channel, visible questions, polls.
pub(super) async fn replay_history(
    store: &store::Store,
    hub: &Hub,
    container_id: i64,
    id: ParticipantId,
    outbox: &Outbox,
) {
    let Some((actor, channels)) = hub.readable(container_id, id) else {
        return;
    };
    let result: store::Result<()> = async {
        for channel in channels {
            let messages = store.recent_chat(container_id, channel).await?;
            let _ = outbox.send(ServerMessage::ChatHistory { channel, messages });
        }
        let questions = store
            .recent_questions(container_id)
            .await?
            .iter()
            .filter_map(|q| q.view_for(&actor))
            .collect();
        let _ = outbox.send(ServerMessage::Questions { questions });
        let polls = store
            .recent_polls(container_id)
            .await?
            .iter()
            .map(|p| p.view_for(&actor))
            .collect();
        let _ = outbox.send(ServerMessage::Polls { polls });
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(%error, "replaying room history failed");
        let _ = outbox.send(ServerMessage::error(
            "internal",
            "The room's history could not be loaded; reload to try again.",
        ));
    }
}
