//! Passwords (argon2), signing in under limits, and cookie sessions stored in the database.
//!
//! Every way of signing in (the REST API and the app's `login` server function) goes through
//! [`Store::sign_in`], so they share one set of limits and one cap on password hashing.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use domain::api::{Credentials, Me, MAX_PASSWORD_LEN, MAX_USERNAME_LEN};
use domain::Identity;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::db::{now_secs, with_pool};
use crate::error::{Error, Result};
use crate::Store;

/// How long a session lasts without signing in again.
pub const SESSION_TTL_SECS: i64 = 14 * 24 * 3600;

/// Wrong passwords for one account from one address, per minute: a person mistyping stays
/// well below, a guesser is held to one try per six seconds after the burst.
pub const FAILURES_PER_ACCOUNT_AND_ADDRESS: u32 = 10;
/// Wrong passwords from one address over all accounts, per minute: one host guessing many
/// accounts (credential stuffing). Successes do not count, so a lecture hall behind one NAT
/// address, or 300 load-test bots on loopback, still sign in.
pub const FAILURES_PER_ADDRESS: u32 = 30;
/// Wrong passwords for one account from all addresses, per minute: a guesser spread over many
/// addresses is slowed too, while the owner's own sign-in from elsewhere is not locked out for
/// long.
pub const FAILURES_PER_ACCOUNT: u32 = 100;
/// Password hashes computed at once. Argon2 as configured takes ~19 MiB per hash, so this
/// bounds the memory sign-ins can take, and leaves the other cores to the rooms.
pub const HASHING_PERMITS: usize = 2;
/// Sign-ins that may wait for a hashing permit; past this they are refused as busy rather
/// than queued without bound.
pub const HASHING_QUEUE: usize = 16;
/// What a busy refusal asks the client to wait: a queue's worth of hashes takes well under it.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Buckets are pruned of keys back at full capacity once per this many reservations.
const PRUNE_EVERY: u64 = 4096;

/// The signed-in user: what they are called and what the rules need to decide for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub me: Me,
    pub identity: Identity,
}

/// Why a sign-in did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong credentials (`BadCredentials`), or the database failed.
    #[error(transparent)]
    Refused(#[from] Error),
    /// Too many wrong passwords for this account or from this address: no password was
    /// checked.
    #[error("too many failed sign-ins; try again in {} seconds", retry_after_secs(*retry_after))]
    RateLimited { retry_after: Duration },
    /// Too many sign-ins are already waiting to have their password checked.
    #[error("the server is busy signing people in; try again in a moment")]
    Busy { retry_after: Duration },
}

impl SignInError {
    /// Whole seconds for a `Retry-After` header (at least 1), if the client should retry.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Refused(_) => None,
            Self::RateLimited { retry_after } | Self::Busy { retry_after } => {
                Some(retry_after_secs(*retry_after))
            }
        }
    }
}

fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// Argon2id with a fresh salt. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// Checks `password` against a PHC hash string, working in `memory` (grown to what the hash's
/// parameters need, then kept). argon2's own `verify_password` allocates its ~19 MiB afresh
/// on every call, and glibc keeps such blocks in each blocking thread's arena: 50 sign-ins
/// spread over the blocking pool's threads left RSS ~170 MiB higher with only two hashing at
/// once. Reusing one buffer per permit bounds it to the buffers themselves.
fn verify_password(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(hash.algorithm),
        hash.version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&hash),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory[..])
        .is_ok()
        // `Output`'s equality is constant-time.
        && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// The address limits are kept for: IPv6 clients get a whole /64 each, so a host cannot dodge
/// the limit by walking its own subnet; IPv4-mapped addresses count as the IPv4 address; no
/// address (a router driven without a socket, as in tests) is one unknown address.
fn address_key(client: Option<IpAddr>) -> IpAddr {
    match client {
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (!0u128 << 64))),
        },
        Some(v4) => v4,
    }
}

/// Whether a check takes a cell from a key's bucket or gives one back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Cell {
    Take,
    GiveBack,
}

/// governor's keyed store with one addition: giving a cell back. Only wrong passwords count,
/// but whether a password is wrong is known only after hashing it, and the limit must hold
/// before hashing (else concurrent guesses all get checked). So each attempt takes a cell up
/// front and a correct one gives it back. governor keeps a key's state as its GCRA
/// "theoretical arrival time" (TAT); taking a cell moves it one interval on, so giving one
/// back moves it one interval back.
#[derive(Debug)]
struct Refundable<K: Hash + Eq + Clone> {
    buckets: DashMapStateStore<K>,
    /// The quota's replenish interval: what one cell moves the TAT by.
    interval: Nanos,
}

