//! Persistence and the use-cases on top of it. Every use-case takes the signed-in [`Viewer`]
//! and asks `domain`'s rules whether they may; the REST API and the app's server functions
//! are thin translations of these calls.

mod auth;
mod chat;
mod containers;
mod db;
mod directory;
mod error;
mod invitations;
mod live;
pub mod lti;
mod media;
mod moderation;
mod polls;
mod qna;
mod recordings;
mod seed;
mod sessions;
mod site;

use std::sync::Arc;

pub use auth::{
    hash_password, SignInError, Viewer, FAILURES_PER_ACCOUNT, FAILURES_PER_ACCOUNT_AND_ADDRESS,
    FAILURES_PER_ADDRESS, HASHING_PERMITS, HASHING_QUEUE, SESSION_TTL_SECS,
};
pub use chat::CHAT_HISTORY;
pub use db::Db;
pub use error::{Error, Result};
pub use live::LiveRoomSetup;
pub use polls::POLL_HISTORY;
pub use qna::QNA_HISTORY;
pub use recordings::{Recording, RecordingState};
pub use seed::{DEMO_PASSWORD, LOAD_USER_PREFIX};

#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// A hash to verify unknown usernames against, made once.
    decoy: Arc<tokio::sync::OnceCell<String>>,
    /// Sign-in limits and the password-hashing cap, shared by every handle of this store.
    sign_in_guard: Arc<auth::SignInGuard>,
    changes: tokio::sync::broadcast::Sender<Change>,
}

/// A saved change live rooms must react to (in this process; the Redis bus relays them across
/// nodes when scaled out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    RoomSettings {
        container_id: i64,
        enabled: bool,
        mode: domain::RoomMode,
        stage_access: domain::StageAccess,
        group_chat: bool,
        qna_enabled: bool,
    },
    /// A user joined or left a group: their rights in live rooms may have changed.
    Membership { user_id: i64 },
    /// The site's defaults changed (Q&A "according to site default" among them).
    SiteSettings,
    /// An invitation link of this room was revoked: connections it admitted must be checked
    /// again.
    InvitationRevoked { container_id: i64 },
    /// The moderators on the Roles & permissions tab of this container's room entry changed:
    /// rights in its room are re-resolved.
    RoomEntryRoles { container_id: i64 },
    /// A media entry appeared in this container or a past session was written: its page
    /// refreshes what it lists.
    ContainerContent { container_id: i64 },
    /// A recording of this container's room started or changed status (see `recordings`).
    RecordingChanged { container_id: i64, media_id: i64 },
}

impl Store {
    pub async fn connect(database_url: &str) -> Result<Self> {
        Ok(Self::new(Db::connect(database_url).await?))
    }

    pub fn new(db: Db) -> Self {
        Self {
            db,
            decoy: Arc::default(),
            sign_in_guard: Arc::default(),
            changes: tokio::sync::broadcast::channel(256).0,
        }
    }

    /// Changes saved from now on, through any handle of this store.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
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
