//! Projects with their config and secrets, and the grants of users and teams on them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::Permissions;

use super::rows::Flags;
use super::{GrantRow, ProjectRow, Result, SecretRow, SqlRepository, Timestamp};

/// Who a project grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantSubject {
    User(i64),
    Team(i64),
}

#[async_trait]
pub trait ProjectRepo {
    /// Fails with a `ProjectName` conflict if the organization has a project of that name.
    async fn create_project(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    async fn project_exists(&self, project_id: i64) -> Result<bool>;
    /// Every project, by id.
    async fn projects(&self) -> Result<Vec<ProjectRow>>;
    /// The projects the user holds a grant on, directly or via a team, by id, each with the
    /// union of those grants.
    async fn granted_projects(&self, user_id: i64) -> Result<Vec<(ProjectRow, Permissions)>>;
    async fn project(&self, project_id: i64) -> Result<Option<ProjectRow>>;
    async fn delete_project(&self, project_id: i64) -> Result<()>;
    async fn set_project_config(&self, project_id: i64, config: &str) -> Result<()>;

    async fn secrets(&self, project_id: i64) -> Result<Vec<SecretRow>>;
    async fn put_secret(
        &self,
        project_id: i64,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// `false` if there was no such secret.
    async fn delete_secret(&self, project_id: i64, name: &str) -> Result<bool>;

    /// Creates or replaces the grant of `subject` on the project.
    async fn put_grant(
        &self,
        project_id: i64,
        subject: GrantSubject,
        permissions: Permissions,
    ) -> Result<()>;
    /// `false` if `subject` held no grant on the project.
    async fn delete_grant(&self, project_id: i64, subject: GrantSubject) -> Result<bool>;
    /// Every grant on every project: to whom (by name) and what, by project.
    async fn grants(&self) -> Result<Vec<GrantRow>>;
    /// One project's grants, users' first, then teams', each by name.
    async fn grants_on(&self, project_id: i64) -> Result<Vec<GrantRow>>;
    /// The user's direct grant and their teams' grants on one project.
    async fn grants_of_user(&self, user_id: i64, project_id: i64) -> Result<Vec<Permissions>>;
    /// How many projects the user holds a grant on, directly or through a team.
    async fn granted_project_count(&self, user_id: i64) -> Result<i64>;
}

/// The grants held by user `$1`, directly or through a team (a `FROM` clause, to which
/// more conditions can be added with `AND`).
pub(super) const GRANTS_OF_USER: &str = "project_grants
    WHERE (user_id = $1 OR team_id IN (SELECT team_id FROM team_members WHERE user_id = $1))";

/// Columns of [`GrantRow`], with the names of the team or user granted.
const GRANT_SELECT: &str = "SELECT g.project_id, g.team_id IS NOT NULL AS to_team,
        COALESCE(t.name, u.username) AS name,
        g.can_change_configs, g.can_change_secrets, g.can_delete_project
    FROM project_grants g
    LEFT JOIN teams t ON t.id = g.team_id
    LEFT JOIN users u ON u.id = g.user_id";

/// Columns of [`ProjectRow`], from [`PROJECTS`].
const PROJECT_COLUMNS: &str = "p.id, p.name, p.org_id, o.name AS org, p.config, p.created_at";
const PROJECTS: &str = "projects p LEFT JOIN organizations o ON o.id = p.org_id";

#[async_trait]
impl ProjectRepo for SqlRepository {
    async fn create_project(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let sql =
            "INSERT INTO projects (name, org_id, created_at) VALUES ($1, $2, $3) RETURNING id";
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            sql,
            name,
            org_id,
            Timestamp::from(now)
        )?)
    }

