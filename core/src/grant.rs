//! The four-permission model of a project grant, and how grants combine.

use serde::{Deserialize, Serialize};

/// What a grant allows on one project. `can_read` is implied by every grant: holding a grant
/// at all means the project can be read.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Permissions {
    pub can_change_configs: bool,
    pub can_change_secrets: bool,
    pub can_delete_project: bool,
}

impl Permissions {
    /// Read only (no flag ticked).
    pub const READ: Permissions = Permissions {
        can_change_configs: false,
        can_change_secrets: false,
        can_delete_project: false,
    };
    /// Every permission (managers and admins, on every project).
    pub const ALL: Permissions = Permissions {
        can_change_configs: true,
        can_change_secrets: true,
        can_delete_project: true,
    };

    /// Direct and team grants add up.
    pub fn union(self, other: Permissions) -> Permissions {
        Permissions {
            can_change_configs: self.can_change_configs || other.can_change_configs,
            can_change_secrets: self.can_change_secrets || other.can_change_secrets,
            can_delete_project: self.can_delete_project || other.can_delete_project,
        }
    }

    /// Whether holding `self` is enough to hand out `wanted` (the no-escalation rule).
    pub fn covers(self, wanted: Permissions) -> bool {
        self.union(wanted) == self
    }

    /// The flags' names, for tables and the CLI: `read`, then each flag that is set.
    pub fn names(self) -> Vec<&'static str> {
        let mut names = vec!["can_read"];
        for (on, name) in [
            (self.can_change_configs, "can_change_configs"),
            (self.can_change_secrets, "can_change_secrets"),
            (self.can_delete_project, "can_delete_project"),
        ] {
            if on {
                names.push(name);
            }
        }
        names
    }
}

/// A user's permission on a project: everything for managers and admins, else the union of
/// their direct and team grants (`None` when they hold no grant: the project is invisible).
pub fn effective(
    role: crate::Role,
    grants: impl IntoIterator<Item = Permissions>,
) -> Option<Permissions> {
    if role.sees_all_projects() {
        return Some(Permissions::ALL);
    }
    grants.into_iter().reduce(Permissions::union)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use proptest::prelude::*;

    fn perms() -> impl Strategy<Value = Permissions> {
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(a, b, c)| Permissions {
            can_change_configs: a,
            can_change_secrets: b,
            can_delete_project: c,
        })
    }

    #[test]
    fn roles_and_grants() {
        let configs = Permissions {
            can_change_configs: true,
            ..Permissions::READ
        };
        let secrets = Permissions {
            can_change_secrets: true,
            ..Permissions::READ
        };
        assert_eq!(effective(Role::User, []), None);
        assert_eq!(
            effective(Role::User, [Permissions::READ]),
            Some(Permissions::READ)
        );
        let both = effective(Role::User, [configs, secrets]).unwrap();
        assert!(both.can_change_configs && both.can_change_secrets && !both.can_delete_project);
        assert_eq!(effective(Role::Manager, []), Some(Permissions::ALL));
        assert_eq!(
            effective(Role::Admin, [Permissions::READ]),
            Some(Permissions::ALL)
        );
        assert_eq!(
            both.names(),
            ["can_read", "can_change_configs", "can_change_secrets"]
        );
        assert!(both.covers(configs) && !configs.covers(both));
    }

    proptest! {
        #[test]
        fn union_is_the_least_upper_bound(a in perms(), b in perms(), c in perms()) {
            let u = a.union(b);
            prop_assert!(u.covers(a) && u.covers(b));
            prop_assert_eq!(u, b.union(a));
            prop_assert_eq!(a.union(b).union(c), a.union(b.union(c)));
            // Anything that covers both covers their union.
            if c.covers(a) && c.covers(b) {
                prop_assert!(c.covers(u));
            }
            prop_assert!(a.covers(Permissions::READ));
            prop_assert!(Permissions::ALL.covers(a));
        }
    }
}
