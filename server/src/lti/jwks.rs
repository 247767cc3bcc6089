//! Platforms' public keys: fetched with timeouts, cached, fetched again when a token names a
//! key the cache lacks (the platform rotated), but not more often than `REFRESH_AT_MOST_EVERY`
//! (tokens naming made-up kids must not make us hammer the platform).
//!
//! No lock is held while a platform answers: the cache's lock only guards lookups and
//! updates, so a slow platform delays its own launches only. Launches of one platform that
//! all miss the cache wait for a single fetch (its own lock) and use its answer, or its
//! failure, instead of each fetching in turn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::DecodingKey;

use super::checks::LtiError;
use super::read_capped;

const CACHE_FOR: Duration = Duration::from_secs(3600);
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(10);
/// No platform's key set is near this; a larger answer is not a key set.
const MAX_JWKS_BYTES: usize = 256 * 1024;

struct Cached {
    keys: JwkSet,
    fetched: Instant,
    /// When a token's unknown kid last made us fetch again.
    refreshed_for_kid: Option<Instant>,
}

/// One platform's key set (by URL), and the lock its fetches take.
#[derive(Default)]
struct Entry {
    cached: Option<Cached>,
    failed: Option<Instant>,
    fetching: Arc<tokio::sync::Mutex<()>>,
}

/// What the cache answers for a kid.
enum Step {
    Done(Result<DecodingKey, LtiError>),
    /// Fetch the keys; `refresh`: keys are cached but lack the kid.
    Fetch {
        refresh: bool,
        fetching: Arc<tokio::sync::Mutex<()>>,
    },
}

/// One per application: an HTTP client (with timeouts) and the key sets by URL.
#[derive(Clone)]
pub struct Jwks {
    http: reqwest::Client,
    cache: Arc<Mutex<HashMap<String, Entry>>>,
}

fn key_of(keys: &JwkSet, kid: &str) -> Option<Result<DecodingKey, LtiError>> {
    keys.find(kid)
        .map(|jwk| DecodingKey::from_jwk(jwk).map_err(|_| LtiError::UnknownKid(kid.into())))
}

impl Jwks {
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            cache: Arc::default(),
        }
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, LtiError> {
        let failed = |error: &dyn std::fmt::Display| {
            tracing::warn!(%url, %error, "fetching an LMS's keys failed");
            LtiError::KeysUnavailable
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(&e))?;
        let body = read_capped(response, MAX_JWKS_BYTES)
            .await
            .map_err(|e| failed(&e))?;
        serde_json::from_slice(&body).map_err(|e| failed(&e))
    }

    /// The cache's answer for `kid`. `waited_since`: when this launch began waiting for
    /// another's fetch; what that fetch brought (or its failure) is the answer then.
    fn lookup(&self, url: &str, kid: &str, waited_since: Option<Instant>) -> Step {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.entry(url.to_string()).or_default();
        let since_we_waited = |at: Instant| waited_since.is_some_and(|since| at >= since);
        if entry.failed.is_some_and(since_we_waited) {
            return Step::Done(Err(LtiError::KeysUnavailable));
        }
        let fetching = entry.fetching.clone();
        let Some(cached) = entry
            .cached
            .as_ref()
            .filter(|c| c.fetched.elapsed() < CACHE_FOR)
        else {
            return Step::Fetch {
                refresh: false,
                fetching,
            };
        };
        if let Some(key) = key_of(&cached.keys, kid) {
            return Step::Done(key);
        }
        let refreshed_lately = cached
            .refreshed_for_kid
            .is_some_and(|at| at.elapsed() < REFRESH_AT_MOST_EVERY);
        if refreshed_lately || since_we_waited(cached.fetched) {
            return Step::Done(Err(LtiError::UnknownKid(kid.into())));
        }
        Step::Fetch {
            refresh: true,
            fetching,
        }
    }

    /// The key `kid` of the platform publishing at `url`.
    pub async fn key(&self, url: &str, kid: &str) -> Result<DecodingKey, LtiError> {
        let asked = Instant::now();
        let fetching = match self.lookup(url, kid, None) {
            Step::Done(result) => return result,
            Step::Fetch { fetching, .. } => fetching,
        };
        let _only_fetch = fetching.lock().await;
        let refresh = match self.lookup(url, kid, Some(asked)) {
            Step::Done(result) => return result,
            Step::Fetch { refresh, .. } => refresh,
        };
        let fetched = self.fetch(url).await;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.entry(url.to_string()).or_default();
        let keys = match fetched {
            Ok(keys) => keys,
            Err(error) => {
                entry.failed = Some(Instant::now());
                return Err(error);
            }
        };
        let found = key_of(&keys, kid);
        entry.cached = Some(Cached {
            keys,
            fetched: Instant::now(),
            refreshed_for_kid: refresh.then(Instant::now),
        });
        found.unwrap_or_else(|| Err(LtiError::UnknownKid(kid.into())))
    }
}
