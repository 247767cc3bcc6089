//! A media entry's Roles & permissions: owner, co-editors, co-publishers and room moderators.

use domain::access::{can_edit_media, PrincipalRef};
use domain::api::{AddModerators, MediaModerator, MediaRoles, Named, MAX_MODERATORS_PER_LIST};

use crate::auth::Viewer;
use crate::containers::ContainerRow;
use crate::db::with_pool;
use crate::directory::{normalise, parse_principal};
use crate::error::{Error, Result};
use crate::Store;

struct MediaRow {
    container_id: i64,
    title: String,
    owner: Named,
}

impl Store {
    async fn media_row(&self, media_id: i64) -> Result<MediaRow> {
        let row: Option<(i64, String, i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT m.container_id, m.title, u.id, u.display_name FROM media_entries m \
                 JOIN users u ON u.id = m.owner_id WHERE m.id = $1",
            )
            .bind(media_id)
            .fetch_optional(pool)
            .await?
        );
        let (container_id, title, owner_id, owner_name) =
            row.ok_or_else(|| Error::NotFound(format!("there is no media entry {media_id}")))?;
        Ok(MediaRow {
            container_id,
            title,
            owner: Named {
                id: owner_id,
                name: owner_name,
            },
        })
    }

    async fn collaborators(&self, media_id: i64, role: &str) -> Result<Vec<Named>> {
        let rows: Vec<(i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT u.id, u.display_name FROM media_collaborators c JOIN users u ON u.id = c.user_id \
                 WHERE c.media_id = $1 AND c.role = $2 ORDER BY u.display_name, u.id",
            )
            .bind(media_id)
            .bind(role)
            .fetch_all(pool)
            .await?
        );
        Ok(rows
            .into_iter()
            .map(|(id, name)| Named { id, name })
            .collect())
    }

    /// The media entry, its container and co-editors, if the viewer may edit it.
    async fn editable_media(
        &self,
        viewer: &Viewer,
        media_id: i64,
    ) -> Result<(MediaRow, ContainerRow, Vec<Named>)> {
        let media = self.media_row(media_id).await?;
        let (container, access) = self.access(viewer, media.container_id).await?;
        let co_editors = self.collaborators(media_id, "co_editor").await?;
        let co_editor_ids: Vec<i64> = co_editors.iter().map(|n| n.id).collect();
        if !can_edit_media(&viewer.identity, media.owner.id, &co_editor_ids, access) {
            return Err(Error::Forbidden(
                "only the media's owner, its co-editors and managers can edit it".into(),
            ));
        }
        Ok((media, container, co_editors))
    }

    /// The Roles & permissions tab, for those who may edit the media entry.
    pub async fn media_roles(&self, viewer: &Viewer, media_id: i64) -> Result<MediaRoles> {
        let (media, container, co_editors) = self.editable_media(viewer, media_id).await?;
        let rows: Vec<(String, i64, bool, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT principal_kind, principal_id, room_moderator, chat_moderator FROM media_moderators \
                 WHERE media_id = $1 ORDER BY principal_kind, principal_id",
            )
            .bind(media_id)
            .fetch_all(pool)
            .await?
        );
        let refs = rows
            .iter()
            .map(|(kind, id, _, _)| parse_principal(kind, *id))
            .collect::<Result<Vec<PrincipalRef>>>()?;
        let named = self.name_principals(&refs).await?;
        let moderators = named
            .into_iter()
            .zip(rows)
            .map(
                |(principal, (_, _, room_moderator, chat_moderator))| MediaModerator {
                    principal,
                    room_moderator,
                    chat_moderator,
                },
            )
            .collect();
        Ok(MediaRoles {
            media_id,
            title: media.title,
            container_path: container.kind.page_path(container.id),
            owner: media.owner,
            co_editors,
            co_publishers: self.collaborators(media_id, "co_publisher").await?,
            moderators,
            chat_collaboration: self.site_settings().await?.chat_collaboration,
        })
    }

    /// Adds (or widens the permissions of) moderators of a media entry's room.
    pub async fn add_media_moderators(
        &self,
        viewer: &Viewer,
        media_id: i64,
        add: &AddModerators,
    ) -> Result<MediaRoles> {
        self.editable_media(viewer, media_id).await?;
        self.require_chat_collaboration().await?;
        if !add.room_moderator && !add.chat_moderator {
            return Err(Error::Invalid(
                "choose Room moderator, Chat moderator or both".into(),
            ));
        }
        if add.principals.is_empty() || add.principals.len() > MAX_MODERATORS_PER_LIST {
            return Err(Error::Invalid(format!(
                "select between 1 and {MAX_MODERATORS_PER_LIST} users or groups"
            )));
        }
        let refs = normalise(&add.principals);
        self.name_principals(&refs).await?;
        with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            for reference in &refs {
                // Adding someone already listed only ever adds permissions.
                sqlx::query(
                    "INSERT INTO media_moderators (media_id, principal_kind, principal_id, room_moderator, chat_moderator) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (media_id, principal_kind, principal_id) DO UPDATE SET \
                     room_moderator = (media_moderators.room_moderator OR excluded.room_moderator), \
                     chat_moderator = (media_moderators.chat_moderator OR excluded.chat_moderator)",
                )
                .bind(media_id)
                .bind(reference.kind.as_str())
                .bind(reference.id)
                .bind(add.room_moderator)
                .bind(add.chat_moderator)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        self.media_roles(viewer, media_id).await
    }

    pub async fn remove_media_moderator(
        &self,
        viewer: &Viewer,
        media_id: i64,
        principal: PrincipalRef,
    ) -> Result<MediaRoles> {
        self.editable_media(viewer, media_id).await?;
        self.require_chat_collaboration().await?;
        let removed = with_pool!(&self.db, pool =>
            sqlx::query("DELETE FROM media_moderators WHERE media_id = $1 AND principal_kind = $2 AND principal_id = $3")
                .bind(media_id)
                .bind(principal.kind.as_str())
                .bind(principal.id)
                .execute(pool)
                .await?
                .rows_affected()
        );
        if removed == 0 {
            return Err(Error::NotFound(format!(
                "that {} is not a moderator of this media",
                principal.kind.as_str()
            )));
        }
        self.media_roles(viewer, media_id).await
    }

    async fn require_chat_collaboration(&self) -> Result<()> {
        if self.site_settings().await?.chat_collaboration {
            Ok(())
        } else {
            Err(Error::Unavailable(
                "moderators need the site module \"Chat and collaboration\"; a site administrator can turn it on".into(),
            ))
        }
    }
}
