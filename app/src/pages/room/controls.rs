//! The control bar: what people know from other meeting tools, in the same places. Media on
//! the left with a device chooser beside each, the room's actions in the middle, panels and
//! Leave on the right. Each button names its keyboard shortcut in its tooltip.

use leptos::prelude::*;
use room::Seat;

use super::collab::{HandAndStageButtons, ModeratorTools, ReactionBar};
use super::icons::Icon;
use super::layout::StageView;
use super::popover::Popover;
use super::recording::RecordingButton;
use super::shortcuts::ShortcutHelp;
use super::state::{DeviceOption, Intent, RoomUi, SidePanel};
use room::ChatChannel;

#[component]
pub fn ControlBar() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let on_stage = move || ui.my_seat() == Some(Seat::Stage);
    let moderator = move || ui.rights().room_moderator;
    let may_stage = move || {
        ui.standing
            .with(|s| s.map(|s| s.may_take_stage))
            .unwrap_or_else(|| {
                ui.info
                    .with(|i| i.as_ref().is_some_and(|i| i.may_take_stage))
            })
    };
    let help = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    super::shortcuts::listen(ui, help);
    view! {
        <div class="control-bar" role="toolbar" aria-label="Room controls">
            <div class="cb-group">
                <Show when=on_stage>
                    <MediaControls/>
                </Show>
                <Show when=move || !on_stage() && may_stage()>
                    <button type="button" class="cb" on:click=move |_| ui.act(Intent::SetSeat(Seat::Stage))>
                        <Icon name="stage"/><span class="cb-label">"Join stage"</span>
                    </button>
                </Show>
                <Show when=on_stage>
                    <button type="button" class="cb" on:click=move |_| ui.act(Intent::SetSeat(Seat::Viewer))>
                        <Icon name="stage"/><span class="cb-label">"Leave stage"</span>
                    </button>
                </Show>
            </div>
            <div class="cb-group">
                <HandAndStageButtons/>
                <Popover label=Signal::stored("Reactions".to_owned()) icon="smile" title="Reactions"
                    panel_label="Send a reaction">
                    <ReactionBar/>
                </Popover>
                <ViewSwitch/>
                // Recording sits in the bar itself, as in the tools people know: its state
                // matters to everyone, and moderators reach it in one click.
                <RecordingButton recording=ui.recording moderator=Signal::derive(moderator)
                    send=Callback::new(move |message| ui.act(Intent::Send(message)))/>
                <Show when=moderator>
                    <Popover label=Signal::stored("Moderate".to_owned()) icon="shield" title="Moderator tools"
                        panel_label="Moderate" button_class="moderate">
                        <ModeratorTools container_id=ui.container_id/>
                    </Popover>
                </Show>
            </div>
            <div class="cb-group">
                <PanelButtons/>
                <button type="button" class="cb icon-only" aria-label="Keyboard shortcuts" aria-keyshortcuts="?"
                    title="Keyboard shortcuts (?)" aria-expanded=move || help.get().to_string()
                    on:click=move |_| help.update(|open| *open = !*open)>
                    <Icon name="keyboard"/>
                </button>
                <LeaveControl/>
            </div>
        </div>
        <ShortcutHelp open=help/>
    }
    .into_any()
}

#[component]
fn MediaControls() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let mic = move || ui.media.get().mic;
    let camera = move || ui.media.get().camera;
    let screen = move || ui.media.get().screen;
    view! {
        <div class="split">
            <button type="button" class="cb" class:off=move || !mic()
                aria-keyshortcuts="M" title=move || if mic() { "Mute (M)" } else { "Unmute (M)" }
                on:click=move |_| ui.act(Intent::ToggleMic)>
                {move || view! { <Icon name=if mic() { "mic" } else { "mic-off" }/> }}
                <span class="cb-label">{move || if mic() { "Mute" } else { "Unmute" }}</span>
            </button>
            <Popover label=Signal::stored(String::new()) icon="chevron" aria_label="Microphone and speaker options"
                title="Choose microphone and speaker" button_class="chevron" panel_label="Microphone and speaker">
                <DeviceChoice legend="Microphone" options=Signal::derive(move || ui.devices.with(|d| d.microphones.clone()))
                    chosen=Signal::derive(move || ui.devices.with(|d| d.microphone.clone()))
                    on_pick=move |id| ui.act(Intent::PickMicrophone(id))/>
                <Show when=move || ui.devices.with(|d| d.can_pick_speaker)>
                    <DeviceChoice legend="Speaker" options=Signal::derive(move || ui.devices.with(|d| d.speakers.clone()))
                        chosen=Signal::derive(move || ui.devices.with(|d| d.speaker.clone()))
                        on_pick=move |id| ui.act(Intent::PickSpeaker(id))/>
                </Show>
            </Popover>
        </div>
        <div class="split">
            <button type="button" class="cb" class:off=move || !camera()
                aria-keyshortcuts="V" title=move || if camera() { "Stop camera (V)" } else { "Start camera (V)" }
                on:click=move |_| ui.act(Intent::ToggleCamera)>
                {move || view! { <Icon name=if camera() { "camera" } else { "camera-off" }/> }}
                <span class="cb-label">{move || if camera() { "Stop camera" } else { "Start camera" }}</span>
            </button>
            <Popover label=Signal::stored(String::new()) icon="chevron" aria_label="Camera options"
                title="Choose camera" button_class="chevron" panel_label="Camera">
                <DeviceChoice legend="Camera" options=Signal::derive(move || ui.devices.with(|d| d.cameras.clone()))
                    chosen=Signal::derive(move || ui.devices.with(|d| d.camera.clone()))
                    on_pick=move |id| ui.act(Intent::PickCamera(id))/>
            </Popover>
        </div>
        <button type="button" class="cb" class:active=screen
            aria-keyshortcuts="S" title="Share screen (S)" on:click=move |_| ui.act(Intent::ToggleScreen)>
            <Icon name="screen"/>
            <span class="cb-label">{move || if screen() { "Stop sharing" } else { "Share screen" }}</span>
        </button>
    }
}

