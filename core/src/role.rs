//! Roles and the access level derived from them.

use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees the projects granted to them.
    User,
    /// All projects.
    Manager,
    /// All projects, all users, sessions and tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::User => "User",
            Role::Manager => "Manager",
            Role::Admin => "Administrator",
        }
    }

    /// Managers and admins hold every permission on every project.
    pub fn sees_all_projects(self) -> bool {
        self != Role::User
    }

    /// "All projects" or "Assigned projects (N)".
    pub fn access_level(self, assigned_projects: usize) -> String {
        if self.sees_all_projects() {
            "All projects".into()
        } else {
            format!("Assigned projects ({assigned_projects})")
        }
    }
}

impl std::str::FromStr for Role {
    type Err = crate::validate::FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                crate::validate::FieldError::new("role", "Role must be user, manager or admin.")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_access_level() {
        assert_eq!("manager".parse::<Role>().unwrap(), Role::Manager);
        assert!("root".parse::<Role>().is_err());
        assert_eq!(Role::User.access_level(2), "Assigned projects (2)");
        assert_eq!(Role::Admin.access_level(0), "All projects");
    }
}
