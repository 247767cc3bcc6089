//! Passwords (argon2) and cookie sessions stored in the database.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use domain::api::{Credentials, Me, MAX_PASSWORD_LEN, MAX_USERNAME_LEN};
use domain::Identity;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{now_secs, with_pool};
use crate::error::{Error, Result};
use crate::Store;

/// How long a session lasts without signing in again.
pub const SESSION_TTL_SECS: i64 = 14 * 24 * 3600;

/// The signed-in user: what they are called and what the rules need to decide for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub me: Me,
    pub identity: Identity,
}

/// Argon2id with a fresh salt. CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Hashing(e.to_string()))
}

impl Store {
    /// Checks the credentials and opens a session; returns the cookie token and the user.
    pub async fn login(&self, credentials: &Credentials) -> Result<(String, Me)> {
        if credentials.username.len() > MAX_USERNAME_LEN
            || credentials.password.len() > MAX_PASSWORD_LEN
        {
            return Err(Error::BadCredentials);
        }
        let row: Option<(i64, String, String, bool, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id, username, display_name, site_admin, password_hash FROM users WHERE username = $1")
                .bind(&credentials.username)
                .fetch_optional(pool)
                .await?
        );
        // Verify against a throwaway hash for unknown users so timing does not reveal who exists.
        let stored = match &row {
            Some(row) => row.4.clone(),
            None => self.decoy_hash().await?,
        };
        let password = credentials.password.clone();
        let valid = blocking(move || verify_password(&password, &stored)).await?;
        let Some((id, username, name, site_admin, _)) = row.filter(|_| valid) else {
            return Err(Error::BadCredentials);
        };
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

    async fn decoy_hash(&self) -> Result<String> {
        let decoy = self
            .decoy
            .get_or_try_init(|| async { blocking(|| hash_password("decoy password")).await? })
            .await?;
        Ok(decoy.clone())
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
