//! The room's frame around the stage: the slim top bar, the side panels and the toasts.

use leptos::prelude::*;

use super::chat::ChatPanel;
use super::connectivity::QualityLevel;
use super::icons::Icon;
use super::people::Participants;
use super::recording::RecordingIndicator;
use super::state::{RoomUi, SidePanel};

/// Title, time in the room and how many are here.
#[component]
pub fn RoomBar(title: String) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let now = RwSignal::new(0.0_f64);
    #[cfg(feature = "hydrate")]
    {
        now.set(js_sys::Date::now());
        if let Ok(handle) = set_interval_with_handle(
            move || {
                now.try_set(js_sys::Date::now());
            },
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    let elapsed = move || {
        ui.live_since
            .get()
            .map(|since| clock(((now.get() - since) / 1000.0).max(0.0) as u64))
            .unwrap_or_default()
    };
    let people = move || {
        let n = ui.participants.with(Vec::len);
        if n == 1 {
            "1 person".to_owned()
        } else {
            format!("{n} people")
        }
    };
    view! {
        <header class="room-bar">
            <h1>{format!("{title} meeting room")}</h1>
            <span class="live-dot" aria-hidden="true"></span>
            <span class="room-timer" role="timer" aria-label="Time in the room">{elapsed}</span>
            <span class="room-count"><Icon name="people"/>{people}</span>
            <span class="room-bar-end">
                <RecordingIndicator recording=ui.recording/>
                {move || ui.overall_quality.get().map(|q| view! {
                    <span class="link-quality bar" class:fair=q.level == QualityLevel::Fair class:poor=q.level == QualityLevel::Poor
                        title=q.describe()>
                        <Icon name="signal"/><span class="quality-text">{q.describe()}</span>
                    </span>
                })}
            </span>
        </header>
    }
    .into_any()
}

/// "mm:ss", or "h:mm:ss" past the hour.
pub fn clock(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// Participants and the chat column (Chat, Backchannel, Q&A, Polls). What is shown counts as
/// read.
#[component]
pub fn SidePanels() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    Effect::new(move |_| {
        if !ui.panels.get().chat {
            return;
        }
        match ui.chat_tab.get() {
            SidePanel::Chat(_) => {
                let n = ui.chat.with(Vec::len);
                ui.seen.update(|s| s.chat = n);
            }
            SidePanel::Qna => {
                let n = ui.questions.with(Vec::len);
                ui.seen.update(|s| s.questions = n);
            }
            SidePanel::Polls => {
                let n = ui.polls.with(Vec::len);
                ui.seen.update(|s| s.polls = n);
            }
        }
    });
    let open = move || {
        let p = ui.panels.get();
        p.participants || p.chat
    };
    view! {
        <Show when=open>
            <div class="side-panels">
                <Show when=move || ui.panels.get().participants>
                    <div class="panel">
                        <button type="button" class="panel-close" aria-label="Close participants"
                            on:click=move |_| ui.panels.update(|p| p.participants = false)><Icon name="close"/></button>
                        <Participants/>
                    </div>
                </Show>
                <Show when=move || ui.panels.get().chat>
                    <div class="panel">
                        <button type="button" class="panel-close" aria-label="Close chat"
                            on:click=move |_| ui.panels.update(|p| p.chat = false)><Icon name="close"/></button>
                        <ChatPanel/>
                    </div>
                </Show>
            </div>
        </Show>
    }
    .into_any()
}

/// Errors and refusals (an alert, until dismissed) and short notes about what happened
/// (polite, gone after a few seconds). Placed under the top bar, never over the controls.
#[component]
pub fn Toasts() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <div class="toasts">
            {move || ui.notice.get().map(|notice| view! {
                <p class="toast error" role="alert">{notice}
                    <button type="button" class="link" on:click=move |_| ui.notice.set(None)>"Dismiss"</button>
                </p>
            })}
            <ul class="toast-list" role="status" aria-live="polite" aria-label="Room events">
                <For each=move || ui.toasts.get() key=|t| t.id let(toast)>
                    <li class="toast">{toast.text}</li>
                </For>
            </ul>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::clock;

    #[test]
    fn clock_reads_like_a_timer() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(75), "01:15");
        assert_eq!(clock(3725), "1:02:05");
    }
}
