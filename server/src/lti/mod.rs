//! LTI 1.3: Moodle and Canvas launch the tool from a course.
//!
//! `/lti/login` answers the platform's OIDC login initiation with an authentication request
//! (state and nonce kept in the database), `/lti/launch` takes the signed `id_token` back and,
//! once every check in [`checks`] passed, signs the person in on their course's gallery (or
//! room), or offers deep-linking choices. `/lti/jwks` publishes the tool's keys. The handlers
//! only fetch, store and redirect; the decisions are in `checks`.

pub mod checks;
mod deep_link;
mod jwks;
pub mod keys;
mod launch;
mod pages;
mod platforms;
pub mod roster;

use std::time::Duration;

use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::AppState;

/// Fetching a platform's keys, a token or a roster page never takes longer than this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What the LTI handlers share within one application: an HTTP client with timeouts and the
/// platforms' cached keys.
#[derive(Clone)]
pub struct Lti {
    pub http: reqwest::Client,
    jwks: jwks::Jwks,
}

impl Lti {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // Platforms answer directly; a redirect to elsewhere is not followed blindly.
            .redirect(reqwest::redirect::Policy::limited(2))
            .user_agent("gallery-rooms-lti/1")
            .build()
            .expect("an HTTP client with rustls builds");
        Self {
            jwks: jwks::Jwks::new(http.clone()),
            http,
        }
    }
}

impl Default for Lti {
    fn default() -> Self {
        Self::new()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lti/login",
            get(launch::login_get).post(launch::login_post),
        )
        .route("/lti/launch", post(launch::launch))
        .route("/lti/continue", post(launch::continue_launch))
        .route("/lti/deep-link", post(deep_link::respond))
        .route("/lti/jwks", get(launch::jwks))
        .merge(platforms::routes())
        .layer(Extension(Lti::new()))
}

/// Where the tool is served, as the platform must call it (see [`domain::lti::tool_base`]).
pub fn tool_base(headers: &HeaderMap, secure: bool) -> String {
    let configured = std::env::var("LTI_TOOL_URL").ok();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    domain::lti::tool_base(configured.as_deref(), host, secure)
}

/// Why a platform's answer was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// The body of `response`, refused as soon as it passes `limit` bytes: read chunk by chunk, so
/// a platform (or whoever answers at its URL) cannot make us hold a huge body in memory. The
/// client's timeout covers the body too, so a trickling answer ends as well.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let too_large = ReadError::TooLarge { limit };
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Err(too_large);
    }
    let mut body = Vec::with_capacity(announced as usize);
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::{read_capped, ReadError};

    /// A server on loopback answering every request with `head`, then `chunk` bytes in a
    /// chunked frame over and over, until the client hangs up.
    async fn endless(head: &'static str, chunk: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let frame = format!("{chunk:x}\r\n{}\r\n", "x".repeat(chunk));
                    let mut answer = socket.write_all(head.as_bytes()).await;
                    while answer.is_ok() {
                        answer = socket.write_all(frame.as_bytes()).await;
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_refused_without_being_read_whole() {
        let url = endless(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            16 * 1024,
        )
        .await;
        let http = super::Lti::new().http;
        let response = http.get(&url).send().await.unwrap();
        let refused = read_capped(response, 256 * 1024).await;
        assert!(
            matches!(refused, Err(ReadError::TooLarge { limit: 262_144 })),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn an_announced_length_past_the_limit_is_refused_before_reading() {
        let url = endless("HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n", 1).await;
        let response = reqwest::get(&url).await.unwrap();
        assert!(matches!(
            read_capped(response, 1024).await,
            Err(ReadError::TooLarge { limit: 1024 })
        ));
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                .await;
        });
        let response = reqwest::get(&url).await.unwrap();
        assert_eq!(read_capped(response, 5).await.unwrap(), b"hello");
    }
}
