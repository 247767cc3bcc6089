//! Who may do what with a gallery or channel. The database, LTI and the UI only produce
//! identities and grants; every decision is made here.

use serde::{Deserialize, Serialize};

use crate::ContainerRole;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    Group,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// A user or a group something is granted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    pub id: i64,
}

impl PrincipalRef {
    pub fn user(id: i64) -> Self {
        Self {
            kind: PrincipalKind::User,
            id,
        }
    }

    pub fn group(id: i64) -> Self {
        Self {
            kind: PrincipalKind::Group,
            id,
        }
    }
}

/// The signed-in user as the rules see them: who they are and which groups they are in now.
/// Group membership is read at decision time, so current and future members share a grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: i64,
    pub groups: Vec<i64>,
    pub site_admin: bool,
}

impl Identity {
    /// Whether a grant to `principal` reaches this user, directly or through a group.
    pub fn is(&self, principal: PrincipalRef) -> bool {
        match principal.kind {
            PrincipalKind::User => principal.id == self.user_id,
            PrincipalKind::Group => self.groups.contains(&principal.id),
        }
    }

    pub fn is_any(&self, principals: &[PrincipalRef]) -> bool {
        principals.iter().any(|p| self.is(*p))
    }
}

/// The highest role any grant gives the user; `None` when no grant reaches them.
pub fn container_role(
    identity: &Identity,
    grants: &[(PrincipalRef, ContainerRole)],
) -> Option<ContainerRole> {
    grants
        .iter()
        .filter(|(principal, _)| identity.is(*principal))
        .map(|(_, role)| *role)
        .max()
}

/// A user's standing in one gallery or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub role: Option<ContainerRole>,
    pub site_admin: bool,
}

impl Access {
    pub fn resolve(identity: &Identity, grants: &[(PrincipalRef, ContainerRole)]) -> Self {
        Self {
            role: container_role(identity, grants),
            site_admin: identity.site_admin,
        }
    }

    /// Sees the page, its approved media and (when enabled) the Enter Room button.
    pub fn can_view(self) -> bool {
        self.site_admin || self.role.is_some()
    }

    /// Opens Configure / Manage content, the Meeting room tab among it, and sees pending media.
    pub fn can_configure(self) -> bool {
        self.site_admin || self.role == Some(ContainerRole::Manager)
    }

    /// The role shown to the user; site admins act as managers everywhere.
    pub fn effective_role(self) -> Option<ContainerRole> {
        if self.site_admin {
            Some(ContainerRole::Manager)
        } else {
            self.role
        }
    }
}

/// A user's rights in a container's meeting room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoomRights {
    /// Launch the room, manage its content, record, use the backchannel.
    pub room_moderator: bool,
    /// Moderate chat, reply to Q&A, launch polls, use the backchannel.
    pub chat_moderator: bool,
}

impl RoomRights {
    /// Managers (and site admins) are hosts: automatically room and chat moderators. Others get
    /// what the room's moderator lists grant them, directly or through a group.
    pub fn resolve(
        identity: &Identity,
        access: Access,
        room_moderators: &[PrincipalRef],
        chat_moderators: &[PrincipalRef],
    ) -> Self {
        let host = access.can_configure();
        Self {
            room_moderator: host || identity.is_any(room_moderators),
            chat_moderator: host || identity.is_any(chat_moderators),
        }
    }

    pub fn backchannel(self) -> bool {
        self.room_moderator || self.chat_moderator
    }

    /// Members enter the room; so do its moderators, even without access to the gallery's
    /// media (a moderator group need not be enrolled in the course).
    pub fn may_enter(self, access: Access) -> bool {
        access.can_view() || self.room_moderator || self.chat_moderator
    }
}

