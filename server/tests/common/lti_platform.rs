//! A test LMS on a loopback port: its own RSA keys (made here), its JWKS, an OAuth2 token
//! endpoint that checks the tool's signed client assertion, and a paged roster service.
//! Tests sign id_tokens with its key, or with one that differs in exactly one thing.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "tool-client-1";
pub const DEPLOYMENT: &str = "deployment-1";
pub const KID: &str = "platform-key-1";
pub const CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/";
pub const LIS: &str = "http://purl.imsglobal.org/vocab/lis/v2/";

/// A course role's full URI: `Instructor` is `…/membership#Instructor`, a sub-role such as
/// `Instructor#TeachingAssistant` is `…/membership/Instructor#TeachingAssistant`, and a role
/// given with its scope (`institution/person#Administrator`) is taken as it is.
pub fn lis_role(role: &str) -> String {
    if role.contains('/') {
        format!("{LIS}{role}")
    } else if role.contains('#') {
        format!("{LIS}membership/{role}")
    } else {
        format!("{LIS}membership#{role}")
    }
}
pub const ROSTER_PAGE_SIZE: usize = 3;

/// The platform's key and a stranger's, made once per test process (RSA generation is the
/// slow part).
fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        (
            RsaPrivateKey::new(&mut rng, 2048).expect("platform key"),
            RsaPrivateKey::new(&mut rng, 2048).expect("stranger's key"),
        )
    })
}

fn encoding(key: &RsaPrivateKey) -> EncodingKey {
    let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

pub const SECOND_KID: &str = "platform-key-2";

#[derive(Default)]
struct Shared {
    /// Whether the JWKS also publishes the second key (a rotation at the platform).
    second_key: std::sync::atomic::AtomicBool,
    jwks_served: AtomicUsize,
    roster: Mutex<Vec<Value>>,
    tool_jwks: Mutex<Option<JwkSet>>,
    pages_served: AtomicUsize,
    tokens_issued: AtomicUsize,
    /// Requests to `/hang`, which never answers.
    hung: AtomicUsize,
    /// Whether roster pages link their next page on another origin.
    next_elsewhere: std::sync::atomic::AtomicBool,
}

pub struct TestPlatform {
    pub base: String,
    pub issuer: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestPlatform {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestPlatform {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes = Router::new()
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/memberships", get(memberships))
            .route("/hang", get(hang))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, routes).await.unwrap();
        });
        Self {
            issuer: format!("{base}/lms"),
            base,
            shared,
            server,
        }
    }

    /// The registration body for `POST /api/lti/platforms`.
    pub fn registration(&self) -> Value {
        json!({
            "lms": "moodle",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "deployment_ids": [DEPLOYMENT],
            "auth_url": format!("{}/auth", self.base),
            "jwks_url": format!("{}/jwks", self.base),
            "token_url": format!("{}/token", self.base),
        })
    }

    pub fn memberships_url(&self) -> String {
        format!("{}/memberships", self.base)
    }

    /// An address of the platform that accepts requests and never answers them.
    pub fn hanging_url(&self) -> String {
        format!("{}/hang", self.base)
    }

    pub fn requests_hung(&self) -> usize {
        self.shared.hung.load(Ordering::SeqCst)
    }

    /// Roster pages link their next page on another origin from now on.
    pub fn link_next_page_elsewhere(&self) {
        self.shared.next_elsewhere.store(true, Ordering::SeqCst);
    }

    /// A valid resource-link launch for `sub` with `role` (a LIS membership role name).
    pub fn claims(&self, nonce: &str, sub: &str, role: &str) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        json!({
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": format!("Person {sub}"),
            "email": format!("{sub}@school.example"),
            format!("{CLAIM}deployment_id"): DEPLOYMENT,
            format!("{CLAIM}version"): "1.3.0",
            format!("{CLAIM}message_type"): "LtiResourceLinkRequest",
            format!("{CLAIM}roles"): [lis_role(role)],
            format!("{CLAIM}resource_link"): {"id": "link-1"},
            format!("{CLAIM}context"): {"id": "course-42", "title": "Marine Biology"},
            format!("{CLAIM}target_link_uri"): "http://localhost/lti/launch",
        })
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(claims, Some(KID), &encoding(&keys().0))
    }

    /// Signed by a key the platform does not publish, under its published kid.
    pub fn sign_with_strangers_key(&self, claims: &Value) -> String {
        self.sign_as(claims, Some(KID), &encoding(&keys().1))
    }

    pub fn sign_with_kid(&self, claims: &Value, kid: &str) -> String {
        self.sign_as(claims, Some(kid), &encoding(&keys().0))
    }

    /// HS256 with a shared secret: a valid token of another algorithm.
    pub fn sign_hs256(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_secret(b"secret").unwrap(),
        )
        .unwrap()
    }

    /// `alg: none`, no signature.
    pub fn unsigned(&self, claims: &Value) -> String {
        let header =
            URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": KID, "typ": "JWT"}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{body}.")
    }

    fn sign_as(&self, claims: &Value, kid: Option<&str>, key: &EncodingKey) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    /// The platform rotates: it publishes a second key, and signs with it from now on.
    pub fn publish_second_key(&self) {
        self.shared.second_key.store(true, Ordering::SeqCst);
    }

    pub fn sign_with_second_key(&self, claims: &Value) -> String {
        self.sign_as(claims, Some(SECOND_KID), &encoding(&keys().1))
    }

    pub fn jwks_served(&self) -> usize {
        self.shared.jwks_served.load(Ordering::SeqCst)
    }

    pub fn set_roster(&self, members: Vec<Value>) {
        *self.shared.roster.lock().unwrap() = members;
    }

    /// The tool's published keys, which the token endpoint checks assertions with.
    pub fn trust_tool_keys(&self, jwks: &Value) {
        *self.shared.tool_jwks.lock().unwrap() =
            Some(serde_json::from_value(jwks.clone()).unwrap());
    }

    pub fn pages_served(&self) -> usize {
        self.shared.pages_served.load(Ordering::SeqCst)
    }

    pub fn tokens_issued(&self) -> usize {
        self.shared.tokens_issued.load(Ordering::SeqCst)
    }
}

