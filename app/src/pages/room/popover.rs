//! A button that shows a small panel above it (device choosers, reactions, the Leave and
//! Moderate menus). A disclosure, not an ARIA menu: its items stay ordinary buttons and
//! fields. It closes on Escape (focus back on the button) and when focus leaves it.

use leptos::html;
use leptos::prelude::*;

use super::icons::Icon;

#[component]
pub fn Popover(
    /// The button's visible text (its accessible name unless `aria_label` is given).
    label: Signal<String>,
    icon: &'static str,
    /// For icon-only buttons such as a device chooser's chevron.
    #[prop(optional)]
    aria_label: Option<&'static str>,
    #[prop(optional)] title: Option<&'static str>,
    #[prop(optional)] button_class: &'static str,
    /// Names the panel for assistive technology.
    panel_label: &'static str,
    /// Set to `false` by items that act and should close the panel.
    #[prop(optional)]
    open: Option<RwSignal<bool>>,
    children: ChildrenFn,
) -> impl IntoView {
    let open = open.unwrap_or_else(|| RwSignal::new(false));
    let root = NodeRef::<html::Div>::new();
    let button = NodeRef::<html::Button>::new();
    let close_on_focus_out = move |ev: leptos::ev::FocusEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let next = ev
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
            // Also sent when the focused item goes with the room (End session for all),
            // after these signals are disposed.
            let inside = match (root.try_get_untracked().flatten(), next) {
                (Some(root), Some(next)) => root.contains(Some(&next)),
                _ => false,
            };
            if !inside {
                open.try_set(false);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let icon_only = aria_label.is_some();
    view! {
        <div class="popover" node_ref=root on:focusout=close_on_focus_out
            on:keydown=move |ev| {
                if ev.key() == "Escape" && open.try_get_untracked() == Some(true) {
                    open.set(false);
                    if let Some(button) = button.try_get_untracked().flatten() {
                        let _ = button.focus();
                    }
                }
            }>
            <button type="button" node_ref=button class=format!("cb {button_class}") title=title
                aria-label=aria_label aria-expanded=move || open.try_get().unwrap_or(false).to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                <Icon name=icon/>
                {(!icon_only).then(|| view! { <span class="cb-label">{move || label.get()}</span> })}
            </button>
            <div class="popover-panel" role="group" aria-label=panel_label hidden=move || !open.try_get().unwrap_or(false)>
                {children()}
            </div>
        </div>
    }
}
