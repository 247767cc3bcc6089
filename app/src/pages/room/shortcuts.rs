//! Keyboard shortcuts of the room (M mic, V camera, S share, H hand, C chat, P participants,
//! ? the list). Ignored while typing and with modifier keys, so they never eat text or the
//! browser's own shortcuts.
// The listener exists only in the browser build.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;
use protocol::ClientMessage;
use room::{ChatChannel, Seat};

use super::state::{Intent, RoomUi, SidePanel};

/// What a key does; `None` for keys that are not shortcuts.
pub fn action_for(key: &str) -> Option<Shortcut> {
    Some(match key {
        "m" | "M" => Shortcut::Mic,
        "v" | "V" => Shortcut::Camera,
        "s" | "S" => Shortcut::Screen,
        "h" | "H" => Shortcut::Hand,
        "c" | "C" => Shortcut::Chat,
        "p" | "P" => Shortcut::Participants,
        "?" => Shortcut::Help,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    Mic,
    Camera,
    Screen,
    Hand,
    Chat,
    Participants,
    Help,
}

/// The list shown by `?`.
pub const LIST: [(&str, &str); 7] = [
    ("M", "Mute or unmute the microphone"),
    ("V", "Start or stop the camera"),
    ("S", "Share the screen or stop sharing"),
    ("H", "Raise or lower your hand"),
    ("C", "Open or close the chat"),
    ("P", "Open or close the participants"),
    ("?", "Show this list"),
];

pub fn perform(ui: RoomUi, shortcut: Shortcut, help: RwSignal<bool>) {
    let me = ui.me.get_untracked();
    let on_stage = ui.participants.with_untracked(|people| {
        people
            .iter()
            .any(|p| Some(p.id) == me && p.seat == Seat::Stage)
    });
    match shortcut {
        Shortcut::Mic if on_stage => ui.act(Intent::ToggleMic),
        Shortcut::Camera if on_stage => ui.act(Intent::ToggleCamera),
        Shortcut::Screen if on_stage => ui.act(Intent::ToggleScreen),
        Shortcut::Hand => {
            let me = ui.me.get_untracked();
            let raised = ui
                .hands
                .with_untracked(|h| me.is_some_and(|me| h.contains(&me)));
            ui.act(Intent::Send(if raised {
                ClientMessage::LowerHand { participant: None }
            } else {
                ClientMessage::RaiseHand
            }));
        }
        Shortcut::Chat => ui.show_tab(SidePanel::Chat(ChatChannel::Group)),
        Shortcut::Participants => ui.toggle_panel(true),
        Shortcut::Help => help.update(|open| *open = !*open),
        _ => {}
    }
}

/// Listens on the window while the room is shown.
#[cfg(feature = "hydrate")]
pub fn listen(ui: RoomUi, help: RwSignal<bool>) {
    use wasm_bindgen::JsCast;
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.closest("[contenteditable]").ok().flatten().is_some()
            });
        if typing {
            return;
        }
        if let Some(shortcut) = action_for(&ev.key()) {
            ev.prevent_default();
            perform(ui, shortcut, help);
        }
    });
    on_cleanup(move || handle.remove());
}

/// The `?` list, as a dialog.
#[component]
pub fn ShortcutHelp(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <div class="shortcut-help card" role="dialog" aria-modal="false" aria-labelledby="shortcut-title"
                on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                <h2 id="shortcut-title">"Keyboard shortcuts"</h2>
                <dl>
                    {LIST.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
                </dl>
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_either_case_and_nothing_else() {
        assert_eq!(action_for("m"), Some(Shortcut::Mic));
        assert_eq!(action_for("M"), Some(Shortcut::Mic));
        assert_eq!(action_for("?"), Some(Shortcut::Help));
        assert_eq!(action_for("x"), None);
        assert_eq!(action_for("Enter"), None);
    }
}