pub fn member(sub: &str, role: &str) -> Value {
    json!({"user_id": sub, "name": format!("Person {sub}"), "email": format!("{sub}@school.example"),
           "status": "Active", "roles": [lis_role(role)]})
}

fn jwk(key: &RsaPrivateKey, kid: &str) -> Value {
    let public = key.to_public_key();
    json!({
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    })
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.jwks_served.fetch_add(1, Ordering::SeqCst);
    let mut keys_published = vec![jwk(&keys().0, KID)];
    if shared.second_key.load(Ordering::SeqCst) {
        keys_published.push(jwk(&keys().1, SECOND_KID));
    }
    Json(json!({ "keys": keys_published }))
}

/// Issues a token only for a client assertion the tool's published key verifies.
async fn token(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (Some(assertion), Some("client_credentials")) =
        (field("client_assertion"), field("grant_type").as_deref())
    else {
        return (StatusCode::BAD_REQUEST, "bad grant").into_response();
    };
    let Some(jwks) = shared.tool_jwks.lock().unwrap().clone() else {
        return (StatusCode::UNAUTHORIZED, "tool keys unknown").into_response();
    };
    let kid = jsonwebtoken::decode_header(&assertion)
        .ok()
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let Some(jwk) = jwks.find(&kid) else {
        return (StatusCode::UNAUTHORIZED, "unknown tool kid").into_response();
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[] as &[&str]);
    validation.validate_aud = false;
    let Ok(data) = jsonwebtoken::decode::<Value>(
        &assertion,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    ) else {
        return (StatusCode::UNAUTHORIZED, "assertion does not verify").into_response();
    };
    if data.claims["iss"] != CLIENT_ID || data.claims["sub"] != CLIENT_ID {
        return (StatusCode::UNAUTHORIZED, "assertion not from the client").into_response();
    }
    shared.tokens_issued.fetch_add(1, Ordering::SeqCst);
    Json(json!({"access_token": "roster-token", "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

async fn hang(State(shared): State<Arc<Shared>>) {
    shared.hung.fetch_add(1, Ordering::SeqCst);
    std::future::pending::<()>().await;
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn memberships(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some("Bearer roster-token")
    {
        return (StatusCode::UNAUTHORIZED, "no token").into_response();
    }
    shared.pages_served.fetch_add(1, Ordering::SeqCst);
    let page = query.page.unwrap_or(0);
    let roster = shared.roster.lock().unwrap().clone();
    let members: Vec<Value> = roster
        .iter()
        .skip(page * ROSTER_PAGE_SIZE)
        .take(ROSTER_PAGE_SIZE)
        .cloned()
        .collect();
    let mut response = Json(json!({"id": "course-42", "members": members})).into_response();
    if (page + 1) * ROSTER_PAGE_SIZE < roster.len() {
        let elsewhere = if shared.next_elsewhere.load(Ordering::SeqCst) {
            "http://127.0.0.2:9"
        } else {
            ""
        };
        let link = format!("<{elsewhere}/memberships?page={}>; rel=\"next\"", page + 1);
        response
            .headers_mut()
            .insert(header::LINK, link.parse().unwrap());
    }
    response
}
