mod chat;
mod chrome;
mod collab;
pub mod connectivity;
mod controls;
mod icons;
pub mod layout;
mod people;
mod polls;
mod popover;
mod qna;
pub mod recording;
mod setup;
mod shortcuts;
mod stage;
pub mod state;
mod tiles;

use domain::api::RoomEntry;
use leptos::prelude::*;
use leptos_meta::Title;

use chrome::{RoomBar, SidePanels, Toasts};
use collab::InvitationPrompt;
use controls::ControlBar;
use setup::SetDevices;
use stage::Stage;
use state::{Panels, Phase, RoomUi};

use super::load_by_id;
use crate::api::load_room_entry;
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};

/// Entering a gallery's or channel's room: the server decides who may (403 otherwise), the
/// page then talks to the room over its signalling socket.
#[component]
pub fn RoomPage() -> impl IntoView {
    view! {
        <RequireSignIn>
            <RoomLoader/>
        </RequireSignIn>
    }
}

#[component]
fn RoomLoader() -> impl IntoView {
    // An invitation link's token admits its holder and is handed on to the room's socket.
    let invite = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("invite");
    let token = invite.clone();
    let entry = load_by_id(move |id| load_room_entry(id, token.clone()));
    view! {
        <Suspense fallback=Loading>
            {move || {
              let invite = invite.clone();
              Suspend::new(async move {
                match entry.await {
                    Ok(Some(entry)) => view! { <RoomView entry invite=invite.clone()/> }.into_any(),
                    Ok(None) => view! { <super::NotFound/> }.into_any(),
                    Err(error) => view! {
                        <Title text="Meeting room"/>
                        <section class="card narrow">
                            <h1>"Meeting room"</h1>
                            <ErrorNotice message=error_text(&error)/>
                            <p><a href="/">"Back to My media"</a></p>
                        </section>
                    }.into_any(),
                }
              })
            }}
        </Suspense>
    }
}

/// The live room: waiting state, Set devices, then the stage. The media client runs only in
/// the browser; the server renders the frame and "Connecting".
#[component]
fn RoomView(entry: RoomEntry, invite: Option<String>) -> impl IntoView {
    let ui = RoomUi::new(entry.container_id);
    provide_context(ui);
    #[cfg(feature = "hydrate")]
    {
        let container_id = entry.container_id;
        Effect::new(move |_| {
            if ui.client.with_value(Option::is_none) {
                let client = crate::media::Client::start(ui, container_id, invite.clone());
                ui.client
                    .set_value(Some(send_wrapper::SendWrapper::new(client)));
            }
        });
        on_cleanup(move || {
            if let Some(client) = ui.client.try_get_value().flatten() {
                client.end("You left the room.");
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = invite;
    let back = entry.back_path.clone();
    let back2 = back.clone();
    let role = match (entry.rights.room_moderator, entry.rights.chat_moderator) {
        (true, true) => "room and chat moderator",
        (true, false) => "room moderator",
        (false, true) => "chat moderator",
        (false, false) => "participant",
    };
    let title = entry.title.clone();
    let in_room = move || ui.phase.get() == Phase::InRoom;
    view! {
        <Title text=format!("{} meeting room", entry.title)/>
        <Show when=move || !in_room()>
            <nav class="breadcrumb" aria-label="Breadcrumb"><a href=back.clone()>{format!("‹ {}", entry.title)}</a></nav>
            <header class="room-header">
                <h1>{format!("{} meeting room", entry.title)}</h1>
                <p class="meta">{format!("You are entering as {role}.")}</p>
            </header>
        </Show>
        <section class="room" aria-label="Meeting room">
            {move || match ui.phase.get() {
                Phase::Connecting => view! {
                    <p class="room-status" role="status">"Connecting to the room…"</p>
                }.into_any(),
                Phase::Waiting => view! {
                    <div class="card narrow room-waiting" role="status">
                        <p>"The room opens when a moderator starts it."</p>
                        <p class="muted">"This page joins by itself as soon as it opens."</p>
                    </div>
                }.into_any(),
                Phase::SetDevices | Phase::Joining => view! { <SetDevices/> }.into_any(),
                Phase::InRoom => view! { <InRoom title=title.clone()/> }.into_any(),
                Phase::Ended(message) => view! {
                    <div class="card narrow" role="alert">
                        <p>{message}</p>
                        <p><a href=back2.clone()>"Back to the gallery"</a></p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// Joined: the room takes the whole window (the site header steps aside), like the meeting
/// tools people know: top bar, stage, side panels, control bar.
#[component]
fn InRoom(title: String) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    // Wide screens start with Participants and Chat beside the stage; narrow ones with the
    // stage alone.
    if !state::is_narrow() && ui.panels.get_untracked() == Panels::default() {
        ui.panels.set(Panels {
            participants: true,
            chat: true,
        });
    }
    // Phones in landscape: the controls fade after a few quiet seconds; a tap brings them back.
    let idle = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        if ui.live_since.get_untracked().is_none() {
            ui.live_since.set(Some(js_sys::Date::now()));
        }
        set_body_class("in-room", true);
        on_cleanup(|| set_body_class("in-room", false));
    }
    let wake = move || {
        idle.set(false);
        #[cfg(feature = "hydrate")]
        {
            let stamp = js_sys::Date::now();
            LAST_ACTIVITY.with(|last| last.set(stamp));
            set_timeout(
                move || {
                    if LAST_ACTIVITY.with(|last| last.get()) == stamp {
                        idle.try_set(true);
                    }
                },
                std::time::Duration::from_secs(4),
            );
        }
    };
    wake();
    let panels_open = move || {
        let p = ui.panels.get();
        p.participants || p.chat
    };
    view! {
        <div class="room-shell" class:panels-open=panels_open class:controls-idle=move || idle.get()
            on:pointerdown=move |_| wake() on:keydown=move |_| wake()>
            <RoomBar title/>
            <Toasts/>
            <div class="room-main">
                <div class="stage-column">
                    <InvitationPrompt/>
                    <Stage/>
                </div>
                <SidePanels/>
            </div>
            <ControlBar/>
        </div>
    }
    .into_any()
}

#[cfg(feature = "hydrate")]
thread_local! {
    static LAST_ACTIVITY: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

#[cfg(feature = "hydrate")]
fn set_body_class(class: &str, on: bool) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let list = body.class_list();
        let _ = if on {
            list.add_1(class)
        } else {
            list.remove_1(class)
        };
    }
}
