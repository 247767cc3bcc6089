//! The REST API (JSON). Handlers only translate: the store's use-cases decide.

use app::session::{expired_session_cookie, session_cookie, SessionToken};
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use domain::access::{PrincipalKind, PrincipalRef};
use domain::api::{
    AddModerators, ContainerSummary, Credentials, Invitation, InvitationLink, Me, MediaRoles,
    Named, NewInvitation, RoomSettings, SiteSettings,
};
use serde::Deserialize;

use crate::error::AppError;
use crate::session::CurrentViewer;
use crate::AppState;

/// No API body needs more; a larger one is refused before it is parsed.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// `Json` whose rejections are our `{code, message}` errors.
#[derive(FromRequest)]
#[from_request(via(Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

type ApiResult<T> = Result<ApiJson<T>, AppError>;

/// The caller's address, which sign-in limits are kept for: the socket's peer when served with
/// `into_make_service_with_connect_info::<SocketAddr>()` (as `main` does), `None` otherwise
/// (a router driven without a socket, as most tests do). Deliberately not `X-Forwarded-For`:
/// any client could set it to dodge the limits.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        ))
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/session", post(login).delete(logout))
        .route("/api/me", get(me))
        .route("/api/containers", get(containers))
        .route(
            "/api/containers/{id}/room",
            get(room_settings).put(save_room_settings),
        )
        .route(
            "/api/containers/{id}/room/invitations",
            post(create_invitation).get(list_invitations),
        )
        .route(
            "/api/containers/{id}/room/invitations/{invitation_id}",
            delete(revoke_invitation),
        )
        .route("/api/users", get(search_users))
        .route("/api/groups", get(search_groups))
        .route(
            "/api/groups/{id}/members/{user_id}",
            axum::routing::put(add_group_member).delete(remove_group_member),
        )
        .route(
            "/api/site-settings",
            get(site_settings).put(save_site_settings),
        )
        .route("/api/media/{id}/roles", get(media_roles))
        .route("/api/media/{id}/moderators", post(add_media_moderators))
        .route(
            "/api/media/{id}/moderators/{kind}/{principal_id}",
            delete(remove_media_moderator),
        )
        .route("/api/media/{id}", get(media_page))
        .route("/api/containers/{id}/sessions", get(past_sessions))
        .route(
            "/api/containers/{id}/sessions/{session_id}",
            get(session_transcript),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<impl IntoResponse, AppError> {
    let (token, me) = state.store.sign_in(&credentials, client).await?;
    let cookie = session_cookie(&token, state.cookies);
    Ok(([(header::SET_COOKIE, cookie)], Json(me)))
}

async fn logout(
    State(state): State<AppState>,
    token: Option<Extension<SessionToken>>,
) -> Result<impl IntoResponse, AppError> {
    if let Some(Extension(SessionToken(token))) = token {
        state.store.logout(&token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, expired_session_cookie(state.cookies))],
    ))
}

async fn me(CurrentViewer(viewer): CurrentViewer) -> ApiResult<Me> {
    Ok(ApiJson(viewer.me))
}

async fn containers(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
) -> ApiResult<Vec<ContainerSummary>> {
    Ok(ApiJson(state.store.list_containers(&viewer).await?))
}

async fn room_settings(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<RoomSettings> {
    Ok(ApiJson(state.store.room_settings(&viewer, id).await?))
}

async fn save_room_settings(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(settings): ApiJson<RoomSettings>,
) -> ApiResult<RoomSettings> {
    Ok(ApiJson(
        state
            .store
            .save_room_settings(&viewer, id, &settings)
            .await?,
    ))
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

async fn search_users(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiQuery(search): ApiQuery<Search>,
) -> ApiResult<Vec<Named>> {
    Ok(ApiJson(state.store.find_users(&viewer, &search.q).await?))
}

async fn search_groups(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiQuery(search): ApiQuery<Search>,
) -> ApiResult<Vec<Named>> {
    Ok(ApiJson(state.store.find_groups(&viewer, &search.q).await?))
}

async fn site_settings(
    State(state): State<AppState>,
    CurrentViewer(_): CurrentViewer,
) -> ApiResult<SiteSettings> {
    Ok(ApiJson(state.store.site_settings().await?))
}

async fn save_site_settings(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiJson(settings): ApiJson<SiteSettings>,
) -> ApiResult<SiteSettings> {
    Ok(ApiJson(
        state.store.save_site_settings(&viewer, settings).await?,
    ))
}

async fn media_roles(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<MediaRoles> {
    Ok(ApiJson(state.store.media_roles(&viewer, id).await?))
}

async fn add_media_moderators(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(add): ApiJson<AddModerators>,
) -> ApiResult<MediaRoles> {
    Ok(ApiJson(
        state.store.add_media_moderators(&viewer, id, &add).await?,
    ))
}

async fn remove_media_moderator(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath((id, kind, principal_id)): ApiPath<(i64, String, i64)>,
) -> ApiResult<MediaRoles> {
    let kind = PrincipalKind::parse(&kind).ok_or_else(|| {
        AppError::Store(store::Error::NotFound(format!(
            "{kind:?} is neither user nor group"
        )))
    })?;
    let principal = PrincipalRef {
        kind,
        id: principal_id,
    };
    Ok(ApiJson(
        state
            .store
            .remove_media_moderator(&viewer, id, principal)
            .await?,
    ))
}

async fn create_invitation(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewInvitation>,
) -> Result<(StatusCode, ApiJson<Invitation>), AppError> {
    let invitation = state.store.create_invitation(&viewer, id, &request).await?;
    Ok((StatusCode::CREATED, ApiJson(invitation)))
}

async fn list_invitations(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Vec<InvitationLink>> {
    Ok(ApiJson(state.store.list_invitations(&viewer, id).await?))
}

async fn revoke_invitation(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath((id, invitation_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .revoke_invitation(&viewer, id, invitation_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_group_member(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath((group_id, user_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .add_group_member(&viewer, group_id, user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_group_member(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath((group_id, user_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .remove_group_member(&viewer, group_id, user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn media_page(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<domain::media::MediaPage> {
    Ok(ApiJson(state.store.media_page(&viewer, id).await?))
}

async fn past_sessions(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<domain::media::SessionList> {
    Ok(ApiJson(state.store.past_sessions(&viewer, id).await?))
}

async fn session_transcript(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath((id, session_id)): ApiPath<(i64, i64)>,
) -> ApiResult<domain::media::SessionTranscript> {
    Ok(ApiJson(
        state
            .store
            .session_transcript(&viewer, id, session_id)
            .await?,
    ))
}
