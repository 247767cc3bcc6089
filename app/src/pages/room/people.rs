//! The Participants list: who is on stage and who watches, live.

use leptos::prelude::*;
use room::{Participant, Seat};

use super::state::RoomUi;

#[component]
pub fn Participants() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let section = move |seat: Seat| {
        ui.participants.with(|people| {
            people
                .iter()
                .filter(|p| p.seat == seat)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <aside class="participants" aria-label="Participants">
            <h2>{move || format!("Participants ({})", ui.participants.with(Vec::len))}</h2>
            <PeopleSection title="Stage" people=Signal::derive(move || section(Seat::Stage))/>
            <PeopleSection title="Viewers" people=Signal::derive(move || section(Seat::Viewer))/>
        </aside>
    }
}

#[component]
fn PeopleSection(title: &'static str, people: Signal<Vec<Participant>>) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <section aria-label=title>
            <h3>{move || format!("{title} ({})", people.with(Vec::len))}</h3>
            <ul>
                <For each=move || people.get() key=|p| (p.id, p.media, p.seat) let(person)>
                    <li>
                        <span class="person-name">{person.name.clone()}</span>
                        {(ui.me.get_untracked() == Some(person.id)).then_some(" (you)")}
                        {person.rights.room_moderator.then(|| view! { <span class="badge">"Moderator"</span> })}
                        {(person.seat == Seat::Stage).then(|| view! {
                            <span class="media-state">
                                {if person.media.mic { "mic on" } else { "mic off" }}
                                " · "
                                {if person.media.camera { "camera on" } else { "camera off" }}
                            </span>
                        })}
                    </li>
                </For>
            </ul>
        </section>
    }
}
