//! Users and groups: the moderator pickers' search, and turning references into names.

use domain::access::{PrincipalKind, PrincipalRef};
use domain::api::{Named, Principal, MAX_SEARCH_LEN};

use crate::db::with_pool;
use crate::error::{Error, Result};
use crate::{Store, Viewer};

const SEARCH_RESULTS: i64 = 20;

fn check_search_length(query: &str) -> Result<()> {
    if query.len() > MAX_SEARCH_LEN {
        return Err(Error::Invalid(format!(
            "search text is longer than {MAX_SEARCH_LEN} bytes"
        )));
    }
    Ok(())
}

/// `%text%` for LIKE, with the pattern's own wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Whether the viewer picks moderators anywhere, and so may search the directory: site
    /// admins, managers of any gallery or channel (directly or through a group), and owners or
    /// co-editors of any media entry (their Roles & permissions tab). Everyone else would only
    /// use the search to list who is on the site. The one place this is decided.
    pub async fn may_pick_moderators(&self, viewer: &Viewer) -> Result<bool> {
        if viewer.identity.site_admin {
            return Ok(true);
        }
        let found: Option<(i32,)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT 1 FROM container_grants g WHERE g.role = 'manager' AND ( \
                   (g.principal_kind = 'user' AND g.principal_id = $1) OR \
                   (g.principal_kind = 'group' AND g.principal_id IN (SELECT group_id FROM group_members WHERE user_id = $1))) \
                 UNION ALL SELECT 1 FROM media_entries WHERE owner_id = $1 \
                 UNION ALL SELECT 1 FROM media_collaborators WHERE user_id = $1 AND role = 'co_editor' \
                 LIMIT 1",
            )
            .bind(viewer.identity.user_id)
            .fetch_optional(pool)
            .await?
        );
        Ok(found.is_some())
    }

    async fn require_moderator_picker(&self, viewer: &Viewer) -> Result<()> {
        if self.may_pick_moderators(viewer).await? {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only those who choose moderators (site admins, managers, media owners and co-editors) search users and groups".into(),
            ))
        }
    }

    /// The moderator pickers' user search, for those who pick moderators.
    pub async fn find_users(&self, viewer: &Viewer, query: &str) -> Result<Vec<Named>> {
        self.require_moderator_picker(viewer).await?;
        self.search_users(query).await
    }

    /// The moderator pickers' group search, for those who pick moderators.
    pub async fn find_groups(&self, viewer: &Viewer, query: &str) -> Result<Vec<Named>> {
        self.require_moderator_picker(viewer).await?;
        self.search_groups(query).await
    }

    /// Groups, then users, whose name contains `query`: what a picker offers.
    pub async fn find_principals(&self, viewer: &Viewer, query: &str) -> Result<Vec<Principal>> {
        self.require_moderator_picker(viewer).await?;
        let named = |kind| {
            move |n: Named| Principal {
                kind,
                id: n.id,
                name: n.name,
            }
        };
        let groups = self.search_groups(query).await?;
        let users = self.search_users(query).await?;
        Ok(groups
            .into_iter()
            .map(named(PrincipalKind::Group))
            .chain(users.into_iter().map(named(PrincipalKind::User)))
            .collect())
    }

    /// Users whose name or username contains `query` (case-insensitive). Unchecked: requests
    /// from users go through [`Store::find_users`].
    pub async fn search_users(&self, query: &str) -> Result<Vec<Named>> {
        check_search_length(query)?;
        let rows: Vec<(i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT id, display_name FROM users \
                 WHERE LOWER(display_name) LIKE $1 ESCAPE '\\' OR LOWER(username) LIKE $1 ESCAPE '\\' \
                 ORDER BY display_name, id LIMIT $2",
            )
            .bind(contains_pattern(query))
            .bind(SEARCH_RESULTS)
            .fetch_all(pool)
            .await?
        );
        Ok(rows
            .into_iter()
            .map(|(id, name)| Named { id, name })
            .collect())
    }

    /// Groups whose name contains `query`. Unchecked: requests from users go through
    /// [`Store::find_groups`].
    pub async fn search_groups(&self, query: &str) -> Result<Vec<Named>> {
        check_search_length(query)?;
        let rows: Vec<(i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT id, name FROM user_groups WHERE LOWER(name) LIKE $1 ESCAPE '\\' ORDER BY name, id LIMIT $2",
            )
            .bind(contains_pattern(query))
            .bind(SEARCH_RESULTS)
            .fetch_all(pool)
            .await?
        );
        Ok(rows
            .into_iter()
            .map(|(id, name)| Named { id, name })
            .collect())
    }

    /// Names every reference; fails with `Invalid` naming the first user or group that does
    /// not exist, so a request that names one changes nothing.
    pub(crate) async fn name_principals(&self, refs: &[PrincipalRef]) -> Result<Vec<Principal>> {
        let mut named = Vec::with_capacity(refs.len());
        for reference in refs {
            let sql = match reference.kind {
                PrincipalKind::User => "SELECT display_name FROM users WHERE id = $1",
                PrincipalKind::Group => "SELECT name FROM user_groups WHERE id = $1",
            };
            let name: Option<(String,)> = with_pool!(&self.db, pool =>
                sqlx::query_as(sql).bind(reference.id).fetch_optional(pool).await?
            );
            let Some((name,)) = name else {
                return Err(Error::Invalid(format!(
                    "there is no {} with id {}",
                    reference.kind.as_str(),
                    reference.id
                )));
            };
            named.push(Principal {
                kind: reference.kind,
                id: reference.id,
                name,
            });
        }
        Ok(named)
    }
}

