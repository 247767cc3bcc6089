//! `/api/lti/platforms` (site admins): register, list, change and remove LMS platforms; and
//! rotating the tool's key.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::lti::{Platform, PlatformInput};
use serde_json::{json, Value};

use crate::api::{ApiJson, ApiPath};
use crate::error::AppError;
use crate::session::CurrentViewer;
use crate::AppState;

const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lti/platforms", get(list).post(create))
        .route("/api/lti/platforms/{id}", put(update).delete(remove))
        .route("/api/lti/keys/rotate", post(rotate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn list(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
) -> Result<ApiJson<Vec<Platform>>, AppError> {
    Ok(ApiJson(state.store.lti_platforms(&viewer).await?))
}

async fn create(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiJson(input): ApiJson<PlatformInput>,
) -> Result<(StatusCode, ApiJson<Platform>), AppError> {
    let platform = state.store.create_lti_platform(&viewer, &input).await?;
    Ok((StatusCode::CREATED, ApiJson(platform)))
}

async fn update(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PlatformInput>,
) -> Result<ApiJson<Platform>, AppError> {
    Ok(ApiJson(
        state.store.update_lti_platform(&viewer, id, &input).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    state.store.delete_lti_platform(&viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing key; the previous one stays published for tokens already signed.
async fn rotate(
    State(state): State<AppState>,
    CurrentViewer(viewer): CurrentViewer,
) -> Result<Json<Value>, AppError> {
    if !viewer.identity.site_admin {
        return Err(AppError::forbidden(
            "only site administrators rotate the tool's key",
        ));
    }
    let kid = super::keys::rotate(&state.store).await?;
    Ok(Json(json!({ "kid": kid })))
}
