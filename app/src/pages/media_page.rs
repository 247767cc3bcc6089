//! A media entry's page (`/media/{id}`): what it is, who made it, and for recordings a player.
//! The server decides who may see it (outsiders get 403/404 on the page and on the file alike).

use domain::container::format_duration;
use domain::media::{format_utc, MediaKind, MediaPage};
use leptos::prelude::*;
use leptos_meta::Title;

use super::load_by_id;
use crate::api::load_media_page;
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};

#[component]
pub fn MediaPageView() -> impl IntoView {
    view! {
        <RequireSignIn>
            <MediaLoader/>
        </RequireSignIn>
    }
}

#[component]
fn MediaLoader() -> impl IntoView {
    let page = load_by_id(load_media_page);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! { <MediaContent page/> }.into_any(),
                    Ok(None) => view! { <super::NotFound/> }.into_any(),
                    Err(error) => view! {
                        <Title text="No access"/>
                        <section class="card narrow">
                            <h1>"Media"</h1>
                            <ErrorNotice message=error_text(&error)/>
                            <p><a href="/">"Back to My media"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MediaContent(page: MediaPage) -> impl IntoView {
    let facts = match page.kind {
        MediaKind::Room => format!("Meeting room · owner {}", page.owner.name),
        MediaKind::Video => format!(
            "{} · {} · {}",
            page.owner.name,
            format_utc(page.created_at),
            format_duration(page.duration_secs)
        ),
    };
    let player_label = format!("Play {}", page.title);
    let body = match (&page.file_url, page.recording, page.kind) {
        (Some(file), _, _) => view! {
            // Native controls: seek bar, duration, fullscreen and keyboard operation.
            <video
                class="player"
                style="display:block;width:100%;max-width:960px;background:#000;border-radius:8px"
                controls=true
                preload="metadata"
                src=file.clone()
                poster=page.thumbnail_url.clone()
                aria-label=player_label
            >
                <a href=file.clone()>"Download the recording"</a>
            </video>
        }
        .into_any(),
        (None, Some(status), _) => view! {
            <p class="notice info" role="status">
                {format!("{}: the recording plays here once it is ready.", status.label())}
            </p>
        }
        .into_any(),
        (None, None, MediaKind::Room) => match page.room_path.clone() {
            Some(path) => view! {
                <form method="get" action=path class="enter-room">
                    <button type="submit" class="button primary">"Enter Room"</button>
                </form>
            }
            .into_any(),
            None => view! { <p class="hint">"The meeting room is switched off."</p> }.into_any(),
        },
        (None, None, MediaKind::Video) => {
            view! { <p class="hint">"This media has no playable file here."</p> }.into_any()
        }
    };
    let recovered = page
        .recording
        .filter(|s| *s == domain::media::RecordingStatus::Recovered);
    let edit = page.can_edit.then(|| {
        let label = format!("Edit {}", page.title);
        view! { <a class="button secondary small" href=format!("/media/{}/edit", page.id) aria-label=label>"Edit"</a> }
    });
    view! {
        <Title text=page.title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href="/">"My media"</a>" › "<a href=page.container_path.clone()>{page.container_title.clone()}</a>
        </nav>
        <article class="media-page">
            <header class="container-header">
                <div>
                    <h1>{page.title.clone()}</h1>
                    <p class="meta">{facts}</p>
                    {recovered.map(|s| view! { <span class="badge warn">{s.label()}</span> })}
                </div>
                {edit}
            </header>
            {body}
        </article>
    }
}
