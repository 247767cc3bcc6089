//! Server functions: the browser's typed calls into the store's use-cases. On the server they
//! run in-process (also while rendering pages); in the browser they are HTTP calls.
//! Endpoints are named explicitly: the default URL carries a hash of the source path, so a
//! wasm and a server built from two checkouts (or two build machines) would not find each
//! other.

use domain::access::PrincipalRef;
use domain::api::{
    AddModerators, ContainerPage, ContainerSummary, Me, MediaRoles, Principal, RoomEntry,
    RoomSettings, SiteSettings,
};
use domain::ContainerKind;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
mod backend {
    use http::request::Parts;
    use http::StatusCode;
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;
    use store::{Store, Viewer};

    pub fn store() -> Result<Store, ServerFnError> {
        use_context::<Store>().ok_or_else(|| ServerFnError::new("the store is not provided"))
    }

    pub fn viewer() -> Option<Viewer> {
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<Viewer>().cloned())
    }

    pub fn signed_in() -> Result<Viewer, ServerFnError> {
        viewer().ok_or_else(|| fail(store::Error::Unauthenticated))
    }

    /// Turns a refusal into the error the page shows, and gives the page's HTTP response the
    /// status that names it (pages render in async mode, so the status is not sent yet).
    pub fn fail(error: store::Error) -> ServerFnError {
        if let (Some(response), Ok(status)) = (
            use_context::<ResponseOptions>(),
            StatusCode::from_u16(error.http_status()),
        ) {
            response.set_status(status);
        }
        if error.is_internal() {
            tracing::error!(%error, "server function failed");
            return ServerFnError::new("something went wrong on the server");
        }
        ServerFnError::new(error.to_string())
    }

    /// The caller's address, as the REST API reads it (`ConnectInfo`, present when the server
    /// is served with connect info). The app names no axum types itself, so it reaches axum
    /// through server_fn's re-export; the type is the one axum inserts.
    pub fn client_addr() -> Option<std::net::IpAddr> {
        use leptos::server_fn::axum_export::extract::ConnectInfo;
        use_context::<Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip())
        })
    }

    /// A refused sign-in: wrong credentials as any refusal; too many attempts (429) or too
    /// busy (503) with `Retry-After`, as the REST API answers.
    pub fn refuse_sign_in(error: store::SignInError) -> ServerFnError {
        let status = match error {
            store::SignInError::Refused(error) => return fail(error),
            store::SignInError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            store::SignInError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        if let (Some(response), Some(seconds)) =
            (use_context::<ResponseOptions>(), error.retry_after_secs())
        {
            response.set_status(status);
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
        ServerFnError::new(error.to_string())
    }
}

#[server(prefix = "/_fn", input = Json, endpoint = "get_me")]
pub async fn get_me() -> Result<Option<Me>, ServerFnError> {
    Ok(backend::viewer().map(|viewer| viewer.me))
}

/// Signs in and sends the browser on to `next` (a local path only).
#[server(prefix = "/_fn", endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), ServerFnError> {
    use crate::session::{session_cookie, CookiePolicy};
    let store = backend::store()?;
    let credentials = domain::api::Credentials { username, password };
    // The same check as `POST /api/session`: one set of limits, one hashing cap.
    let (token, _) = store
        .sign_in(&credentials, backend::client_addr())
        .await
        .map_err(backend::refuse_sign_in)?;
    let policy = use_context::<CookiePolicy>().unwrap_or_default();
    expect_context::<leptos_axum::ResponseOptions>()
        .append_header(http::header::SET_COOKIE, session_cookie(&token, policy));
    leptos_axum::redirect(&crate::local_path_or_home(next.as_deref()));
    Ok(())
}

#[server(prefix = "/_fn", endpoint = "logout")]
pub async fn logout() -> Result<(), ServerFnError> {
    use crate::session::{expired_session_cookie, CookiePolicy, SessionToken};
    let token = use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<SessionToken>().cloned());
    if let Some(SessionToken(token)) = token {
        backend::store()?
            .logout(&token)
            .await
            .map_err(backend::fail)?;
    }
    let policy = use_context::<CookiePolicy>().unwrap_or_default();
    expect_context::<leptos_axum::ResponseOptions>()
        .append_header(http::header::SET_COOKIE, expired_session_cookie(policy));
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/_fn", input = Json, endpoint = "list_containers")]
pub async fn list_containers() -> Result<Vec<ContainerSummary>, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .list_containers(&viewer)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "load_container_page")]
pub async fn load_container_page(
    kind: ContainerKind,
    id: i64,
) -> Result<ContainerPage, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .container_page(&viewer, kind, id)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "load_room_settings")]
pub async fn load_room_settings(container_id: i64) -> Result<RoomSettings, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .room_settings(&viewer, container_id)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "save_room_settings")]
pub async fn save_room_settings(
    container_id: i64,
    settings: RoomSettings,
) -> Result<RoomSettings, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .save_room_settings(&viewer, container_id, &settings)
        .await
        .map_err(backend::fail)
}

