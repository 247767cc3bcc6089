//! Galleries and channels: listing, their page, and the Meeting room tab.

use std::collections::HashMap;

use domain::access::{can_edit_media, Access, PrincipalRef, RoomRights};
use domain::api::{
    ContainerPage, ContainerSummary, InviteRole, MediaEntry, Named, RoomEntry, RoomSettings,
    MAX_MODERATORS_PER_LIST,
};
use domain::media::{MediaKind, RecordingStatus};
use domain::{
    ChannelPrivacy, ContainerKind, ContainerRole, Lms, MediaStatus, QnaSetting, RoomMode,
    StageAccess,
};

use crate::auth::Viewer;
use crate::db::{now_secs, with_pool};
use crate::directory::{normalise, parse_principal};
use crate::error::{Error, Result};
use crate::Store;

/// A container as stored, with its room switch.
#[derive(Clone, Debug)]
pub(crate) struct ContainerRow {
    pub id: i64,
    pub kind: ContainerKind,
    pub title: String,
    pub description: String,
    pub lms: Option<Lms>,
    pub course_id: Option<String>,
    pub privacy: Option<ChannelPrivacy>,
}

type RawContainer = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn parse_kind(kind: &str) -> Result<ContainerKind> {
    ContainerKind::parse(kind).ok_or_else(|| Error::corrupt("container kind", kind))
}

fn parse_lms(lms: Option<String>) -> Result<Option<Lms>> {
    lms.map(|l| Lms::parse(&l).ok_or_else(|| Error::corrupt("lms", &l)))
        .transpose()
}

fn parse_grant(kind: &str, principal_id: i64, role: &str) -> Result<(PrincipalRef, ContainerRole)> {
    let role = ContainerRole::parse(role).ok_or_else(|| Error::corrupt("role", role))?;
    Ok((parse_principal(kind, principal_id)?, role))
}

/// Grants that reach the viewer (`$1`): to them directly or to one of their groups.
macro_rules! viewer_grants {
    () => {
        "(g.principal_kind = 'user' AND g.principal_id = $1) OR \
         (g.principal_kind = 'group' AND g.principal_id IN (SELECT group_id FROM group_members WHERE user_id = $1))"
    };
}

fn parse_container(raw: RawContainer) -> Result<ContainerRow> {
    let (id, kind, title, description, lms, course_id, privacy) = raw;
    Ok(ContainerRow {
        id,
        kind: parse_kind(&kind)?,
        title,
        description,
        lms: parse_lms(lms)?,
        course_id,
        privacy: privacy
            .map(|p| ChannelPrivacy::parse(&p).ok_or_else(|| Error::corrupt("privacy", &p)))
            .transpose()?,
    })
}

#[derive(sqlx::FromRow)]
struct MediaListRow {
    id: i64,
    title: String,
    duration_secs: i64,
    thumbnail_url: Option<String>,
    status: String,
    owner_id: i64,
    owner_name: String,
    kind: String,
    recording: Option<String>,
}

/// Room settings as stored, moderators as bare references.
pub(crate) struct StoredRoom {
    pub(crate) enabled: bool,
    pub(crate) mode: RoomMode,
    pub(crate) stage_access: StageAccess,
    pub(crate) qna: QnaSetting,
    pub(crate) group_chat: bool,
    room_moderators: Vec<PrincipalRef>,
    chat_moderators: Vec<PrincipalRef>,
    /// What the room's media entry grants (owner, co-editors, its Roles & permissions tab).
    pub(crate) entry: crate::media::EntryRoles,
}

