//! The OIDC login initiation, the launch, and its continuation in a new window.

use app::session::session_cookie;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::lti::Platform;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::lti::{random_token, CourseLaunch, LtiPerson};

use super::checks::{self, Expected, Launch, LtiError, Message, Target};
use super::{now_secs, pages, roster, tool_base, Lti};
use crate::error::AppError;
use crate::AppState;

/// How long a login initiation may take to come back as a launch.
const STATE_TTL_SECS: i64 = 600;
/// How long "Open in a new window" works.
const TICKET_TTL_SECS: i64 = 300;
/// Launches of one course sync its roster at most this often.
const ROSTER_EVERY_SECS: i64 = 900;
/// How long a launch waits for the roster sync it started.
const ROSTER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The state cookies' names start with this: one cookie per login, named after its state, so
/// launches in two tabs at once do not overwrite each other's.
const STATE_COOKIE: &str = "mr_lti_state";

#[derive(Deserialize)]
pub struct LoginInitiation {
    iss: Option<String>,
    login_hint: Option<String>,
    target_link_uri: Option<String>,
    lti_message_hint: Option<String>,
    client_id: Option<String>,
}

pub async fn login_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(initiation): Query<LoginInitiation>,
) -> Response {
    login(state, headers, initiation).await
}

pub async fn login_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(initiation): Form<LoginInitiation>,
) -> Response {
    login(state, headers, initiation).await
}

/// The state cookie of the login that issued `state` (a digest of it: any posted text makes a
/// valid name).
fn state_cookie_name(state: &str) -> String {
    format!("{STATE_COOKIE}_{}", &store::lti::digest(state)[..16])
}

/// The state cookie must reach the launch, which the platform posts from its own site: so it
/// is `SameSite=None; Secure` when served over HTTPS. Over plain HTTP (development, tests on
/// loopback) browsers drop `SameSite=None` cookies without `Secure`, so it stays `Lax` there.
/// `value` empty and `max_age` 0 clear it.
fn state_cookie(state: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let same_site = if secure {
        "SameSite=None; Secure"
    } else {
        "SameSite=Lax"
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/lti; HttpOnly; {same_site}; Max-Age={max_age}",
        name = state_cookie_name(state)
    ))
    .expect("states are hex")
}

/// What the launch's request carries of the login's state cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StateCookie {
    /// This launch's own: the browser that logged in is the one launching.
    Kept,
    /// No state cookie at all: the browser does not send the tool's cookies here (third-party
    /// cookies blocked in the LMS's iframe).
    Missing,
    /// State cookies of other logins only: this browser started some other launch, and this
    /// one was started elsewhere (a login CSRF posts an attacker's launch).
    OtherLaunch,
}

fn state_cookie_of(headers: &HeaderMap, state: Option<&str>) -> StateCookie {
    let own = state.map(state_cookie_name);
    let mut others = false;
    for (name, value) in headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
    {
        if !name.starts_with(STATE_COOKIE) {
            continue;
        }
        // The single cookie name of before (a login begun before an upgrade) counts too.
        let named_for_it = own.as_deref() == Some(name) || name == STATE_COOKIE;
        if named_for_it && state == Some(value) {
            return StateCookie::Kept;
        }
        others = true;
    }
    if others {
        StateCookie::OtherLaunch
    } else {
        StateCookie::Missing
    }
}

async fn login(state: AppState, headers: HeaderMap, initiation: LoginInitiation) -> Response {
    let (Some(issuer), Some(login_hint), Some(_target)) = (
        initiation.iss.as_deref(),
        initiation.login_hint.as_deref(),
        initiation.target_link_uri.as_deref(),
    ) else {
        return pages::refused(&LtiError::MissingClaim(
            "iss, login_hint or target_link_uri",
        ));
    };
    let platform = match state
        .store
        .lti_platform_for_login(issuer, initiation.client_id.as_deref())
        .await
    {
        Ok(Some(platform)) => platform,
        Ok(None) => return pages::refused(&LtiError::UnknownPlatform),
        Err(error) => return AppError::from(error).into_response(),
    };
    let (login_state, nonce) = (random_token(), random_token());
    if let Err(error) = state
        .store
        .issue_lti_state(&login_state, &nonce, platform.id, STATE_TTL_SECS)
        .await
    {
        return AppError::from(error).into_response();
    }
    let Ok(mut auth) = url::Url::parse(&platform.auth_url) else {
        return pages::refused(&LtiError::UnknownPlatform);
    };
    let redirect_uri = format!("{}/lti/launch", tool_base(&headers, state.cookies.secure));
    {
        let mut query = auth.query_pairs_mut();
        query
            .append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", &platform.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("login_hint", login_hint)
            .append_pair("state", &login_state)
            .append_pair("nonce", &nonce);
        if let Some(hint) = &initiation.lti_message_hint {
            query.append_pair("lti_message_hint", hint);
        }
    }
    let cookie = state_cookie(
        &login_state,
        &login_state,
        STATE_TTL_SECS,
        state.cookies.secure,
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(auth.as_str())).into_response()
}