impl<K: Hash + Eq + Clone> StateStore for Refundable<K> {
    type Key = (K, Cell);

    fn measure_and_replace<T, F, E>(&self, (key, cell): &Self::Key, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        match cell {
            Cell::Take => self.buckets.measure_and_replace(key, f),
            // A pruned key is back at full capacity: nothing to give back, nothing to store.
            Cell::GiveBack if !self.buckets.contains_key(key) => {
                f(None).map(|(outcome, _)| outcome)
            }
            // `f(None)` (a fresh bucket) always conforms, so it only makes the outcome value.
            Cell::GiveBack => self.buckets.measure_and_replace(key, |tat| {
                let (outcome, _) = f(None)?;
                Ok((
                    outcome,
                    tat.unwrap_or_default().saturating_sub(self.interval),
                ))
            }),
        }
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<(K, Cell)> for Refundable<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.buckets.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.buckets.shrink_to_fit();
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&self.buckets)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&self.buckets)
    }
}

/// At most `per_minute` failures per key and minute (a burst of that many, then one more per
/// `60 s / per_minute`), counted in advance and refunded on success.
#[derive(Debug)]
struct FailureLimit<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    limiter: RateLimiter<(K, Cell), Refundable<K>, C, NoOpMiddleware<C::Instant>>,
}

impl<K: Hash + Eq + Clone, C: Clock> FailureLimit<K, C> {
    fn new(per_minute: u32, clock: C) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).expect("a limit above zero"));
        let buckets = Refundable {
            buckets: DashMapStateStore::default(),
            interval: quota.replenish_interval().into(),
        };
        Self {
            limiter: RateLimiter::new(quota, buckets, clock),
        }
    }

    /// Counts an attempt as failed in advance; `Err(wait)` if the key has no failures left.
    fn take(&self, key: &K) -> Result<(), Duration> {
        self.limiter
            .check_key(&(key.clone(), Cell::Take))
            .map_err(|refused| refused.wait_time_from(self.limiter.clock().now()))
    }

    fn give_back(&self, key: &K) {
        // Giving back always conforms; the outcome carries nothing.
        let _ = self.limiter.check_key(&(key.clone(), Cell::GiveBack));
    }

    /// Drops keys back at full capacity, so guessed usernames do not pile up.
    fn prune(&self) {
        self.limiter.retain_recent();
    }
}

/// The three failure limits, and the cap on password hashing. One per [`Store`] (and so per
/// process): limits are per node, which still bounds a guesser to nodes × limit.
pub(crate) struct SignInGuard {
    by_account_and_address: FailureLimit<(String, IpAddr)>,
    by_address: FailureLimit<IpAddr>,
    by_account: FailureLimit<String>,
    reservations: AtomicU64,
    /// Places for sign-ins hashing or waiting to ([`HASHING_PERMITS`] + [`HASHING_QUEUE`]).
    places: Arc<Semaphore>,
    /// Permits to hash ([`HASHING_PERMITS`]).
    hashing: Arc<Semaphore>,
    /// Argon2's working memory, one buffer per permit in use, reused (see [`verify_password`]).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl std::fmt::Debug for SignInGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInGuard")
            .field("hashing_permits_free", &self.hashing.available_permits())
            .field("places_free", &self.places.available_permits())
            .finish_non_exhaustive()
    }
}

impl Default for SignInGuard {
    fn default() -> Self {
        Self {
            by_account_and_address: FailureLimit::new(
                FAILURES_PER_ACCOUNT_AND_ADDRESS,
                DefaultClock::default(),
            ),
            by_address: FailureLimit::new(FAILURES_PER_ADDRESS, DefaultClock::default()),
            by_account: FailureLimit::new(FAILURES_PER_ACCOUNT, DefaultClock::default()),
            reservations: AtomicU64::new(0),
            places: Arc::new(Semaphore::new(HASHING_PERMITS + HASHING_QUEUE)),
            hashing: Arc::new(Semaphore::new(HASHING_PERMITS)),
            memory: Arc::default(),
        }
    }
}

