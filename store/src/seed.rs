//! Demo data for an empty database: the users, groups, galleries and channel the README
//! and the end-to-end tests talk about. Every password is `demo`.

use crate::auth::hash_password;
use crate::db::{now_secs, with_pool};
use crate::error::{Error, Result};
use crate::Store;

pub const DEMO_PASSWORD: &str = "demo";
/// Load-test users are `load1` … `loadN`.
pub const LOAD_USER_PREFIX: &str = "load";
/// The group and channel load-test users join: they see the galleries as students and the
/// channel as members.
const LOAD_USER_GROUP: &str = "Design 101 students";
const LOAD_USER_CHANNEL: &str = "Faculty Lounge";

/// (id, username, display name, site admin)
const USERS: &[(i64, &str, &str, bool)] = &[
    (1, "admin", "Ada Admin", true),
    (2, "teacher", "Tess Teacher", false),
    (3, "ta", "Theo Assistant", false),
    (4, "student", "Sam Student", false),
    (5, "student2", "Sky Student", false),
    (6, "outsider", "Olly Outsider", false),
];
const GROUPS: &[(i64, &str, &[i64])] = &[
    (1, "Teaching assistants", &[3]),
    (2, "Design 101 students", &[4, 5]),
];
/// (id, kind, title, description, lms, course id, privacy)
type ContainerSeed = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);
const CONTAINERS: &[ContainerSeed] = &[
    (
        1,
        "gallery",
        "Design 101",
        "Course media for Design 101: lectures, workshops and student projects.",
        Some("moodle"),
        Some("DES-101"),
        None,
    ),
    (
        2,
        "gallery",
        "Video Production",
        "Shooting, lighting and editing: the Video Production course gallery.",
        Some("canvas"),
        Some("VP-210"),
        None,
    ),
    (
        3,
        "channel",
        "Faculty Lounge",
        "A place for faculty and staff to share and meet.",
        None,
        None,
        Some("private"),
    ),
];
/// (container, principal kind, principal id, role)
const GRANTS: &[(i64, &str, i64, &str)] = &[
    (1, "user", 2, "manager"),
    (1, "group", 2, "member"),
    (2, "user", 2, "manager"),
    (2, "group", 2, "member"),
    (3, "user", 2, "manager"),
    (3, "user", 3, "member"),
];
/// (id, container, title, seconds, owner, status)
const MEDIA: &[(i64, i64, &str, i64, i64, &str)] = &[
    (1, 1, "Lecture: Principles of Design", 2712, 2, "approved"),
    (2, 1, "Introduction to Video Production", 26, 2, "approved"),
    (
        3,
        1,
        "Creating Digital Illustrations: Tools and Techniques",
        1385,
        2,
        "approved",
    ),
    (4, 1, "Poster critique: week 2", 412, 4, "pending"),
    (5, 1, "Typography sketches", 188, 5, "pending"),
    (
        6,
        1,
        "Guest talk: Designing for accessibility",
        3105,
        2,
        "pending",
    ),
    (
        7,
        2,
        "Three-point lighting in ten minutes",
        615,
        2,
        "approved",
    ),
    (8, 2, "Editing for rhythm", 1290, 2, "approved"),
    (9, 2, "Student reel: first shoot", 95, 4, "pending"),
    (10, 3, "Faculty meeting, September", 3540, 2, "approved"),
    (
        11,
        3,
        "Using the new lecture capture rooms",
        402,
        3,
        "approved",
    ),
];
/// (media, user, role)
const COLLABORATORS: &[(i64, i64, &str)] = &[(1, 3, "co_editor"), (3, 3, "co_publisher")];