#[derive(Deserialize)]
pub struct LaunchForm {
    id_token: Option<String>,
    state: Option<String>,
    /// Platforms answer a failed authentication request with an OIDC error instead.
    error: Option<String>,
    error_description: Option<String>,
}

/// The token's header fields, read without trusting them yet.
fn header_fields(token: &str) -> Result<(Option<String>, Option<String>), LtiError> {
    let encoded = token.split('.').next().ok_or(LtiError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| LtiError::Malformed)?;
    let header: Value = serde_json::from_slice(&bytes).map_err(|_| LtiError::Malformed)?;
    let field = |name: &str| header.get(name).and_then(Value::as_str).map(str::to_string);
    Ok((field("alg"), field("kid")))
}

/// The claims, once the signature verified. Times, audience and issuer are checked by
/// `checks` against the clock passed in, so the library's own checks are off.
fn verified_claims(token: &str, key: &jsonwebtoken::DecodingKey) -> Result<Value, LtiError> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => LtiError::BadSignature,
            _ => LtiError::Malformed,
        })
}

/// Every check, in order; nothing is written before all passed but the state (taken: it
/// works once) and, last, the nonce (marked used).
async fn checked_launch(
    state: &AppState,
    lti: &Lti,
    form: &LaunchForm,
) -> Result<Result<(Platform, Launch), LtiError>, AppError> {
    let Some(login_state) = form.state.as_deref() else {
        return Ok(Err(LtiError::StateNotIssued));
    };
    let Some((issued_nonce, platform_id)) = state.store.take_lti_state(login_state).await? else {
        return Ok(Err(LtiError::StateNotIssued));
    };
    let platform = state.store.lti_platform(platform_id).await?;
    let Some(token) = form.id_token.as_deref() else {
        return Ok(Err(LtiError::Malformed));
    };
    let verified = async {
        let (alg, kid) = header_fields(token)?;
        let kid = checks::check_header(alg.as_deref(), kid.as_deref())?;
        let key = lti.jwks.key(&platform.jwks_url, &kid).await?;
        verified_claims(token, &key)
    };
    let claims = match verified.await {
        Ok(claims) => claims,
        Err(error) => return Ok(Err(error)),
    };
    let nonce = claims
        .get("nonce")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let nonce_used = state.store.lti_nonce_used(&platform.issuer, nonce).await?;
    let expected = Expected {
        platform: &platform,
        issued_nonce: &issued_nonce,
        nonce_used,
        now: now_secs(),
    };
    let launch = match checks::check_claims(&claims, &expected) {
        Ok(launch) => launch,
        Err(error) => return Ok(Err(error)),
    };
    if !state
        .store
        .use_lti_nonce(&platform.issuer, &launch.nonce, launch.expires_at)
        .await?
    {
        return Ok(Err(LtiError::NonceReplayed));
    }
    Ok(Ok((platform, launch)))
}

/// What "Open in a new window" carries.
#[derive(Serialize, Deserialize)]
struct SessionTicket {
    user_id: i64,
    path: String,
}

