//! The room's recording, as participants see it: a "Recording" indicator with a red dot for
//! everyone while it runs (a live region, so screen readers announce it starting and
//! stopping), and the Start / Stop recording button for room moderators only. The server
//! decides both: the indicator follows its `recording` message, and it refuses anyone
//! else's start or stop whatever a page sends.

use leptos::prelude::*;
use protocol::{ClientMessage, RecordingStatus};

/// "Recording" with a red dot while the room is recorded; nothing otherwise. The live region
/// is always in the page: one added together with its text would not be announced.
#[component]
pub fn RecordingIndicator(
    #[prop(into)] recording: Signal<Option<RecordingStatus>>,
) -> impl IntoView {
    view! {
        <div class="recording-status" role="status" aria-live="polite">
            {move || {
                recording
                    .get()
                    .map(|status| {
                        let title = format!("Recording, started by {}", status.started_by);
                        view! {
                            <span class="recording-indicator" title=title>
                                <span class="recording-dot" aria-hidden="true"></span>
                                "Recording"
                            </span>
                        }
                    })
            }}
        </div>
    }
}

/// Start recording / Stop recording, rendered only for room moderators. `send` hands the
/// message to the room's socket; the label changes when the server says the state changed.
#[component]
pub fn RecordingButton(
    #[prop(into)] recording: Signal<Option<RecordingStatus>>,
    #[prop(into)] moderator: Signal<bool>,
    send: Callback<ClientMessage>,
) -> impl IntoView {
    let running = move || recording.with(Option::is_some);
    view! {
        <Show when=move || moderator.get()>
            <button
                type="button"
                class="cb recording-button"
                class:active=running
                on:click=move |_| {
                    send.run(if running() {
                        ClientMessage::StopRecording
                    } else {
                        ClientMessage::StartRecording
                    })
                }
            >
                <span class="recording-dot" aria-hidden="true"></span>
                <span class="cb-label">{move || if running() { "Stop recording" } else { "Start recording" }}</span>
            </button>
        </Show>
    }
}
