//! Chat in a live room: the room's actor checks the writer's rights now, the socket handler
//! stores, and the message goes to exactly those joined participants who may read its channel.

use protocol::ServerMessage;
use room::{ChatChannel, ChatRules, ParticipantId, RoomError};

use super::Hub;

impl Hub {
    /// Checks a message of joined participant `id`; returns the text to store and the author.
    pub async fn check_chat(
        &self,
        container_id: i64,
        id: ParticipantId,
        channel: ChatChannel,
        text: String,
    ) -> Result<(String, i64), RoomError> {
        self.in_room(container_id, move |live| {
            let actor = live.joined_actor(id)?;
            let text = live.chat.check_post(&actor, channel, &text)?;
            Ok((text, actor.user_id))
        })
        .await
    }

    pub async fn check_chat_moderation(
        &self,
        container_id: i64,
        id: ParticipantId,
    ) -> Result<(), RoomError> {
        self.in_room(container_id, move |live| {
            ChatRules::check_moderation(&live.joined_actor(id)?)
        })
        .await
    }

    /// Blocks a participant of the room (by user) from writing; everyone in the room is told.
    pub async fn block_in_chat(
        &self,
        container_id: i64,
        id: ParticipantId,
        user_id: i64,
    ) -> Result<(), RoomError> {
        self.in_room(container_id, move |live| {
            let actor = live.joined_actor(id)?;
            let target = live
                .rules
                .participants()
                .find(|p| p.user_id == user_id)
                .ok_or(RoomError::NotInRoom)?;
            let moderator = target.rights.backchannel();
            if live.chat.block(&actor, user_id, moderator)? {
                live.to_joined(&ServerMessage::ChatBlocked { user_id }, |_, _| true);
            }
            Ok(())
        })
        .await
    }

    /// Sends `message` to the joined participants who may read `channel` now.
    pub async fn broadcast_chat(
        &self,
        container_id: i64,
        channel: ChatChannel,
        message: ServerMessage,
    ) {
        let _ = self
            .call(container_id, move |live| {
                let group_chat = live.chat.group_chat;
                live.to_joined(&message, |_, c| {
                    room::may_read(channel, &c.actor, group_chat)
                });
            })
            .await;
    }
}

impl super::LiveRoom {
    /// The rights of connection `id` and the channels it may read now (for history).
    pub(super) fn readable(&self, id: ParticipantId) -> Option<(room::Actor, Vec<ChatChannel>)> {
        let actor = self.connections.get(&id)?.actor;
        let channels = [ChatChannel::Group, ChatChannel::Backchannel]
            .into_iter()
            .filter(|&channel| room::may_read(channel, &actor, self.chat.group_chat))
            .collect();
        Some((actor, channels))
    }
}
