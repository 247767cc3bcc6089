use domain::api::RoomSettings;
use domain::{ChannelPrivacy, ContainerKind, QnaSetting, RoomMode, StageAccess};
use leptos::prelude::*;

use crate::api::SaveRoomSettings;
use crate::components::{error_text, ErrorNotice, PrincipalPicker, Switch};

/// The Meeting room section of Configure / Manage content.
#[component]
pub fn MeetingRoomForm(
    container_id: i64,
    kind: ContainerKind,
    privacy: Option<ChannelPrivacy>,
    settings: RoomSettings,
) -> impl IntoView {
    let enabled = RwSignal::new(settings.enabled);
    let mode = RwSignal::new(settings.mode);
    let room_moderators = RwSignal::new(settings.room_moderators);
    let chat_moderators = RwSignal::new(settings.chat_moderators);
    let qna = RwSignal::new(settings.qna);
    let group_chat = RwSignal::new(settings.group_chat);
    let stage_access = RwSignal::new(
        settings
            .stage_access
            .unwrap_or(StageAccess::default_for(settings.mode)),
    );

    let save = ServerAction::<SaveRoomSettings>::new();
    // Show what the server stored (it orders and de-duplicates moderators).
    Effect::new(move |_| {
        if let Some(Ok(stored)) = save.value().get() {
            enabled.set(stored.enabled);
            mode.set(stored.mode);
            room_moderators.set(stored.room_moderators);
            chat_moderators.set(stored.chat_moderators);
            qna.set(stored.qna);
            group_chat.set(stored.group_chat);
            if let Some(access) = stored.stage_access {
                stage_access.set(access);
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveRoomSettings {
            container_id,
            settings: RoomSettings {
                enabled: enabled.get_untracked(),
                mode: mode.get_untracked(),
                room_moderators: room_moderators.get_untracked(),
                chat_moderators: chat_moderators.get_untracked(),
                qna: qna.get_untracked(),
                group_chat: group_chat.get_untracked(),
                stage_access: Some(stage_access.get_untracked()),
            },
        });
    };
    let outcome = move || match save.value().get() {
        Some(Ok(_)) => {
            view! { <p class="notice success" role="status">"Meeting room settings saved."</p> }
                .into_any()
        }
        Some(Err(error)) => {
            view! { <ErrorNotice message=format!("Not saved: {}", error_text(&error))/> }.into_any()
        }
        None => ().into_any(),
    };
    let public_channel = privacy == Some(ChannelPrivacy::Public);
    view! {
        <form class="meeting-room" on:submit=on_submit>
            <div class="section-head">
                <h1>"Meeting room"</h1>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
            </div>
            <p class="hint">{format!("Configure your {} meeting room.", kind.noun().to_lowercase())}</p>
            <div aria-live="polite">{outcome}</div>
            <Switch label="Enable meeting room" checked=enabled/>
            <div class="room-settings" hidden=move || !enabled.get()>
                <fieldset class="mode-cards">
                    <legend>"Room mode"</legend>
                    {RoomMode::ALL.into_iter().map(|m| {
                        let title_id = format!("mode-{}-title", m.as_str());
                        let text_id = format!("mode-{}-text", m.as_str());
                        view! {
                            <label class="mode-card" class:selected=move || mode.get() == m>
                                <input
                                    type="radio"
                                    name="mode"
                                    value=m.as_str()
                                    aria-labelledby=title_id.clone()
                                    aria-describedby=text_id.clone()
                                    prop:checked=move || mode.get() == m
                                    on:change=move |_| mode.set(m)
                                />
                                <span class="mode-title" id=title_id>{m.title()}</span>
                                <span class="mode-text" id=text_id>{format!("{} {}", m.summary(), m.hint())}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>

                <fieldset class="setting stage-access">
                    <legend class="setting-title">"Stage access"</legend>
                    <p class="hint">"How viewers get onto the stage. Room moderators can change it during a session too."</p>
                    {StageAccess::ALL.into_iter().map(|access| {
                        let hint = match access {
                            StageAccess::Direct => "Viewers step on by themselves (Interactive rooms; a Webinar audience asks).",
                            StageAccess::Request => "Viewers ask; a room moderator approves or declines.",
                            StageAccess::Invitation => "Only viewers a room moderator invites.",
                        };
                        let hint_id = format!("stage-access-{}-hint", access.as_str());
                        view! {
                            <div class="choice">
                                <label class="check">
                                    <input type="radio" name="stage-access" value=access.as_str()
                                        aria-describedby=hint_id.clone()
                                        prop:checked=move || stage_access.get() == access
                                        on:change=move |_| stage_access.set(access)/>
                                    {access.label()}
                                </label>
                                <span class="hint" id=hint_id>{hint}</span>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="setting">
                    <h2>"Room moderators"</h2>
                    <p class="hint">"Select users that are allowed to moderate the room, manage room content, start and end recording, and have access to the backchannel. Managers are room moderators automatically."</p>
                    <PrincipalPicker id="room-moderators" label="Room moderators" input_label="Add room moderators" selected=room_moderators/>
                </div>
                <div class="setting">
                    <h2>"Chat moderators"</h2>
                    <p class="hint">"Select users that are allowed to moderate the chat, reply to Q&A, launch polls and interactions, and have access to the backchannel."</p>
                    <PrincipalPicker id="chat-moderators" label="Chat moderators" input_label="Add chat moderators" selected=chat_moderators/>
                </div>
                <div class="setting">
                    <label class="field">
                        <span class="setting-title">"Enable Q&A"</span>
                        <span class="hint">"Enable 1:1 chat with a moderator for users accessing the room."</span>
                        <select on:change=move |ev| {
                            if let Some(value) = QnaSetting::parse(&event_target_value(&ev)) {
                                qna.set(value);
                            }
                        }>
                            {QnaSetting::ALL.into_iter().map(|q| view! {
                                <option value=q.as_str() selected=move || qna.get() == q>{q.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <div class="setting">
                    <Switch
                        label="Group chat"
                        checked=group_chat
                        description=if public_channel {
                            "Enable the group chat for users that browse within the room. Advised off for public or subscriber-only channels."
                        } else {
                            "Enable the group chat for users that browse within the room."
                        }
                    />
                </div>
            </div>
        </form>
    }
}
