//! What the admin pages show, one service per page, each loaded in a fixed number of
//! queries however many rows there are, and the rules that bind an administrator acting on
//! them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use keyward_core::Role;

use crate::db::{GrantRow, OplogRow, ProjectRow, TeamRow, UserRow};
use crate::{Backend, Error};

/// A project with its grants and operation logs.
#[derive(Clone, Debug)]
pub struct ProjectOverview {
    pub project: ProjectRow,
    /// Users' grants first, then teams', each by name.
    pub grants: Vec<GrantRow>,
    pub oplogs: Vec<OplogRow>,
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
    /// `/admin/users`: every account, by username.
    pub async fn all_users(&self) -> Result<Vec<UserRow>, Error> {
        self.repo().users().await
    }

    /// `/admin/organizations` and the organization pickers: `(id, name)`, by name.
    pub async fn organizations(&self) -> Result<Vec<(i64, String)>, Error> {
        self.repo().organizations().await
    }

    /// `/admin/teams`: every team with its members, by name.
    pub async fn teams(&self) -> Result<Vec<TeamRow>, Error> {
        self.repo().teams().await
    }

    /// `/admin/projects`: every project (by id) with its grants and operation logs, in three
    /// queries.
    pub async fn projects_overview(&self) -> Result<Vec<ProjectOverview>, Error> {
        let repo = self.repo();
        let mut grants = by_project(repo.grants().await?, |g| g.project_id);
        let mut oplogs = by_project(repo.oplogs(None).await?, |o| o.project_id);
        Ok(repo
            .projects()
            .await?
            .into_iter()
            .map(|project| ProjectOverview {
                grants: grants.remove(&project.id).unwrap_or_default(),
                oplogs: oplogs.remove(&project.id).unwrap_or_default(),
                project,
            })
            .collect())
    }

    /// `/admin/oplogs`: every project (by id, for the new-log form) and every operation log.
    pub async fn oplogs_overview(&self) -> Result<(Vec<ProjectRow>, Vec<OplogRow>), Error> {
        let repo = self.repo();
        Ok((repo.projects().await?, repo.oplogs(None).await?))
    }

    /// An administrator changes a role from the admin pages: anyone's but their own away
    /// from admin (so an installation always keeps the admin who is acting).
    pub async fn admin_set_role(
        &self,
        admin: &UserRow,
        username: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if admin.username == username && role != Role::Admin {
            return Err(Error::Refused(
                "You cannot take the admin role from yourself.",
            ));
        }
        self.set_role(username, role, now).await
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
