use domain::api::{ContainerPage, MediaEntry};
use domain::container::format_duration;
use domain::{ContainerKind, MediaStatus};
use leptos::prelude::*;
use leptos_meta::Title;

use super::load_by_id;
use crate::api::load_container_page;
use crate::components::{error_text, ActionsMenu, ErrorNotice, Loading, RequireSignIn};

/// A media gallery's or a channel's main page.
#[component]
pub fn ContainerView(kind: ContainerKind) -> impl IntoView {
    view! {
        <RequireSignIn>
            <ContainerLoader kind/>
        </RequireSignIn>
    }
}

#[component]
fn ContainerLoader(kind: ContainerKind) -> impl IntoView {
    let page = load_by_id(move |id| load_container_page(kind, id));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! { <ContainerContent page/> }.into_any(),
                    Ok(None) => view! { <super::NotFound/> }.into_any(),
                    Err(error) => view! {
                        <Title text="No access"/>
                        <section class="card narrow">
                            <h1>{kind.noun()}</h1>
                            <ErrorNotice message=error_text(&error)/>
                            <p><a href="/">"Back to My media"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Media,
    Sessions,
    Playlists,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Media, Tab::Sessions, Tab::Playlists];

    fn label(self) -> &'static str {
        match self {
            Tab::Media => "Media",
            Tab::Sessions => "Sessions",
            Tab::Playlists => "Playlists",
        }
    }
}

#[component]
fn ContainerContent(page: ContainerPage) -> impl IntoView {
    let origin = match (page.lms, &page.course_id, page.privacy) {
        (Some(lms), Some(course), _) => format!(
            "{} · {} course {}",
            page.kind.noun(),
            lms.display_name(),
            course
        ),
        (_, _, Some(privacy)) => format!("{} · {}", page.kind.noun(), privacy.as_str()),
        _ => page.kind.noun().to_string(),
    };
    let tab = RwSignal::new(Tab::Media);
    let filter = RwSignal::new(String::new());
    let actions = page
        .can_configure
        .then(|| vec![(page.kind.edit_label(), page.kind.edit_path(page.id, None))]);
    let pending = page.pending_count.filter(|n| *n > 0).map(|n| {
        let noun = if n == 1 { "item" } else { "items" };
        format!("{n} {noun} pending approval.")
    });
    let media = StoredValue::new(page.media);
    let shown = move || {
        let needle = filter.get().trim().to_lowercase();
        media.with_value(|all| {
            all.iter()
                .filter(|m| needle.is_empty() || m.title.to_lowercase().contains(&needle))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let room_path = format!("/rooms/{}", page.id);
    view! {
        <Title text=page.title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">"My media"</a></nav>
        <header class="container-header">
            <div>
                <p class="eyebrow">{origin}</p>
                <h1>{page.title.clone()}</h1>
                <p class="description">{page.description.clone()}</p>
            </div>
            {page.room_enabled.then(|| view! {
                <form method="get" action=room_path class="enter-room">
                    <button type="submit" class="button primary">"Enter Room"</button>
                    <span class="hint">{format!("{} meeting room", page.room_mode.title())}</span>
                </form>
            })}
        </header>
        {pending.map(|text| view! { <p class="notice info">{text}</p> })}
        <div class="toolbar">
            <div role="tablist" aria-label="Content" class="tabs">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button
                        type="button"
                        role="tab"
                        id=format!("tab-{}", t.label().to_lowercase())
                        aria-controls="content-panel"
                        aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)
                    >
                        {t.label()}
                    </button>
                }).collect_view()}
            </div>
            <div class="toolbar-end">
                <label class="visually-hidden" for="media-filter">"Filter media by title"</label>
                <input
                    id="media-filter"
                    type="search"
                    placeholder="Filters: search titles"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                {actions.map(|items| view! { <ActionsMenu items/> })}
            </div>
        </div>
        <section id="content-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", tab.get().label().to_lowercase())>
            {move || match tab.get() {
                Tab::Media => {
                    let items = shown();
                    if items.is_empty() {
                        view! { <p class="hint">"No media matches."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="media-list">
                                {items.into_iter().map(|entry| view! { <MediaRow entry/> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
                Tab::Sessions => view! { <p class="hint">"No scheduled sessions. The meeting room is always available while it is enabled."</p> }.into_any(),
                Tab::Playlists => view! { <p class="hint">"No playlists yet."</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MediaRow(entry: MediaEntry) -> impl IntoView {
    let initials: String = entry
        .title
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    let edit_label = format!("Edit {}", entry.title);
    view! {
        <li class="media-item">
            <div class="thumb" aria-hidden="true">
                <span class="initials">{initials}</span>
                <span class="duration">{format_duration(entry.duration_secs)}</span>
            </div>
            <div class="media-text">
                <h3>{entry.title.clone()}</h3>
                <p class="meta">{entry.owner.name.clone()}</p>
                {(entry.status == MediaStatus::Pending).then(|| view! { <span class="badge warn">"Pending approval"</span> })}
            </div>
            {entry.can_edit.then(|| view! {
                <a class="button secondary small" href=format!("/media/{}/edit", entry.id) aria-label=edit_label>"Edit"</a>
            })}
        </li>
    }
}