/// Sorted, duplicate-free references: a list saved twice reads back the same.
pub(crate) fn normalise(principals: &[Principal]) -> Vec<PrincipalRef> {
    let mut refs: Vec<PrincipalRef> = principals.iter().map(Principal::reference).collect();
    refs.sort();
    refs.dedup();
    refs
}

pub(crate) fn parse_principal(kind: &str, id: i64) -> Result<PrincipalRef> {
    PrincipalKind::parse(kind)
        .map(|kind| PrincipalRef { kind, id })
        .ok_or_else(|| Error::corrupt("principal kind", kind))
}

impl Store {
    /// Site admins put a user in a group. Live rooms re-resolve the user's rights at once.
    pub async fn add_group_member(
        &self,
        viewer: &Viewer,
        group_id: i64,
        user_id: i64,
    ) -> Result<()> {
        self.change_membership(viewer, group_id, user_id, true)
            .await
    }

    /// Site admins take a user out of a group; rights it gave end in live rooms at once.
    pub async fn remove_group_member(
        &self,
        viewer: &Viewer,
        group_id: i64,
        user_id: i64,
    ) -> Result<()> {
        self.change_membership(viewer, group_id, user_id, false)
            .await
    }

    async fn change_membership(
        &self,
        viewer: &Viewer,
        group_id: i64,
        user_id: i64,
        member: bool,
    ) -> Result<()> {
        self.check_group_change(viewer, group_id, user_id).await?;
        let sql = if member {
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2"
        };
        with_pool!(&self.db, pool => sqlx::query(sql)
            .bind(group_id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected());
        let _ = self.changes.send(crate::Change::Membership { user_id });
        Ok(())
    }

    async fn check_group_change(&self, viewer: &Viewer, group_id: i64, user_id: i64) -> Result<()> {
        if !viewer.identity.site_admin {
            return Err(Error::Forbidden("only site admins manage groups".into()));
        }
        let found: Option<(i64, i64)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT g.id, u.id FROM user_groups g, users u WHERE g.id = $1 AND u.id = $2",
        )
        .bind(group_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?);
        found
            .map(|_| ())
            .ok_or_else(|| Error::NotFound("no such group or user".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn managers_through_a_group_pick_moderators_and_plain_members_do_not() {
        let (store, _dir) = crate::seed::demo_store().await;
        store.seed_load_users(1).await.unwrap();
        let member = store.viewer_by_username("load1").await;
        assert!(!store.may_pick_moderators(&member).await.unwrap());
        assert!(matches!(
            store.find_users(&member, "a").await,
            Err(Error::Forbidden(_))
        ));
        // "Design 101 students" (load1's group) becomes a manager of the channel.
        with_pool!(&store.db, pool => sqlx::query(
            "UPDATE container_grants SET role = 'manager' WHERE container_id = 3 AND principal_id = $1",
        )
        .bind(member.identity.user_id)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
        assert!(
            store.may_pick_moderators(&member).await.unwrap(),
            "directly"
        );
        with_pool!(&store.db, pool => sqlx::query(
            "UPDATE container_grants SET role = 'member' WHERE container_id = 3 AND principal_id = $1",
        )
        .bind(member.identity.user_id)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
        with_pool!(&store.db, pool => sqlx::query(
            "INSERT INTO container_grants (container_id, principal_kind, principal_id, role) VALUES (3, 'group', 2, 'manager')",
        )
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
        assert!(
            store.may_pick_moderators(&member).await.unwrap(),
            "through a group"
        );
        let found = store.find_principals(&member, "design").await.unwrap();
        assert_eq!(found[0].name, "Design 101 students");
    }

    #[test]
    fn like_wildcards_in_search_text_match_literally() {
        assert_eq!(contains_pattern(" Ta "), "%ta%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
