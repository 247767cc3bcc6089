use domain::api::RoomEntry;
use leptos::prelude::*;
use leptos_meta::Title;

use super::load_by_id;
use crate::api::load_room_entry;
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};

/// Entering a gallery's or channel's room. Audio and video arrive with the SFU; this page
/// already shows who enters with which rights, decided by the server.
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
    let entry = load_by_id(load_room_entry);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match entry.await {
                    Ok(Some(entry)) => view! { <RoomLobby entry/> }.into_any(),
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
            })}
        </Suspense>
    }
}

#[component]
fn RoomLobby(entry: RoomEntry) -> impl IntoView {
    let limits = entry.mode.limits();
    let role = match (entry.rights.room_moderator, entry.rights.chat_moderator) {
        (true, true) => "room and chat moderator",
        (true, false) => "room moderator",
        (false, true) => "chat moderator",
        (false, false) => "participant",
    };
    view! {
        <Title text=format!("{} meeting room", entry.title)/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href=entry.back_path.clone()>{format!("‹ {}", entry.title)}</a></nav>
        <section class="card room-lobby">
            <h1>{format!("{} meeting room", entry.title)}</h1>
            <p>{format!("You are entering as {role}.")}</p>
            <ul class="facts">
                <li>{format!("{} mode: up to {} participants, {} cameras shown at once", entry.mode.title(), limits.max_participants, limits.max_visible_cameras)}</li>
                <li>{if entry.qna_enabled { "Q&A is on" } else { "Q&A is off" }}</li>
                <li>{if entry.group_chat { "Group chat is on" } else { "Group chat is off" }}</li>
                {entry.rights.backchannel().then(|| view! { <li>"You can use the moderators' backchannel"</li> })}
            </ul>
            <p class="notice info">"Camera, microphone and the live stage open here once audio and video are switched on for this site."</p>
        </section>
    }
}
