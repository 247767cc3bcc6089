//! The tool's own RSA keys: made on first use, kept in the database (so every node signs with
//! the same one), rotated on request, published at `/lti/jwks`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Serialize;
use serde_json::{json, Value};
use store::lti::ToolKey;
use store::Store;

use crate::error::AppError;

const KEY_BITS: usize = 2048;
/// Keys published after a rotation: the new one and the one before it, so tokens the old key
/// signed a moment ago still verify.
const KEYS_KEPT: usize = 2;

fn internal(what: &str, error: impl std::fmt::Display) -> AppError {
    AppError::Request {
        status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: format!("{what}: {error}"),
    }
}

/// A fresh key pair (a blocking thread: it takes a moment).
async fn generate() -> Result<ToolKey, AppError> {
    let key =
        tokio::task::spawn_blocking(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS))
            .await
            .map_err(|e| internal("key generation", e))?
            .map_err(|e| internal("key generation", e))?;
    let pem = key
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .map_err(|e| internal("key encoding", e))?;
    Ok(ToolKey {
        kid: store::lti::random_token()[..16].to_string(),
        private_key_pem: pem.to_string(),
        modulus: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        exponent: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        created_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    })
}

/// The signing key, made if there is none yet.
pub async fn signing_key(store: &Store) -> Result<ToolKey, AppError> {
    if let Some(key) = store.lti_tool_keys().await?.into_iter().next() {
        return Ok(key);
    }
    let key = generate().await?;
    store.add_lti_tool_key(&key, KEYS_KEPT).await?;
    tracing::info!(kid = %key.kid, "LTI tool key created");
    // Two nodes making the first key at once both store one; the newest signs for both.
    Ok(store
        .lti_tool_keys()
        .await?
        .into_iter()
        .next()
        .unwrap_or(key))
}

/// A new signing key; the previous one stays published, older ones are dropped.
pub async fn rotate(store: &Store) -> Result<String, AppError> {
    let key = generate().await?;
    store.add_lti_tool_key(&key, KEYS_KEPT).await?;
    tracing::info!(kid = %key.kid, "LTI tool key rotated");
    Ok(key.kid)
}

/// The public keys as a JWK set.
pub async fn jwks(store: &Store) -> Result<Value, AppError> {
    signing_key(store).await?;
    let keys: Vec<Value> = store
        .lti_tool_keys()
        .await?
        .into_iter()
        .map(|key| {
            json!({
                "kty": "RSA", "alg": "RS256", "use": "sig",
                "kid": key.kid, "n": key.modulus, "e": key.exponent,
            })
        })
        .collect();
    Ok(json!({ "keys": keys }))
}

/// `claims` signed RS256 by the current key, its kid in the header.
pub async fn sign(store: &Store, claims: &impl Serialize) -> Result<String, AppError> {
    let key = signing_key(store).await?;
    let encoding = EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes())
        .map_err(|e| internal("tool key", e))?;
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid);
    jsonwebtoken::encode(&header, claims, &encoding).map_err(|e| internal("signing", e))
}
