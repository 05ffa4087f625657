//! Administration of people and resources: roles, deactivation, organizations, teams,
//! projects, grants and operation logs. References by name that do not resolve are field
//! errors naming what was not found.

use chrono::{DateTime, Utc};
use keyward_core::{FieldError, Permissions, Role, grant, validate};

use crate::audit::{Action, Event};
use crate::db::{GrantSubject, UserRow};
use crate::{Backend, Error};

/// Who receives a grant, by name.
#[derive(Clone, Debug)]
pub enum GrantTo {
    User(String),
    Team(String),
}

fn not_found(field: &str, what: &str, name: &str) -> Error {
    Error::Invalid(FieldError::new(
        field,
        format!("There is no {what} named “{name}”."),
    ))
}

impl Backend {
    pub async fn user_named(&self, username: &str) -> Result<UserRow, Error> {
        self.repo
            .user_by_username(username)
            .await?
            .ok_or_else(|| not_found("username", "user", username))
    }

    pub async fn org_named(&self, name: &str) -> Result<i64, Error> {
        self.repo
            .org_id(name)
            .await?
            .ok_or_else(|| not_found("org", "organization", name))
    }

    async fn optional_org(&self, org: Option<&str>) -> Result<Option<i64>, Error> {
        match org {
            Some(org) => Ok(Some(self.org_named(org).await?)),
            None => Ok(None),
        }
    }

    async fn team_named(&self, name: &str) -> Result<i64, Error> {
        self.repo
            .team_id(name)
            .await?
            .ok_or_else(|| not_found("team", "team", name))
    }

    async fn existing_project(&self, project_id: i64) -> Result<i64, Error> {
        if self.repo.project_exists(project_id).await? {
            Ok(project_id)
        } else {
            Err(Error::Invalid(FieldError::new(
                "project",
                format!("There is no project with id {project_id}."),
            )))
        }
    }

    /// A role change applies to the user's API tokens at their next call.
    pub async fn set_role(
        &self,
        username: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let user = self.user_named(username).await?;
        self.repo.set_role(user.id, role).await?;
        let target = format!("{username}: {}", role.as_str());
        let event = Event::success(Some(user.id), Action::RoleChanged, &target);
        self.audit(event, now).await;
        Ok(())
    }

    /// Deactivation instead of deletion: history stays, sessions end and API tokens stop at
    /// once (their next call is refused).
    pub async fn deactivate_user(&self, username: &str, now: DateTime<Utc>) -> Result<(), Error> {
        self.set_active(username, false, now).await
    }

    /// Deactivates (as above) or reactivates a user. Reactivation does not bring back ended
    /// sessions; the user's tokens work again.
    pub async fn set_active(
        &self,
        username: &str,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let user = self.user_named(username).await?;
        let suspended = self.repo.set_active(user.id, active, now).await?;
        for prefix in &suspended {
            let event = Event::success(Some(user.id), Action::ServiceTokenSuspended, prefix);
            self.audit(event, now).await;
        }
        let action = if active {
            Action::UserActivated
        } else {
            Action::UserDeactivated
        };
        self.audit(Event::success(Some(user.id), action, username), now)
            .await;
        Ok(())
    }

    /// Removes a user's or a team's grant on a project.
    pub async fn revoke_grant(
        &self,
        project_id: i64,
        from: &GrantTo,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let subject = self.grant_subject(from).await?;
        if !self.repo.delete_grant(project_id, subject).await? {
            return Err(Error::NotFound);
        }
        self.audit_grant(project_id, from, "removed", now).await;
        Ok(())
    }

    /// A grant change, in the log of the user it is given to (a team's: in none).
    async fn audit_grant(&self, project_id: i64, to: &GrantTo, what: &str, now: DateTime<Utc>) {
        let (user_id, who) = match to {
            GrantTo::User(name) => {
                let user = self.find_user(name).await.ok().flatten();
                (user.map(|u| u.id), format!("user {name}"))
            }
            GrantTo::Team(name) => (None, format!("team {name}")),
        };
        let target = format!("project {project_id}, {who}: {what}");
        self.audit(Event::success(user_id, Action::GrantChanged, &target), now)
            .await;
    }

    async fn grant_subject(&self, to: &GrantTo) -> Result<GrantSubject, Error> {
        Ok(match to {
            GrantTo::User(username) => GrantSubject::User(self.user_named(username).await?.id),
            GrantTo::Team(team) => GrantSubject::Team(self.team_named(team).await?),
        })
    }

    pub async fn create_org(&self, name: &str, now: DateTime<Utc>) -> Result<i64, Error> {
        self.repo
            .create_org(&validate::name("name", name)?, now)
            .await
    }

    pub async fn create_team(
        &self,
        name: &str,
        org: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        let name = validate::name("name", name)?;
        let org_id = self.optional_org(org).await?;
        self.repo.create_team(&name, org_id, now).await
    }

    pub async fn add_to_team(&self, team: &str, username: &str) -> Result<(), Error> {
        let team_id = self.team_named(team).await?;
        let user = self.user_named(username).await?;
        self.repo.add_team_member(team_id, user.id).await
    }

    pub async fn remove_from_team(&self, team: &str, username: &str) -> Result<(), Error> {
        let team_id = self.team_named(team).await?;
        let user = self.user_named(username).await?;
        if self.repo.remove_team_member(team_id, user.id).await? {
            Ok(())
        } else {
            Err(Error::Invalid(FieldError::new(
                "username",
                format!("{username} is not a member of “{team}”."),
            )))
        }
    }

    pub async fn create_project(
        &self,
        name: &str,
        org: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        let name = validate::name("name", name)?;
        let org_id = self.optional_org(org).await?;
        self.repo.create_project(&name, org_id, now).await
    }

    /// Creates or replaces a grant; `can_read` is implied.
    pub async fn grant(
        &self,
        project_id: i64,
        to: &GrantTo,
        permissions: Permissions,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let project_id = self.existing_project(project_id).await?;
        let subject = self.grant_subject(to).await?;
        self.repo
            .put_grant(project_id, subject, permissions)
            .await?;
        let flags = permissions.names().join(", ");
        self.audit_grant(project_id, to, &flags, now).await;
        Ok(())
    }

    pub async fn create_oplog(
        &self,
        project_id: i64,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        let project_id = self.existing_project(project_id).await?;
        self.repo
            .create_oplog(project_id, &validate::name("name", name)?, now)
            .await
    }

    /// What the user may do on the project now (`None`: the project is invisible to them).
    pub async fn project_permissions(
        &self,
        user: &UserRow,
        project_id: i64,
    ) -> Result<Option<Permissions>, Error> {
        if user.role.sees_all_projects() {
            return Ok(Some(Permissions::ALL));
        }
        let grants = self.repo.grants_of_user(user.id, project_id).await?;
        Ok(grant::effective(user.role, grants))
    }

    /// "All projects" or "Assigned projects (N)".
    pub async fn access_level(&self, user: &UserRow) -> Result<String, Error> {
        let assigned = if user.role.sees_all_projects() {
            0
        } else {
            self.repo.granted_project_count(user.id).await?
        };
        Ok(user
            .role
            .access_level(usize::try_from(assigned).unwrap_or_default()))
    }

    /// The user's teams, shown as their groups.
    pub async fn groups(&self, user: &UserRow) -> Result<Vec<String>, Error> {
        self.repo.team_names_of(user.id).await
    }
}
