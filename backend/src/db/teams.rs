//! Organizations, and teams of users (shown as a user's "groups").

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Result, SqlRepository, TeamRow, Timestamp};

#[async_trait]
pub trait TeamRepo {
    /// `(id, name)` of every organization, by name.
    async fn organizations(&self) -> Result<Vec<(i64, String)>>;
    /// Fails with an `OrgName` conflict if the name is taken.
    async fn create_org(&self, name: &str, now: DateTime<Utc>) -> Result<i64>;
    async fn org_id(&self, name: &str) -> Result<Option<i64>>;
    /// Every team with its organization and members, by name.
    async fn teams(&self) -> Result<Vec<TeamRow>>;
    /// Fails with a `TeamName` conflict if the name is taken.
    async fn create_team(&self, name: &str, org_id: Option<i64>, now: DateTime<Utc>)
    -> Result<i64>;
    async fn team_id(&self, name: &str) -> Result<Option<i64>>;
    /// Idempotent: adding a member twice is fine.
    async fn add_team_member(&self, team_id: i64, user_id: i64) -> Result<()>;
    /// `false` if the user was not a member.
    async fn remove_team_member(&self, team_id: i64, user_id: i64) -> Result<bool>;
    /// Names of the user's teams (their "groups"), sorted.
    async fn team_names_of(&self, user_id: i64) -> Result<Vec<String>>;
}

#[async_trait]
impl TeamRepo for SqlRepository {
    async fn organizations(&self) -> Result<Vec<(i64, String)>> {
        let sql = "SELECT id, name FROM organizations ORDER BY name";
        Ok(fetch!(&self.db, fetch_all, sql)?)
    }

    async fn create_org(&self, name: &str, now: DateTime<Utc>) -> Result<i64> {
        let sql = "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id";
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            sql,
            name,
            Timestamp::from(now)
        )?)
    }

    async fn org_id(&self, name: &str) -> Result<Option<i64>> {
        let sql = "SELECT id FROM organizations WHERE name = $1";
        Ok(fetch_scalar!(&self.db, fetch_optional, sql, name)?)
    }

    async fn teams(&self) -> Result<Vec<TeamRow>> {
        let teams: Vec<(i64, String, Option<String>)> = fetch!(
            &self.db,
            fetch_all,
            "SELECT t.id, t.name, o.name FROM teams t
             LEFT JOIN organizations o ON o.id = t.org_id ORDER BY t.name"
        )?;
        let members: Vec<(i64, String)> = fetch!(
            &self.db,
            fetch_all,
            "SELECT m.team_id, u.username FROM team_members m JOIN users u ON u.id = m.user_id
             ORDER BY u.username"
        )?;
        Ok(teams
            .into_iter()
            .map(|(id, name, org)| TeamRow {
                members: members
                    .iter()
                    .filter(|(team, _)| *team == id)
                    .map(|(_, u)| u.clone())
                    .collect(),
                id,
                name,
                org,
            })
            .collect())
    }

    async fn create_team(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let sql = "INSERT INTO teams (name, org_id, created_at) VALUES ($1, $2, $3) RETURNING id";
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            sql,
            name,
            org_id,
            Timestamp::from(now)
        )?)
    }

    async fn team_id(&self, name: &str) -> Result<Option<i64>> {
        let sql = "SELECT id FROM teams WHERE name = $1";
        Ok(fetch_scalar!(&self.db, fetch_optional, sql, name)?)
    }

    async fn add_team_member(&self, team_id: i64, user_id: i64) -> Result<()> {
        let sql = "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)
            ON CONFLICT DO NOTHING";
        execute!(&self.db, sql, team_id, user_id)?;
        Ok(())
    }

    async fn remove_team_member(&self, team_id: i64, user_id: i64) -> Result<bool> {
        let sql = "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2";
        Ok(execute!(&self.db, sql, team_id, user_id)? == 1)
    }

    async fn team_names_of(&self, user_id: i64) -> Result<Vec<String>> {
        let sql = "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id
            WHERE m.user_id = $1 ORDER BY t.name";
        Ok(fetch_scalar!(&self.db, fetch_all, sql, user_id)?)
    }
}