/// One attempt's cells, taken from all three limits. Kept (the attempt counts as failed)
/// unless given back: a client that hangs up mid-check still pays for the hash it caused.
struct Reservation<'a> {
    guard: &'a SignInGuard,
    account: String,
    address: IpAddr,
}

impl Reservation<'_> {
    fn give_back(self) {
        let guard = self.guard;
        guard
            .by_account_and_address
            .give_back(&(self.account.clone(), self.address));
        guard.by_address.give_back(&self.address);
        guard.by_account.give_back(&self.account);
    }
}

impl SignInGuard {
    /// Takes one failure from each limit, or none if any is spent (then the longest wait).
    fn reserve(&self, account: &str, address: IpAddr) -> Result<Reservation<'_>, Duration> {
        if self.reservations.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.by_account_and_address.prune();
            self.by_address.prune();
            self.by_account.prune();
        }
        let account = account.to_owned();
        let pair = (account.clone(), address);
        self.by_account_and_address.take(&pair)?;
        if let Err(wait) = self.by_address.take(&address) {
            self.by_account_and_address.give_back(&pair);
            return Err(wait);
        }
        if let Err(wait) = self.by_account.take(&account) {
            self.by_account_and_address.give_back(&pair);
            self.by_address.give_back(&address);
            return Err(wait);
        }
        Ok(Reservation {
            guard: self,
            account,
            address,
        })
    }

    /// Runs password hashing on a blocking thread under the cap; refuses at once when the
    /// queue is full. The permits move into the blocking work, so a request given up
    /// mid-hash keeps its permit until the hash is done: never more than
    /// [`HASHING_PERMITS`] hashes, whoever waits or leaves.
    async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, SignInError> {
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| SignInError::Busy {
                retry_after: BUSY_RETRY_AFTER,
            })?;
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .expect("the hashing semaphore is never closed");
        let memory = self.memory.clone();
        Ok(blocking(move || {
            let _held = (place, permit);
            // At most one buffer per permit exists: whoever holds a permit finds one free
            // or makes the next.
            let mut buffer = memory
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop()
                .unwrap_or_default();
            let outcome = work(&mut buffer);
            memory
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(buffer);
            outcome
        })
        .await?)
    }
}