/// Radio buttons for one kind of device; "Default" follows the system's choice.
#[component]
fn DeviceChoice(
    legend: &'static str,
    options: Signal<Vec<DeviceOption>>,
    chosen: Signal<String>,
    on_pick: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = format!("pick-{}", legend.to_lowercase());
    let all = move || {
        let mut all = vec![DeviceOption {
            id: String::new(),
            label: "Default".to_owned(),
        }];
        all.extend(options.get());
        all
    };
    view! {
        <fieldset class="device-choice">
            <legend>{legend}</legend>
            <For each=all key=|o| o.id.clone() let(option)>
                <label class="check">
                    <input type="radio" name=name.clone() value=option.id.clone()
                        prop:checked={ let id = option.id.clone(); move || chosen.get() == id }
                        on:change={ let id = option.id.clone(); move |_| on_pick(id.clone()) }/>
                    {option.label.clone()}
                </label>
            </For>
        </fieldset>
    }
}

#[component]
fn ViewSwitch() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let speaker = move || ui.view.get() == StageView::Speaker;
    view! {
        <button type="button" class="cb" title="Switch between gallery and speaker view"
            on:click=move |_| ui.view.update(|v| *v = if *v == StageView::Speaker { StageView::Gallery } else { StageView::Speaker })>
            {move || view! { <Icon name=if speaker() { "gallery" } else { "speaker" }/> }}
            <span class="cb-label">{move || if speaker() { "Gallery view" } else { "Speaker view" }}</span>
        </button>
    }
}

/// Participants, Chat, Q&A and Polls, with what is new since the person last looked.
#[component]
fn PanelButtons() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let chat_open = move |tab: SidePanel| ui.panels.get().chat && ui.chat_tab.get() == tab;
    let chat_tab = move || matches!(ui.chat_tab.get(), SidePanel::Chat(_));
    let unread_chat = move || {
        ui.chat
            .with(Vec::len)
            .saturating_sub(ui.seen.with(|s| s.chat))
    };
    let unread_questions = move || {
        ui.questions
            .with(Vec::len)
            .saturating_sub(ui.seen.with(|s| s.questions))
    };
    let unread_polls = move || {
        ui.polls
            .with(Vec::len)
            .saturating_sub(ui.seen.with(|s| s.polls))
    };
    // Waiting on a moderator: stage requests and raised hands.
    let waiting = move || {
        if ui.rights().room_moderator {
            ui.requests.with(Vec::len) + ui.hands.with(Vec::len)
        } else {
            0
        }
    };
    let participants = move || ui.participants.with(Vec::len);
    view! {
        <button type="button" class="cb" aria-pressed=move || ui.panels.get().participants.to_string()
            aria-keyshortcuts="P" title="Participants (P)" on:click=move |_| ui.toggle_panel(true)>
            <Icon name="people"/>
            <span class="cb-label">"Participants"</span>
            <span class="count">{participants}</span>
            <Show when=move || { waiting() > 0 }>
                <span class="count alert">{waiting}<span class="sr-only">" waiting"</span></span>
            </Show>
        </button>
        <button type="button" class="cb" aria-pressed=move || (ui.panels.get().chat && chat_tab()).to_string()
            aria-keyshortcuts="C" title="Chat (C)"
            on:click=move |_| {
                let tab = if chat_tab() { ui.chat_tab.get_untracked() } else { SidePanel::Chat(ChatChannel::Group) };
                ui.show_tab(tab);
            }>
            <Icon name="chat"/>
            <span class="cb-label">"Chat"</span>
            <Unread count=Signal::derive(unread_chat)/>
        </button>
        <button type="button" class="cb" aria-pressed=move || chat_open(SidePanel::Qna).to_string()
            title="Questions and answers" on:click=move |_| ui.show_tab(SidePanel::Qna)>
            <Icon name="qna"/>
            <span class="cb-label">"Q&A"</span>
            <Unread count=Signal::derive(unread_questions)/>
        </button>
        <button type="button" class="cb" aria-pressed=move || chat_open(SidePanel::Polls).to_string()
            title="Polls" on:click=move |_| ui.show_tab(SidePanel::Polls)>
            <Icon name="poll"/>
            <span class="cb-label">"Polls"</span>
            <Unread count=Signal::derive(unread_polls)/>
        </button>
    }
}

#[component]
fn Unread(count: Signal<usize>) -> impl IntoView {
    view! {
        <Show when=move || { count.get() > 0 }>
            <span class="count alert">{move || count.get()}<span class="sr-only">" unread"</span></span>
        </Show>
    }
}

/// Leave, red. Room moderators choose between leaving and ending the session for everyone.
#[component]
fn LeaveControl() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let moderator = move || ui.rights().room_moderator;
    view! {
        <Show when=moderator fallback=move || view! {
            <button type="button" class="cb leave" on:click=move |_| ui.act(Intent::Leave)>
                <Icon name="leave"/><span class="cb-label">"Leave"</span>
            </button>
        }>
            <Popover label=Signal::stored("Leave".to_owned()) icon="leave" button_class="leave"
                panel_label="Leave or end the session">
                <button type="button" class="menu-button" on:click=move |_| ui.act(Intent::Leave)>"Leave the room"</button>
                <button type="button" class="menu-button danger" on:click=move |_| ui.act(Intent::EndForAll)>"End session for all"</button>
            </Popover>
        </Show>
    }
}
