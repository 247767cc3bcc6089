//! One tile of the stage: a remote camera or screen, or one's own small self-view. Tiles are
//! placed by the stage's layout (absolute rectangles), so people joining and leaving move
//! tiles smoothly instead of reflowing the page.

use leptos::html;
use leptos::prelude::*;
use protocol::Source;
use room::ParticipantId;

use super::connectivity::QualityLevel;
use super::icons::Icon;
use super::layout::Rect;
use super::state::{Intent, RoomUi};

/// Inline style placing a tile at `rect` inside the stage.
fn place(rect: Option<Rect>) -> String {
    match rect {
        Some(r) => format!(
            "transform: translate({:.0}px, {:.0}px); width: {:.0}px; height: {:.0}px;",
            r.x, r.y, r.w, r.h
        ),
        // Not measured yet (server render, first frame): out of the way, no jump later.
        None => "visibility: hidden;".to_owned(),
    }
}

/// One's own camera. Alone on stage it is the stage (`rect`); with others it floats small in
/// a corner and takes no stage slot.
#[component]
pub fn SelfView(rect: Signal<Option<Rect>>) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let video = NodeRef::<html::Video>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        ui.preview_changed.track();
        let (Some(element), Some(client)) = (video.get(), ui.client.get_value()) else {
            return;
        };
        element.set_src_object(client.local_stream().as_ref());
    });
    let name = move || {
        let me = ui.me.get();
        ui.participants
            .with(|people| {
                people
                    .iter()
                    .find(|p| Some(p.id) == me)
                    .map(|p| p.name.clone())
            })
            .unwrap_or_default()
    };
    let floating = move || rect.get().is_none();
    let speaking = move || {
        let me = ui.me.get();
        ui.speakers
            .with(|s| me.is_some() && s.first() == me.as_ref())
    };
    view! {
        <li class="tile local" class:floating=floating class:speaking=speaking
            style=move || if floating() { String::new() } else { place(rect.get()) }
            aria-label=move || format!("{} (you)", name())>
            <video node_ref=video class="mirrored" autoplay=true muted=true playsinline=true
                class:hidden=move || !ui.media.get().camera></video>
            <Show when=move || !ui.media.get().camera>
                <span class="avatar" aria-hidden="true">{move || initials(&name())}</span>
            </Show>
            <span class="tile-name">
                <Show when=move || !ui.media.get().mic><Icon name="mic-off" label="muted"/></Show>
                {move || format!("{} (you)", name())}
            </span>
        </li>
    }
}

#[component]
pub fn RemoteTile(
    participant: ParticipantId,
    source: Source,
    rect: Signal<Option<Rect>>,
) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let video = NodeRef::<html::Video>::new();
    let person = move || {
        ui.participants
            .with(|people| people.iter().find(|p| p.id == participant).cloned())
    };
    let name = move || person().map(|p| p.name).unwrap_or_default();
    let showing = move || {
        person().is_some_and(|p| match source {
            Source::Screen => p.media.screen,
            _ => p.media.camera,
        })
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| attach_track(ui, video, participant, source));
    let speaking = move || ui.speakers.with(|s| s.first() == Some(&participant));
    let pinned = move || ui.pinned.get() == Some(participant);
    let muted = move || source != Source::Screen && person().is_some_and(|p| !p.media.mic);
    let label = move || match source {
        Source::Screen => format!("{}'s screen", name()),
        _ => name(),
    };
    view! {
        <li class="tile" class:speaking=speaking class:pinned=pinned class:screen=source == Source::Screen
            style=move || place(rect.get())
            aria-label=label data-participant=participant.0.to_string()>
            <video node_ref=video autoplay=true playsinline=true muted=true class:hidden=move || !showing()></video>
            <Show when=move || !showing()>
                <span class="avatar" aria-hidden="true">{move || initials(&name())}</span>
            </Show>
            <span class="tile-name">
                <Show when=muted><Icon name="mic-off" label="muted"/></Show>
                {label}
            </span>
            <LinkIcon participant source/>
            <button type="button" class="pin" aria-pressed=move || pinned().to_string()
                on:click=move |_| ui.act(Intent::Pin(if pinned() { None } else { Some(participant) }))>
                {move || if pinned() { "Unpin" } else { "Pin" }}
            </button>
        </li>
    }
}

/// Amber or red when this tile's video arrives badly (loss, round trip, frame rate), with a
/// tooltip that says why; nothing while it is fine.
#[component]
fn LinkIcon(participant: ParticipantId, source: Source) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let quality = move || {
        let mid = ui.video_slots.with(|slots| {
            slots
                .iter()
                .find(|s| s.participant == participant && s.source == source)
                .map(|s| s.mid.clone())
        })?;
        ui.link_quality
            .with(|q| q.iter().find(|(m, _)| *m == mid).map(|(_, q)| q.clone()))
            .filter(|q| q.level != QualityLevel::Good)
    };
    view! {
        {move || quality().map(|q| view! {
            <span class="link-quality" class:poor=q.level == QualityLevel::Poor title=q.describe()>
                <Icon name="signal"/><span class="sr-only">{q.describe()}</span>
            </span>
        })}
    }
}

/// Puts the participant's received track into the tile's video element when its slot changes.
#[cfg(feature = "hydrate")]
fn attach_track(
    ui: RoomUi,
    video: NodeRef<html::Video>,
    participant: ParticipantId,
    source: Source,
) {
    use wasm_bindgen::JsCast;
    ui.tracks_changed.track();
    let mid = ui.video_slots.with(|slots| {
        slots
            .iter()
            .find(|s| s.participant == participant && s.source == source)
            .map(|s| s.mid.clone())
    });
    let (Some(element), Some(client)) = (video.get(), ui.client.get_value()) else {
        return;
    };
    let track = mid.and_then(|mid| client.remote_track(&mid));
    let current = element
        .src_object()
        .and_then(|s| s.dyn_into::<web_sys::MediaStream>().ok())
        .and_then(|s| {
            s.get_video_tracks()
                .get(0)
                .dyn_into::<web_sys::MediaStreamTrack>()
                .ok()
        });
    // Compared as objects: a rebuilt receiving connection brings new track objects, whatever
    // ids they carry.
    match track {
        Some(track) if current.as_ref() != Some(&track) => {
            let stream = web_sys::MediaStream::new().expect("MediaStream constructor");
            stream.add_track(&track);
            element.set_src_object(Some(&stream));
        }
        Some(_) => {}
        None => element.set_src_object(None),
    }
}

pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}