    async fn project_exists(&self, project_id: i64) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1)";
        Ok(fetch_scalar!(&self.db, fetch_one, sql, project_id)?)
    }

    async fn projects(&self) -> Result<Vec<ProjectRow>> {
        let sql = format!("SELECT {PROJECT_COLUMNS} FROM {PROJECTS} ORDER BY p.id");
        Ok(fetch!(&self.db, fetch_all, &sql)?)
    }

    async fn granted_projects(&self, user_id: i64) -> Result<Vec<(ProjectRow, Permissions)>> {
        #[derive(sqlx::FromRow)]
        struct Granted {
            #[sqlx(flatten)]
            project: ProjectRow,
            #[sqlx(flatten, try_from = "Flags")]
            permissions: Permissions,
        }
        // A flag holds if any of the grants has it (the grants add up).
        let sql = format!(
            "SELECT {PROJECT_COLUMNS},
                 g.can_change_configs, g.can_change_secrets, g.can_delete_project
             FROM {PROJECTS}
             JOIN (SELECT project_id,
                     MAX(CASE WHEN can_change_configs THEN 1 ELSE 0 END) = 1
                         AS can_change_configs,
                     MAX(CASE WHEN can_change_secrets THEN 1 ELSE 0 END) = 1
                         AS can_change_secrets,
                     MAX(CASE WHEN can_delete_project THEN 1 ELSE 0 END) = 1
                         AS can_delete_project
                 FROM {GRANTS_OF_USER} GROUP BY project_id) g ON g.project_id = p.id
             ORDER BY p.id"
        );
        let rows: Vec<Granted> = fetch!(&self.db, fetch_all, &sql, user_id)?;
        Ok(rows
            .into_iter()
            .map(|g| (g.project, g.permissions))
            .collect())
    }

    async fn project(&self, project_id: i64) -> Result<Option<ProjectRow>> {
        let sql = format!("SELECT {PROJECT_COLUMNS} FROM {PROJECTS} WHERE p.id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, project_id)?)
    }

    async fn delete_project(&self, project_id: i64) -> Result<()> {
        execute!(&self.db, "DELETE FROM projects WHERE id = $1", project_id)?;
        Ok(())
    }

    async fn set_project_config(&self, project_id: i64, config: &str) -> Result<()> {
        let sql = "UPDATE projects SET config = $1 WHERE id = $2";
        execute!(&self.db, sql, config, project_id)?;
        Ok(())
    }

    async fn secrets(&self, project_id: i64) -> Result<Vec<SecretRow>> {
        let sql = "SELECT name, value, updated_at FROM project_secrets WHERE project_id = $1
            ORDER BY name";
        Ok(fetch!(&self.db, fetch_all, sql, project_id)?)
    }

    async fn put_secret(
        &self,
        project_id: i64,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "INSERT INTO project_secrets (project_id, name, value, updated_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value,
                updated_at = excluded.updated_at";
        execute!(&self.db, sql, project_id, name, value, Timestamp::from(now))?;
        Ok(())
    }

    async fn delete_secret(&self, project_id: i64, name: &str) -> Result<bool> {
        let sql = "DELETE FROM project_secrets WHERE project_id = $1 AND name = $2";
        Ok(execute!(&self.db, sql, project_id, name)? == 1)
    }

    async fn put_grant(
        &self,
        project_id: i64,
        subject: GrantSubject,
        p: Permissions,
    ) -> Result<()> {
        // The conflict target names the partial unique index of the subject's column.
        let (user_id, team_id, conflict_target) = match subject {
            GrantSubject::User(id) => (
                Some(id),
                None,
                "(project_id, user_id) WHERE user_id IS NOT NULL",
            ),
            GrantSubject::Team(id) => (
                None,
                Some(id),
                "(project_id, team_id) WHERE team_id IS NOT NULL",
            ),
        };
        let sql = format!(
            "INSERT INTO project_grants (project_id, user_id, team_id, can_change_configs,
                 can_change_secrets, can_delete_project)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT {conflict_target} DO UPDATE SET
                 can_change_configs = excluded.can_change_configs,
                 can_change_secrets = excluded.can_change_secrets,
                 can_delete_project = excluded.can_delete_project"
        );
        execute!(
            &self.db,
            &sql,
            project_id,
            user_id,
            team_id,
            p.can_change_configs,
            p.can_change_secrets,
            p.can_delete_project,
        )?;
        Ok(())
    }

    async fn delete_grant(&self, project_id: i64, subject: GrantSubject) -> Result<bool> {
        let (column, id) = match subject {
            GrantSubject::User(id) => ("user_id", id),
            GrantSubject::Team(id) => ("team_id", id),
        };
        let sql = format!("DELETE FROM project_grants WHERE project_id = $1 AND {column} = $2");
        Ok(execute!(&self.db, &sql, project_id, id)? == 1)
    }

    async fn grants(&self) -> Result<Vec<GrantRow>> {
        let sql = format!("{GRANT_SELECT} ORDER BY 1, 2, 3");
        Ok(fetch!(&self.db, fetch_all, &sql)?)
    }

    async fn grants_on(&self, project_id: i64) -> Result<Vec<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.project_id = $1 ORDER BY 2, 3");
        Ok(fetch!(&self.db, fetch_all, &sql, project_id)?)
    }

    async fn grants_of_user(&self, user_id: i64, project_id: i64) -> Result<Vec<Permissions>> {
        let sql = format!(
            "SELECT can_change_configs, can_change_secrets, can_delete_project
             FROM {GRANTS_OF_USER} AND project_id = $2"
        );
        let rows: Vec<Flags> = fetch!(&self.db, fetch_all, &sql, user_id, project_id)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn granted_project_count(&self, user_id: i64) -> Result<i64> {
        let sql = format!("SELECT COUNT(DISTINCT project_id) FROM {GRANTS_OF_USER}");
        Ok(fetch_scalar!(&self.db, fetch_one, &sql, user_id)?)
    }
}
