use domain::access::PrincipalKind;
use domain::api::Principal;
use leptos::prelude::*;

use crate::api::search_principals;
use crate::components::error_text;

fn kind_label(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "User",
        PrincipalKind::Group => "Group",
    }
}

/// Picks users and groups with an autosuggest list (a WAI-ARIA combobox); the picked ones
/// are listed as removable chips.
#[component]
pub fn PrincipalPicker(
    /// Names the list, e.g. "Room moderators".
    #[prop(into)]
    label: String,
    /// Names the search field, e.g. "Add room moderators".
    #[prop(into)]
    input_label: String,
    /// Unique on the page; prefixes the element ids.
    id: &'static str,
    selected: RwSignal<Vec<Principal>>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    // Filled from the input event only (never while rendering on the server), so no page
    // waits on it; a ticket drops answers to searches the user has already typed past.
    let suggestions = RwSignal::new(Vec::<Principal>::new());
    let search_error = RwSignal::new(None::<String>);
    let latest_search = StoredValue::new(0u64);
    let search = move |text: String| {
        let ticket = latest_search.get_value() + 1;
        latest_search.set_value(ticket);
        if text.trim().is_empty() {
            suggestions.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let outcome = search_principals(text).await;
            if latest_search.get_value() != ticket {
                return;
            }
            match outcome {
                Ok(found) => {
                    search_error.set(None);
                    suggestions.set(found);
                }
                Err(error) => search_error.set(Some(error_text(&error))),
            }
        });
    };
    let options = move || {
        let picked = selected.get();
        suggestions
            .get()
            .into_iter()
            .filter(|p| !picked.iter().any(|s| s.kind == p.kind && s.id == p.id))
            .collect::<Vec<_>>()
    };
    let choose = move |principal: Principal| {
        selected.update(|list| list.push(principal));
        query.set(String::new());
        suggestions.set(Vec::new());
        open.set(false);
        active.set(0);
    };
    let listbox_id = format!("{id}-options");
    let input_id = format!("{id}-search");
    let option_id = move |index: usize| format!("{id}-option-{index}");
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = options().len();
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|i| *i = (*i + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                active.update(|i| *i = (*i + count - 1) % count);
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(principal) = options().get(active.get()).cloned() {
                    choose(principal);
                }
            }
            "Escape" => open.set(false),
            _ => {}
        }
    };
    let list_label = label.clone();
    view! {
        <div class="picker">
            <ul class="chips" aria-label=list_label>
                <For
                    each=move || selected.get()
                    key=|p| (p.kind, p.id)
                    children=move |principal: Principal| {
                        let (kind, pid) = (principal.kind, principal.id);
                        let remove_label = format!("Remove {}", principal.name);
                        view! {
                            <li class="chip">
                                <span>{principal.name.clone()}</span>
                                <span class="kind">{kind_label(kind)}</span>
                                <button
                                    type="button"
                                    class="chip-remove"
                                    aria-label=remove_label
                                    on:click=move |_| selected.update(|list| list.retain(|p| !(p.kind == kind && p.id == pid)))
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <label class="visually-hidden" for=input_id.clone()>{input_label.clone()}</label>
            <input
                id=input_id
                type="search"
                role="combobox"
                autocomplete="off"
                placeholder=format!("{input_label} ▾")
                aria-autocomplete="list"
                aria-controls=listbox_id.clone()
                aria-expanded=move || (open.get() && !options().is_empty()).to_string()
                aria-activedescendant=move || (open.get() && !options().is_empty()).then(|| option_id(active.get()))
                prop:value=move || query.get()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    query.set(text.clone());
                    open.set(true);
                    active.set(0);
                    search(text);
                }
                on:keydown=on_keydown
                on:blur=move |_| open.set(false)
                on:focus=move |_| open.set(true)
            />
            {move || search_error.get().map(|message| view! { <p class="notice error" role="alert">{message}</p> })}
            <ul
                id=listbox_id
                role="listbox"
                class="options"
                aria-label=format!("Suggestions for {label}")
                hidden=move || !open.get() || options().is_empty()
            >
                {move || {
                    options()
                        .into_iter()
                        .enumerate()
                        .map(|(index, principal)| {
                            let chosen = principal.clone();
                            view! {
                                <li
                                    id=option_id(index)
                                    role="option"
                                    aria-selected=move || (active.get() == index).to_string()
                                    // mousedown, not click: it lands before the field's blur closes the list.
                                    on:mousedown=move |ev| {
                                        ev.prevent_default();
                                        choose(chosen.clone());
                                    }
                                >
                                    <span>{principal.name.clone()}</span>
                                    <span class="kind">{kind_label(principal.kind)}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
