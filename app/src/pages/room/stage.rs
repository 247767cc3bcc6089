//! The stage: it fills what the top bar, the control bar and the open panels leave, measures
//! itself, and places the tiles with the pure [`layout`](super::layout) function. Each tile
//! asks the SFU for the layer its size on screen needs.

use leptos::html;
use leptos::prelude::*;
use protocol::{Quality, Source, Tile};
use room::{ParticipantId, Seat};

use super::collab::ReactionOverlay;
use super::layout::{layout, strip_capacity, Rect, StageView};
use super::state::{stage_tiles, Intent, RoomUi};
use super::tiles::{RemoteTile, SelfView};

type TileKey = (ParticipantId, Source);

#[component]
pub fn Stage() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let frame = NodeRef::<html::Div>::new();
    let size = RwSignal::new((0.0_f64, 0.0_f64));
    #[cfg(feature = "hydrate")]
    observe_size(frame, size);
    let mode_limit = move || {
        ui.info
            .with(|i| {
                i.as_ref()
                    .map(|i| i.mode.limits().max_visible_cameras as usize)
            })
            .unwrap_or(25)
            .clamp(1, 25)
    };
    let shares_screen = move || {
        ui.participants.with(|people| {
            people
                .iter()
                .any(|p| p.seat == Seat::Stage && p.media.screen && Some(p.id) != ui.me.get())
        })
    };
    // A speaker view (chosen, or forced by a screen share or a pin) shows one large tile and
    // as many in the strip as stay recognisable.
    let featuring =
        move || ui.view.get() == StageView::Speaker || shares_screen() || ui.pinned.get().is_some();
    let per_page = move || {
        if featuring() {
            let (w, h) = size.get();
            (1 + strip_capacity(w, h)).min(mode_limit())
        } else {
            mode_limit()
        }
    };
    let tiles = Memo::new(move |_| {
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
    let rects = Memo::new(move |_| {
        let (shown, _) = tiles.get();
        let (w, h) = size.get();
        let featured = featuring()
            .then(|| {
                shown
                    .iter()
                    .position(|(_, s)| *s == Source::Screen)
                    .unwrap_or(0)
            })
            .filter(|_| !shown.is_empty());
        let placed = layout(w, h, shown.len(), featured);
        shown
            .into_iter()
            .zip(placed)
            .collect::<Vec<(TileKey, Rect)>>()
    });
    request_layers(ui, rects);
    let on_stage = move || ui.my_seat() == Some(Seat::Stage);
    let alone = move || tiles.with(|(shown, _)| shown.is_empty());
    let self_rect = Signal::derive(move || {
        let (w, h) = size.get();
        alone()
            .then(|| layout(w, h, 1, None).first().copied())
            .flatten()
    });
    let pages = move || tiles.with(|(_, pages)| *pages);
    view! {
        <div class="stage" node_ref=frame>
            <ReactionOverlay/>
            <ul class="stage-tiles" aria-label="Stage">
                <For each=move || tiles.get().0 key=|tile| *tile let((participant, source))>
                    <RemoteTile participant source rect=Signal::derive(move || {
                        rects.with(|r| r.iter().find(|(k, _)| *k == (participant, source)).map(|(_, rect)| *rect))
                    })/>
                </For>
                <Show when=on_stage>
                    <SelfView rect=self_rect/>
                </Show>
            </ul>
            <Show when=move || alone() && !on_stage()>
                <p class="stage-empty">"Nobody is on stage yet."</p>
            </Show>
            <Show when=move || { pages() > 1 }>
                <nav class="pager" aria-label="Stage pages">
                    <button type="button" disabled=move || ui.page.get() == 0
                        on:click=move |_| ui.act(Intent::Page(ui.page.get_untracked().saturating_sub(1)))>"Previous"</button>
                    <span>{move || format!("Page {} of {}", ui.page.get().min(pages() - 1) + 1, pages())}</span>
                    <button type="button" disabled=move || ui.page.get() + 1 >= pages()
                        on:click=move |_| ui.act(Intent::Page(ui.page.get_untracked() + 1))>"Next"</button>
                </nav>
            </Show>
        </div>
    }
    .into_any()
}

/// The layer a tile needs, by its height in device pixels: the SFU's layers are about full,
/// half and quarter of the published size.
pub fn quality_for(tile_height_css: f64, pixel_ratio: f64) -> Quality {
    let device_px = tile_height_css * pixel_ratio.max(1.0);
    if device_px >= 300.0 {
        Quality::High
    } else if device_px >= 150.0 {
        Quality::Medium
    } else {
        Quality::Low
    }
}

/// Tells the SFU what this page shows and at which layer, whenever that changes (not on every
/// pixel of a resize: the request only changes when a tile crosses a layer's threshold).
fn request_layers(ui: RoomUi, rects: Memo<Vec<(TileKey, Rect)>>) {
    let pixel_ratio = {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window().map_or(1.0, |w| w.device_pixel_ratio())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            1.0
        }
    };
    let wanted = Memo::new(move |_| {
        let sending = |(participant, source): &TileKey| {
            ui.participants.with(|people| {
                people.iter().any(|p| {
                    p.id == *participant
                        && match source {
                            Source::Screen => p.media.screen,
                            _ => p.media.camera,
                        }
                })
            })
        };
        rects.with(|rects| {
            rects
                .iter()
                .filter(|(key, _)| sending(key))
                .map(|((participant, source), rect)| Tile {
                    participant: *participant,
                    source: *source,
                    // A screen is read, not glanced at: always its sharpest layer.
                    quality: if *source == Source::Screen {
                        Quality::High
                    } else {
                        quality_for(rect.h, pixel_ratio)
                    },
                })
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let tiles = wanted.get();
        #[cfg(feature = "hydrate")]
        if let Some(client) = ui.client.get_value() {
            client.show_tiles(tiles);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = tiles;
    });
}

/// Keeps `size` equal to the element's inner size, through window resizes and panels opening.
#[cfg(feature = "hydrate")]
fn observe_size(frame: NodeRef<html::Div>, size: RwSignal<(f64, f64)>) {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    type Observer = (web_sys::ResizeObserver, Closure<dyn FnMut()>);
    // Held outside the reactive owner, so the cleanup still finds it while the owner goes.
    let observer: Rc<RefCell<Option<Observer>>> = Rc::default();
    let held = send_wrapper::SendWrapper::new(observer.clone());
    Effect::new(move |_| {
        let Some(element) = frame.get() else { return };
        let measured = element.clone();
        // The observer can fire once more while the stage is being removed: `try_` keeps a
        // disposed signal from panicking.
        let callback = Closure::<dyn FnMut()>::new(move || {
            let next = (
                f64::from(measured.client_width()),
                f64::from(measured.client_height()),
            );
            if size.try_get_untracked().is_some_and(|now| now != next) {
                size.try_set(next);
            }
        });
        let Ok(resize) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) else {
            return;
        };
        resize.observe(&element);
        size.set((
            f64::from(element.client_width()),
            f64::from(element.client_height()),
        ));
        if let Some((old, _)) = held.borrow_mut().replace((resize, callback)) {
            old.disconnect();
        }
    });
    let cleanup = send_wrapper::SendWrapper::new(observer);
    on_cleanup(move || {
        if let Some((resize, _)) = cleanup.borrow_mut().take() {
            resize.disconnect();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_follow_pixels_not_tile_counts() {
        assert_eq!(quality_for(577.0, 1.0), Quality::High);
        assert_eq!(quality_for(200.0, 1.0), Quality::Medium);
        assert_eq!(quality_for(200.0, 2.0), Quality::High, "a retina screen");
        assert_eq!(quality_for(90.0, 1.0), Quality::Low);
    }
}
