//! Inside the room: the stage grid (paged, active speaker highlighted), the controls and the
//! participants list.

use leptos::html;
use leptos::prelude::*;
use room::{ParticipantId, Seat};

use super::chat::ChatPanel;
use super::collab::{
    HandAndStageButtons, InvitationPrompt, ModeratorTools, ReactionBar, ReactionOverlay,
};
use super::people::Participants;
use super::state::{stage_tiles, Intent, RoomUi};
use protocol::{Quality, Source, Tile};

#[component]
pub fn Stage() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let per_page = move || {
        ui.info
            .with(|i| {
                i.as_ref()
                    .map(|i| i.mode.limits().max_visible_cameras as usize)
            })
            .unwrap_or(25)
    };
    let layout = Memo::new(move |_| {
        let me = ui.me.get();
        ui.participants.with(|people| {
            ui.speakers.with(|speakers| {
                stage_tiles(
                    people,
                    me,
                    speakers,
                    ui.pinned.get(),
                    per_page(),
                    ui.page.get(),
                )
            })
        })
    });
    // Ask the SFU for the videos this page shows, at a layer that fits the tile size.
    Effect::new(move |_| {
        let (shown, _) = layout.get();
        let sending: Vec<(ParticipantId, Source)> = ui.participants.with(|people| {
            shown
                .into_iter()
                .filter(|(id, source)| {
                    people.iter().any(|p| {
                        p.id == *id
                            && match source {
                                Source::Screen => p.media.screen,
                                _ => p.media.camera,
                            }
                    })
                })
                .collect()
        });
        let count = sending.len();
        let pinned = ui.pinned.get();
        let tiles: Vec<Tile> = sending
            .into_iter()
            .map(|(participant, source)| Tile {
                participant,
                source,
                quality: match count {
                    _ if Some(participant) == pinned || source == Source::Screen => Quality::High,
                    0..=2 => Quality::High,
                    3..=6 => Quality::Medium,
                    _ => Quality::Low,
                },
            })
            .collect();
        #[cfg(feature = "hydrate")]
        if let Some(client) = ui.client.get_value() {
            client.show_tiles(tiles);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = tiles;
    });
    let on_stage = move || ui.my_seat() == Some(Seat::Stage);
    view! {
        <div class="room-live">
            <div class="stage-area">
                {move || ui.notice.get().map(|notice| view! {
                    <p class="notice error" role="alert">{notice}
                        <button type="button" class="link" on:click=move |_| ui.notice.set(None)>"Dismiss"</button>
                    </p>
                })}
                <InvitationPrompt/>
                <div class="stage-frame">
                    <ReactionOverlay/>
                    <ul class="stage-grid" aria-label="Stage">
                        <Show when=on_stage>
                            <LocalTile/>
                        </Show>
                        <For each=move || layout.get().0 key=|tile| *tile let((participant, source))>
                            <RemoteTile participant source/>
                        </For>
                    </ul>
                </div>
                <Show when=move || { layout.get().1 > 1 }>
                    <nav class="pager" aria-label="Stage pages">
                        <button type="button" disabled=move || ui.page.get() == 0
                            on:click=move |_| ui.act(Intent::Page(ui.page.get_untracked().saturating_sub(1)))>"Previous"</button>
                        <span>{move || format!("Page {} of {}", ui.page.get().min(layout.get().1 - 1) + 1, layout.get().1)}</span>
                        <button type="button" disabled=move || ui.page.get() + 1 >= layout.get().1
                            on:click=move |_| ui.act(Intent::Page(ui.page.get_untracked() + 1))>"Next"</button>
                    </nav>
                </Show>
                <Controls/>
            </div>
            <div class="room-side">
                <Participants/>
                <ChatPanel/>
            </div>
        </div>
    }
}

