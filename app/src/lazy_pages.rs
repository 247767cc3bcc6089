//! Pages whose code the browser loads only when they are visited. The split build
//! (`cargo leptos build --split`) moves each `view` below into its own WebAssembly chunk
//! (code two pages share goes into a chunk of its own), so the gallery and channel pages
//! hydrate from the main bundle alone, and the room's media code (WebRTC, devices, layouts)
//! arrives when someone enters a room.
//!
//! A page's data loads inside its own component, which the server has already rendered and
//! serialised: hydration reads it from the page, so nothing waits on a second round trip.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::pages::*;
use domain::ContainerKind;

/// A route whose whole view is split out; `$page` is what it renders.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:expr) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page.into_any()
            }
        }
    };
}

lazy_page!(
    /// The live room: the largest part of the bundle (media, stage, panels).
    RoomRoute => view! { <RoomPage/> }
);
lazy_page!(LoginRoute => view! { <LoginPage/> });
lazy_page!(
    /// My media: the galleries and channels one belongs to.
    HomeRoute => view! { <HomePage/> }
);
lazy_page!(
    /// Configure (galleries) and Manage (channels): the settings tabs and their forms.
    ConfigureGalleryRoute => view! { <EditContainer kind=ContainerKind::Gallery/> }
);
lazy_page!(ManageChannelRoute => view! { <EditContainer kind=ContainerKind::Channel/> });
lazy_page!(MediaRoute => view! { <MediaPageView/> });
lazy_page!(MediaEditRoute => view! { <MediaEditPage/> });
lazy_page!(GallerySessionRoute => view! { <SessionPage kind=ContainerKind::Gallery/> });
lazy_page!(ChannelSessionRoute => view! { <SessionPage kind=ContainerKind::Channel/> });
lazy_page!(SiteSettingsRoute => view! { <SiteSettingsPage/> });
lazy_page!(LtiPlatformsRoute => view! { <LtiPlatformsPage/> });
