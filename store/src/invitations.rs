//! Invitation links: `/rooms/{id}?invite={container}.{role}.{link}.{expires}.{mac}`, where the
//! MAC is HMAC-SHA256 over the first four parts with a key kept in the database (so every node
//! checks what any node signed). Each link is also a row (`invitation_links`), named by the
//! `{link}` id the token carries, so room moderators list and revoke them; a link works while
//! its row is neither revoked nor expired.

use domain::api::{Invitation, InvitationLink, InviteRole, NewInvitation};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{next_id, now_secs, with_pool};
use crate::{Error, Result, Store, Viewer};

const SECRET_NAME: &str = "invitations";
const DEFAULT_HOURS: u32 = 24;
/// Speaker links: up to a week, for a guest speaker invited ahead of time.
pub const MAX_SPEAKER_HOURS: u32 = 7 * 24;
/// Moderator links hand out full control of the room: a leaked one should not work for long.
pub const MAX_MODERATOR_HOURS: u32 = 24;
/// Active links per room; more would only be a way to fill the table.
pub const MAX_ACTIVE_LINKS: i64 = 200;

fn mac(key: &[u8], claims: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(claims.as_bytes());
    mac
}

fn invalid_link() -> Error {
    Error::Forbidden(
        "this invitation link is not valid for this room, has expired or was revoked".into(),
    )
}

fn max_hours(role: InviteRole) -> u32 {
    match role {
        InviteRole::Speaker => MAX_SPEAKER_HOURS,
        InviteRole::Moderator => MAX_MODERATOR_HOURS,
    }
}

/// A link's claims as signed; the token is these plus the MAC.
fn claims(container_id: i64, role: InviteRole, id: i64, expires_at: i64) -> String {
    format!("{container_id}.{}.{id}.{expires_at}", role.as_str())
}

/// The room page with the link's signed token. The token is not stored: the row and the key
/// make it again, so listing shows the very link that was handed out.
fn invitation_path(
    key: &[u8],
    container_id: i64,
    role: InviteRole,
    id: i64,
    expires_at: i64,
) -> String {
    let claims = claims(container_id, role, id, expires_at);
    let signature = hex::encode(mac(key, &claims).finalize().into_bytes());
    format!("/rooms/{container_id}?invite={claims}.{signature}")
}