pub async fn launch(
    State(state): State<AppState>,
    Extension(lti): Extension<Lti>,
    headers: HeaderMap,
    Form(form): Form<LaunchForm>,
) -> Result<Response, AppError> {
    let clear_state = [(
        header::SET_COOKIE,
        state_cookie(
            form.state.as_deref().unwrap_or_default(),
            "",
            0,
            state.cookies.secure,
        ),
    )];
    if let Some(error) = &form.error {
        tracing::warn!(%error, description = ?form.error_description, "the LMS refused the login");
        let reason = LtiError::PlatformRefused(error.chars().take(100).collect());
        return Ok((clear_state, pages::refused(&reason)).into_response());
    }
    // Refused before anything is taken or written. Other logins' cookies are left alone: they
    // may be launches under way in other tabs.
    let state_cookie = state_cookie_of(&headers, form.state.as_deref());
    if state_cookie == StateCookie::OtherLaunch {
        return Ok(pages::refused(&LtiError::StateCookieMismatch));
    }
    let (platform, launch) = match checked_launch(&state, &lti, &form).await? {
        Ok(passed) => passed,
        Err(error) => return Ok((clear_state, pages::refused(&error)).into_response()),
    };
    let course = CourseLaunch {
        context_id: launch.context_id.clone(),
        context_title: launch.context_title.clone(),
        person: LtiPerson {
            subject: launch.subject.clone(),
            name: launch.name.clone(),
            email: launch.email.clone(),
            role: launch.role,
        },
        memberships_url: launch.memberships_url.clone(),
    };
    let landed = state.store.lti_launch(&platform, &course).await?;
    tracing::info!(
        user_id = landed.user_id,
        container_id = landed.container_id,
        "LTI launch"
    );
    if launch.memberships_url.is_some()
        && state
            .store
            .claim_lti_roster_sync(landed.container_id, ROSTER_EVERY_SECS)
            .await?
    {
        let (store, http) = (state.store.clone(), lti.http.clone());
        let sync = tokio::spawn(async move {
            if let Err(error) = roster::sync(&store, &http, landed.container_id).await {
                tracing::warn!(%error, container_id = landed.container_id, "roster sync failed");
            }
        });
        // The launching person usually goes on to pick moderators among the roster: wait for
        // it a little (one launch per course every ROSTER_EVERY_SECS pays this), then let a
        // slow LMS finish in the background.
        let _ = tokio::time::timeout(ROSTER_WAIT, sync).await;
    }
    let target = match launch.message.clone() {
        Message::DeepLinking { return_url, data } => {
            let response =
                super::deep_link::offer(&state, &platform, &launch, return_url, data).await?;
            return Ok((clear_state, response).into_response());
        }
        Message::ResourceLink { target } => target,
    };
    let path = if target == Target::Room && landed.room_enabled {
        format!("/rooms/{}", landed.container_id)
    } else {
        format!("/galleries/{}", landed.container_id)
    };
    let fetch = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let cross_site_frame =
        fetch("sec-fetch-dest") == Some("iframe") && fetch("sec-fetch-site") == Some("cross-site");
    let cookies_kept = state_cookie == StateCookie::Kept;
    if cookies_kept && !cross_site_frame {
        let token = state.store.create_session(landed.user_id).await?;
        let mut response = Redirect::to(&path).into_response();
        let cookies = response.headers_mut();
        cookies.append(header::SET_COOKIE, clear_state[0].1.clone());
        cookies.append(header::SET_COOKIE, session_cookie(&token, state.cookies));
        return Ok(response);
    }
    let payload = serde_json::to_string(&SessionTicket {
        user_id: landed.user_id,
        path,
    })
    .expect("plain fields serialise");
    let ticket = state
        .store
        .create_lti_ticket("session", &payload, TICKET_TTL_SECS)
        .await?;
    Ok((clear_state, pages::framed(&ticket, !cookies_kept)).into_response())
}

#[derive(Deserialize)]
pub struct TicketForm {
    ticket: String,
}

/// "Open in a new window": the launch's ticket, once, signs the person in here.
pub async fn continue_launch(
    State(state): State<AppState>,
    Form(form): Form<TicketForm>,
) -> Result<Response, AppError> {
    let Some(payload) = state.store.take_lti_ticket("session", &form.ticket).await? else {
        return Ok(pages::expired_ticket());
    };
    let ticket: SessionTicket = serde_json::from_str(&payload)
        .map_err(|e| AppError::Store(store::Error::Invalid(e.to_string())))?;
    let token = state.store.create_session(ticket.user_id).await?;
    let path = app::local_path_or_home(Some(&ticket.path));
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, session_cookie(&token, state.cookies)),
            (
                header::LOCATION,
                HeaderValue::from_str(&path).expect("a local path"),
            ),
        ],
    )
        .into_response())
}

pub async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    Ok(Json(super::keys::jwks(&state.store).await?))
}
