//! Persistence and the use-cases on top of it. Every use-case takes the signed-in [`Viewer`]
//! and asks `domain`'s rules whether they may; the REST API and the app's server functions
//! are thin translations of these calls.

mod auth;
mod containers;
mod db;
mod directory;
mod error;
mod media;
mod seed;
mod site;

use std::sync::Arc;

pub use auth::{hash_password, Viewer, SESSION_TTL_SECS};
pub use db::Db;
pub use error::{Error, Result};
pub use seed::DEMO_PASSWORD;

#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// A hash to verify unknown usernames against, made once.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Store {
    pub async fn connect(database_url: &str) -> Result<Self> {
        Ok(Self::new(Db::connect(database_url).await?))
    }

    pub fn new(db: Db) -> Self {
        Self {
            db,
            decoy: Arc::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl Store {
    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        db::with_pool!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await?.rows_affected());
        Ok(())
    }
}