/// Users and groups whose name contains `query`, groups first, for the moderator pickers.
/// Only for those who pick moderators somewhere, as `GET /api/users` and `/api/groups`.
#[server(prefix = "/_fn", input = Json, endpoint = "search_principals")]
pub async fn search_principals(query: String) -> Result<Vec<Principal>, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .find_principals(&viewer, &query)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "load_site_settings")]
pub async fn load_site_settings() -> Result<SiteSettings, ServerFnError> {
    backend::signed_in()?;
    backend::store()?
        .site_settings()
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "save_site_settings")]
pub async fn save_site_settings(settings: SiteSettings) -> Result<SiteSettings, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .save_site_settings(&viewer, settings)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "load_media_roles")]
pub async fn load_media_roles(media_id: i64) -> Result<MediaRoles, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .media_roles(&viewer, media_id)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "add_media_moderators")]
pub async fn add_media_moderators(
    media_id: i64,
    add: AddModerators,
) -> Result<MediaRoles, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .add_media_moderators(&viewer, media_id, &add)
        .await
        .map_err(backend::fail)
}

#[server(prefix = "/_fn", input = Json, endpoint = "remove_media_moderator")]
pub async fn remove_media_moderator(
    media_id: i64,
    principal: PrincipalRef,
) -> Result<MediaRoles, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .remove_media_moderator(&viewer, media_id, principal)
        .await
        .map_err(backend::fail)
}

/// `invite`: the token of an invitation link the page was opened with.
#[server(prefix = "/_fn", input = Json, endpoint = "load_room_entry")]
pub async fn load_room_entry(
    container_id: i64,
    invite: Option<String>,
) -> Result<RoomEntry, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .room_entry(&viewer, container_id, invite.as_deref())
        .await
        .map_err(backend::fail)
}

/// Room moderators: a link that admits its holder as speaker or moderator for 24 hours.
#[server(prefix = "/_fn", input = Json, endpoint = "create_invitation_link")]
pub async fn create_invitation_link(
    container_id: i64,
    role: domain::api::InviteRole,
) -> Result<domain::api::Invitation, ServerFnError> {
    let viewer = backend::signed_in()?;
    let request = domain::api::NewInvitation {
        role,
        valid_hours: None,
    };
    backend::store()?
        .create_invitation(&viewer, container_id, &request)
        .await
        .map_err(backend::fail)
}

/// Room moderators: the room's invitation links that still work, newest first.
#[server(prefix = "/_fn", input = Json, endpoint = "list_invitation_links")]
pub async fn list_invitation_links(
    container_id: i64,
) -> Result<Vec<domain::api::InvitationLink>, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .list_invitations(&viewer, container_id)
        .await
        .map_err(backend::fail)
}

/// Room moderators: a link stops admitting anyone; those it let in are checked again.
#[server(prefix = "/_fn", input = Json, endpoint = "revoke_invitation_link")]
pub async fn revoke_invitation_link(
    container_id: i64,
    invitation_id: i64,
) -> Result<(), ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .revoke_invitation(&viewer, container_id, invitation_id)
        .await
        .map_err(backend::fail)
}

/// The media page (`/media/{id}`): anyone who may see the entry's container.
#[server(prefix = "/_fn", input = Json, endpoint = "load_media_page")]
pub async fn load_media_page(media_id: i64) -> Result<domain::media::MediaPage, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .media_page(&viewer, media_id)
        .await
        .map_err(backend::fail)
}

/// The Sessions tab: the room's past sessions, for those who may enter the room.
#[server(prefix = "/_fn", input = Json, endpoint = "load_past_sessions")]
pub async fn load_past_sessions(
    container_id: i64,
) -> Result<domain::media::SessionList, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .past_sessions(&viewer, container_id)
        .await
        .map_err(backend::fail)
}

/// One past session's chat and Q&A, as the reader's rights let them see it.
#[server(prefix = "/_fn", input = Json, endpoint = "load_session_transcript")]
pub async fn load_session_transcript(
    container_id: i64,
    session_id: i64,
) -> Result<domain::media::SessionTranscript, ServerFnError> {
    let viewer = backend::signed_in()?;
    backend::store()?
        .session_transcript(&viewer, container_id, session_id)
        .await
        .map_err(backend::fail)
}
