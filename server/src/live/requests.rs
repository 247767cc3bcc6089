//! The room's collaboration messages: stage access, hands, reactions and moderation go
//! through the rules under the room's lock; Q&A and polls are checked by the rules against
//! the stored state, then stored, then sent to whom may see them.

use protocol::{ClientMessage, ServerMessage};
use room::{Command, ParticipantId, RoomError};

use super::socket::{store_refusal, Session};

fn refusal(error: RoomError) -> ServerMessage {
    ServerMessage::from(&error)
}

impl Session {
    pub(super) async fn handle_collab(
        &self,
        id: ParticipantId,
        message: ClientMessage,
    ) -> Result<(), ServerMessage> {
        let hub = &self.state.hub;
        let room = self.container_id;
        let rules = |command| async move {
            hub.command(room, id, command)
                .await
                .map(|_| ())
                .map_err(refusal)
        };
        match message {
            ClientMessage::SetStageAccess { access } => {
                let changed = hub
                    .command(room, id, Command::SetStageAccess { access })
                    .await
                    .map_err(refusal)?;
                if changed {
                    // The room keeps it for its next sessions.
                    self.state
                        .store
                        .set_stage_access(room, access)
                        .await
                        .map_err(store_refusal)?;
                }
                Ok(())
            }
            ClientMessage::RequestStage => rules(Command::RequestStage { participant: id }).await,
            ClientMessage::CancelStageRequest => {
                rules(Command::CancelStageRequest { participant: id }).await
            }
            ClientMessage::AnswerStageRequest {
                participant,
                approve,
            } => {
                rules(Command::AnswerStageRequest {
                    participant,
                    approve,
                })
                .await
            }
            ClientMessage::InviteToStage { participant } => {
                rules(Command::InviteToStage { participant }).await
            }
            ClientMessage::DeclineInvitation => {
                rules(Command::DeclineInvitation { participant: id }).await
            }
            ClientMessage::RaiseHand => rules(Command::RaiseHand { participant: id }).await,
            ClientMessage::LowerHand { participant } => {
                rules(Command::LowerHand {
                    participant: participant.unwrap_or(id),
                })
                .await
            }
            ClientMessage::React { reaction } => {
                rules(Command::React {
                    participant: id,
                    reaction,
                })
                .await
            }
            ClientMessage::Moderate {
                participant,
                action,
            } => {
                let target = hub.user_of(room, participant).await;
                let changed = hub
                    .command(
                        room,
                        id,
                        Command::Moderate {
                            participant,
                            action,
                        },
                    )
                    .await
                    .map_err(refusal)?;
                if let (true, Some(target)) = (changed, target) {
                    self.state
                        .store
                        .log_moderation(room, self.user_id(), target, action.as_str())
                        .await
                        .map_err(store_refusal)?;
                }
                Ok(())
            }
            other => self.handle_qna_and_polls(id, other).await,
        }
    }

    async fn handle_qna_and_polls(
        &self,
        id: ParticipantId,
        message: ClientMessage,
    ) -> Result<(), ServerMessage> {
        let hub = &self.state.hub;
        let store = &self.state.store;
        let room = self.container_id;
        let (actor, qna) = hub.joined_with_qna(room, id).await.map_err(refusal)?;
        let question = |question_id| async move {
            match store.question(room, question_id).await {
                Ok(record) if record.may_see(&actor) => Ok(record),
                Ok(_) | Err(store::Error::NotFound(_)) => Err(refusal(RoomError::UnknownQuestion)),
                Err(error) => Err(store_refusal(error)),
            }
        };
        let poll = |poll_id| async move {
            match store.poll(room, poll_id).await {
                Ok(record) => Ok(record),
                Err(store::Error::NotFound(_)) => Err(refusal(RoomError::UnknownPoll)),
                Err(error) => Err(store_refusal(error)),
            }
        };
        match message {
            ClientMessage::Ask { text } => {
                let text = room::check_ask(qna, &text).map_err(refusal)?;
                let record = store
                    .ask_question(room, actor.user_id, &self.name, &text)
                    .await
                    .map_err(store_refusal)?;
                hub.send_question(room, record).await;
            }
            ClientMessage::Reply {
                question: question_id,
                text,
            } => {
                let record = question(question_id).await?;
                let text = room::check_reply(qna, &actor, &record, &text).map_err(refusal)?;
                let record = store
                    .reply_to_question(room, question_id, actor.user_id, &self.name, &text)
                    .await
                    .map_err(store_refusal)?;
                hub.send_question(room, record).await;
            }
            ClientMessage::PublishQuestion {
                question: question_id,
            }
            | ClientMessage::MarkAnswered {
                question: question_id,
            } => {
                room::check_manage(qna, &actor).map_err(refusal)?;
                question(question_id).await?;
                let publish = matches!(message, ClientMessage::PublishQuestion { .. });
                let record = store
                    .mark_question(room, question_id, publish, !publish)
                    .await
                    .map_err(store_refusal)?;
                hub.send_question(room, record).await;
            }
            ClientMessage::Upvote {
                question: question_id,
            } => {
                let record = question(question_id).await?;
                room::check_upvote(qna, &actor, &record).map_err(refusal)?;
                // The table's key settles two votes racing past the check.
                if !store
                    .upvote_question(room, question_id, actor.user_id)
                    .await
                    .map_err(store_refusal)?
                {
                    return Err(refusal(RoomError::AlreadyVoted));
                }
                hub.send_question(room, question(question_id).await?).await;
            }
            ClientMessage::LaunchPoll { poll: draft } => {
                let draft = room::check_poll(&actor, &draft).map_err(refusal)?;
                let record = store
                    .create_poll(room, actor.user_id, &draft)
                    .await
                    .map_err(store_refusal)?;
                hub.send_poll(room, record, None).await;
            }
            ClientMessage::Vote {
                poll: poll_id,
                choices,
            } => {
                let record = poll(poll_id).await?;
                let choices = record.check_vote(&actor, &choices).map_err(refusal)?;
                if !store
                    .vote_in_poll(room, poll_id, actor.user_id, &choices)
                    .await
                    .map_err(store_refusal)?
                {
                    // Closed or voted meanwhile: say which.
                    let now = poll(poll_id).await?;
                    return Err(refusal(
                        now.check_vote(&actor, &choices)
                            .err()
                            .unwrap_or(RoomError::AlreadyVoted),
                    ));
                }
                hub.send_poll(room, poll(poll_id).await?, Some(actor.user_id))
                    .await;
            }
            ClientMessage::ClosePoll { poll: poll_id } => {
                room::check_run_polls(&actor).map_err(refusal)?;
                poll(poll_id).await?;
                let record = store
                    .close_poll(room, poll_id)
                    .await
                    .map_err(store_refusal)?;
                hub.send_poll(room, record, None).await;
            }
            _ => unreachable!("signalling and chat are handled by Session::handle"),
        }
        Ok(())
    }
}
