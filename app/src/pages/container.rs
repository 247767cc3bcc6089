//! A gallery's or channel's page: the room's Enter Room, the Media tab (the room entry, media
//! and recordings with their status) and the Sessions tab. The lists follow the server's
//! change events (`/api/containers/{id}/events`): what appears or changes status shows up
//! without a reload by hand.

use domain::api::{ContainerPage, MediaEntry};
use domain::container::format_duration;
use domain::media::{MediaKind, RecordingStatus};
use domain::{ContainerKind, MediaStatus};
use leptos::prelude::*;
use leptos_meta::Title;

use super::load_by_id;
use super::sessions::SessionsPanel;
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
    let media = RwSignal::new(page.media);
    let room_enabled = RwSignal::new(page.room_enabled);
    // Moves on every change event: the Sessions tab reloads with it.
    let version = RwSignal::new(0u32);
    follow_changes(page.kind, page.id, media, room_enabled, version);
    let (kind, id) = (page.kind, page.id);
    let shown = move || {
        let needle = filter.get().trim().to_lowercase();
        media.with(|all| {
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
            {move || room_enabled.get().then(|| view! {
                <form method="get" action=room_path.clone() class="enter-room">
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
                                {items.into_iter().map(|entry| view! { <MediaRow entry container_id=id room_enabled/> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }
                Tab::Sessions => view! { <SessionsPanel container_id=id kind version=version.into()/> }.into_any(),
                Tab::Playlists => view! { <p class="hint">"No playlists yet."</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MediaRow(entry: MediaEntry, container_id: i64, room_enabled: RwSignal<bool>) -> impl IntoView {
    let initials: String = entry
        .title
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    let edit_label = format!("Edit {}", entry.title);
    let is_room = entry.kind == MediaKind::Room;
    // The room entry opens the room (while it is on); everything else its media page.
    let href = move || {
        if is_room {
            room_enabled.get().then(|| format!("/rooms/{container_id}"))
        } else {
            Some(format!("/media/{}", entry.id))
        }
    };
    let thumbnail = entry
        .thumbnail_url
        .clone()
        .filter(|_| entry.recording.is_none_or(RecordingStatus::playable));
    let title = entry.title.clone();
    view! {
        <li class="media-item">
            <div class="thumb" aria-hidden="true">
                {match thumbnail {
                    Some(src) => view! { <img src=src alt="" loading="lazy" style="width:100%;height:100%;object-fit:cover;border-radius:6px"/> }.into_any(),
                    None => view! { <span class="initials">{initials}</span> }.into_any(),
                }}
                {(!is_room).then(|| view! { <span class="duration">{format_duration(entry.duration_secs)}</span> })}
            </div>
            <div class="media-text">
                <h3>{move || match href() {
                    Some(href) => view! { <a href=href>{title.clone()}</a> }.into_any(),
                    None => view! { <span>{title.clone()}</span> }.into_any(),
                }}</h3>
                <p class="meta">{entry.owner.name.clone()}</p>
                {is_room.then(|| view! {
                    <span class="badge live">"Meeting room"</span>
                    {move || (!room_enabled.get()).then(|| view! { " "<span class="hint">"Switched off"</span> })}
                })}
                {entry.recording.map(|status| {
                    let class = if status.playable() && status != RecordingStatus::Recovered { "badge" } else { "badge warn" };
                    view! { <span class=class role="status">{status.label()}</span> }
                })}
                {(entry.status == MediaStatus::Pending).then(|| view! { <span class="badge warn">"Pending approval"</span> })}
            </div>
            {entry.can_edit.then(|| view! {
                <a class="button secondary small" href=format!("/media/{}/edit", entry.id) aria-label=edit_label>"Edit"</a>
            })}
        </li>
    }
}

/// Listens to the page's change events (in the browser only) and refetches the page's lists
/// on each, and once when listening starts (changes made while the page loaded count too).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn follow_changes(
    kind: ContainerKind,
    id: i64,
    media: RwSignal<Vec<MediaEntry>>,
    room_enabled: RwSignal<bool>,
    version: RwSignal<u32>,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let refresh = move || {
            leptos::task::spawn_local(async move {
                // A failed refetch leaves the list as it was; the next event tries again.
                if let Ok(page) = load_container_page(kind, id).await {
                    media.set(page.media);
                    room_enabled.set(page.room_enabled);
                    version.update(|v| *v += 1);
                }
            });
        };
        let listener = events::listen(&format!("/api/containers/{id}/events"), refresh);
        let listener = send_wrapper::SendWrapper::new(listener);
        on_cleanup(move || drop(listener.take()));
    });
}

#[cfg(feature = "hydrate")]
mod events {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    type Callback = Closure<dyn FnMut(web_sys::Event)>;

    /// The page's event stream: open while the tab is visible (each stream holds one of the
    /// few connections a browser keeps per site, so hidden tabs give theirs back), closed
    /// when dropped. The browser reconnects an open one by itself; reopening refetches.
    pub struct Listener {
        source: Rc<RefCell<Option<web_sys::EventSource>>>,
        _on_event: Rc<Callback>,
        on_visibility: Callback,
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            if let Some(source) = self.source.borrow_mut().take() {
                source.close();
            }
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                let _ = document.remove_event_listener_with_callback(
                    "visibilitychange",
                    self.on_visibility.as_ref().unchecked_ref(),
                );
            }
        }
    }

    fn open(url: &str, on_event: &Callback) -> Option<web_sys::EventSource> {
        let source = web_sys::EventSource::new(url).ok()?;
        for name in ["ready", "changed"] {
            source
                .add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref())
                .ok()?;
        }
        Some(source)
    }

    pub fn listen(url: &str, on_event: impl Fn() + 'static) -> Option<Listener> {
        let document = web_sys::window()?.document()?;
        let on_event: Rc<Callback> = Rc::new(Closure::new(move |_| on_event()));
        let source = Rc::new(RefCell::new(open(url, &on_event)));
        let on_visibility = {
            let (source, on_event, url) = (source.clone(), on_event.clone(), url.to_owned());
            let document = document.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                let mut current = source.borrow_mut();
                if document.hidden() {
                    if let Some(open) = current.take() {
                        open.close();
                    }
                } else if current.is_none() {
                    *current = open(&url, &on_event);
                }
            })
        };
        document
            .add_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            )
            .ok()?;
        Some(Listener {
            source,
            _on_event: on_event,
            on_visibility,
        })
    }
}
