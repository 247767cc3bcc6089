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
    /// Users whose name or username contains `query` (case-insensitive), for pickers.
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

    #[test]
    fn like_wildcards_in_search_text_match_literally() {
        assert_eq!(contains_pattern(" Ta "), "%ta%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
