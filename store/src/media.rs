//! A media entry's Roles & permissions: owner, co-editors, co-publishers and room moderators.
//! The moderators grant rights in a room only through the container's room entry (kind
//! 'room'), whose owner and co-editors are also that room's hosts.

use domain::access::{can_edit_media, PrincipalRef};
use domain::api::{AddModerators, MediaModerator, MediaRoles, Named, MAX_MODERATORS_PER_LIST};
use domain::media::{MediaKind, MediaPage, RecordingStatus};
use domain::MediaStatus;

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
    kind: MediaKind,
}

/// What a container's room entry grants in the room, as principal references.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryRoles {
    /// Owner and co-editors: room and chat moderators.
    pub(crate) hosts: Vec<PrincipalRef>,
    pub(crate) room_moderators: Vec<PrincipalRef>,
    pub(crate) chat_moderators: Vec<PrincipalRef>,
}

impl Store {
    async fn media_row(&self, media_id: i64) -> Result<MediaRow> {
        let row: Option<(i64, String, i64, String, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT m.container_id, m.title, u.id, u.display_name, m.kind FROM media_entries m \
                 JOIN users u ON u.id = m.owner_id WHERE m.id = $1",
            )
            .bind(media_id)
            .fetch_optional(pool)
            .await?
        );
        let (container_id, title, owner_id, owner_name, kind) =
            row.ok_or_else(|| Error::NotFound(format!("there is no media entry {media_id}")))?;
        Ok(MediaRow {
            container_id,
            title,
            owner: Named {
                id: owner_id,
                name: owner_name,
            },
            kind: MediaKind::parse(&kind).ok_or_else(|| Error::corrupt("media kind", &kind))?,
        })
    }

    /// The rights the container's room entry grants; nothing when the room has none yet.
    pub(crate) async fn room_entry_roles(&self, container_id: i64) -> Result<EntryRoles> {
        let hosts: Vec<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT m.owner_id FROM media_entries m WHERE m.container_id = $1 AND m.kind = 'room' \
                 UNION SELECT c.user_id FROM media_collaborators c JOIN media_entries m ON m.id = c.media_id \
                 WHERE m.container_id = $1 AND m.kind = 'room' AND c.role = 'co_editor'",
            )
            .bind(container_id)
            .fetch_all(pool)
            .await?
        );
        let moderators: Vec<(String, i64, bool, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT d.principal_kind, d.principal_id, d.room_moderator, d.chat_moderator \
                 FROM media_moderators d JOIN media_entries m ON m.id = d.media_id \
                 WHERE m.container_id = $1 AND m.kind = 'room'",
            )
            .bind(container_id)
            .fetch_all(pool)
            .await?
        );
        let mut roles = EntryRoles {
            hosts: hosts
                .into_iter()
                .map(|(id,)| PrincipalRef::user(id))
                .collect(),
            ..EntryRoles::default()
        };
        for (kind, id, room, chat) in moderators {
            let principal = parse_principal(&kind, id)?;
            if room {
                roles.room_moderators.push(principal);
            }
            if chat {
                roles.chat_moderators.push(principal);
            }
        }
        Ok(roles)
    }

    /// A room entry's moderators changed: live rooms re-resolve their participants' rights.
    fn moderators_changed(&self, media: &MediaRow) {
        if media.kind == MediaKind::Room {
            let _ = self.changes.send(crate::Change::RoomEntryRoles {
                container_id: media.container_id,
            });
        }
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
        let (media, _, _) = self.editable_media(viewer, media_id).await?;
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
        self.moderators_changed(&media);
        self.media_roles(viewer, media_id).await
    }

    pub async fn remove_media_moderator(
        &self,
        viewer: &Viewer,
        media_id: i64,
        principal: PrincipalRef,
    ) -> Result<MediaRoles> {
        let (media, _, _) = self.editable_media(viewer, media_id).await?;
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
        self.moderators_changed(&media);
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

type MediaPageRow = (
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
);

impl Store {
    /// The media page, for whoever may see the entry's container: outsiders are refused, and
    /// pending (or failed) media is only for its owner and those who approve it.
    pub async fn media_page(&self, viewer: &Viewer, media_id: i64) -> Result<MediaPage> {
        let row: Option<MediaPageRow> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT m.container_id, m.title, u.id, u.display_name, m.created_at, m.duration_secs, \
                 m.thumbnail_url, m.status, m.kind, r.status \
                 FROM media_entries m JOIN users u ON u.id = m.owner_id \
                 LEFT JOIN recordings r ON r.media_id = m.id WHERE m.id = $1",
            )
            .bind(media_id)
            .fetch_optional(pool)
            .await?
        );
        let missing = || Error::NotFound(format!("there is no media entry {media_id}"));
        let (
            container_id,
            title,
            owner_id,
            owner_name,
            created_at,
            duration_secs,
            thumbnail,
            status,
            kind,
            recording,
        ) = row.ok_or_else(missing)?;
        let (container, access) = self.viewable(viewer, container_id).await?;
        let status =
            MediaStatus::parse(&status).ok_or_else(|| Error::corrupt("media status", &status))?;
        let kind = MediaKind::parse(&kind).ok_or_else(|| Error::corrupt("media kind", &kind))?;
        let recording = recording
            .map(|r| {
                RecordingStatus::parse(&r).ok_or_else(|| Error::corrupt("recording status", &r))
            })
            .transpose()?;
        let own = owner_id == viewer.identity.user_id;
        let hidden = status == MediaStatus::Pending || recording == Some(RecordingStatus::Failed);
        if hidden && !own && !access.can_configure() {
            return Err(missing());
        }
        let co_editors: Vec<i64> = self
            .collaborators(media_id, "co_editor")
            .await?
            .iter()
            .map(|n| n.id)
            .collect();
        let playable = recording.is_some_and(RecordingStatus::playable);
        let room_path = match kind {
            MediaKind::Room if self.stored_room(container_id).await?.enabled => {
                Some(format!("/rooms/{container_id}"))
            }
            _ => None,
        };
        Ok(MediaPage {
            id: media_id,
            kind,
            title,
            owner: Named {
                id: owner_id,
                name: owner_name,
            },
            created_at,
            duration_secs,
            recording,
            file_url: playable.then(|| format!("/media/{media_id}/file")),
            // A recording's thumbnail is made with its file; other media keep theirs.
            thumbnail_url: thumbnail.filter(|_| recording.is_none() || playable),
            container_id,
            container_kind: container.kind,
            container_title: container.title,
            container_path: container.kind.page_path(container_id),
            room_path,
            can_edit: can_edit_media(&viewer.identity, owner_id, &co_editors, access),
        })
    }
}
