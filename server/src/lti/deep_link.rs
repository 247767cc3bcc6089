//! Deep linking: an instructor adding the tool through the LMS's activity picker chooses
//! "Course media gallery" or "Meeting room"; the tool answers with a signed
//! `LtiDeepLinkingResponse` holding the matching LTI resource link.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use domain::lti::Platform;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::checks::{Launch, Target, CLAIM};
use super::{keys, now_secs, pages, tool_base};
use crate::error::AppError;
use crate::AppState;

const CHOICE_TTL_SECS: i64 = 1800;
const RESPONSE_TTL_SECS: i64 = 300;
const DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/";

/// What the choice page's ticket carries.
#[derive(Serialize, Deserialize)]
struct Pending {
    platform_id: i64,
    deployment_id: String,
    return_url: String,
    data: Option<String>,
    course: String,
}

/// The choice page for a checked deep-linking request.
pub async fn offer(
    state: &AppState,
    platform: &Platform,
    launch: &Launch,
    return_url: String,
    data: Option<String>,
) -> Result<Response, AppError> {
    let course = if launch.context_title.is_empty() {
        "this course".to_string()
    } else {
        launch.context_title.clone()
    };
    let pending = Pending {
        platform_id: platform.id,
        deployment_id: launch.deployment_id.clone(),
        return_url,
        data,
        course: course.clone(),
    };
    let payload = serde_json::to_string(&pending).expect("plain fields serialise");
    let ticket = state
        .store
        .create_lti_ticket("deep_link", &payload, CHOICE_TTL_SECS)
        .await?;
    Ok(pages::deep_link_choice(&ticket, &course))
}

#[derive(Deserialize)]
pub struct Choice {
    ticket: String,
    choice: String,
}

/// The signed response for the choice, posted back to the platform by the browser.
pub async fn respond(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(choice): Form<Choice>,
) -> Result<Response, AppError> {
    let target = match choice.choice.as_str() {
        "gallery" => Target::Gallery,
        "room" => Target::Room,
        _ => {
            return Err(AppError::Store(store::Error::Invalid(
                "choose the course media gallery or the meeting room".into(),
            )))
        }
    };
    let Some(payload) = state
        .store
        .take_lti_ticket("deep_link", &choice.ticket)
        .await?
    else {
        return Ok(pages::expired_ticket());
    };
    let pending: Pending = serde_json::from_str(&payload)
        .map_err(|e| AppError::Store(store::Error::Invalid(e.to_string())))?;
    let platform = state.store.lti_platform(pending.platform_id).await?;
    let title = match target {
        Target::Gallery => format!("{} media gallery", pending.course),
        Target::Room => format!("{} meeting room", pending.course),
    };
    let now = now_secs();
    let mut claims = json!({
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_TTL_SECS,
        "nonce": store::lti::random_token(),
        format!("{CLAIM}message_type"): "LtiDeepLinkingResponse",
        format!("{CLAIM}version"): "1.3.0",
        format!("{CLAIM}deployment_id"): pending.deployment_id,
        format!("{DL}content_items"): [{
            "type": "ltiResourceLink",
            "title": title,
            "url": format!("{}/lti/launch", tool_base(&headers, state.cookies.secure)),
            "custom": { "target": target.as_str() },
        }],
    });
    if let Some(data) = pending.data {
        claims[format!("{DL}data")] = json!(data);
    }
    let jwt = keys::sign(&state.store, &claims).await?;
    tracing::info!(
        platform_id = platform.id,
        target = target.as_str(),
        "deep link returned"
    );
    Ok(pages::post_back(&pending.return_url, &jwt))
}
