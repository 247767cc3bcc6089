//! Demo data for an empty database: the users, groups, galleries and channel the README
//! and the end-to-end tests talk about. Every password is `demo`.

use crate::auth::hash_password;
use crate::db::{now_secs, with_pool};
use crate::error::{Error, Result};
use crate::Store;

pub const DEMO_PASSWORD: &str = "demo";

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
        let hashes = tokio::task::spawn_blocking(|| {
            USERS
                .iter()
                .map(|_| hash_password(DEMO_PASSWORD))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .map_err(|e| Error::Hashing(e.to_string()))??;
        let now = now_secs();
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for ((id, username, name, admin), hash) in USERS.iter().zip(&hashes) {
                sqlx::query("INSERT INTO users (id, username, display_name, password_hash, site_admin) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(username).bind(name).bind(hash).bind(admin)
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
}
