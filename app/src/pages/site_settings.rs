use domain::api::SiteSettings;
use leptos::prelude::*;
use leptos_meta::Title;

use super::not_found::set_response_status;
use crate::api::{load_site_settings, SaveSiteSettings};
use crate::components::{error_text, ErrorNotice, Loading, RequireSignIn, Switch};
use crate::use_session;

#[component]
pub fn SiteSettingsPage() -> impl IntoView {
    view! {
        <RequireSignIn>
            <SiteSettingsLoader/>
        </RequireSignIn>
    }
}

#[component]
fn SiteSettingsLoader() -> impl IntoView {
    let session = use_session();
    let settings = Resource::new(|| (), |_| load_site_settings());
    view! {
        <Title text="Site settings"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let admin = matches!(session.me.await, Ok(Some(me)) if me.site_admin);
                if !admin {
                    set_response_status(403);
                    return view! { <ErrorNotice message="Only site administrators can change site settings."/> }.into_any();
                }
                match settings.await {
                    Ok(settings) => view! { <SiteSettingsForm settings/> }.into_any(),
                    Err(error) => view! { <ErrorNotice message=error_text(&error)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SiteSettingsForm(settings: SiteSettings) -> impl IntoView {
    let chat_collaboration = RwSignal::new(settings.chat_collaboration);
    let qna_default = RwSignal::new(settings.qna_default);
    let save = ServerAction::<SaveSiteSettings>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveSiteSettings {
            settings: SiteSettings {
                chat_collaboration: chat_collaboration.get_untracked(),
                qna_default: qna_default.get_untracked(),
            },
        });
    };
    let outcome = move || match save.value().get() {
        Some(Ok(_)) => {
            view! { <p class="notice success" role="status">"Site settings saved."</p> }.into_any()
        }
        Some(Err(error)) => {
            view! { <ErrorNotice message=format!("Not saved: {}", error_text(&error))/> }.into_any()
        }
        None => ().into_any(),
    };
    view! {
        <form class="card site-settings" on:submit=on_submit>
            <div class="section-head">
                <h1>"Site settings"</h1>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save"</button>
            </div>
            <div aria-live="polite">{outcome}</div>
            <p><a href="/admin/lti">"LMS platforms (Moodle, Canvas)"</a></p>
            <Switch
                label="Chat and collaboration"
                checked=chat_collaboration
                description="The module media owners need to add room and chat moderators to a media entry."
            />
            <Switch
                label="Q&A on by default"
                checked=qna_default
                description="What a room's \"According to site default\" Q&A setting means."
            />
        </form>
    }
}
