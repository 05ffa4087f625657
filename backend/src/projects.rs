//! Project data behind the bearer API, and the one place that decides what a caller may do
//! with a project: outside their grant it does not exist for them (404); visible without the
//! needed flag it is refused (403).

use chrono::{DateTime, Utc};
use keyward_core::validate::secret_name;
use keyward_core::{FieldError, Permissions, Scope, grant};

use crate::audit;
use crate::db::{GrantRow, ProjectRow, SecretRow, UserRow};
use crate::sealing::secret_purpose;
use crate::{Actor, Backend, Error, Principal};

/// What a caller wants to do with a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    ChangeConfig,
    ChangeSecrets,
    Delete,
}

impl Action {
    fn allowed_by(self, p: Permissions) -> bool {
        match self {
            Action::Read => true,
            Action::ChangeConfig => p.can_change_configs,
            Action::ChangeSecrets => p.can_change_secrets,
            Action::Delete => p.can_delete_project,
        }
    }
}

/// A project as its caller may see it, with what they may do.
#[derive(Clone, Debug)]
pub struct VisibleProject {
    pub project: ProjectRow,
    pub permissions: Permissions,
}

const SECRET_VALUE_MAX: usize = 64 * 1024;

impl Backend {
    /// The one authorization decision for project routes.
    pub async fn authorize_project(
        &self,
        principal: &Principal,
        project_id: i64,
        action: Action,
    ) -> Result<VisibleProject, Error> {
        let permissions = match &principal.actor {
            Actor::User(user) => self.project_permissions(user, project_id).await?,
            Actor::Service(token) => token.scope.project_permissions(project_id),
        };
        self.decide(permissions, project_id, action).await
    }

    /// The same decision for a person signed in to the pages (the project page's server
    /// functions), who holds what their role and grants give them.
    pub async fn authorize_user_project(
        &self,
        user: &UserRow,
        project_id: i64,
        action: Action,
    ) -> Result<VisibleProject, Error> {
        let permissions = self.project_permissions(user, project_id).await?;
        self.decide(permissions, project_id, action).await
    }

    /// Outside the caller's grant a project does not exist for them (404); visible without
    /// the flag the action needs, it is refused (403).
    async fn decide(
        &self,
        permissions: Option<Permissions>,
        project_id: i64,
        action: Action,
    ) -> Result<VisibleProject, Error> {
        let permissions = permissions.ok_or(Error::NotFound)?;
        let project = self
            .repo
            .project(project_id)
            .await?
            .ok_or(Error::NotFound)?;
        if !action.allowed_by(permissions) {
            return Err(Error::Forbidden);
        }
        Ok(VisibleProject {
            project,
            permissions,
        })
    }

    /// Who holds grants on a project the person can read: for managers and admins only
    /// (`None` for others, who see their own permissions but not who else holds what).
    pub async fn project_grants(
        &self,
        user: &UserRow,
        project_id: i64,
    ) -> Result<Option<Vec<GrantRow>>, Error> {
        self.authorize_user_project(user, project_id, Action::Read)
            .await?;
        if !user.role.sees_all_projects() {
            return Ok(None);
        }
        Ok(Some(self.repo.grants_on(project_id).await?))
    }

    /// The projects the caller can read.
    pub async fn list_projects(&self, principal: &Principal) -> Result<Vec<VisibleProject>, Error> {
        match &principal.actor {
            Actor::User(user) => self.visible_projects(user).await,
            Actor::Service(token) => {
                let Scope::Project {
                    project_id,
                    permissions,
                    ..
                } = token.scope
                else {
                    return Ok(Vec::new());
                };
                let project = self.repo.project(project_id).await?;
                Ok(project
                    .map(|project| VisibleProject {
                        project,
                        permissions,
                    })
                    .into_iter()
                    .collect())
            }
        }
    }

    /// The projects a person can read now, with their permissions on each (one query).
    pub async fn visible_projects(&self, user: &UserRow) -> Result<Vec<VisibleProject>, Error> {
        let granted = if user.role.sees_all_projects() {
            let all = self.repo.projects().await?;
            all.into_iter().map(|p| (p, Permissions::ALL)).collect()
        } else {
            self.repo.granted_projects(user.id).await?
        };
        Ok(granted
            .into_iter()
            .filter_map(|(project, held)| {
                grant::effective(user.role, [held]).map(|permissions| VisibleProject {
                    project,
                    permissions,
                })
            })
            .collect())
    }

    pub async fn delete_project(
        &self,
        principal: &Principal,
        project_id: i64,
    ) -> Result<(), Error> {
        self.authorize_project(principal, project_id, Action::Delete)
            .await?;
        self.repo.delete_project(project_id).await
    }

    /// Replaces the config document; it must be a JSON object.
    pub async fn set_project_config(
        &self,
        principal: &Principal,
        project_id: i64,
        config: &serde_json::Value,
    ) -> Result<(), Error> {
        self.authorize_project(principal, project_id, Action::ChangeConfig)
            .await?;
        if !config.is_object() {
            return Err(FieldError::new("config", "The config must be a JSON object.").into());
        }
        self.repo
            .set_project_config(project_id, &config.to_string())
            .await
    }

    pub async fn project_secrets(
        &self,
        principal: &Principal,
        project_id: i64,
    ) -> Result<Vec<SecretRow>, Error> {
        self.authorize_project(principal, project_id, Action::Read)
            .await?;
        let mut secrets = self.repo.secrets(project_id).await?;
        for s in &mut secrets {
            s.value = (self.config.sealer).open(&secret_purpose(project_id, &s.name), &s.value)?;
        }
        Ok(secrets)
    }

    pub async fn put_secret(
        &self,
        principal: &Principal,
        project_id: i64,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.authorize_project(principal, project_id, Action::ChangeSecrets)
            .await?;
        let name = secret_name(name)?;
        if value.len() > SECRET_VALUE_MAX {
            return Err(FieldError::new("value", "Secret values are at most 64 KiB.").into());
        }
        let sealed = (self.config.sealer).seal(&secret_purpose(project_id, name), value);
        self.repo.put_secret(project_id, name, &sealed, now).await?;
        let set = audit::Action::SecretSet;
        self.audit_secret(principal, project_id, name, set, now)
            .await;
        Ok(())
    }

    pub async fn delete_secret(
        &self,
        principal: &Principal,
        project_id: i64,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.authorize_project(principal, project_id, Action::ChangeSecrets)
            .await?;
        if !self.repo.delete_secret(project_id, name).await? {
            return Err(Error::NotFound);
        }
        let deleted = audit::Action::SecretDeleted;
        self.audit_secret(principal, project_id, name, deleted, now)
            .await;
        Ok(())
    }

    /// A secret set or deleted, by name (never its value), in the log of the person who did
    /// it (a service token's: of the user answerable for it).
    async fn audit_secret(
        &self,
        principal: &Principal,
        project_id: i64,
        name: &str,
        action: audit::Action,
        now: DateTime<Utc>,
    ) {
        let user_id = match &principal.actor {
            crate::Actor::User(user) => user.id,
            crate::Actor::Service(token) => token.created_by,
        };
        let target = format!("project {project_id}: {name}");
        self.audit(audit::Event::success(Some(user_id), action, &target), now)
            .await;
    }
}
