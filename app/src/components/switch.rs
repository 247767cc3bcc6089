use leptos::prelude::*;

/// An on/off switch: a checkbox with the switch role, named by its visible label.
#[component]
pub fn Switch(
    #[prop(into)] label: String,
    checked: RwSignal<bool>,
    #[prop(optional, into)] description: Option<String>,
) -> impl IntoView {
    view! {
        <label class="switch">
            <input
                type="checkbox"
                role="switch"
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))
            />
            <span class="track" aria-hidden="true"></span>
            <span class="switch-text">
                <span class="switch-label">{label}</span>
                {description.map(|text| view! { <span class="hint">{text}</span> })}
            </span>
        </label>
    }
}
