//! Q&A: ask the moderators privately; chat moderators reply, publish a question to everyone
//! and mark it answered; everyone upvotes published questions once. Sorted by the rules'
//! `sort_questions`.

use leptos::prelude::*;
use room::{Question, MAX_QUESTION_CHARS};

use super::state::{Intent, RoomUi};
use protocol::ClientMessage;

#[component]
pub fn QnaPanel() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let enabled = move || ui.standing.with(|s| s.is_some_and(|s| s.qna));
    let draft = RwSignal::new(String::new());
    let ask = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            ui.act(Intent::Send(ClientMessage::Ask { text }));
            draft.set(String::new());
        }
    };
    // With the viewer's right, so a live promotion redraws each question's buttons.
    let sorted = move || {
        let moderator = ui.rights().chat_moderator;
        let mut questions = ui.questions.get();
        room::sort_questions(&mut questions);
        questions
            .into_iter()
            .map(|q| (moderator, q))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="qna" aria-label="Q&A">
            <Show when=enabled fallback=|| view! { <p class="muted">"Q&A is off in this room."</p> }>
                <form class="qna-ask" on:submit=move |event| { event.prevent_default(); ask(); }>
                    <label>"Your question"
                        <textarea maxlength=MAX_QUESTION_CHARS.to_string() rows="2"
                            prop:value=move || draft.get() on:input=move |event| draft.set(event_target_value(&event))></textarea>
                    </label>
                    <p class="muted">"Only the moderators see your question unless they publish it."</p>
                    <button type="submit">"Ask"</button>
                </form>
                <ol class="questions" aria-label="Questions">
                    <For each=sorted key=|(m, q)| (*m, q.id, q.votes, q.voted, q.published, q.answered, q.replies.len()) let((moderator, question))>
                        <QuestionItem question moderator/>
                    </For>
                </ol>
            </Show>
        </section>
    }
}

#[component]
fn QuestionItem(question: Question, moderator: bool) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let mine = ui.me.with_untracked(|me| {
        ui.participants.with_untracked(|people| {
            people
                .iter()
                .any(|p| Some(p.id) == *me && p.user_id == question.user_id)
        })
    });
    let id = question.id;
    let reply = RwSignal::new(String::new());
    let send_reply = move || {
        let text = reply.get_untracked();
        if !text.trim().is_empty() {
            ui.act(Intent::Send(ClientMessage::Reply { question: id, text }));
            reply.set(String::new());
        }
    };
    let state = match (question.published, question.answered) {
        (_, true) => "Answered",
        (true, false) => "Published",
        (false, false) => "Private",
    };
    let votes = format!(
        "{} vote{}",
        question.votes,
        if question.votes == 1 { "" } else { "s" }
    );
    view! {
        <li class="question" aria-label=question.text.clone()>
            <p class="question-text">{question.text.clone()}</p>
            <p class="meta">
                <span>{question.asker.clone()}</span>" · "<span class="badge">{state}</span>
                {question.published.then(|| view! { " · " <span class="votes">{votes}</span> })}
            </p>
            <ul class="replies">
                {question.replies.iter().map(|r| view! {
                    <li><span class="chat-author">{r.author.clone()}</span>" "<span>{r.text.clone()}</span></li>
                }).collect_view()}
            </ul>
            <div class="question-actions">
                {(question.published).then(|| view! {
                    <button type="button" disabled=question.voted aria-pressed=question.voted.to_string()
                        on:click=move |_| ui.act(Intent::Send(ClientMessage::Upvote { question: id }))>
                        {if question.voted { "Upvoted" } else { "Upvote" }}
                    </button>
                })}
                {(moderator && !question.published).then(|| view! {
                    <button type="button" on:click=move |_| ui.act(Intent::Send(ClientMessage::PublishQuestion { question: id }))>"Publish"</button>
                })}
                {(moderator && !question.answered).then(|| view! {
                    <button type="button" on:click=move |_| ui.act(Intent::Send(ClientMessage::MarkAnswered { question: id }))>"Mark answered"</button>
                })}
            </div>
            {(moderator || mine).then(|| view! {
                <form class="reply-form" on:submit=move |event| { event.prevent_default(); send_reply(); }>
                    <input type="text" aria-label="Reply" maxlength=MAX_QUESTION_CHARS.to_string()
                        prop:value=move || reply.get() on:input=move |event| reply.set(event_target_value(&event))/>
                    <button type="submit">"Reply"</button>
                </form>
            })}
        </li>
    }
}
