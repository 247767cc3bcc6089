use leptos::ev::FocusEvent;
use leptos::html::Div;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// A `focusout` handler that closes a menu once focus leaves `root` (a click elsewhere, Tab
/// past the last item), as people expect of a menu. Chromium also sends `focusout` when the
/// focused item is removed with the page it was on (a menu item that navigates), after the
/// menu's signals are gone: hence the `try_` reads. For the same reason the button's and the
/// list's attributes read `open` with `try_get`: the close on an item's click queues their
/// updates, and a navigating item disposes the menu before they run.
fn close_when_focus_leaves(root: NodeRef<Div>, open: RwSignal<bool>) -> impl Fn(FocusEvent) + Copy {
    move |ev: FocusEvent| {
        let next = ev
            .related_target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Node>().ok());
        let stays_inside = match (root.try_get_untracked().flatten(), next) {
            (Some(root), Some(next)) => root.contains(Some(&next)),
            _ => false,
        };
        if !stays_inside {
            open.try_set(false);
        }
    }
}

/// A button that opens a menu of `children` (`<li role="none">` items holding a
/// `role="menuitem"`). It closes on Escape, when focus leaves it, and when an item is chosen.
#[component]
pub fn Menu(
    /// The button's text.
    label: &'static str,
    /// Shown before the label, hidden from assistive technology (e.g. "⋮").
    #[prop(optional)]
    icon: Option<&'static str>,
    /// `primary` or `secondary`.
    button_style: &'static str,
    /// Unique on the page.
    id: &'static str,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let root = NodeRef::<Div>::new();
    view! {
        <div
            class="menu"
            node_ref=root
            on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }
            on:focusout=close_when_focus_leaves(root, open)
        >
            <button
                type="button"
                class=format!("button {button_style}")
                aria-haspopup="menu"
                aria-controls=id
                aria-expanded=move || open.try_get().unwrap_or(false).to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {icon.map(|icon| view! { <span aria-hidden="true">{icon}" "</span> })}
                {label}
            </button>
            <ul id=id role="menu" class="menu-list" hidden=move || !open.try_get().unwrap_or(false) on:click=move |_| open.set(false)>
                {children()}
            </ul>
        </div>
    }
}

/// The three-dot Actions menu of a gallery or channel page.
#[component]
pub fn ActionsMenu(items: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <Menu label="Actions" icon="⋮" button_style="secondary" id="actions-menu">
            {items
                .into_iter()
                .map(|(label, href)| view! { <li role="none"><a role="menuitem" href=href>{label}</a></li> })
                .collect_view()}
        </Menu>
    }
}
