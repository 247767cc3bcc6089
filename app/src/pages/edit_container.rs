use domain::api::ContainerPage;
use domain::ContainerKind;
use leptos::prelude::*;
use leptos_meta::Title;

use super::meeting_room::MeetingRoomForm;
use super::not_found::set_response_status;
use super::{load_by_id, use_number_param, use_text_param};
use crate::api::{load_container_page, load_room_settings};
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn};
use domain::api::RoomSettings;

const MEETING_ROOM: &str = "meeting-room";

/// The sections of Configure (gallery) / Manage content (channel), in the vendor's order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Details,
    Branding,
    SettingsLayout,
    ManageContent,
    ContentModeration,
    Player,
    MeetingRoom,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Details,
        Section::Branding,
        Section::SettingsLayout,
        Section::ManageContent,
        Section::ContentModeration,
        Section::Player,
        Section::MeetingRoom,
    ];

    fn slug(self) -> &'static str {
        match self {
            Section::Details => "details",
            Section::Branding => "branding",
            Section::SettingsLayout => "settings",
            Section::ManageContent => "content",
            Section::ContentModeration => "moderation",
            Section::Player => "player",
            Section::MeetingRoom => MEETING_ROOM,
        }
    }

    fn label(self, kind: ContainerKind) -> String {
        match self {
            Section::Details => "Details".into(),
            Section::Branding => "Branding".into(),
            Section::SettingsLayout => "Settings & layout".into(),
            Section::ManageContent => "Manage content".into(),
            Section::ContentModeration => "Content moderation".into(),
            Section::Player => format!("{} player", kind.noun()),
            Section::MeetingRoom => "Meeting room".into(),
        }
    }

    fn from_slug(slug: Option<&str>) -> Option<Section> {
        match slug {
            None => Some(Section::Details),
            Some(slug) => Section::ALL.into_iter().find(|s| s.slug() == slug),
        }
    }
}

/// The edit page of a gallery or channel: a left navigation and the chosen section.
#[component]
pub fn EditContainer(kind: ContainerKind) -> impl IntoView {
    view! {
        <RequireSignIn>
            <EditLoader kind/>
        </RequireSignIn>
    }
}

#[component]
fn EditLoader(kind: ContainerKind) -> impl IntoView {
    let id = use_number_param("id");
    let tab = use_text_param("tab");
    let page = load_by_id(move |id| load_container_page(kind, id));
    // Created here, beside `page`: made inside the section's own <Suspense> (two levels
    // down), the server's data did not reach hydration and the page never hydrated.
    let room = Resource::new(
        move || (id.get(), tab.get()),
        |(id, tab)| async move {
            match (id, tab.as_deref()) {
                (Some(id), Some(MEETING_ROOM)) => Some(load_room_settings(id).await),
                _ => None,
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let section = Section::from_slug(tab.get().as_deref());
                let room = room.await;
                match (page.await, section) {
                    (Ok(Some(page)), Some(section)) if page.can_configure => view! { <EditLayout page section room/> }.into_any(),
                    (Ok(Some(page)), Some(_)) => {
                        set_response_status(403);
                        view! {
                            <Title text="No access"/>
                            <section class="card narrow">
                                <h1>{page.title.clone()}</h1>
                                <ErrorNotice message=format!("Only managers of this {} can change its settings.", kind.noun().to_lowercase())/>
                                <p><a href=kind.page_path(page.id)>{format!("Back to {}", page.title)}</a></p>
                            </section>
                        }.into_any()
                    }
                    (Ok(_), _) => view! { <super::NotFound/> }.into_any(),
                    (Err(error), _) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditLayout(
    page: ContainerPage,
    section: Section,
    room: Option<Result<RoomSettings, ServerFnError>>,
) -> impl IntoView {
    let kind = page.kind;
    let id = page.id;
    let nav = Section::ALL
        .into_iter()
        .map(|s| {
            let current = (s == section).then_some("page");
            view! { <li><a href=kind.edit_path(id, Some(s.slug())) aria-current=current>{s.label(kind)}</a></li> }
        })
        .collect_view();
    let body = match section {
        Section::MeetingRoom => match room {
            Some(Ok(settings)) => view! { <MeetingRoomForm container_id=id kind privacy=page.privacy settings/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
            None => view! { <Loading/> }.into_any(),
        },
        Section::Details => view! { <DetailsSection page=page.clone()/> }.into_any(),
        other => view! {
            <h1>{other.label(kind)}</h1>
            <p class="hint">"These settings belong to the media platform and are unchanged by meeting rooms."</p>
        }
        .into_any(),
    };
    view! {
        <Title text=format!("{} · {}", section.label(kind), page.title)/>
        <div class="edit-layout">
            <nav class="side-nav" aria-label=format!("{} settings", kind.noun())>
                <a class="back" href=kind.page_path(id)>{format!("‹ {}", kind.noun())}</a>
                <ul>{nav}</ul>
            </nav>
            <section class="edit-body">{body}</section>
        </div>
    }
}

#[component]
fn DetailsSection(page: ContainerPage) -> impl IntoView {
    let origin = match (page.lms, page.course_id.clone(), page.privacy) {
        (Some(lms), Some(course), _) => format!("{} course {}", lms.display_name(), course),
        (_, _, Some(privacy)) => format!("Privacy: {}", privacy.as_str()),
        _ => String::new(),
    };
    view! {
        <h1>{page.title.clone()}</h1>
        <dl class="details">
            <dt>"Type"</dt><dd>{page.kind.noun()}</dd>
            <dt>"Linked to"</dt><dd>{origin}</dd>
            <dt>"Description"</dt><dd>{page.description.clone()}</dd>
        </dl>
    }
}
