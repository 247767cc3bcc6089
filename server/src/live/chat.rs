//! Chat in a live room: the rules decide under the room's lock, the socket handler stores,
//! and the message goes to exactly those joined participants who may read its channel.

use protocol::ServerMessage;
use room::{ChatChannel, ChatRules, ParticipantId, RoomError};

use super::Hub;

impl Hub {
    /// Checks a message of joined participant `id`; returns the text to store and the author.
    pub fn check_chat(
        &self,
        container_id: i64,
        id: ParticipantId,
        channel: ChatChannel,
        text: &str,
    ) -> Result<(String, i64), RoomError> {
        let rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get(&container_id).ok_or(RoomError::NotInRoom)?;
        let actor = live.joined_actor(id)?;
        let text = live.chat.check_post(&actor, channel, text)?;
        Ok((text, actor.user_id))
    }

    pub fn check_chat_moderation(
        &self,
        container_id: i64,
        id: ParticipantId,
    ) -> Result<(), RoomError> {
        let rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get(&container_id).ok_or(RoomError::NotInRoom)?;
        let actor = live.joined_actor(id)?;
        ChatRules::check_moderation(&actor)
    }

    /// Blocks a participant of the room (by user) from writing; everyone in the room is told.
    pub fn block_in_chat(
        &self,
        container_id: i64,
        id: ParticipantId,
        user_id: i64,
    ) -> Result<(), RoomError> {
        let mut rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get_mut(&container_id).ok_or(RoomError::NotInRoom)?;
        let actor = live.joined_actor(id)?;
        let target = live
            .rules
            .participants()
            .find(|p| p.user_id == user_id)
            .ok_or(RoomError::NotInRoom)?;
        let moderator = target.rights.backchannel();
        if live.chat.block(&actor, user_id, moderator)? {
            let message = ServerMessage::ChatBlocked { user_id };
            for participant in live.rules.participants() {
                if let Some(connection) = live.connections.get(&participant.id) {
                    let _ = connection.outbox.send(message.clone());
                }
            }
        }
        Ok(())
    }

    /// Sends `message` to the joined participants who may read `channel`.
    pub fn broadcast_chat(&self, container_id: i64, channel: ChatChannel, message: ServerMessage) {
        let rooms = self.rooms.lock().expect("room lock");
        let Some(live) = rooms.get(&container_id) else {
            return;
        };
        for participant in live.rules.participants() {
            let Some(connection) = live.connections.get(&participant.id) else {
                continue;
            };
            if room::may_read(channel, &connection.actor, live.chat.group_chat) {
                let _ = connection.outbox.send(message.clone());
            }
        }
    }

    /// The rights of connection `id` and the channels it may read now (for history).
    pub fn readable(
        &self,
        container_id: i64,
        id: ParticipantId,
    ) -> Option<(room::Actor, Vec<ChatChannel>)> {
        let rooms = self.rooms.lock().expect("room lock");
        let live = rooms.get(&container_id)?;
        let actor = live.connections.get(&id)?.actor;
        let channels = [ChatChannel::Group, ChatChannel::Backchannel]
            .into_iter()
            .filter(|&channel| room::may_read(channel, &actor, live.chat.group_chat))
            .collect();
        Some((actor, channels))
    }
}
