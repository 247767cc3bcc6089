//! The room's chat panel: Chat (when the room's Group chat is on) and, for moderators, the
//! Backchannel. Text is plain and rendered as text.

use leptos::prelude::*;
use room::{ChatChannel, MAX_CHAT_CHARS};

use super::polls::PollsPanel;
use super::qna::QnaPanel;
use super::state::{Intent, RoomUi, SidePanel};

#[component]
pub fn ChatPanel() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let group_chat = move || ui.info.with(|i| i.as_ref().is_some_and(|i| i.group_chat));
    let backchannel = move || {
        ui.info
            .with(|i| i.as_ref().is_some_and(|i| i.rights.backchannel()))
    };
    let moderator = move || {
        ui.info
            .with(|i| i.as_ref().is_some_and(|i| i.rights.chat_moderator))
    };
    let tab = ui.chat_tab;
    let draft = RwSignal::new(String::new());
    let channel = move || match tab.get() {
        SidePanel::Chat(channel) => channel,
        _ => ChatChannel::Group,
    };
    let readable = move || match channel() {
        ChatChannel::Group => group_chat(),
        ChatChannel::Backchannel => backchannel(),
    };
    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            ui.act(Intent::SendChat(channel(), text));
            draft.set(String::new());
        }
    };
    let selected = move |panel: SidePanel| (tab.get() == panel).to_string();
    let messages = move || {
        let channel = channel();
        ui.chat.with(|chat| {
            chat.iter()
                .filter(|m| m.channel == channel)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <aside class="chat" aria-label="Chat">
            <div class="chat-tabs" role="tablist">
                <button type="button" role="tab" aria-selected=move || selected(SidePanel::Chat(ChatChannel::Group))
                    on:click=move |_| tab.set(SidePanel::Chat(ChatChannel::Group))>"Chat"</button>
                <Show when=backchannel>
                    <button type="button" role="tab" aria-selected=move || selected(SidePanel::Chat(ChatChannel::Backchannel))
                        on:click=move |_| tab.set(SidePanel::Chat(ChatChannel::Backchannel))>"Backchannel"</button>
                </Show>
                <button type="button" role="tab" aria-selected=move || selected(SidePanel::Qna)
                    on:click=move |_| tab.set(SidePanel::Qna)>"Q&A"</button>
                <button type="button" role="tab" aria-selected=move || selected(SidePanel::Polls)
                    on:click=move |_| tab.set(SidePanel::Polls)>"Polls"</button>
            </div>
            <Show when=move || tab.get() == SidePanel::Qna><QnaPanel/></Show>
            <Show when=move || tab.get() == SidePanel::Polls><PollsPanel/></Show>
            <Show when=move || matches!(tab.get(), SidePanel::Chat(_))>
            <Show when=readable fallback=|| view! { <p class="muted">"Group chat is off in this room."</p> }>
                <ol class="chat-messages" aria-label="Messages" aria-live="polite">
                    <For each=messages key=|m| m.id let(message)>
                        <ChatLine message moderator=Signal::derive(moderator)/>
                    </For>
                </ol>
                <Show when=move || ui.chat_blocked.get()>
                    <p class="notice error">"A moderator has blocked you from writing in this chat."</p>
                </Show>
                <form class="chat-form" on:submit=move |event| { event.prevent_default(); send(); }>
                    <input type="text" aria-label="Message" maxlength=MAX_CHAT_CHARS.to_string()
                        prop:value=move || draft.get() on:input=move |event| draft.set(event_target_value(&event))
                        disabled=move || ui.chat_blocked.get()/>
                    <button type="submit" disabled=move || ui.chat_blocked.get()>"Send"</button>
                </form>
            </Show>
            </Show>
        </aside>
    }
}

#[component]
fn ChatLine(message: room::ChatMessage, moderator: Signal<bool>) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let (id, author_id) = (message.id, message.user_id);
    view! {
        <li>
            <span class="chat-author">{message.author}</span>
            <span class="chat-text">{message.text}</span>
            <Show when=move || moderator.get()>
                <button type="button" class="link" on:click=move |_| ui.act(Intent::DeleteChat(id))>"Delete"</button>
                <Show when=move || ui.my_user_id() != Some(author_id)>
                    <button type="button" class="link" on:click=move |_| ui.act(Intent::BlockInChat(author_id))>"Block"</button>
                </Show>
            </Show>
        </li>
    }
}
