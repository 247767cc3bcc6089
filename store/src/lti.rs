//! LTI 1.3 persistence: platform registrations (site admins), the tool's signing keys,
//! single-use login states and nonces, one-time tickets, and the launch's effect: the person
//! (issuer + sub) as a user, the course (platform + context) as a gallery, the course role as a
//! grant on it. The checks of a launch happen before any of this, in the server.

use domain::lti::{Platform, PlatformInput};
use domain::{ContainerRole, Lms};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{next_id, now_secs, with_pool};
use crate::error::{Error, Result};
use crate::{Change, Store, Viewer};

/// The password hash of users made by a launch: not a PHC string, so no password ever matches
/// it (sign-in parses the stored hash first and refuses what does not parse).
const NO_PASSWORD: &str = "!lti";

/// One of the tool's RSA keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolKey {
    pub kid: String,
    pub private_key_pem: String,
    /// base64url big-endian, as a JWK carries them.
    pub modulus: String,
    pub exponent: String,
    pub created_at: i64,
}

/// Someone the platform names: `subject` is the token's `sub` (or the roster's `user_id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtiPerson {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub role: ContainerRole,
}

/// A launch that passed every check.
#[derive(Clone, Debug)]
pub struct CourseLaunch {
    pub context_id: String,
    pub context_title: String,
    pub person: LtiPerson,
    pub memberships_url: Option<String>,
}

/// Where a launch put the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Landed {
    pub user_id: i64,
    pub container_id: i64,
    pub room_enabled: bool,
}

type PlatformRow = (i64, String, String, String, String, String, String, String);

fn parse_platform(row: PlatformRow) -> Result<Platform> {
    let (id, lms, issuer, client_id, deployments, auth_url, jwks_url, token_url) = row;
    Ok(Platform {
        id,
        lms: Lms::parse(&lms).ok_or_else(|| Error::corrupt("lms", &lms))?,
        issuer,
        client_id,
        deployment_ids: serde_json::from_str(&deployments)
            .map_err(|_| Error::corrupt("deployment ids", &deployments))?,
        auth_url,
        jwks_url,
        token_url,
    })
}

const PLATFORM_COLUMNS: &str =
    "SELECT id, lms, issuer, client_id, deployment_ids, auth_url, jwks_url, token_url FROM lti_platforms";

/// SHA-256 of a token, hex: how tickets are stored, and what names a launch's state cookie.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random token (256 bits, hex): states, nonces, tickets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn is_unique_violation(error: &Error) -> bool {
    matches!(error, Error::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
}

fn require_site_admin(viewer: &Viewer) -> Result<()> {
    if viewer.identity.site_admin {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only site administrators manage LMS platforms".into(),
        ))
    }
}

fn checked(input: &PlatformInput) -> Result<PlatformInput> {
    input.validate().map_err(|e| Error::Invalid(e.to_string()))
}

impl Store {
    pub async fn lti_platforms(&self, viewer: &Viewer) -> Result<Vec<Platform>> {
        require_site_admin(viewer)?;
        let rows: Vec<PlatformRow> = with_pool!(&self.db, pool =>
            sqlx::query_as(&format!("{PLATFORM_COLUMNS} ORDER BY issuer, client_id")).fetch_all(pool).await?
        );
        rows.into_iter().map(parse_platform).collect()
    }

    /// A registration by id, unchecked (launches and roster syncs).
    pub async fn lti_platform(&self, id: i64) -> Result<Platform> {
        let row: Option<PlatformRow> = with_pool!(&self.db, pool =>
            sqlx::query_as(&format!("{PLATFORM_COLUMNS} WHERE id = $1")).bind(id).fetch_optional(pool).await?
        );
        parse_platform(row.ok_or_else(|| Error::NotFound(format!("no LMS platform {id}")))?)
    }

