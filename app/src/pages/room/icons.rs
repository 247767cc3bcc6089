//! The room's icons: small inline SVGs drawn with `currentColor`, so they follow the button's
//! colour and need no download. Decorative unless given a label.

use leptos::prelude::*;

/// Path data on a 24x24 grid, stroked.
fn paths(name: &str) -> &'static [&'static str] {
    match name {
        "mic" => &[
            "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z",
            "M5 11a7 7 0 0 0 14 0M12 18v3",
        ],
        "mic-off" => &[
            "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z",
            "M5 11a7 7 0 0 0 14 0M12 18v3M3 3l18 18",
        ],
        "camera" => &["M3 7h12v10H3z", "M15 10l6-3v10l-6-3"],
        "camera-off" => &["M3 7h12v10H3z", "M15 10l6-3v10l-6-3M2 3l20 18"],
        "screen" => &["M3 4h18v12H3z", "M8 20h8M12 16v4M9 10l3-3 3 3M12 7v6"],
        "hand" => &[
            "M8 13V5a1.5 1.5 0 0 1 3 0v6M11 11V4a1.5 1.5 0 0 1 3 0v7M14 11V5a1.5 1.5 0 0 1 3 0v8",
            "M8 13l-1.5-2a1.5 1.5 0 0 0-2.5 1.7L8 19a5 5 0 0 0 4 2h1a4 4 0 0 0 4-4v-4",
        ],
        "smile" => &[
            "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
            "M8 14a5 5 0 0 0 8 0M9 9h.01M15 9h.01",
        ],
        "people" => &[
            "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2 20a7 7 0 0 1 14 0",
            "M16 4a3.5 3.5 0 0 1 0 7M18 14a6 6 0 0 1 4 6",
        ],
        "chat" => &["M4 5h16v11H9l-5 4z"],
        "qna" => &[
            "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z",
            "M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17h.01",
        ],
        "poll" => &["M5 20V10M12 20V4M19 20v-7"],
        "gallery" => &["M3 4h8v7H3zM13 4h8v7h-8zM3 13h8v7H3zM13 13h8v7h-8z"],
        "speaker" => &["M3 4h18v11H3z", "M4 18h4v2H4zM10 18h4v2h-4zM16 18h4v2h-4z"],
        "leave" => &["M10 4H5v16h5", "M14 8l4 4-4 4M18 12H9"],
        "shield" => &[
            "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z",
            "M9 12l2 2 4-4",
        ],
        "stage" => &["M4 5h16v10H4z", "M12 15v3M8 21l4-3 4 3"],
        "chevron" => &["M6 9l6 6 6-6"],
        "close" => &["M6 6l12 12M18 6L6 18"],
        "keyboard" => &[
            "M2 6h20v12H2z",
            "M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10",
        ],
        "signal" => &["M4 20v-3M9 20v-7M14 20v-11M19 20V4"],
        _ => &[],
    }
}

#[component]
pub fn Icon(
    name: &'static str,
    /// Words for screen readers when the icon says something the text around it does not.
    #[prop(optional)]
    label: Option<&'static str>,
) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor"
            stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            {paths(name).iter().map(|d| view! { <path d=*d/> }).collect_view()}
        </svg>
        {label.map(|label| view! { <span class="sr-only">{label}</span> })}
    }
}
