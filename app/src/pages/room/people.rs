//! The Participants list: who is on stage and who watches, their roles and raised hands, live;
//! room moderators answer stage requests and act on people from here.

use leptos::prelude::*;
use room::{Moderation, Participant, Seat};

use super::state::{Intent, RoomUi};
use protocol::ClientMessage;

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
    let moderator = move || ui.rights().room_moderator;
    view! {
        <aside class="participants" aria-label="Participants">
            <h2>{move || format!("Participants ({})", ui.participants.with(Vec::len))}</h2>
            <Show when=move || moderator() && !ui.requests.with(Vec::is_empty)>
                <StageRequests/>
            </Show>
            <Show when=move || moderator() && !ui.hands.with(Vec::is_empty)>
                <RaisedHands/>
            </Show>
            <PeopleSection title="Stage" people=Signal::derive(move || section(Seat::Stage))/>
            <PeopleSection title="Viewers" people=Signal::derive(move || section(Seat::Viewer))/>
        </aside>
    }
}

#[component]
fn StageRequests() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let answer = move |participant, approve| {
        ui.act(Intent::Send(ClientMessage::AnswerStageRequest {
            participant,
            approve,
        }))
    };
    view! {
        <section aria-label="Requests to join the stage">
            <h3>"Requests to join the stage"</h3>
            <ol>
                <For each=move || ui.requests.get() key=|id| *id let(id)>
                    <li>
                        <span class="person-name">{move || ui.name_of(id)}</span>
                        <button type="button" aria-label=move || format!("Approve {}", ui.name_of(id))
                            on:click=move |_| answer(id, true)>"Approve"</button>
                        <button type="button" aria-label=move || format!("Decline {}", ui.name_of(id))
                            on:click=move |_| answer(id, false)>"Decline"</button>
                    </li>
                </For>
            </ol>
        </section>
    }
}

#[component]
fn RaisedHands() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <section aria-label="Raised hands">
            <h3>{move || format!("Raised hands ({})", ui.hands.with(Vec::len))}</h3>
            <ol>
                <For each=move || ui.hands.get() key=|id| *id let(id)>
                    <li>
                        <span class="person-name">{move || ui.name_of(id)}</span>
                        <Show when=move || ui.participants.with(|people| people.iter().any(|p| p.id == id && p.seat == Seat::Viewer))>
                            <button type="button" aria-label=move || format!("Invite {} to the stage", ui.name_of(id))
                                on:click=move |_| ui.act(Intent::Send(ClientMessage::InviteToStage { participant: id }))>"Invite to stage"</button>
                        </Show>
                        <button type="button" aria-label=move || format!("Lower {}'s hand", ui.name_of(id))
                            on:click=move |_| ui.act(Intent::Send(ClientMessage::LowerHand { participant: Some(id) }))>"Lower hand"</button>
                    </li>
                </For>
            </ol>
        </section>
    }
}

#[component]
fn PeopleSection(title: &'static str, people: Signal<Vec<Participant>>) -> impl IntoView {
    view! {
        <section aria-label=title>
            <h3>{move || format!("{title} ({})", people.with(Vec::len))}</h3>
            <ul>
                <For each=move || people.get() key=|p| (p.id, p.media, p.seat, p.rights) let(person)>
                    <Person person/>
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Person(person: Participant) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let id = person.id;
    let me = ui.me.get_untracked() == Some(id);
    let hand = move || {
        ui.hands
            .with(|hands| hands.iter().position(|h| *h == id))
            .map(|i| format!("✋ hand raised (#{})", i + 1))
    };
    let moderate = move |action: Moderation| {
        ui.act(Intent::Send(ClientMessage::Moderate {
            participant: id,
            action,
        }))
    };
    let name = person.name.clone();
    let act_label = move |verb: &str| format!("{verb} {name}");
    let may_moderate = move || ui.rights().room_moderator && !me;
    let on_stage = person.seat == Seat::Stage;
    let target_is_moderator = person.rights.room_moderator;
    view! {
        <li aria-label=person.name.clone()>
            <span class="person-name">{person.name.clone()}</span>
            {me.then_some(" (you)")}
            {person.rights.room_moderator.then(|| view! { <span class="badge">"Moderator"</span> })}
            {(!person.rights.room_moderator && person.rights.chat_moderator).then(|| view! { <span class="badge">"Chat moderator"</span> })}
            {move || hand().map(|text| view! { <span class="badge hand">{text}</span> })}
            {on_stage.then(|| view! {
                <span class="media-state">
                    {if person.media.mic { "mic on" } else { "mic off" }}
                    " · "
                    {if person.media.camera { "camera on" } else { "camera off" }}
                </span>
            })}
            <Show when=may_moderate>
                <span class="person-actions">
                    {(!on_stage).then(|| view! {
                        <button type="button" class="link" aria-label=act_label("Invite to the stage:")
                            on:click=move |_| ui.act(Intent::Send(ClientMessage::InviteToStage { participant: id }))>"Invite to stage"</button>
                    })}
                    {(on_stage && person.media.mic).then(|| view! {
                        <button type="button" class="link" aria-label=act_label("Mute") on:click=move |_| moderate(Moderation::MuteMic)>"Mute"</button>
                    })}
                    {(on_stage && person.media.camera).then(|| view! {
                        <button type="button" class="link" aria-label=act_label("Stop the camera of") on:click=move |_| moderate(Moderation::StopCamera)>"Stop camera"</button>
                    })}
                    {on_stage.then(|| view! {
                        <button type="button" class="link" aria-label=act_label("Remove from the stage:") on:click=move |_| moderate(Moderation::RemoveFromStage)>"Remove from stage"</button>
                    })}
                    {(!target_is_moderator).then(|| view! {
                        <button type="button" class="link danger-text" aria-label=act_label("Remove from the room:") on:click=move |_| moderate(Moderation::RemoveFromRoom)>"Remove from room"</button>
                    })}
                </span>
            </Show>
        </li>
    }
}
