#![recursion_limit = "512"]
//! The Leptos app: server-rendered, then hydrated in the browser.

pub mod api;
pub mod components;
mod lazy_pages;
#[cfg(feature = "hydrate")]
pub mod media;
pub mod pages;
pub use protocol;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

use crate::api::{get_me, Login, Logout};
use crate::components::TopBar;
use crate::lazy_pages::*;
use crate::pages::*;
use domain::api::Me;
use domain::ContainerKind;

pub const PRODUCT_NAME: &str = "Gallery Rooms";

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, refreshed whenever someone signs in or out.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, ServerFnError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let me = Resource::new(
        move || (login.version().get(), logout.version().get()),
        |_| get_me(),
    );
    provide_context(Session { me, login, logout });

    let gallery = || view! { <ContainerView kind=ContainerKind::Gallery/> };
    let channel = || view! { <ContainerView kind=ContainerKind::Channel/> };
    view! {
        <Title formatter=|title: String| if title.is_empty() { PRODUCT_NAME.to_string() } else { format!("{title} · {PRODUCT_NAME}") }/>
        <Router>
            <TopBar/>
            <main id="main">
                // Async: data is loaded before the first byte, so a refusal sets the HTTP status.
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/galleries/:id") view=gallery ssr=SsrMode::Async/>
                    <Route path=path!("/galleries/:id/configure") view={Lazy::<ConfigureGalleryRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/galleries/:id/configure/:tab") view={Lazy::<ConfigureGalleryRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/channels/:id") view=channel ssr=SsrMode::Async/>
                    <Route path=path!("/channels/:id/manage") view={Lazy::<ManageChannelRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/channels/:id/manage/:tab") view={Lazy::<ManageChannelRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/rooms/:id") view={Lazy::<RoomRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/media/:id") view={Lazy::<MediaRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/media/:id/edit") view={Lazy::<MediaEditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/galleries/:id/sessions/:session") view={Lazy::<GallerySessionRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/channels/:id/sessions/:session") view={Lazy::<ChannelSessionRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/media/:id/edit/:tab") view={Lazy::<MediaEditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/settings") view={Lazy::<SiteSettingsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/lti") view={Lazy::<LtiPlatformsRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Where to go after signing in: only paths on this site, never another origin.
pub fn local_path_or_home(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_never_redirects_off_site() {
        assert_eq!(local_path_or_home(Some("/galleries/1")), "/galleries/1");
        assert_eq!(local_path_or_home(Some("//evil.example")), "/");
        assert_eq!(local_path_or_home(Some("https://evil.example")), "/");
        assert_eq!(local_path_or_home(Some("/\\evil.example")), "/");
        assert_eq!(local_path_or_home(None), "/");
    }
}
