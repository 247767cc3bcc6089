//! Stage requests and invitations, raised hands, reactions, and the room moderators' tools
//! (stage access, invitation links). What is offered follows the server's `Standing`.

use domain::api::{InvitationLink, InviteRole};
use leptos::prelude::*;
use room::{Reaction, Seat, StageAccess};

use super::icons::Icon;
use super::state::{Intent, RoomUi};
use protocol::ClientMessage;

/// Raise or lower one's hand, and ask for the stage where one may not step on directly.
#[component]
pub fn HandAndStageButtons() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let raised = move || {
        let me = ui.me.get();
        ui.hands
            .with(|hands| me.is_some_and(|me| hands.contains(&me)))
    };
    let may_request = move || {
        ui.my_seat() == Some(Seat::Viewer)
            && !ui.invited.get()
            && ui.standing.with(|s| s.is_some_and(|s| s.may_request_stage))
    };
    view! {
        <button type="button" class="cb" class:active=raised aria-keyshortcuts="H"
            title=move || if raised() { "Lower hand (H)" } else { "Raise hand (H)" }
            on:click=move |_| ui.act(Intent::Send(if raised() {
                ClientMessage::LowerHand { participant: None }
            } else {
                ClientMessage::RaiseHand
            }))>
            <Icon name="hand"/>
            <span class="cb-label">{move || if raised() { "Lower hand" } else { "Raise hand" }}</span>
        </button>
        <Show when=may_request>
            <button type="button" class="cb" on:click=move |_| ui.act(Intent::RequestStage(!ui.requested.get_untracked()))>
                <Icon name="stage"/>
                <span class="cb-label">{move || if ui.requested.get() { "Cancel stage request" } else { "Ask to join the stage" }}</span>
            </button>
        </Show>
    }
}

#[component]
pub fn InvitationPrompt() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <Show when=move || ui.invited.get() && ui.my_seat() == Some(Seat::Viewer)>
            <div class="invitation card" role="alertdialog" aria-label="Invitation to the stage">
                <p>"A moderator invited you to the stage."</p>
                <button type="button" class="primary" on:click=move |_| ui.act(Intent::AcceptInvitation)>"Join the stage"</button>
                <button type="button" on:click=move |_| ui.act(Intent::DeclineInvitation)>"Decline"</button>
            </div>
        </Show>
    }
}

#[component]
pub fn ReactionBar() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <div class="reaction-bar" role="group" aria-label="Reactions">
            {Reaction::ALL.into_iter().map(|reaction| view! {
                <button type="button" class="reaction" aria-label=reaction.label() title=reaction.label()
                    on:click=move |_| ui.act(Intent::Send(ClientMessage::React { reaction }))>
                    {reaction.emoji()}
                </button>
            }).collect_view()}
        </div>
    }
}

/// Reactions float over the stage for a few seconds.
#[component]
pub fn ReactionOverlay() -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    view! {
        <ul class="reaction-overlay" aria-label="Reactions" aria-live="polite">
            <For each=move || ui.reactions.get() key=|(key, _, _)| *key let((_, who, reaction))>
                <li class="floating" aria-label=move || format!("{} from {}", reaction.label(), ui.name_of(who))>
                    <span aria-hidden="true">{reaction.emoji()}</span>
                    <span class="who">{move || ui.name_of(who)}</span>
                </li>
            </For>
        </ul>
    }
}

/// Room moderators: how the audience gets on stage, and invitation links.
#[component]
pub fn ModeratorTools(container_id: i64) -> impl IntoView {
    let ui = expect_context::<RoomUi>();
    let access = move || {
        ui.standing
            .with(|s| s.map(|s| s.stage_access).unwrap_or_default())
    };
    let role = RwSignal::new(InviteRole::Speaker);
    let link = RwSignal::new(None::<String>);
    let create = Action::new(move |role: &InviteRole| {
        let role = *role;
        async move { crate::api::create_invitation_link(container_id, role).await }
    });
    // The room's active links, loaded once the tools show and again after each change here.
    let links = RwSignal::new(Vec::<InvitationLink>::new());
    let refresh = Action::new(move |_: &()| crate::api::list_invitation_links(container_id));
    let revoke = Action::new(move |invitation_id: &i64| {
        crate::api::revoke_invitation_link(container_id, *invitation_id)
    });
    Effect::new(move |_| {
        refresh.dispatch(());
    });
    Effect::new(move |_| match refresh.value().get() {
        Some(Ok(list)) => links.set(list),
        Some(Err(error)) => ui.notice.set(Some(crate::components::error_text(&error))),
        None => {}
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => {
            refresh.dispatch(());
        }
        Some(Err(error)) => ui.notice.set(Some(crate::components::error_text(&error))),
        None => {}
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(invitation)) => {
            link.set(Some(absolute(&invitation.path)));
            refresh.dispatch(());
        }
        Some(Err(error)) => ui.notice.set(Some(crate::components::error_text(&error))),
        None => {}
    });
    view! {
        <div class="moderator-tools" role="group" aria-label="Moderator tools">
            <label>"Stage access"
                <select on:change=move |e| {
                    if let Some(access) = StageAccess::parse(&event_target_value(&e)) {
                        ui.act(Intent::Send(ClientMessage::SetStageAccess { access }));
                    }
                }>
                    {StageAccess::ALL.into_iter().map(|option| view! {
                        <option value=option.as_str() selected=move || access() == option>{option.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Invite as"
                <select on:change=move |e| role.set(if event_target_value(&e) == "moderator" { InviteRole::Moderator } else { InviteRole::Speaker })>
                    <option value="speaker">"Speaker"</option>
                    <option value="moderator">"Moderator"</option>
                </select>
            </label>
            <button type="button" on:click=move |_| { create.dispatch(role.get_untracked()); }>"Create invitation link"</button>
            {move || link.get().map(|url| view! {
                <label>"Invitation link (valid 24 hours)"
                    <input type="text" readonly=true value=url.clone() on:focus=move |e| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                input.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = e;
                    }/>
                </label>
            })}
            <Show when=move || links.with(|links| !links.is_empty())>
                <ul class="invitation-links" aria-label="Active invitation links">
                    <For each=move || links.get() key=|link| link.id let(link)>
                        <li>
                            <span>{describe(&link)}</span>
                            <button type="button" title=format!("Revoke the {} link by {}", link.role.as_str(), link.created_by)
                                on:click=move |_| { revoke.dispatch(link.id); }>"Revoke"</button>
                        </li>
                    </For>
                </ul>
            </Show>
        </div>
    }
}

fn role_label(role: InviteRole) -> &'static str {
    match role {
        InviteRole::Speaker => "Speaker",
        InviteRole::Moderator => "Moderator",
    }
}

/// "Speaker link by Tess Teacher, 23 h left".
fn describe(link: &InvitationLink) -> String {
    let hours_left = ((link.expires_at - now_secs()).max(0) + 3599) / 3600;
    format!(
        "{} link by {}, {hours_left} h left",
        role_label(link.role),
        link.created_by
    )
}

fn now_secs() -> i64 {
    #[cfg(feature = "hydrate")]
    return (js_sys::Date::now() / 1000.0) as i64;
    #[cfg(not(feature = "hydrate"))]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The link as a person pastes it: with this site's origin.
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_owned()
}