impl Store {
    /// Checks the credentials and opens a session; returns the cookie token and the user.
    /// `client` is the caller's address (`None` when unknown), which the limits are kept for.
    /// Refusals are logged with the username and address, never the password.
    pub async fn sign_in(
        &self,
        credentials: &Credentials,
        client: Option<IpAddr>,
    ) -> Result<(String, Me), SignInError> {
        let username = &credentials.username;
        let address = address_key(client);
        if username.len() > MAX_USERNAME_LEN || credentials.password.len() > MAX_PASSWORD_LEN {
            let shown: String = username.chars().take(MAX_USERNAME_LEN).collect();
            tracing::warn!(username = ?shown, %address, reason = "over-long credentials", "sign-in refused");
            return Err(Error::BadCredentials.into());
        }
        let reservation = match self.sign_in_guard.reserve(username, address) {
            Ok(reservation) => reservation,
            Err(wait) => {
                tracing::warn!(username = ?username, %address, reason = "too many failed sign-ins", "sign-in refused");
                return Err(SignInError::RateLimited { retry_after: wait });
            }
        };
        let row: Option<(i64, String, String, bool, String)> = match with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id, username, display_name, site_admin, password_hash FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await
        ) {
            Ok(row) => row,
            Err(error) => {
                reservation.give_back();
                return Err(Error::from(error).into());
            }
        };
        // Unknown users cost one hash too (against a throwaway one), so neither timing nor
        // the cap's queue reveals who exists.
        let stored = match &row {
            Some(row) => Some(row.4.clone()),
            None => self.decoy.get().cloned(),
        };
        let password = credentials.password.clone();
        let checked = self
            .sign_in_guard
            .hash(move |memory| match stored {
                Some(stored) => (verify_password(&password, &stored, memory), None),
                // The first unknown user makes the decoy: a hash costs what a check does.
                None => (false, hash_password("decoy password").ok()),
            })
            .await;
        let valid = match checked {
            Ok((valid, decoy)) => {
                if let Some(decoy) = decoy {
                    let _ = self.decoy.set(decoy);
                }
                valid
            }
            Err(error) => {
                if matches!(error, SignInError::Busy { .. }) {
                    tracing::warn!(username = ?username, %address, reason = "password hashing queue full", "sign-in refused");
                }
                reservation.give_back();
                return Err(error);
            }
        };
        let known = row.is_some();
        let Some((id, username, name, site_admin, _)) = row.filter(|_| valid) else {
            let reason = if known {
                "wrong password"
            } else {
                "unknown user"
            };
            tracing::warn!(username = ?credentials.username, %address, reason, "sign-in failed");
            return Err(Error::BadCredentials.into());
        };
        reservation.give_back();
        let token = self.create_session(id).await?;
        Ok((
            token,
            Me {
                id,
                username,
                name,
                site_admin,
            },
        ))
    }

    pub async fn create_session(&self, user_id: i64) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let now = now_secs();
        with_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(pool).await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash(&token))
                .bind(user_id)
                .bind(now)
                .bind(now + SESSION_TTL_SECS)
                .execute(pool)
                .await?;
        });
        Ok(token)
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        with_pool!(&self.db, pool =>
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(pool).await?.rows_affected()
        );
        Ok(())
    }

    /// The user a session token belongs to, with their current groups; `None` if the session
    /// is unknown or expired.
    pub async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>> {
        let row: Option<(i64, String, String, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT u.id, u.username, u.display_name, u.site_admin FROM sessions s \
                 JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash(token))
            .bind(now_secs())
            .fetch_optional(pool)
            .await?
        );
        self.viewer_from(row).await
    }

    /// A user as they are now (groups included), for re-resolving a live participant's rights.
    pub async fn viewer_by_id(&self, user_id: i64) -> Result<Option<Viewer>> {
        let row: Option<(i64, String, String, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id, username, display_name, site_admin FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        );
        self.viewer_from(row).await
    }

    /// A user row (id, username, display name, site admin) with the user's current groups.
    async fn viewer_from(
        &self,
        row: Option<(i64, String, String, bool)>,
    ) -> Result<Option<Viewer>> {
        let Some((id, username, name, site_admin)) = row else {
            return Ok(None);
        };
        let groups = self.groups_of(id).await?;
        Ok(Some(Viewer {
            me: Me {
                id,
                username,
                name,
                site_admin,
            },
            identity: Identity {
                user_id: id,
                groups,
                site_admin,
            },
        }))
    }

    pub(crate) async fn groups_of(&self, user_id: i64) -> Result<Vec<i64>> {
        let groups: Vec<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        );
        Ok(groups.into_iter().map(|(id,)| id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn failure_limit(
        per_minute: u32,
    ) -> (
        FailureLimit<&'static str, FakeRelativeClock>,
        FakeRelativeClock,
    ) {
        let clock = FakeRelativeClock::default();
        (FailureLimit::new(per_minute, clock.clone()), clock)
    }

    #[test]
    fn the_eleventh_failure_in_a_minute_waits_for_the_bucket_to_refill() {
        let (limit, clock) = failure_limit(10);
        for attempt in 1..=10 {
            assert_eq!(limit.take(&"teacher"), Ok(()), "attempt {attempt}");
        }
        let wait = limit.take(&"teacher").unwrap_err();
        assert_eq!(wait, Duration::from_secs(6), "one cell per 60 s / 10");
        assert_eq!(
            limit.take(&"student"),
            Ok(()),
            "other keys are not affected"
        );
        clock.advance(Duration::from_secs(5));
        assert!(limit.take(&"teacher").is_err());
        clock.advance(Duration::from_secs(1));
        assert_eq!(limit.take(&"teacher"), Ok(()));
        assert!(limit.take(&"teacher").is_err());
    }

    #[test]
    fn a_cell_given_back_is_taken_again_and_only_once() {
        let (limit, _clock) = failure_limit(10);
        for _ in 0..10 {
            limit.take(&"teacher").unwrap();
        }
        limit.give_back(&"teacher");
        assert_eq!(limit.take(&"teacher"), Ok(()));
        assert!(limit.take(&"teacher").is_err());
        // Successes give back what they took: any number of them never spends the budget.
        let (limit, _clock) = failure_limit(10);
        for _ in 0..100 {
            limit.take(&"student").unwrap();
            limit.give_back(&"student");
        }
        for _ in 0..10 {
            assert_eq!(limit.take(&"student"), Ok(()));
        }
        // Giving back more than was taken does not build up credit.
        limit.give_back(&"nobody");
        limit.give_back(&"nobody");
        for _ in 0..10 {
            limit.take(&"nobody").unwrap();
        }
        assert!(limit.take(&"nobody").is_err());
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(Some(a)), address_key(Some(b)));
        assert_ne!(address_key(Some(a)), address_key(Some(other)));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            address_key(Some(mapped)),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(address_key(None), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn retry_after_is_whole_seconds_and_at_least_one() {
        assert_eq!(retry_after_secs(Duration::from_millis(5_001)), 6);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn passwords_are_checked_in_reused_memory() {
        let stored = hash_password("demo").unwrap();
        let mut memory = Vec::new();
        assert!(verify_password("demo", &stored, &mut memory));
        let blocks = memory.len();
        assert_eq!(blocks, Params::default().block_count(), "19 MiB");
        assert!(!verify_password("Demo", &stored, &mut memory));
        assert!(
            verify_password("demo", &stored, &mut memory),
            "a used buffer works"
        );
        assert_eq!(memory.len(), blocks, "and is not grown again");
        assert!(!verify_password("demo", "not a hash", &mut memory));
        let other = hash_password("other").unwrap();
        assert!(!verify_password("demo", &other, &mut memory));
    }

    #[tokio::test]
    async fn a_full_hashing_queue_refuses_at_once_without_counting_a_failure() {
        let (store, _dir) = crate::seed::demo_store().await;
        let everyone = (HASHING_PERMITS + HASHING_QUEUE) as u32;
        let taken = store
            .sign_in_guard
            .places
            .clone()
            .try_acquire_many_owned(everyone)
            .unwrap();
        let here = Some("192.0.2.20".parse().unwrap());
        for _ in 0..=FAILURES_PER_ACCOUNT_AND_ADDRESS {
            let busy = store.sign_in(&credentials("teacher", "guess"), here).await;
            let Err(error @ SignInError::Busy { .. }) = busy else {
                panic!("{busy:?}");
            };
            assert_eq!(error.retry_after_secs(), Some(1));
        }
        drop(taken);
        store
            .sign_in(&credentials("teacher", "demo"), here)
            .await
            .expect("refusals as busy checked no password and count as no failure");
    }

    fn credentials(username: &str, password: &str) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn wrong_passwords_are_limited_per_account_and_address_and_successes_are_free() {
        let (store, _dir) = crate::seed::demo_store().await;
        let here = Some("192.0.2.1".parse().unwrap());
        let elsewhere = Some("192.0.2.2".parse().unwrap());
        for _ in 0..FAILURES_PER_ACCOUNT_AND_ADDRESS {
            let refused = store.sign_in(&credentials("teacher", "guess"), here).await;
            assert!(matches!(
                refused,
                Err(SignInError::Refused(Error::BadCredentials))
            ));
        }
        let limited = store.sign_in(&credentials("teacher", "demo"), here).await;
        let Err(SignInError::RateLimited { retry_after }) = limited else {
            panic!("the 11th attempt is not checked: {limited:?}");
        };
        assert!(retry_after <= Duration::from_secs(6), "{retry_after:?}");
        store
            .sign_in(&credentials("teacher", "demo"), elsewhere)
            .await
            .expect("the owner, from another address");
        store
            .sign_in(&credentials("student", "demo"), here)
            .await
            .expect("another account from the same address");
        // Correct passwords give their cell back: more than the limit in a row all work.
        for _ in 0..=FAILURES_PER_ACCOUNT_AND_ADDRESS {
            store
                .sign_in(&credentials("student2", "demo"), here)
                .await
                .expect("successes do not count");
        }
    }

    #[tokio::test]
    async fn one_address_guessing_many_accounts_is_limited() {
        let (store, _dir) = crate::seed::demo_store().await;
        let here = Some("192.0.2.9".parse().unwrap());
        for n in 0..FAILURES_PER_ADDRESS {
            let refused = store
                .sign_in(&credentials(&format!("nobody{n}"), "guess"), here)
                .await;
            assert!(matches!(
                refused,
                Err(SignInError::Refused(Error::BadCredentials))
            ));
        }
        let limited = store.sign_in(&credentials("teacher", "demo"), here).await;
        assert!(
            matches!(limited, Err(SignInError::RateLimited { .. })),
            "{limited:?}"
        );
        let elsewhere = Some("192.0.2.10".parse().unwrap());
        store
            .sign_in(&credentials("teacher", "demo"), elsewhere)
            .await
            .expect("other addresses are not affected");
    }
}
