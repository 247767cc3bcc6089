//! One module per page.

mod container;
mod edit_container;
mod home;
mod login;
mod lti_platforms;
mod media_edit;
mod media_page;
mod meeting_room;
mod not_found;
pub(crate) mod room;
mod sessions;
mod site_settings;

pub use container::ContainerView;
pub use edit_container::EditContainer;
pub use home::HomePage;
pub use login::LoginPage;
pub use lti_platforms::LtiPlatformsPage;
pub use media_edit::MediaEditPage;
pub use media_page::MediaPageView;
pub use not_found::NotFound;
pub use room::RoomPage;
pub use sessions::SessionPage;
pub use site_settings::SiteSettingsPage;

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A numeric route parameter; `None` when the URL holds something else.
fn use_number_param(name: &'static str) -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get(name).and_then(|value| value.parse().ok()))
}

/// A route parameter as text (e.g. the selected tab).
fn use_text_param(name: &'static str) -> Memo<Option<String>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get(name))
}

/// Loads what the route's numeric `id` names; `Ok(None)` when the URL holds no number there
/// (the page then shows Not found).
fn load_by_id<T, Fut>(
    load: impl Fn(i64) -> Fut + Send + Sync + 'static,
) -> Resource<Result<Option<T>, ServerFnError>>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ServerFnError>> + Send + 'static,
{
    let id = use_number_param("id");
    Resource::new(
        move || id.get(),
        move |id| {
            let loading = id.map(&load);
            async move {
                match loading {
                    Some(loading) => loading.await.map(Some),
                    None => Ok(None),
                }
            }
        },
    )
}
