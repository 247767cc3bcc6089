//! Test-only faults, mounted only with `TEST_FAULTS=1`, so resilience tests can break what a
//! real network or a bug would break: a user's media path, the whole process, one room.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use crate::error::AppError;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    tracing::warn!("TEST_FAULTS is set: fault injection routes are mounted");
    Router::new()
        .route("/api/test/faults/cut-media", post(cut_media))
        .route("/api/test/faults/crash", post(crash))
        .route("/api/test/faults/fail-room/{id}", post(fail_room))
        .route("/api/test/faults/block-direct-udp", post(block_direct_udp))
        .route("/api/test/faults/limit-downlink", post(limit_downlink))
}

#[derive(Deserialize)]
struct CutMedia {
    user: String,
    seconds: u64,
}

/// Drops every datagram to and from the user's media connections, in every room, for a while.
async fn cut_media(
    State(state): State<AppState>,
    Json(cut): Json<CutMedia>,
) -> Result<Json<usize>, AppError> {
    let user_id = state.store.user_id_by_name(&cut.user).await?;
    let members = state.hub.members_of(user_id).await;
    let count = members.len();
    state
        .hub
        .sfu()
        .cut_media(members, Duration::from_secs(cut.seconds.min(120)));
    Ok(Json(count))
}

#[derive(Deserialize)]
struct LimitDownlink {
    user: String,
    /// What the user's receiving link carries; absent or null lifts the limit.
    kbps: Option<u32>,
}

/// Constrains the user's receiving media link (in every room) as a slow access link would:
/// what exceeds `kbps` is dropped.
async fn limit_downlink(
    State(state): State<AppState>,
    Json(limit): Json<LimitDownlink>,
) -> Result<Json<usize>, AppError> {
    if limit.kbps == Some(0) {
        return Err(AppError::Request {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "kbps_zero",
            message: "a link of 0 kbps is a cut: use cut-media".into(),
        });
    }
    let user_id = state.store.user_id_by_name(&limit.user).await?;
    let members = state.hub.members_of(user_id).await;
    let count = members.len();
    state.hub.sfu().limit_downlink(members, limit.kbps);
    Ok(Json(count))
}

/// Ends the process at once, as a crash would (nothing is flushed or closed).
async fn crash() {
    tracing::warn!("test fault: crashing");
    std::process::exit(75);
}

/// Makes room `id`'s actor panic, as a bug would.
async fn fail_room(State(state): State<AppState>, Path(id): Path<i64>) -> Json<bool> {
    Json(state.hub.fail_room(id).await)
}

#[derive(Deserialize)]
struct BlockDirect {
    on: bool,
    /// The TURN server's relay address: the only source whose datagrams still reach the SFU.
    relay_ip: Option<std::net::IpAddr>,
}

/// Makes the SFU drop every datagram not relayed by the TURN server at `relay_ip`, as a
/// firewall blocking direct UDP to the media server would (`on: false` lifts it).
async fn block_direct_udp(
    State(state): State<AppState>,
    Json(block): Json<BlockDirect>,
) -> Result<Json<bool>, AppError> {
    let relay = match (block.on, block.relay_ip) {
        (true, None) => {
            return Err(AppError::Request {
                status: axum::http::StatusCode::BAD_REQUEST,
                code: "relay_ip_missing",
                message: "blocking direct UDP needs the TURN relay's address (relay_ip)".into(),
            })
        }
        (true, relay) => relay,
        (false, _) => None,
    };
    state.hub.sfu().block_direct(relay);
    Ok(Json(block.on))
}
