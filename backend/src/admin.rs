//! What the admin pages show, loaded in a fixed number of queries however many projects
//! there are, and the rules that bind an administrator acting on them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use keyward_core::Role;

use crate::db::{GrantRow, OplogRow, ProjectRow, ServiceTokenRow, TeamRow, UserRow};
use crate::{Backend, Error};

/// A project with its grants and operation logs.
#[derive(Clone, Debug)]
pub struct ProjectOverview {
    pub project: ProjectRow,
    /// Users' grants first, then teams', each by name.
    pub grants: Vec<GrantRow>,
    pub oplogs: Vec<OplogRow>,
}

/// People and resources, as the admin pages list them.
#[derive(Clone, Debug)]
pub struct AdminOverview {
    /// By username.
    pub users: Vec<UserRow>,
    /// `(id, name)`, by name.
    pub orgs: Vec<(i64, String)>,
    /// By name.
    pub teams: Vec<TeamRow>,
    /// By id.
    pub projects: Vec<ProjectOverview>,
    /// Tokens suspended because their answerable user was deactivated.
    pub suspended: Vec<ServiceTokenRow>,
}

/// Splits rows by the project they belong to, keeping their order.
fn by_project<T>(rows: Vec<T>, project_of: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(project_of(&row)).or_default().push(row);
    }
    grouped
}

impl Backend {
    pub async fn admin_overview(&self) -> Result<AdminOverview, Error> {
        let repo = self.repo();
        let mut grants = by_project(repo.grants().await?, |g| g.project_id);
        let mut oplogs = by_project(repo.oplogs(None).await?, |o| o.project_id);
        let projects = repo
            .projects()
            .await?
            .into_iter()
            .map(|project| ProjectOverview {
                grants: grants.remove(&project.id).unwrap_or_default(),
                oplogs: oplogs.remove(&project.id).unwrap_or_default(),
                project,
            })
            .collect();
        Ok(AdminOverview {
            users: repo.users().await?,
            orgs: repo.organizations().await?,
            teams: repo.teams().await?,
            projects,
            suspended: repo.suspended_service_tokens().await?,
        })
    }

    /// An administrator changes a role from the admin pages: anyone's but their own away
    /// from admin (so an installation always keeps the admin who is acting).
    pub async fn admin_set_role(
        &self,
        admin: &UserRow,
        username: &str,
        role: Role,
    ) -> Result<(), Error> {
        if admin.username == username && role != Role::Admin {
            return Err(Error::Refused(
                "You cannot take the admin role from yourself.",
            ));
        }
        self.set_role(username, role).await
    }

    /// An administrator activates or deactivates someone from the admin pages, never
    /// themselves.
    pub async fn admin_set_active(
        &self,
        admin: &UserRow,
        username: &str,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if admin.username == username && !active {
            return Err(Error::Refused("You cannot deactivate yourself."));
        }
        self.set_active(username, active, now).await
    }
}