impl Store {
    /// Room moderators make links for their room.
    pub async fn create_invitation(
        &self,
        viewer: &Viewer,
        container_id: i64,
        request: &NewInvitation,
    ) -> Result<Invitation> {
        let hours = request.valid_hours.unwrap_or(DEFAULT_HOURS);
        let max = max_hours(request.role);
        if !(1..=max).contains(&hours) {
            return Err(Error::Invalid(format!(
                "a {} invitation is valid for 1 to {max} hours",
                request.role.as_str()
            )));
        }
        self.require_room_moderator(viewer, container_id).await?;
        let now = now_secs();
        let id = next_id();
        let expires_at = now + i64::from(hours) * 3600;
        let active: (i64,) = with_pool!(&self.db, pool => {
            // Expired links can never work again: their rows go as new ones come.
            sqlx::query("DELETE FROM invitation_links WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query_as(
                "SELECT COUNT(*) FROM invitation_links WHERE container_id = $1 AND revoked_at IS NULL",
            )
            .bind(container_id)
            .fetch_one(pool)
            .await?
        });
        if active.0 >= MAX_ACTIVE_LINKS {
            return Err(Error::Invalid(format!(
                "this room already has {MAX_ACTIVE_LINKS} active invitation links; revoke some first"
            )));
        }
        with_pool!(&self.db, pool => sqlx::query(
            "INSERT INTO invitation_links (id, container_id, role, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(container_id)
        .bind(request.role.as_str())
        .bind(viewer.identity.user_id)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await?
        .rows_affected());
        tracing::info!(
            container_id,
            invitation_id = id,
            role = request.role.as_str(),
            user_id = viewer.identity.user_id,
            "invitation link created"
        );
        let key = self.server_secret(SECRET_NAME).await?;
        Ok(Invitation {
            id,
            role: request.role,
            path: invitation_path(&key, container_id, request.role, id, expires_at),
            expires_at,
        })
    }

    async fn require_room_moderator(&self, viewer: &Viewer, container_id: i64) -> Result<()> {
        let entry = self.room_entry(viewer, container_id, None).await?;
        if !entry.rights.room_moderator {
            return Err(Error::Forbidden(
                "only room moderators manage invitation links".into(),
            ));
        }
        Ok(())
    }

    /// The room's links that still work, newest first, for its room moderators.
    pub async fn list_invitations(
        &self,
        viewer: &Viewer,
        container_id: i64,
    ) -> Result<Vec<InvitationLink>> {
        self.require_room_moderator(viewer, container_id).await?;
        let rows: Vec<(i64, String, String, i64, i64)> = with_pool!(&self.db, pool =>
            sqlx::query_as(
                "SELECT l.id, l.role, u.display_name, l.created_at, l.expires_at \
                 FROM invitation_links l JOIN users u ON u.id = l.created_by \
                 WHERE l.container_id = $1 AND l.revoked_at IS NULL AND l.expires_at > $2 \
                 ORDER BY l.id DESC",
            )
            .bind(container_id)
            .bind(now_secs())
            .fetch_all(pool)
            .await?
        );
        let key = self.server_secret(SECRET_NAME).await?;
        rows.into_iter()
            .map(|(id, role, created_by, created_at, expires_at)| {
                let role = InviteRole::parse(&role)
                    .ok_or_else(|| Error::corrupt("invitation role", &role))?;
                Ok(InvitationLink {
                    id,
                    role,
                    path: invitation_path(&key, container_id, role, id, expires_at),
                    created_by,
                    created_at,
                    expires_at,
                })
            })
            .collect()
    }

    /// Room moderators revoke one of their room's links: it stops admitting anyone, and live
    /// rooms are told to check again whom it admitted. Revoking a revoked link changes nothing.
    pub async fn revoke_invitation(
        &self,
        viewer: &Viewer,
        container_id: i64,
        invitation_id: i64,
    ) -> Result<()> {
        self.require_room_moderator(viewer, container_id).await?;
        let revoked = with_pool!(&self.db, pool => sqlx::query(
            "UPDATE invitation_links SET revoked_at = $1 \
             WHERE id = $2 AND container_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_secs())
        .bind(invitation_id)
        .bind(container_id)
        .execute(pool)
        .await?
        .rows_affected());
        if revoked == 0 {
            let known: Option<(i64,)> = with_pool!(&self.db, pool => sqlx::query_as(
                "SELECT id FROM invitation_links WHERE id = $1 AND container_id = $2",
            )
            .bind(invitation_id)
            .bind(container_id)
            .fetch_optional(pool)
            .await?);
            return match known {
                Some(_) => Ok(()),
                None => Err(Error::NotFound(format!(
                    "this room has no invitation link {invitation_id}"
                ))),
            };
        }
        tracing::info!(
            container_id,
            invitation_id,
            user_id = viewer.identity.user_id,
            "invitation link revoked"
        );
        // Nobody listening (no live room machinery, e.g. in tools) is fine.
        let _ = self
            .changes
            .send(crate::Change::InvitationRevoked { container_id });
        Ok(())
    }

    /// The role a link grants in `container_id`, if it is genuine, for this room, current and
    /// not revoked.
    pub async fn check_invitation(&self, container_id: i64, token: &str) -> Result<InviteRole> {
        let mut parts = token.splitn(5, '.');
        let (Some(room), Some(role), Some(id), Some(expires), Some(signature)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid_link());
        };
        let signature = hex::decode(signature).map_err(|_| invalid_link())?;
        let key = self.server_secret(SECRET_NAME).await?;
        // The MAC first: a forged token costs no database lookup.
        mac(&key, &format!("{room}.{role}.{id}.{expires}"))
            .verify_slice(&signature)
            .map_err(|_| invalid_link())?;
        let role = InviteRole::parse(role).ok_or_else(invalid_link)?;
        let id: i64 = id.parse().map_err(|_| invalid_link())?;
        let expires: i64 = expires.parse().map_err(|_| invalid_link())?;
        let now = now_secs();
        if room != container_id.to_string() || expires <= now {
            return Err(invalid_link());
        }
        let active: Option<(i64,)> = with_pool!(&self.db, pool => sqlx::query_as(
            "SELECT id FROM invitation_links WHERE id = $1 AND container_id = $2 AND role = $3 \
             AND expires_at = $4 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(container_id)
        .bind(role.as_str())
        .bind(expires)
        .fetch_optional(pool)
        .await?);
        active.map(|_| role).ok_or_else(invalid_link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_end_in_the_expiry() {
        // The MAC covers all four, and the expiry is last (clients read it from the end).
        assert_eq!(
            claims(3, InviteRole::Speaker, 42, 1_900_000_000),
            "3.speaker.42.1900000000"
        );
    }
}
