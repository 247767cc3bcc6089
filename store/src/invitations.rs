//! Invitation links: `/rooms/{id}?invite={container}.{role}.{expires}.{mac}`, where the MAC is
//! HMAC-SHA256 over the first three parts with a key kept in the database (so every node
//! checks what any node signed). Nothing is stored per link; a link works until it expires.

use domain::api::{Invitation, InviteRole, NewInvitation};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::now_secs;
use crate::{Error, Result, Store, Viewer};

const SECRET_NAME: &str = "invitations";
const DEFAULT_HOURS: u32 = 24;
const MAX_HOURS: u32 = 7 * 24;

fn mac(key: &[u8], claims: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(claims.as_bytes());
    mac
}

fn invalid_link() -> Error {
    Error::Forbidden("this invitation link is not valid for this room or has expired".into())
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
        if !(1..=MAX_HOURS).contains(&hours) {
            return Err(Error::Invalid(format!(
                "an invitation is valid for 1 to {MAX_HOURS} hours"
            )));
        }
        let entry = self.room_entry(viewer, container_id, None).await?;
        if !entry.rights.room_moderator {
            return Err(Error::Forbidden(
                "only room moderators send invitation links".into(),
            ));
        }
        let expires_at = now_secs() + i64::from(hours) * 3600;
        let claims = format!("{container_id}.{}.{expires_at}", request.role.as_str());
        let key = self.server_secret(SECRET_NAME).await?;
        let signature = hex::encode(mac(&key, &claims).finalize().into_bytes());
        Ok(Invitation {
            role: request.role,
            path: format!("/rooms/{container_id}?invite={claims}.{signature}"),
            expires_at,
        })
    }

    /// The role a link grants in `container_id`, if it is genuine, for this room and current.
    pub async fn check_invitation(&self, container_id: i64, token: &str) -> Result<InviteRole> {
        let mut parts = token.splitn(4, '.');
        let (Some(room), Some(role), Some(expires), Some(signature)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_link());
        };
        let signature = hex::decode(signature).map_err(|_| invalid_link())?;
        let key = self.server_secret(SECRET_NAME).await?;
        mac(&key, &format!("{room}.{role}.{expires}"))
            .verify_slice(&signature)
            .map_err(|_| invalid_link())?;
        let expires: i64 = expires.parse().map_err(|_| invalid_link())?;
        if room != container_id.to_string() || expires <= now_secs() {
            return Err(invalid_link());
        }
        InviteRole::parse(role).ok_or_else(invalid_link)
    }
}