#[component]
fn LocalTile() -> impl IntoView {
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
    view! {
        <li class="tile local" aria-label=move || format!("{} (you)", name())>
            <video node_ref=video class="mirrored" autoplay=true muted=true playsinline=true
                class:hidden=move || !ui.media.get().camera></video>
            <Show when=move || !ui.media.get().camera>
                <span class="avatar" aria-hidden="true">{move || initials(&name())}</span>
            </Show>
            <span class="tile-name">{move || format!("{} (you)", name())}{move || (!ui.media.get().mic).then_some(" · muted")}</span>
        </li>
    }
}

#[component]
fn RemoteTile(participant: ParticipantId, source: Source) -> impl IntoView {
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
    Effect::new(move |_| {
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
        // Compared as objects: a rebuilt receiving connection brings new track objects,
        // whatever ids they carry.
        match track {
            Some(track) if current.as_ref() != Some(&track) => {
                let stream = web_sys::MediaStream::new().expect("MediaStream constructor");
                stream.add_track(&track);
                element.set_src_object(Some(&stream));
            }
            Some(_) => {}
            None => element.set_src_object(None),
        }
    });
    let speaking = move || ui.speakers.with(|s| s.first() == Some(&participant));
    let pinned = move || ui.pinned.get() == Some(participant);
    let label = move || match source {
        Source::Screen => format!("{}'s screen", name()),
        _ => name(),
    };
    view! {
        <li class="tile" class:speaking=speaking class:pinned=pinned class:screen=source == Source::Screen
            aria-label=label data-participant=participant.0.to_string()>
            <video node_ref=video autoplay=true playsinline=true muted=true class:hidden=move || !showing()></video>
            <Show when=move || !showing()>
                <span class="avatar" aria-hidden="true">{move || initials(&name())}</span>
            </Show>
            <span class="tile-name">{label}{move || person().is_some_and(|p| !p.media.mic).then_some(" · muted")}</span>
            <button type="button" class="pin" aria-pressed=move || pinned().to_string()
                on:click=move |_| ui.act(Intent::Pin(if pinned() { None } else { Some(participant) }))>
                {move || if pinned() { "Unpin" } else { "Pin" }}
            </button>
        </li>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

#[component]
fn Controls() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let on_stage = move || ui.my_seat() == Some(Seat::Stage);
    let moderator = move || {
        ui.info
            .with(|i| i.as_ref().is_some_and(|i| i.rights.room_moderator))
    };
    let may_stage = move || {
        ui.info
            .with(|i| i.as_ref().is_some_and(|i| i.may_take_stage))
    };
    view! {
        <div class="controls" role="toolbar" aria-label="Room controls">
            <Show when=on_stage>
                <button type="button" aria-pressed=move || ui.media.get().mic.to_string()
                    on:click=move |_| ui.act(Intent::ToggleMic)>
                    {move || if ui.media.get().mic { "Mute" } else { "Unmute" }}
                </button>
                <button type="button" aria-pressed=move || ui.media.get().camera.to_string()
                    on:click=move |_| ui.act(Intent::ToggleCamera)>
                    {move || if ui.media.get().camera { "Stop camera" } else { "Start camera" }}
                </button>
                <button type="button" aria-pressed=move || ui.media.get().screen.to_string()
                    on:click=move |_| ui.act(Intent::ToggleScreen)>
                    {move || if ui.media.get().screen { "Stop sharing" } else { "Share screen" }}
                </button>
            </Show>
            <Show when=move || !on_stage() && may_stage()>
                <button type="button" on:click=move |_| ui.act(Intent::SetSeat(Seat::Stage))>"Join stage"</button>
            </Show>
            <Show when=on_stage>
                <button type="button" on:click=move |_| ui.act(Intent::SetSeat(Seat::Viewer))>"Leave stage"</button>
            </Show>
            <HandAndStageButtons/>
            <ReactionBar/>
            <button type="button" class="danger-outline" on:click=move |_| ui.act(Intent::Leave)>"Leave"</button>
            <Show when=moderator>
                <button type="button" class="danger" on:click=move |_| ui.act(Intent::EndForAll)>"End session for all"</button>
            </Show>
        </div>
        <Show when=moderator>
            <ModeratorTools container_id=ui.container_id/>
        </Show>
    }
}
