use leptos::prelude::*;

/// The three-dot Actions menu of a gallery or channel page.
#[component]
pub fn ActionsMenu(items: Vec<(&'static str, String)>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="menu" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            <button
                type="button"
                class="button secondary"
                aria-haspopup="menu"
                aria-controls="actions-menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span aria-hidden="true">"⋮ "</span>
                "Actions"
            </button>
            <ul id="actions-menu" role="menu" class="menu-list" hidden=move || !open.get()>
                {items
                    .into_iter()
                    .map(|(label, href)| view! { <li role="none"><a role="menuitem" href=href>{label}</a></li> })
                    .collect_view()}
            </ul>
        </div>
    }
}