    /// The registration a login initiation names: by issuer and client id, or by issuer alone
    /// when the platform sends no client id and only one registration has that issuer.
    pub async fn lti_platform_for_login(
        &self,
        issuer: &str,
        client_id: Option<&str>,
    ) -> Result<Option<Platform>> {
        let rows: Vec<PlatformRow> = with_pool!(&self.db, pool =>
            sqlx::query_as(&format!("{PLATFORM_COLUMNS} WHERE issuer = $1 ORDER BY id")).bind(issuer).fetch_all(pool).await?
        );
        let mut found = rows
            .into_iter()
            .map(parse_platform)
            .collect::<Result<Vec<_>>>()?;
        if let Some(client_id) = client_id {
            found.retain(|p| p.client_id == client_id);
        }
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    pub async fn create_lti_platform(
        &self,
        viewer: &Viewer,
        input: &PlatformInput,
    ) -> Result<Platform> {
        require_site_admin(viewer)?;
        let input = checked(input)?;
        let id = next_id();
        let saved = with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO lti_platforms (id, lms, issuer, client_id, deployment_ids, auth_url, jwks_url, token_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(input.lms.as_str())
        .bind(&input.issuer)
        .bind(&input.client_id)
        .bind(serde_json::to_string(&input.deployment_ids).expect("strings serialise"))
        .bind(&input.auth_url)
        .bind(&input.jwks_url)
        .bind(&input.token_url)
        .bind(now_secs())
        .execute(pool)
        .await
        .map(|_| ()));
        duplicate_is_invalid(saved.map_err(Error::from), &input)?;
        tracing::info!(platform_id = id, issuer = %input.issuer, "LMS platform registered");
        Ok(Platform::from_input(id, input))
    }

    pub async fn update_lti_platform(
        &self,
        viewer: &Viewer,
        id: i64,
        input: &PlatformInput,
    ) -> Result<Platform> {
        require_site_admin(viewer)?;
        let input = checked(input)?;
        let updated = with_pool!(&self.db, pool => sqlx::query(
            "UPDATE lti_platforms SET lms = $2, issuer = $3, client_id = $4, deployment_ids = $5, \
             auth_url = $6, jwks_url = $7, token_url = $8 WHERE id = $1",
        )
        .bind(id)
        .bind(input.lms.as_str())
        .bind(&input.issuer)
        .bind(&input.client_id)
        .bind(serde_json::to_string(&input.deployment_ids).expect("strings serialise"))
        .bind(&input.auth_url)
        .bind(&input.jwks_url)
        .bind(&input.token_url)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()));
        if duplicate_is_invalid(updated.map_err(Error::from), &input)? == 0 {
            return Err(Error::NotFound(format!("no LMS platform {id}")));
        }
        // Its courses are found by this issuer once the registration is deleted and made anew.
        with_pool!(&self.db, pool =>
            sqlx::query("UPDATE lti_contexts SET issuer = $2 WHERE platform_id = $1 AND issuer <> $2")
                .bind(id).bind(&input.issuer).execute(pool).await?.rows_affected()
        );
        Ok(Platform::from_input(id, input))
    }

    /// Removes a registration; its courses' galleries stay (their content is the site's), no
    /// longer reached from the LMS until a registration with the same issuer is made: its
    /// launches find them again (see `lti_context`).
    pub async fn delete_lti_platform(&self, viewer: &Viewer, id: i64) -> Result<()> {
        require_site_admin(viewer)?;
        let deleted = with_pool!(&self.db, pool =>
            sqlx::query("DELETE FROM lti_platforms WHERE id = $1").bind(id).execute(pool).await?.rows_affected()
        );
        if deleted == 0 {
            return Err(Error::NotFound(format!("no LMS platform {id}")));
        }
        Ok(())
    }

