//! The scope of a service token: the one project or operation log it may touch, and how.
//! The grant lives on the token, so deciding what a token may do needs nothing but the token:
//! these functions are the whole rule, shared by the server and the page.

use serde::{Deserialize, Serialize};

use crate::Permissions;

/// A service token's scope preset with its target. Serialized as
/// `{"preset": "project", ...}` or `{"preset": "oplog", ...}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "preset", rename_all = "snake_case")]
pub enum Scope {
    /// One project: read it, plus the ticked flags. With no flag it is read-only. The
    /// organization is context checked at creation (the project must belong to it).
    Project {
        project_id: i64,
        #[serde(default)]
        org_id: Option<i64>,
        #[serde(default)]
        permissions: Permissions,
    },
    /// One operation log: read it, and read, create and edit its entries; nothing else.
    Oplog { oplog_id: i64 },
}

/// What a caller may do with an operation log it can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OplogAccess {
    /// Create and edit entries.
    pub write: bool,
    /// Delete entries.
    pub delete: bool,
}

impl OplogAccess {
    /// A person who can read the project reads and writes its logs.
    pub const FULL: OplogAccess = OplogAccess {
        write: true,
        delete: true,
    };
    pub const READ: OplogAccess = OplogAccess {
        write: false,
        delete: false,
    };
}

impl Scope {
    /// The token's permission on a project (`None`: the project is outside its scope).
    pub fn project_permissions(&self, project_id: i64) -> Option<Permissions> {
        match *self {
            Scope::Project {
                project_id: p,
                permissions,
                ..
            } if p == project_id => Some(permissions),
            _ => None,
        }
    }

    /// The token's access to the log `oplog_id` of project `project_id` (`None`: outside its
    /// scope). A project token reads its project's logs; an operation-log token reads and
    /// writes the entries of its one log but does not delete them.
    pub fn oplog_access(&self, oplog_id: i64, project_id: i64) -> Option<OplogAccess> {
        match *self {
            Scope::Project { project_id: p, .. } if p == project_id => Some(OplogAccess::READ),
            Scope::Oplog { oplog_id: o } if o == oplog_id => Some(OplogAccess {
                write: true,
                delete: false,
            }),
            _ => None,
        }
    }

    /// What the creator must hold on the project (`oplog`'s project for a log token) for the
    /// token to be allowed: the no-escalation rule compares this with the creator's grant.
    pub fn required(&self) -> Permissions {
        match *self {
            Scope::Project { permissions, .. } => permissions,
            Scope::Oplog { .. } => Permissions::READ,
        }
    }

    /// The permission names shown in the table, by whoami and by `kw status`.
    pub fn permission_names(&self) -> Vec<String> {
        let names = match self {
            Scope::Project { permissions, .. } => permissions.names(),
            Scope::Oplog { .. } => vec!["oplog_read", "oplog_write"],
        };
        names.into_iter().map(String::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRETS: Permissions = Permissions {
        can_change_secrets: true,
        ..Permissions::READ
    };

    #[test]
    fn a_project_token_sees_its_project_and_reads_its_logs() {
        let s = Scope::Project {
            project_id: 7,
            org_id: None,
            permissions: SECRETS,
        };
        assert_eq!(s.project_permissions(7), Some(SECRETS));
        assert_eq!(s.project_permissions(8), None);
        assert_eq!(s.oplog_access(1, 7), Some(OplogAccess::READ));
        assert_eq!(s.oplog_access(1, 8), None);
        assert_eq!(s.required(), SECRETS);
        assert_eq!(s.permission_names(), ["can_read", "can_change_secrets"]);
    }

    #[test]
    fn an_oplog_token_sees_one_log_and_no_project() {
        let s = Scope::Oplog { oplog_id: 3 };
        assert_eq!(s.project_permissions(7), None);
        assert_eq!(
            s.oplog_access(3, 7),
            Some(OplogAccess {
                write: true,
                delete: false
            })
        );
        assert_eq!(s.oplog_access(4, 7), None);
        assert_eq!(s.required(), Permissions::READ);
    }

    #[test]
    fn wire_format() {
        let s = Scope::Project {
            project_id: 7,
            org_id: Some(2),
            permissions: SECRETS,
        };
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["preset"], "project");
        assert_eq!(json["permissions"]["can_change_secrets"], true);
        let back: Scope = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
        let log: Scope = serde_json::from_str(r#"{"preset":"oplog","oplog_id":3}"#).unwrap();
        assert_eq!(log, Scope::Oplog { oplog_id: 3 });
    }
}