/// Who may open a media entry's edit page (Roles & permissions among it): its owner and
/// co-editors, and managers of the gallery or channel it lives in. Room moderators may not.
pub fn can_edit_media(
    identity: &Identity,
    owner_id: i64,
    co_editors: &[i64],
    container_access: Access,
) -> bool {
    identity.user_id == owner_id
        || co_editors.contains(&identity.user_id)
        || container_access.can_configure()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEACHING_ASSISTANTS: i64 = 10;
    const STUDENTS: i64 = 11;

    fn user(id: i64, groups: &[i64]) -> Identity {
        Identity {
            user_id: id,
            groups: groups.to_vec(),
            site_admin: false,
        }
    }

    fn design_101() -> Vec<(PrincipalRef, ContainerRole)> {
        vec![
            (PrincipalRef::user(2), ContainerRole::Manager),
            (PrincipalRef::group(STUDENTS), ContainerRole::Member),
        ]
    }

    #[test]
    fn direct_manager_configures() {
        let access = Access::resolve(&user(2, &[]), &design_101());
        assert_eq!(access.role, Some(ContainerRole::Manager));
        assert!(access.can_view() && access.can_configure());
    }

    #[test]
    fn group_member_views_but_does_not_configure() {
        let access = Access::resolve(&user(4, &[STUDENTS]), &design_101());
        assert_eq!(access.role, Some(ContainerRole::Member));
        assert!(access.can_view());
        assert!(!access.can_configure());
    }

    #[test]
    fn outsider_neither_views_nor_configures() {
        let access = Access::resolve(&user(9, &[TEACHING_ASSISTANTS]), &design_101());
        assert_eq!(access.role, None);
        assert!(!access.can_view() && !access.can_configure());
    }

    #[test]
    fn site_admin_configures_everything() {
        let admin = Identity {
            user_id: 1,
            groups: vec![],
            site_admin: true,
        };
        let access = Access::resolve(&admin, &design_101());
        assert_eq!(access.role, None);
        assert!(access.can_configure());
        assert_eq!(access.effective_role(), Some(ContainerRole::Manager));
    }

    #[test]
    fn a_group_manager_grant_outranks_a_direct_member_grant() {
        let grants = vec![
            (PrincipalRef::user(3), ContainerRole::Member),
            (
                PrincipalRef::group(TEACHING_ASSISTANTS),
                ContainerRole::Manager,
            ),
        ];
        let access = Access::resolve(&user(3, &[TEACHING_ASSISTANTS]), &grants);
        assert_eq!(access.role, Some(ContainerRole::Manager));
    }

    #[test]
    fn managers_are_room_and_chat_moderators() {
        let teacher = user(2, &[]);
        let access = Access::resolve(&teacher, &design_101());
        let rights = RoomRights::resolve(&teacher, access, &[], &[]);
        assert!(rights.room_moderator && rights.chat_moderator && rights.backchannel());
    }

    #[test]
    fn moderator_lists_reach_group_members_current_and_future() {
        let room_mods = [PrincipalRef::group(TEACHING_ASSISTANTS)];
        let chat_mods = [PrincipalRef::user(5)];
        let ta = user(3, &[TEACHING_ASSISTANTS]);
        let rights = RoomRights::resolve(
            &ta,
            Access::resolve(&ta, &design_101()),
            &room_mods,
            &chat_mods,
        );
        assert_eq!(
            rights,
            RoomRights {
                room_moderator: true,
                chat_moderator: false
            }
        );

        // Someone added to the group later gets the same rights without a new grant.
        let new_ta = user(8, &[TEACHING_ASSISTANTS]);
        let rights = RoomRights::resolve(
            &new_ta,
            Access::resolve(&new_ta, &design_101()),
            &room_mods,
            &chat_mods,
        );
        assert!(rights.room_moderator);

        let student = user(5, &[STUDENTS]);
        let rights = RoomRights::resolve(
            &student,
            Access::resolve(&student, &design_101()),
            &room_mods,
            &chat_mods,
        );
        assert_eq!(
            rights,
            RoomRights {
                room_moderator: false,
                chat_moderator: true
            }
        );
    }

    #[test]
    fn moderators_enter_the_room_without_being_members() {
        let outsider_ta = user(3, &[TEACHING_ASSISTANTS]);
        let access = Access::resolve(&outsider_ta, &design_101());
        assert!(!access.can_view());
        let rights = RoomRights::resolve(
            &outsider_ta,
            access,
            &[PrincipalRef::group(TEACHING_ASSISTANTS)],
            &[],
        );
        assert!(rights.may_enter(access));
        assert!(!RoomRights::default().may_enter(access));
    }

    #[test]
    fn plain_members_have_no_room_rights() {
        let student = user(4, &[STUDENTS]);
        let rights =
            RoomRights::resolve(&student, Access::resolve(&student, &design_101()), &[], &[]);
        assert_eq!(rights, RoomRights::default());
        assert!(!rights.backchannel());
    }

    #[test]
    fn media_edit_is_for_owner_co_editors_and_managers_only() {
        let member = Access {
            role: Some(ContainerRole::Member),
            site_admin: false,
        };
        let manager = Access {
            role: Some(ContainerRole::Manager),
            site_admin: false,
        };
        assert!(can_edit_media(&user(7, &[]), 7, &[], member));
        assert!(can_edit_media(&user(8, &[]), 7, &[8], member));
        assert!(can_edit_media(&user(2, &[]), 7, &[], manager));
        assert!(!can_edit_media(&user(9, &[]), 7, &[8], member));
    }

    fn arb_grant() -> impl Strategy<Value = (PrincipalRef, ContainerRole)> {
        (any::<bool>(), 0i64..6, any::<bool>()).prop_map(|(is_group, id, manager)| {
            let principal = if is_group {
                PrincipalRef::group(id)
            } else {
                PrincipalRef::user(id)
            };
            let role = if manager {
                ContainerRole::Manager
            } else {
                ContainerRole::Member
            };
            (principal, role)
        })
    }

    proptest! {
        #[test]
        fn role_ignores_grant_order(mut grants in prop::collection::vec(arb_grant(), 0..12),
                                     user_id in 0i64..6, groups in prop::collection::vec(0i64..6, 0..3)) {
            let identity = user(user_id, &groups);
            let before = container_role(&identity, &grants);
            grants.reverse();
            prop_assert_eq!(container_role(&identity, &grants), before);
        }

        #[test]
        fn another_grant_never_lowers_a_role(grants in prop::collection::vec(arb_grant(), 0..12),
                                            extra in arb_grant(),
                                            user_id in 0i64..6, groups in prop::collection::vec(0i64..6, 0..3)) {
            let identity = user(user_id, &groups);
            let before = container_role(&identity, &grants);
            let mut more = grants.clone();
            more.push(extra);
            prop_assert!(container_role(&identity, &more) >= before);
        }

        #[test]
        fn whoever_configures_can_view_and_moderates(grants in prop::collection::vec(arb_grant(), 0..12),
                                                     user_id in 0i64..6, groups in prop::collection::vec(0i64..6, 0..3),
                                                     site_admin in any::<bool>()) {
            let identity = Identity { user_id, groups, site_admin };
            let access = Access::resolve(&identity, &grants);
            if access.can_configure() {
                prop_assert!(access.can_view());
                let rights = RoomRights::resolve(&identity, access, &[], &[]);
                prop_assert!(rights.room_moderator && rights.chat_moderator);
            }
        }
    }
}
