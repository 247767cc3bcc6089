use domain::access::PrincipalKind;
use domain::api::{AddModerators, MediaRoles, Named};
use leptos::prelude::*;
use leptos_meta::Title;

use super::{load_by_id, use_text_param};
use crate::api::{load_media_roles, AddMediaModerators, RemoveMediaModerator};
use crate::components::{error_text, ErrorNotice, Loading, Menu, PrincipalPicker, RequireSignIn};

/// A media entry's edit page: Details and Roles & permissions.
#[component]
pub fn MediaEditPage() -> impl IntoView {
    view! {
        <RequireSignIn>
            <MediaEditLoader/>
        </RequireSignIn>
    }
}

#[component]
fn MediaEditLoader() -> impl IntoView {
    let tab = use_text_param("tab");
    let roles = load_by_id(load_media_roles);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let on_roles = match tab.get().as_deref() {
                    None => false,
                    Some("roles") => true,
                    Some(_) => return view! { <super::NotFound/> }.into_any(),
                };
                match roles.await {
                    Ok(Some(roles)) => view! { <MediaEditLayout roles on_roles/> }.into_any(),
                    Ok(None) => view! { <super::NotFound/> }.into_any(),
                    Err(error) => view! {
                        <Title text="No access"/>
                        <section class="card narrow">
                            <h1>"Edit media"</h1>
                            <ErrorNotice message=error_text(&error)/>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MediaEditLayout(roles: MediaRoles, on_roles: bool) -> impl IntoView {
    let base = format!("/media/{}/edit", roles.media_id);
    let roles_path = format!("{base}/roles");
    view! {
        <Title text=format!("Edit {}", roles.title)/>
        <div class="edit-layout">
            <nav class="side-nav" aria-label="Media settings">
                <a class="back" href=roles.container_path.clone()>"‹ Back"</a>
                <ul>
                    <li><a href=base aria-current=(!on_roles).then_some("page")>"Details"</a></li>
                    <li><a href=roles_path aria-current=on_roles.then_some("page")>"Roles & permissions"</a></li>
                </ul>
            </nav>
            <section class="edit-body">
                {if on_roles {
                    view! { <RolesSection roles/> }.into_any()
                } else {
                    view! {
                        <h1>{roles.title.clone()}</h1>
                        <dl class="details">
                            <dt>"Owner"</dt><dd>{roles.owner.name.clone()}</dd>
                        </dl>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

fn names(list: &[Named]) -> String {
    if list.is_empty() {
        "None".into()
    } else {
        list.iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[component]
fn RolesSection(roles: MediaRoles) -> impl IntoView {
    let media_id = roles.media_id;
    let current = RwSignal::new(roles.clone());
    let add = ServerAction::<AddMediaModerators>::new();
    let remove = ServerAction::<RemoveMediaModerator>::new();
    Effect::new(move |_| {
        if let Some(Ok(updated)) = add.value().get() {
            current.set(updated);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(updated)) = remove.value().get() {
            current.set(updated);
        }
    });
    let dialog_open = RwSignal::new(false);
    let picked = RwSignal::new(Vec::new());
    let room_moderator = RwSignal::new(true);
    let chat_moderator = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            dialog_open.set(false);
            picked.set(Vec::new());
        }
    });
    let submit_add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(AddMediaModerators {
            media_id,
            add: AddModerators {
                principals: picked.get_untracked(),
                room_moderator: room_moderator.get_untracked(),
                chat_moderator: chat_moderator.get_untracked(),
            },
        });
    };
    let add_outcome = move || match add.value().get() {
        Some(Ok(_)) => {
            view! { <p class="notice success" role="status">"Moderators added."</p> }.into_any()
        }
        _ => ().into_any(),
    };
    let add_error = move || {
        add.value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorNotice message=error_text(&e)/> })
    };
    let remove_error = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <ErrorNotice message=error_text(&e)/> })
    };
    let module_on = roles.chat_collaboration;
    view! {
        <div class="section-head">
            <h1>"Roles & permissions"</h1>
            {module_on.then(|| view! {
                <Menu label="Add users" button_style="primary" id="add-users-menu">
                    <li role="none">
                        <button type="button" role="menuitem" on:click=move |_| dialog_open.set(true)>"Moderators"</button>
                    </li>
                </Menu>
            })}
        </div>
        {(!module_on).then(|| view! {
            <p class="notice info">"Moderators need the site module \"Chat and collaboration\". A site administrator can turn it on in Site settings."</p>
        })}
        <div aria-live="polite">{add_outcome}{remove_error}</div>
        <dl class="details">
            <dt>"Owner"</dt><dd>{roles.owner.name.clone()}</dd>
            <dt>"Co-editors"</dt><dd>{names(&roles.co_editors)}</dd>
            <dt>"Co-publishers"</dt><dd>{names(&roles.co_publishers)}</dd>
        </dl>
        <h2>"Moderators"</h2>
        {move || {
            let moderators = current.get().moderators;
            if moderators.is_empty() {
                return view! { <p class="hint">"No moderators yet."</p> }.into_any();
            }
            view! {
                <table class="moderators">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Room moderator"</th><th scope="col">"Chat moderator"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>
                        {moderators.into_iter().map(|m| {
                            let principal = m.principal.reference();
                            let kind = if m.principal.kind == PrincipalKind::Group { " (group)" } else { "" };
                            let remove_label = format!("Remove {}", m.principal.name);
                            view! {
                                <tr>
                                    <td>{m.principal.name.clone()}{kind}</td>
                                    <td>{if m.room_moderator { "Yes" } else { "No" }}</td>
                                    <td>{if m.chat_moderator { "Yes" } else { "No" }}</td>
                                    <td>{module_on.then(|| view! {
                                        <button type="button" class="button secondary small" aria-label=remove_label
                                            on:click=move |_| { remove.dispatch(RemoveMediaModerator { media_id, principal }); }>"Remove"</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <div class="dialog-backdrop" hidden=move || !dialog_open.get()>
            <form role="dialog" aria-modal="true" aria-labelledby="add-moderators-title" class="dialog card" on:submit=submit_add>
                <h2 id="add-moderators-title">"Add moderators"</h2>
                <PrincipalPicker id="media-moderators" label="Selected users" input_label="Select users" selected=picked/>
                <fieldset>
                    <legend>"Select permissions"</legend>
                    <label class="check"><input type="checkbox" prop:checked=move || room_moderator.get()
                        on:change=move |ev| room_moderator.set(event_target_checked(&ev))/>" Room moderator"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || chat_moderator.get()
                        on:change=move |ev| chat_moderator.set(event_target_checked(&ev))/>" Chat moderator"</label>
                </fieldset>
                {add_error}
                <div class="dialog-actions">
                    <button type="button" class="button secondary" on:click=move |_| dialog_open.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=move || add.pending().get()>"Add"</button>
                </div>
            </form>
        </div>
    }
}