impl Store {
    pub(crate) async fn container(&self, id: i64) -> Result<ContainerRow> {
        let raw: Option<RawContainer> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT id, kind, title, description, lms, course_id, privacy FROM containers WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        );
        parse_container(
            raw.ok_or_else(|| Error::NotFound(format!("there is no gallery or channel {id}")))?,
        )
    }

    async fn grants(&self, container_id: i64) -> Result<Vec<(PrincipalRef, ContainerRole)>> {
        let rows: Vec<(String, i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT principal_kind, principal_id, role FROM container_grants WHERE container_id = $1")
                .bind(container_id)
                .fetch_all(pool)
                .await?
        );
        rows.into_iter()
            .map(|(kind, id, role)| parse_grant(&kind, id, &role))
            .collect()
    }

    /// The container and the viewer's standing in it; `NotFound` if it does not exist.
    pub(crate) async fn access(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<(ContainerRow, Access)> {
        let container = self.container(container_id).await?;
        let access = Access::resolve(&viewer.identity, &self.grants(container_id).await?);
        Ok((container, access))
    }

    pub(crate) async fn viewable(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<(ContainerRow, Access)> {
        let (container, access) = self.access(viewer, container_id).await?;
        if !access.can_view() {
            return Err(Error::Forbidden(format!(
                "you are not a member of this {}",
                container.kind.noun().to_lowercase()
            )));
        }
        Ok((container, access))
    }

    async fn configurable(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<(ContainerRow, Access)> {
        let (container, access) = self.access(viewer, container_id).await?;
        if !access.can_configure() {
            return Err(Error::Forbidden(format!(
                "only managers of this {} can change its settings",
                container.kind.noun().to_lowercase()
            )));
        }
        Ok((container, access))
    }

    /// The galleries and channels the viewer may see, channels first (kind order), then by title.
    pub async fn list_containers(&self, viewer: &Viewer) -> Result<Vec<ContainerSummary>> {
        // Two queries whatever the count: the candidates with their room switch, and the
        // viewer's own grants on them (nobody else's grants change the viewer's role).
        let candidates: Vec<(i64, String, String, Option<String>, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as(concat!(
                "SELECT c.id, c.kind, c.title, c.lms, COALESCE(r.enabled, FALSE) FROM containers c \
                 LEFT JOIN room_settings r ON r.container_id = c.id \
                 WHERE $2 OR c.id IN (SELECT g.container_id FROM container_grants g WHERE ",
                viewer_grants!(),
                ") ORDER BY c.kind, c.title, c.id"
            ))
            .bind(viewer.identity.user_id)
            .bind(viewer.identity.site_admin)
            .fetch_all(pool)
            .await?
        );
        let grant_rows: Vec<(i64, String, i64, String)> = with_pool!(&self.db, pool =>
            sqlx::query_as(concat!(
                "SELECT g.container_id, g.principal_kind, g.principal_id, g.role FROM container_grants g WHERE ",
                viewer_grants!()
            ))
            .bind(viewer.identity.user_id)
            .fetch_all(pool)
            .await?
        );
        let mut grants: HashMap<i64, Vec<(PrincipalRef, ContainerRole)>> = HashMap::new();
        for (container_id, kind, principal_id, role) in grant_rows {
            grants
                .entry(container_id)
                .or_default()
                .push(parse_grant(&kind, principal_id, &role)?);
        }
        let mut summaries = Vec::with_capacity(candidates.len());
        for (id, kind, title, lms, room_enabled) in candidates {
            let access = Access::resolve(
                &viewer.identity,
                grants.get(&id).map_or(&[][..], Vec::as_slice),
            );
            // The SQL only narrows the candidates; the rules decide.
            let Some(my_role) = access.effective_role() else {
                continue;
            };
            let kind = parse_kind(&kind)?;
            summaries.push(ContainerSummary {
                id,
                kind,
                title,
                lms: parse_lms(lms)?,
                my_role,
                room_enabled,
                path: kind.page_path(id),
            });
        }
        Ok(summaries)
    }

    /// The gallery or channel page. `kind` guards the URL: a channel id under /galleries is 404.
    pub async fn container_page(
        &self,
        viewer: &Viewer,
        kind: ContainerKind,
        id: i64,
    ) -> Result<ContainerPage> {
        let (container, access) = self.viewable(viewer, id).await?;
        if container.kind != kind {
            return Err(Error::NotFound(format!(
                "there is no {} {id}",
                kind.noun().to_lowercase()
            )));
        }
        let room = self.stored_room(id).await?;
        let can_configure = access.can_configure();
        // The room first (people come to the page to enter it), then newest first.
        let rows: Vec<MediaListRow> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT m.id, m.title, m.duration_secs, m.thumbnail_url, m.status, u.id AS owner_id, u.display_name AS owner_name, \
                 m.kind, r.status AS recording \
                 FROM media_entries m JOIN users u ON u.id = m.owner_id LEFT JOIN recordings r ON r.media_id = m.id \
                 WHERE m.container_id = $1 \
                 ORDER BY CASE WHEN m.kind = 'room' THEN 0 ELSE 1 END, m.created_at DESC, m.id DESC",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        );
        let co_edited: Vec<(i64,)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT c.media_id FROM media_collaborators c JOIN media_entries m ON m.id = c.media_id \
                 WHERE m.container_id = $1 AND c.user_id = $2 AND c.role = 'co_editor'",
            )
            .bind(id)
            .bind(viewer.identity.user_id)
            .fetch_all(pool)
            .await?
        );
        let mut media = Vec::with_capacity(rows.len());
        for MediaListRow {
            id: media_id,
            title,
            duration_secs,
            thumbnail_url,
            status,
            owner_id,
            owner_name,
            kind,
            recording,
        } in rows
        {
            let status = MediaStatus::parse(&status)
                .ok_or_else(|| Error::corrupt("media status", &status))?;
            let kind =
                MediaKind::parse(&kind).ok_or_else(|| Error::corrupt("media kind", &kind))?;
            let recording = recording
                .map(|r| {
                    RecordingStatus::parse(&r).ok_or_else(|| Error::corrupt("recording status", &r))
                })
                .transpose()?;
            // Pending media (and a recording that failed) is seen by those who approve it
            // and by its owner.
            let hidden =
                status == MediaStatus::Pending || recording == Some(RecordingStatus::Failed);
            if hidden && !can_configure && owner_id != viewer.identity.user_id {
                continue;
            }
            let co_editor = co_edited.iter().any(|(m,)| *m == media_id);
            let me_if_co_editor = if co_editor {
                vec![viewer.identity.user_id]
            } else {
                vec![]
            };
            media.push(MediaEntry {
                can_edit: can_edit_media(&viewer.identity, owner_id, &me_if_co_editor, access),
                id: media_id,
                title,
                duration_secs,
                thumbnail_url,
                owner: Named {
                    id: owner_id,
                    name: owner_name,
                },
                status,
                kind,
                recording,
            });
        }
        let pending = media
            .iter()
            .filter(|m| m.status == MediaStatus::Pending)
            .count() as i64;
        Ok(ContainerPage {
            id,
            kind,
            title: container.title,
            description: container.description,
            lms: container.lms,
            course_id: container.course_id,
            privacy: container.privacy,
            my_role: access.effective_role().unwrap_or(ContainerRole::Member),
            can_configure,
            room_enabled: room.enabled,
            room_mode: room.mode,
            pending_count: can_configure.then_some(pending),
            media,
        })
    }

    /// Whether Q&A is on in a room now, the site default resolved.
    pub async fn room_qna_enabled(&self, container_id: i64) -> Result<bool> {
        let room = self.stored_room(container_id).await?;
        Ok(room.qna.resolve(self.site_settings().await?.qna_default))
    }

    pub(crate) async fn stored_room(&self, container_id: i64) -> Result<StoredRoom> {
        let row: Option<(bool, String, String, bool, Option<String>)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT enabled, mode, qna, group_chat, stage_access FROM room_settings WHERE container_id = $1",
            )
            .bind(container_id)
            .fetch_optional(pool)
            .await?
        );
        let defaults = RoomSettings::default();
        let (enabled, mode, qna, group_chat, stage_access) = match row {
            Some((enabled, mode, qna, group_chat, stage_access)) => (
                enabled,
                RoomMode::parse(&mode).ok_or_else(|| Error::corrupt("room mode", &mode))?,
                QnaSetting::parse(&qna).ok_or_else(|| Error::corrupt("Q&A setting", &qna))?,
                group_chat,
                stage_access
                    .map(|a| {
                        StageAccess::parse(&a).ok_or_else(|| Error::corrupt("stage access", &a))
                    })
                    .transpose()?,
            ),
            None => (
                defaults.enabled,
                defaults.mode,
                defaults.qna,
                defaults.group_chat,
                None,
            ),
        };
        let stage_access = stage_access.unwrap_or(StageAccess::default_for(mode));
        let moderators: Vec<(String, String, i64)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT list, principal_kind, principal_id FROM room_moderators WHERE container_id = $1 \
                 ORDER BY list, principal_kind, principal_id",
            )
            .bind(container_id)
            .fetch_all(pool)
            .await?
        );
        let (mut room_moderators, mut chat_moderators) = (Vec::new(), Vec::new());
        for (list, kind, id) in moderators {
            let reference = parse_principal(&kind, id)?;
            match list.as_str() {
                "room" => room_moderators.push(reference),
                "chat" => chat_moderators.push(reference),
                other => return Err(Error::corrupt("moderator list", other)),
            }
        }
        Ok(StoredRoom {
            enabled,
            mode,
            stage_access,
            qna,
            group_chat,
            room_moderators,
            chat_moderators,
            entry: self.room_entry_roles(container_id).await?,
        })
    }

    /// The Meeting room tab as saved. Managers and site admins only.
    pub async fn room_settings(&self, viewer: &Viewer, container_id: i64) -> Result<RoomSettings> {
        self.configurable(viewer, container_id).await?;
        self.named_room_settings(container_id).await
    }

    async fn named_room_settings(&self, container_id: i64) -> Result<RoomSettings> {
        let room = self.stored_room(container_id).await?;
        Ok(RoomSettings {
            enabled: room.enabled,
            mode: room.mode,
            room_moderators: self.name_principals(&room.room_moderators).await?,
            chat_moderators: self.name_principals(&room.chat_moderators).await?,
            qna: room.qna,
            group_chat: room.group_chat,
            stage_access: Some(room.stage_access),
        })
    }

    /// A room moderator switched stage access in the live room (the rules checked who may);
    /// the room keeps it for its next sessions.
    pub async fn set_stage_access(&self, container_id: i64, access: StageAccess) -> Result<()> {
        with_pool!(&self.db, pool => sqlx::query(
            "UPDATE room_settings SET stage_access = $1 WHERE container_id = $2",
        )
        .bind(access.as_str())
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Saves the Meeting room tab in one transaction: all of it, or (on any refusal) none.
    pub async fn save_room_settings(
        &self,
        viewer: &Viewer,
        container_id: i64,
        settings: &RoomSettings,
    ) -> Result<RoomSettings> {
        let (container, _) = self.configurable(viewer, container_id).await?;
        for (list, label) in [
            (&settings.room_moderators, "room"),
            (&settings.chat_moderators, "chat"),
        ] {
            if list.len() > MAX_MODERATORS_PER_LIST {
                return Err(Error::Invalid(format!(
                    "at most {MAX_MODERATORS_PER_LIST} {label} moderators can be listed"
                )));
            }
        }
        let room_moderators = normalise(&settings.room_moderators);
        let chat_moderators = normalise(&settings.chat_moderators);
        // Fails on the first unknown user or group, before anything is written.
        self.name_principals(&room_moderators).await?;
        self.name_principals(&chat_moderators).await?;

        let lists = [("room", &room_moderators), ("chat", &chat_moderators)];
        let entry_title = domain::media::room_entry_title(&container.title);
        let entry_made = with_pool!(&self.db, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO room_settings (container_id, enabled, mode, qna, group_chat, updated_at, updated_by, stage_access) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (container_id) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode, \
                   qna = excluded.qna, group_chat = excluded.group_chat, updated_at = excluded.updated_at, \
                   updated_by = excluded.updated_by, stage_access = excluded.stage_access",
            )
            .bind(container_id)
            .bind(settings.enabled)
            .bind(settings.mode.as_str())
            .bind(settings.qna.as_str())
            .bind(settings.group_chat)
            .bind(now_secs())
            .bind(viewer.identity.user_id)
            .bind(settings.stage_access.map(StageAccess::as_str))
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM room_moderators WHERE container_id = $1")
                .bind(container_id)
                .execute(&mut *tx)
                .await?;
            for (list, refs) in lists {
                for reference in refs.iter() {
                    sqlx::query(
                        "INSERT INTO room_moderators (container_id, list, principal_kind, principal_id) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(container_id)
                    .bind(list)
                    .bind(reference.kind.as_str())
                    .bind(reference.id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            // First enabled: the room becomes a media entry of the container, owned by whoever
            // enabled it. The unique index makes a concurrent second one a no-op.
            let made = if settings.enabled {
                sqlx::query(
                    "INSERT INTO media_entries (id, container_id, title, duration_secs, owner_id, status, created_at, kind) \
                     SELECT $1, $2, $3, 0, $4, 'approved', $5, 'room' \
                     WHERE NOT EXISTS (SELECT 1 FROM media_entries WHERE container_id = $2 AND kind = 'room') \
                     ON CONFLICT DO NOTHING",
                )
                .bind(crate::db::next_id())
                .bind(container_id)
                .bind(&entry_title)
                .bind(viewer.identity.user_id)
                .bind(now_secs())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1
            } else {
                false
            };
            tx.commit().await?;
            made
        });
        tracing::info!(
            container_id,
            user_id = viewer.identity.user_id,
            enabled = settings.enabled,
            entry_made,
            "room settings saved"
        );
        if entry_made {
            let _ = self
                .changes
                .send(crate::Change::ContainerContent { container_id });
        }
        // Nobody listening (no live room machinery, e.g. in tools) is fine.
        let _ = self.changes.send(crate::Change::RoomSettings {
            container_id,
            enabled: settings.enabled,
            mode: settings.mode,
            stage_access: settings
                .stage_access
                .unwrap_or(StageAccess::default_for(settings.mode)),
            group_chat: settings.group_chat,
            qna_enabled: settings
                .qna
                .resolve(self.site_settings().await?.qna_default),
        });
        self.named_room_settings(container_id).await
    }

    /// Entering a container's room: members, managers and the room's moderators, only while
    /// the room is enabled; anyone signed in with a valid invitation link (`invite`), with the
    /// rights it grants.
    pub async fn room_entry(
        &self,
        viewer: &Viewer,
        container_id: i64,
        invite: Option<&str>,
    ) -> Result<RoomEntry> {
        let invited = match invite {
            Some(token) => Some(self.check_invitation(container_id, token).await?),
            None => None,
        };
        self.room_entry_as(viewer, container_id, invited).await
    }

    /// The viewer's rights in the container's room: the Meeting room tab's lists, and what
    /// the room's media entry grants (its owner and co-editors host, its moderators moderate).
    pub(crate) async fn room_rights(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<(ContainerRow, Access, StoredRoom, RoomRights)> {
        let (container, access) = self.access(viewer, container_id).await?;
        let room = self.stored_room(container_id).await?;
        let entry = &room.entry;
        let room_moderators = [
            &room.room_moderators[..],
            &entry.hosts,
            &entry.room_moderators,
        ]
        .concat();
        let chat_moderators = [
            &room.chat_moderators[..],
            &entry.hosts,
            &entry.chat_moderators,
        ]
        .concat();
        let rights =
            RoomRights::resolve(&viewer.identity, access, &room_moderators, &chat_moderators);
        Ok((container, access, room, rights))
    }

    /// [`Store::room_entry`] with the invitation already checked.
    pub async fn room_entry_as(
        &self,
        viewer: &Viewer,
        container_id: i64,
        invited: Option<InviteRole>,
    ) -> Result<RoomEntry> {
        let (container, access, room, mut rights) = self.room_rights(viewer, container_id).await?;
        if invited == Some(InviteRole::Moderator) {
            rights = RoomRights {
                room_moderator: true,
                chat_moderator: true,
            };
        }
        if invited.is_none() && !rights.may_enter(access) {
            return Err(Error::Forbidden(format!(
                "you are not a member of this {}",
                container.kind.noun().to_lowercase()
            )));
        }
        if !room.enabled {
            return Err(Error::NotFound(format!(
                "{} has no meeting room",
                container.title
            )));
        }
        let site = self.site_settings().await?;
        Ok(RoomEntry {
            container_id,
            kind: container.kind,
            title: container.title,
            mode: room.mode,
            rights,
            presenter: rights.room_moderator || invited == Some(InviteRole::Speaker),
            stage_access: room.stage_access,
            qna_enabled: room.qna.resolve(site.qna_default),
            group_chat: room.group_chat,
            back_path: container.kind.page_path(container_id),
        })
    }
}