    /// The tool's keys, newest (the signing one) first.
    pub async fn lti_tool_keys(&self) -> Result<Vec<ToolKey>> {
        let rows: Vec<(String, String, String, String, i64)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT kid, private_key_pem, modulus, exponent, created_at FROM lti_tool_keys ORDER BY created_at DESC, kid DESC",
            )
            .fetch_all(pool)
            .await?
        );
        Ok(rows
            .into_iter()
            .map(
                |(kid, private_key_pem, modulus, exponent, created_at)| ToolKey {
                    kid,
                    private_key_pem,
                    modulus,
                    exponent,
                    created_at,
                },
            )
            .collect())
    }

    /// Adds a key (it signs from now on) and drops all but the `keep` newest.
    pub async fn add_lti_tool_key(&self, key: &ToolKey, keep: usize) -> Result<()> {
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO lti_tool_keys (kid, private_key_pem, modulus, exponent, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.kid)
        .bind(&key.private_key_pem)
        .bind(&key.modulus)
        .bind(&key.exponent)
        .bind(key.created_at)
        .execute(pool)
        .await?
        .rows_affected());
        for old in self.lti_tool_keys().await?.into_iter().skip(keep.max(1)) {
            with_pool!(&self.db, pool =>
                sqlx::query("DELETE FROM lti_tool_keys WHERE kid = $1").bind(&old.kid).execute(pool).await?.rows_affected()
            );
        }
        Ok(())
    }

    /// Records a login initiation's state and nonce for `ttl_secs`; purges expired ones.
    pub async fn issue_lti_state(
        &self,
        state: &str,
        nonce: &str,
        platform_id: i64,
        ttl_secs: i64,
    ) -> Result<()> {
        let now = now_secs();
        with_pool!(&self.db, pool => {
            sqlx::query("DELETE FROM lti_login_states WHERE expires_at < $1").bind(now).execute(pool).await?;
            sqlx::query("DELETE FROM lti_used_nonces WHERE expires_at < $1").bind(now).execute(pool).await?;
            sqlx::query("DELETE FROM lti_tickets WHERE expires_at < $1").bind(now).execute(pool).await?;
            sqlx::query("INSERT INTO lti_login_states (state, nonce, platform_id, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(state).bind(nonce).bind(platform_id).bind(now + ttl_secs)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// Takes a state (it works once): its nonce and platform, `None` if never issued, already
    /// taken or expired.
    pub async fn take_lti_state(&self, state: &str) -> Result<Option<(String, i64)>> {
        let row: Option<(String, i64, i64)> = with_pool!(&self.db, pool =>
            sqlx::query_as("DELETE FROM lti_login_states WHERE state = $1 RETURNING nonce, platform_id, expires_at")
                .bind(state)
                .fetch_optional(pool)
                .await?
        );
        Ok(row
            .filter(|(_, _, expires_at)| *expires_at >= now_secs())
            .map(|(nonce, platform_id, _)| (nonce, platform_id)))
    }

    pub async fn lti_nonce_used(&self, issuer: &str, nonce: &str) -> Result<bool> {
        let row: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT expires_at FROM lti_used_nonces WHERE issuer = $1 AND nonce = $2")
                .bind(issuer).bind(nonce).fetch_optional(pool).await?
        );
        Ok(row.is_some())
    }

    /// Marks a nonce used until `expires_at`; `false` if it already was (a replay, perhaps on
    /// another node at the same moment).
    pub async fn use_lti_nonce(&self, issuer: &str, nonce: &str, expires_at: i64) -> Result<bool> {
        let inserted = with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO lti_used_nonces (issuer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(issuer)
        .bind(nonce)
        .bind(expires_at)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(inserted == 1)
    }

    /// A one-time ticket of `kind` carrying `payload` for `ttl_secs`.
    pub async fn create_lti_ticket(
        &self,
        kind: &str,
        payload: &str,
        ttl_secs: i64,
    ) -> Result<String> {
        let ticket = random_token();
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO lti_tickets (token_hash, kind, payload, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(digest(&ticket))
        .bind(kind)
        .bind(payload)
        .bind(now_secs() + ttl_secs)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(ticket)
    }

    /// Takes a ticket of `kind` (it works once); `None` if unknown, used or expired.
    pub async fn take_lti_ticket(&self, kind: &str, ticket: &str) -> Result<Option<String>> {
        let row: Option<(String, i64)> = with_pool!(&self.db, pool =>
            sqlx::query_as("DELETE FROM lti_tickets WHERE token_hash = $1 AND kind = $2 RETURNING payload, expires_at")
                .bind(digest(ticket))
                .bind(kind)
                .fetch_optional(pool)
                .await?
        );
        Ok(row
            .filter(|(_, expires_at)| *expires_at >= now_secs())
            .map(|(payload, _)| payload))
    }
}

fn duplicate_is_invalid<T>(result: Result<T>, input: &PlatformInput) -> Result<T> {
    result.map_err(|error| {
        if is_unique_violation(&error) {
            Error::Invalid(format!(
                "a platform with issuer {} and client id {} is already registered",
                input.issuer, input.client_id
            ))
        } else {
            error
        }
    })
}

mod launch;
pub use launch::RosterSync;

/// Retries once a step that lost a race with the same first launch on another request (both
/// inserting the same person or course): the second try finds the row the other made.
async fn once_more_on_conflict<T, F, Fut>(step: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    match step().await {
        Err(error) if is_unique_violation(&error) => step().await,
        other => other,
    }
}

impl Store {
    pub(crate) fn announce_membership(&self, user_id: i64) {
        // Live rooms re-resolve this user's rights (nobody listening is fine).
        let _ = self.changes.send(Change::Membership { user_id });
    }
}
