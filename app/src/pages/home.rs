use domain::api::ContainerSummary;
use domain::{ContainerKind, ContainerRole};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::list_containers;
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <RequireSignIn>
            <MyMedia/>
        </RequireSignIn>
    }
}

#[component]
fn MyMedia() -> impl IntoView {
    let containers = Resource::new(|| (), |_| list_containers());
    view! {
        <Title text="My media"/>
        <h1>"My media"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match containers.await {
                    Ok(list) => {
                        let (channels, galleries): (Vec<_>, Vec<_>) =
                            list.into_iter().partition(|c| c.kind == ContainerKind::Channel);
                        view! {
                            <ContainerGrid heading="My Channels" empty="You are not in any channel yet." items=channels/>
                            <ContainerGrid heading="Media galleries" empty="None of your courses has a media gallery yet." items=galleries/>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ContainerGrid(
    heading: &'static str,
    empty: &'static str,
    items: Vec<ContainerSummary>,
) -> impl IntoView {
    let body = if items.is_empty() {
        view! { <p class="hint">{empty}</p> }.into_any()
    } else {
        view! {
            <ul class="card-grid">
                {items.into_iter().map(|item| view! { <ContainerCard item/> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="home-section" aria-label=heading>
            <h2>{heading}</h2>
            {body}
        </section>
    }
}

#[component]
fn ContainerCard(item: ContainerSummary) -> impl IntoView {
    let origin = match item.lms {
        Some(lms) => format!("{} course", lms.display_name()),
        None => "Channel".to_string(),
    };
    let role = match item.my_role {
        ContainerRole::Manager => "Manager",
        ContainerRole::Member => "Member",
    };
    view! {
        <li class="card container-card">
            <a href=item.path.clone()>
                <h3>{item.title.clone()}</h3>
            </a>
            <p class="meta">{origin}" · "{role}</p>
            {item.room_enabled.then(|| view! { <span class="badge live">"Meeting room"</span> })}
        </li>
    }
}
