//! Rights are taken when a socket connects and re-resolved whenever a saved change may alter
//! them (the room's moderator lists, a user's groups, a revoked invitation link): the
//! participant's rights, UI and readable history follow at once, without leaving and
//! rejoining. Losing access altogether ends the connection: the server closes it.

use protocol::ServerMessage;
use room::{Actor, CloseReason, Command, ParticipantId};

use super::state::Connection;
use super::{Hub, LiveRoom, Outbox};

struct Target {
    container_id: i64,
    id: ParticipantId,
    actor: Actor,
    invite: Option<(domain::api::InviteRole, String)>,
    outbox: Outbox,
}

impl Target {
    fn of(container_id: i64, id: ParticipantId, connection: &Connection) -> Self {
        Self {
            container_id,
            id,
            actor: connection.actor,
            invite: connection.invite.zip(connection.invite_token.clone()),
            outbox: connection.outbox.clone(),
        }
    }
}

impl Hub {
    /// Re-resolves the rights of every connection `affected(container, actor)` selects.
    pub(super) async fn refresh_rights(
        &self,
        affected: impl Fn(i64, &Actor) -> bool + Clone + Send + 'static,
    ) {
        let mut targets = Vec::new();
        for container_id in self.router().running_rooms() {
            let affected = affected.clone();
            let listed = self
                .call(container_id, move |live| {
                    live.connections
                        .iter()
                        .filter(|(_, c)| affected(container_id, &c.actor))
                        .map(|(&id, c)| Target::of(container_id, id, c))
                        .collect::<Vec<_>>()
                })
                .await;
            targets.extend(listed.unwrap_or_default());
        }
        for target in targets {
            self.refresh_one(target).await;
        }
    }

    /// Re-resolves one connection (a change landed between its authorisation and its
    /// registration, so the sweep that followed the change did not see it).
    pub(super) async fn refresh_connection(&self, container_id: i64, id: ParticipantId) {
        let target = self
            .call(container_id, move |live| {
                live.connections
                    .get(&id)
                    .map(|c| Target::of(container_id, id, c))
            })
            .await;
        if let Ok(Some(target)) = target {
            self.refresh_one(target).await;
        }
    }

    async fn refresh_one(&self, target: Target) {
        let store = self.store();
        let entry = async {
            // A link that was revoked (or expired) grants nothing any more; what the person
            // may do on their own still holds.
            let invite = match &target.invite {
                Some((_, token)) => {
                    match store.check_invitation(target.container_id, token).await {
                        Ok(role) => Some(role),
                        Err(error) if error.is_internal() => return Err(error),
                        Err(_) => None,
                    }
                }
                None => None,
            };
            match store.viewer_by_id(target.actor.user_id).await? {
                Some(viewer) => {
                    store
                        .room_entry_as(&viewer, target.container_id, invite)
                        .await
                }
                None => Err(store::Error::NotFound("the user is gone".into())),
            }
        }
        .await;
        let (container_id, id) = (target.container_id, target.id);
        match entry {
            Ok(entry) => {
                let actor = Actor {
                    rights: entry.rights,
                    presenter: entry.presenter,
                    ..target.actor
                };
                if actor == target.actor {
                    return;
                }
                let joined = self
                    .call(container_id, move |live| live.set_actor(id, actor))
                    .await
                    .unwrap_or(false);
                // Waiting connections get the history when they join.
                if joined {
                    replay_history(self, container_id, id, &target.outbox).await;
                }
            }
            Err(error) if !error.is_internal() => {
                tracing::info!(user_id = target.actor.user_id, %error, "room access revoked");
                let _ = self
                    .call(container_id, move |live| {
                        live.end_connection(id, CloseReason::AccessRevoked)
                    })
                    .await;
            }
            Err(error) => tracing::error!(%error, "re-resolving room rights failed"),
        }
    }
}

impl LiveRoom {
    /// New rights for connection `id`; whether it has joined.
    fn set_actor(&mut self, id: ParticipantId, actor: Actor) -> bool {
        let Some(connection) = self.connections.get_mut(&id) else {
            return false;
        };
        connection.actor = actor;
        let command = Command::SetRights {
            participant: id,
            rights: actor.rights,
        };
        let rights_changed = self.apply(&Actor::SYSTEM, command).unwrap_or(false);
        // A rights change replays the standing with its event; presenter status alone (or a
        // connection that has not joined) still changes what is offered.
        if !rights_changed {
            self.send_standing(id);
        }
        self.rules.participant(id).is_some()
    }
}

/// Sends a joined participant everything their rights let them read: chat of each readable
/// channel, visible questions, polls.
pub(super) async fn replay_history(
    hub: &Hub,
    container_id: i64,
    id: ParticipantId,
    outbox: &Outbox,
) {
    let Ok(Some((actor, channels))) = hub.call(container_id, move |live| live.readable(id)).await
    else {
        return;
    };
    let store = hub.store();
    let result: store::Result<()> = async {
        for channel in channels {
            let messages = store.recent_chat(container_id, channel).await?;
            outbox.send(&ServerMessage::ChatHistory { channel, messages });
        }
        let questions = store
            .recent_questions(container_id)
            .await?
            .iter()
            .filter_map(|q| q.view_for(&actor))
            .collect();
        outbox.send(&ServerMessage::Questions { questions });
        let polls = store
            .recent_polls(container_id)
            .await?
            .iter()
            .map(|p| p.view_for(&actor))
            .collect();
        outbox.send(&ServerMessage::Polls { polls });
        Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(%error, "replaying room history failed");
        outbox.send(&ServerMessage::error(
            "internal",
            "The room's history could not be loaded; reload to try again.",
        ));
    }
}
