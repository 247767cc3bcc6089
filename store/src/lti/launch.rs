//! What a checked launch and a roster sync change: users, galleries and grants.

use std::collections::HashSet;

use domain::lti::Platform;
use domain::ContainerRole;

use super::{once_more_on_conflict, CourseLaunch, Landed, LtiPerson, NO_PASSWORD};
use crate::db::{next_id, now_secs, with_pool};
use crate::error::Result;
use crate::Store;

/// What a roster sync did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RosterSync {
    /// Grants created or changed.
    pub granted: usize,
    /// Grants removed (people no longer on the roster).
    pub removed: usize,
}

/// The display name a user gets: the platform's, else the email, else a neutral one.
fn display_name(person: &LtiPerson) -> String {
    let name = person.name.trim();
    if !name.is_empty() {
        return name.chars().take(200).collect();
    }
    person
        .email
        .clone()
        .unwrap_or_else(|| "LMS user".to_string())
}

impl Store {
    /// The user behind `issuer` + `subject`, created on first sight; name and email follow the
    /// platform, but one it leaves out (a roster or an LMS privacy setting may) keeps the one
    /// known.
    async fn lti_user(&self, platform: &Platform, person: &LtiPerson) -> Result<i64> {
        let name = display_name(person);
        let email = person
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let found: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT user_id FROM lti_identities WHERE issuer = $1 AND subject = $2")
                .bind(&platform.issuer).bind(&person.subject).fetch_optional(pool).await?
        );
        if let Some((user_id,)) = found {
            let named = !person.name.trim().is_empty();
            with_pool!(&self.db, pool => {
                if named {
                    sqlx::query("UPDATE users SET display_name = $2 WHERE id = $1 AND display_name <> $2")
                        .bind(user_id).bind(&name).execute(pool).await?;
                }
                sqlx::query("UPDATE lti_identities SET email = COALESCE($2, email) WHERE user_id = $1")
                    .bind(user_id).bind(email).execute(pool).await?;
            });
            return Ok(user_id);
        }
        let user_id = next_id();
        // Unique and stable; never typed by anyone (these users cannot sign in with a password).
        let username = format!("lti-{}-{}", platform.id, person.subject);
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO users (id, username, display_name, password_hash, site_admin) VALUES ($1, $2, $3, $4, FALSE)")
                .bind(user_id).bind(&username).bind(&name).bind(NO_PASSWORD)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO lti_identities (issuer, subject, user_id, email) VALUES ($1, $2, $3, $4)")
                .bind(&platform.issuer).bind(&person.subject).bind(user_id).bind(email)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        tracing::info!(
            user_id,
            platform_id = platform.id,
            "user created by an LTI launch"
        );
        Ok(user_id)
    }

    /// The course's gallery under this registration, or one a deleted registration of the same
    /// LMS (issuer) left, which is linked to this one from now on.
    async fn lti_context(&self, platform: &Platform, context_id: &str) -> Result<Option<i64>> {
        let find = || async {
            let found: Option<(i64,)> = with_pool!(&self.db, pool =>
                sqlx::query_as("SELECT container_id FROM lti_contexts WHERE platform_id = $1 AND context_id = $2")
                    .bind(platform.id).bind(context_id).fetch_optional(pool).await?
            );
            Ok::<_, crate::error::Error>(found.map(|(id,)| id))
        };
        if let Some(container_id) = find().await? {
            return Ok(Some(container_id));
        }
        // `platform_id IS NULL` twice: a launch linking the same row at the same moment makes
        // this one change nothing, and both find the row below.
        let linked = with_pool!(&self.db, pool => sqlx::query(
            "UPDATE lti_contexts SET platform_id = $1 WHERE platform_id IS NULL AND container_id = \
             (SELECT container_id FROM lti_contexts WHERE platform_id IS NULL AND issuer = $2 AND context_id = $3 \
              ORDER BY container_id LIMIT 1)",
        )
        .bind(platform.id).bind(&platform.issuer).bind(context_id)
        .execute(pool).await?.rows_affected());
        let found = find().await?;
        if linked > 0 {
            tracing::info!(
                container_id = found,
                platform_id = platform.id,
                "course gallery linked to a new registration of its LMS"
            );
        }
        Ok(found)
    }

    /// The gallery of a course, created on its first launch with the course's title.
    async fn lti_gallery(&self, platform: &Platform, launch: &CourseLaunch) -> Result<i64> {
        let found = self.lti_context(platform, &launch.context_id).await?;
        if let Some(container_id) = found {
            if launch.memberships_url.is_some() {
                with_pool!(&self.db, pool => sqlx::query(
                    "UPDATE lti_contexts SET memberships_url = $3 WHERE platform_id = $1 AND context_id = $2",
                )
                .bind(platform.id).bind(&launch.context_id).bind(&launch.memberships_url)
                .execute(pool).await?.rows_affected());
            }
            return Ok(container_id);
        }
        let container_id = next_id();
        // Unique per platform and context, as the containers' (lms, course_id) index wants.
        let course_id = format!("{}:{}", platform.id, launch.context_id);
        let title = match launch.context_title.trim() {
            "" => format!("Course {}", launch.context_id),
            title => title.chars().take(200).collect(),
        };
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO containers (id, kind, title, lms, course_id) VALUES ($1, 'gallery', $2, $3, $4)")
                .bind(container_id).bind(&title).bind(platform.lms.as_str()).bind(&course_id)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO lti_contexts (platform_id, issuer, context_id, container_id, memberships_url) VALUES ($1, $2, $3, $4, $5)")
                .bind(platform.id).bind(&platform.issuer).bind(&launch.context_id).bind(container_id).bind(&launch.memberships_url)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        tracing::info!(
            container_id,
            platform_id = platform.id,
            "gallery created by an LTI launch"
        );
        Ok(container_id)
    }

    /// Gives the user `role` on the gallery; `true` if that changed anything.
    async fn lti_grant(
        &self,
        container_id: i64,
        user_id: i64,
        role: ContainerRole,
    ) -> Result<bool> {
        let current: Option<(String,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT role FROM container_grants WHERE container_id = $1 AND principal_kind = 'user' AND principal_id = $2")
                .bind(container_id).bind(user_id).fetch_optional(pool).await?
        );
        if current.as_ref().map(|(r,)| r.as_str()) == Some(role.as_str()) {
            return Ok(false);
        }
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO container_grants (container_id, principal_kind, principal_id, role) VALUES ($1, 'user', $2, $3) \
             ON CONFLICT (container_id, principal_kind, principal_id) DO UPDATE SET role = excluded.role",
        )
        .bind(container_id).bind(user_id).bind(role.as_str())
        .execute(pool).await?.rows_affected());
        self.announce_membership(user_id);
        Ok(true)
    }

    /// Applies a checked launch: the person, the course's gallery, the person's role in it.
    pub async fn lti_launch(&self, platform: &Platform, launch: &CourseLaunch) -> Result<Landed> {
        let user_id = once_more_on_conflict(|| self.lti_user(platform, &launch.person)).await?;
        let container_id = once_more_on_conflict(|| self.lti_gallery(platform, launch)).await?;
        if self
            .lti_grant(container_id, user_id, launch.person.role)
            .await?
        {
            tracing::info!(
                user_id,
                container_id,
                role = launch.person.role.as_str(),
                "course role applied"
            );
        }
        let room: Option<(bool,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT enabled FROM room_settings WHERE container_id = $1")
                .bind(container_id).fetch_optional(pool).await?
        );
        Ok(Landed {
            user_id,
            container_id,
            room_enabled: room.is_some_and(|(enabled,)| enabled),
        })
    }

    /// The course of a gallery with a roster service: its platform and memberships URL (none
    /// while its LMS's registration is deleted).
    pub async fn lti_roster_source(&self, container_id: i64) -> Result<Option<(Platform, String)>> {
        let row: Option<(Option<i64>, Option<String>)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT platform_id, memberships_url FROM lti_contexts WHERE container_id = $1")
                .bind(container_id).fetch_optional(pool).await?
        );
        match row {
            Some((Some(platform_id), Some(url))) => {
                Ok(Some((self.lti_platform(platform_id).await?, url)))
            }
            _ => Ok(None),
        }
    }

    /// Claims the next roster sync of a gallery unless one ran (or started) within
    /// `min_interval_secs`: many launches of one course cause one sync, on any node.
    pub async fn claim_lti_roster_sync(
        &self,
        container_id: i64,
        min_interval_secs: i64,
    ) -> Result<bool> {
        let now = now_secs();
        let claimed = with_pool!(&self.db, pool => sqlx::query(
            "UPDATE lti_contexts SET synced_at = $2 WHERE container_id = $1 AND memberships_url IS NOT NULL \
             AND (synced_at IS NULL OR synced_at <= $3)",
        )
        .bind(container_id).bind(now).bind(now - min_interval_secs)
        .execute(pool).await?.rows_affected());
        Ok(claimed == 1)
    }

    /// Brings a course gallery's grants up to the roster: everyone on it with their role, and
    /// people the roster listed before and no longer does lose their grant. Everyone else
    /// (local accounts, groups, an LMS administrator launching without being enrolled) is left
    /// alone.
    pub async fn lti_sync_roster(
        &self,
        platform: &Platform,
        container_id: i64,
        roster: &[LtiPerson],
    ) -> Result<RosterSync> {
        let mut sync = RosterSync::default();
        let mut kept = HashSet::new();
        for person in roster {
            let user_id = once_more_on_conflict(|| self.lti_user(platform, person)).await?;
            kept.insert(user_id);
            if self.lti_grant(container_id, user_id, person.role).await? {
                sync.granted += 1;
            }
        }
        // Those the roster listed last time and no longer does: the people who left the course.
        let listed: Vec<(i64,)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT user_id FROM lti_roster_members WHERE container_id = $1",
        )
        .bind(container_id)
        .fetch_all(pool).await?);
        for (user_id,) in listed.into_iter().filter(|(id,)| !kept.contains(id)) {
            with_pool!(&self.db, pool => sqlx::query(
                "DELETE FROM container_grants WHERE container_id = $1 AND principal_kind = 'user' AND principal_id = $2",
            )
            .bind(container_id).bind(user_id)
            .execute(pool).await?.rows_affected());
            with_pool!(&self.db, pool => sqlx::query(
                "DELETE FROM lti_roster_members WHERE container_id = $1 AND user_id = $2",
            )
            .bind(container_id).bind(user_id)
            .execute(pool).await?.rows_affected());
            self.announce_membership(user_id);
            sync.removed += 1;
        }
        for user_id in &kept {
            with_pool!(&self.db, pool => sqlx::query(
                "INSERT INTO lti_roster_members (container_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(container_id).bind(user_id)
            .execute(pool).await?.rows_affected());
        }
        with_pool!(&self.db, pool => sqlx::query("UPDATE lti_contexts SET synced_at = $2 WHERE container_id = $1")
            .bind(container_id).bind(now_secs()).execute(pool).await?.rows_affected());
        tracing::info!(
            container_id,
            granted = sync.granted,
            removed = sync.removed,
            "course roster synced"
        );
        Ok(sync)
    }
}