impl Store {
    /// Seeds the demo data if the database has no users yet; returns whether it did.
    pub async fn seed_demo_if_empty(&self) -> Result<bool> {
        let (users,): (i64,) = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await?
        );
        if users > 0 {
            return Ok(false);
        }
        // One hash for every demo account (they share their published password anyway):
        // each argon2 call takes ~19 MiB, and the allocator kept what seven calls took, so a
        // freshly seeded server sat at ~118 MB instead of ~20 MB.
        let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
            .await
            .map_err(|e| Error::Hashing(e.to_string()))??;
        let now = now_secs();
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for (id, username, name, admin) in USERS {
                sqlx::query("INSERT INTO users (id, username, display_name, password_hash, site_admin) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(username).bind(name).bind(&hash).bind(admin)
                    .execute(&mut *tx).await?;
            }
            for (id, name, members) in GROUPS {
                sqlx::query("INSERT INTO user_groups (id, name) VALUES ($1, $2)")
                    .bind(id).bind(name).execute(&mut *tx).await?;
                for user in members.iter() {
                    sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
                        .bind(id).bind(user).execute(&mut *tx).await?;
                }
            }
            for (id, kind, title, description, lms, course, privacy) in CONTAINERS {
                sqlx::query("INSERT INTO containers (id, kind, title, description, lms, course_id, privacy) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id).bind(kind).bind(title).bind(description).bind(lms).bind(course).bind(privacy)
                    .execute(&mut *tx).await?;
            }
            for (container, kind, principal, role) in GRANTS {
                sqlx::query("INSERT INTO container_grants (container_id, principal_kind, principal_id, role) VALUES ($1, $2, $3, $4)")
                    .bind(container).bind(kind).bind(principal).bind(role)
                    .execute(&mut *tx).await?;
            }
            for (offset, (id, container, title, secs, owner, status)) in MEDIA.iter().enumerate() {
                sqlx::query("INSERT INTO media_entries (id, container_id, title, duration_secs, owner_id, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id).bind(container).bind(title).bind(secs).bind(owner).bind(status)
                    .bind(now - 86_400 * offset as i64)
                    .execute(&mut *tx).await?;
            }
            for (media, user, role) in COLLABORATORS {
                sqlx::query("INSERT INTO media_collaborators (media_id, user_id, role) VALUES ($1, $2, $3)")
                    .bind(media).bind(user).bind(role).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        tracing::info!("seeded demo data (users admin, teacher, ta, student, student2, outsider; password \"demo\")");
        Ok(true)
    }

    /// Adds users `load1` … `load{count}` (password `demo`), members of the "Design 101
    /// students" group and of the channel "Faculty Lounge", so that each load-test bot is its
    /// own person. Users that exist already are left as they are, so a restart adds nothing.
    /// Needs the demo data. Returns how many it added.
    pub async fn seed_load_users(&self, count: u32) -> Result<u32> {
        let existing: Vec<(String,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT username FROM users WHERE username LIKE $1")
                .bind(format!("{LOAD_USER_PREFIX}%"))
                .fetch_all(pool)
                .await?
        );
        let existing: std::collections::HashSet<String> =
            existing.into_iter().map(|(name,)| name).collect();
        let missing: Vec<u32> = (1..=count)
            .filter(|n| !existing.contains(&format!("{LOAD_USER_PREFIX}{n}")))
            .collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let group: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id FROM user_groups WHERE name = $1")
                .bind(LOAD_USER_GROUP)
                .fetch_optional(pool)
                .await?
        );
        let channel: Option<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id FROM containers WHERE kind = 'channel' AND title = $1")
                .bind(LOAD_USER_CHANNEL)
                .fetch_optional(pool)
                .await?
        );
        let (Some((group,)), Some((channel,))) = (group, channel) else {
            return Err(Error::NotFound(format!(
                "load-test users join the group {LOAD_USER_GROUP:?} and the channel \
                 {LOAD_USER_CHANNEL:?} of the demo data; seed it first (SEED_DEMO=1)"
            )));
        };
        // One hash for all: argon2 costs ~19 MiB and tens of milliseconds per call, and the
        // salt only has to differ between real people's passwords.
        let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
            .await
            .map_err(|e| Error::Hashing(e.to_string()))??;
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM users")
                .fetch_one(&mut *tx)
                .await?;
            for (offset, n) in missing.iter().enumerate() {
                let id = last + 1 + offset as i64;
                sqlx::query("INSERT INTO users (id, username, display_name, password_hash, site_admin) VALUES ($1, $2, $3, $4, FALSE)")
                    .bind(id)
                    .bind(format!("{LOAD_USER_PREFIX}{n}"))
                    .bind(format!("Load User {n}"))
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
                    .bind(group)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO container_grants (container_id, principal_kind, principal_id, role) VALUES ($1, 'user', $2, 'member')")
                    .bind(channel)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        let added = missing.len() as u32;
        tracing::info!(added, total = count, "seeded load-test users ({LOAD_USER_PREFIX}1 … {LOAD_USER_PREFIX}{count}, password \"demo\")");
        Ok(added)
    }
}

/// A fresh SQLite database with the demo data, for the store's own tests.
#[cfg(test)]
pub(crate) async fn demo_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}/test.db", dir.path().display()))
        .await
        .expect("database");
    store.seed_demo_if_empty().await.expect("demo data");
    (store, dir)
}

#[cfg(test)]
impl Store {
    pub(crate) async fn viewer_by_username(&self, username: &str) -> crate::Viewer {
        let (id,): (i64,) = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id FROM users WHERE username = $1")
                .bind(username)
                .fetch_one(pool)
                .await
                .expect("a user of that name")
        );
        self.viewer_by_id(id).await.unwrap().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::api::Credentials;

    #[tokio::test]
    async fn load_users_share_one_hash_join_group_and_channel_and_are_seeded_once() {
        let (store, _dir) = demo_store().await;
        let started = std::time::Instant::now();
        assert_eq!(store.seed_load_users(300).await.unwrap(), 300);
        let took = started.elapsed();
        let hashes: Vec<(String,)> = with_pool!(&store.db, pool =>
            sqlx::query_as("SELECT DISTINCT password_hash FROM users WHERE username LIKE 'load%'")
                .fetch_all(pool)
                .await
                .unwrap()
        );
        assert_eq!(hashes.len(), 1, "one hash for all (took {took:?})");
        let last = store.viewer_by_username("load300").await;
        let groups = store.groups_of(last.identity.user_id).await.unwrap();
        assert_eq!(groups, [2], "Design 101 students");
        let titles: Vec<String> = store
            .list_containers(&last)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.title)
            .collect();
        assert!(titles.contains(&"Faculty Lounge".to_string()), "{titles:?}");
        assert!(titles.contains(&"Design 101".to_string()), "{titles:?}");

        let credentials = Credentials {
            username: "load300".into(),
            password: DEMO_PASSWORD.into(),
        };
        let (_, me) = store.sign_in(&credentials, None).await.unwrap();
        assert_eq!(me.name, "Load User 300");

        assert_eq!(store.seed_load_users(300).await.unwrap(), 0, "a restart");
        assert_eq!(store.seed_load_users(302).await.unwrap(), 2, "more later");
        let (count,): (i64,) = with_pool!(&store.db, pool =>
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE username LIKE 'load%'")
                .fetch_one(pool)
                .await
                .unwrap()
        );
        assert_eq!(count, 302);
    }

    #[tokio::test]
    async fn load_users_need_the_demo_data() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}/empty.db", dir.path().display()))
            .await
            .unwrap();
        assert!(matches!(
            store.seed_load_users(3).await,
            Err(Error::NotFound(_))
        ));
    }
}
