//! Who is asking: the session cookie becomes a `Viewer` in the request's extensions, read by
//! the REST handlers and (through the request parts) by the app's server functions.

use app::session::{token_from_headers, SessionToken};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::Viewer;

use crate::error::AppError;
use crate::AppState;

pub async fn attach_viewer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Static assets need no user; spare them the session lookup.
    let path = request.uri().path();
    let is_asset =
        path.starts_with(&format!("/{}/", state.leptos_options.site_pkg_dir)) || path == "/healthz";
    if !is_asset {
        if let Some(token) = token_from_headers(request.headers()) {
            match state.store.viewer_for_session(&token).await {
                Ok(Some(viewer)) => {
                    request.extensions_mut().insert(viewer);
                    request.extensions_mut().insert(SessionToken(token));
                }
                Ok(None) => {}
                Err(error) => return AppError::from(error).into_response(),
            }
        }
    }
    next.run(request).await
}

/// Refuses state-changing requests a browser sends on behalf of another site. SameSite=Lax
/// cookies already stop most; this also covers same-site subdomains and old browsers.
/// Non-browser clients send neither header and are not a CSRF vector.
pub async fn reject_cross_site(request: Request, next: Next) -> Response {
    // The LMS posts the LTI login initiation and the signed launch from its own site by design;
    // those two carry their own proof (a registered issuer; a signed token with single-use state
    // and nonce) and are let through, and nothing else.
    let lti_entry = matches!(request.uri().path(), "/lti/login" | "/lti/launch");
    if !lti_entry
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        )
        && is_cross_site(request.headers())
    {
        return AppError::Request {
            status: StatusCode::FORBIDDEN,
            code: "cross_site",
            message: "cross-site requests may not change anything".into(),
        }
        .into_response();
    }
    next.run(request).await
}

pub(crate) fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        return false;
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest.to_owned()));
    origin_host.as_deref() != host.to_str().ok()
}

/// A handler argument that requires a signed-in user (401 otherwise).
pub struct CurrentViewer(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for CurrentViewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .map(CurrentViewer)
            .ok_or(AppError::Store(store::Error::Unauthenticated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    header::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn same_origin_requests_pass() {
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_cross_site(&headers(&[])));
    }

    #[test]
    fn cross_site_requests_are_refused() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
    }
}
