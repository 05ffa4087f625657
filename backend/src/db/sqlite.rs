//! The embedded default backend: one SQLite file (WAL mode, so `keyward admin ...` can write
//! while the server runs).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::FieldError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::rows::{
    RawApiToken, RawEntry, RawProject, RawSecret, RawServicePrincipal, RawServiceToken, RawSession,
    RawTotp, RawUser,
};
use super::*;

/// Columns of [`RawUser`]: the user and their primary email.
const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, e.email, u.role, u.active,
        u.password_hash, u.created_at, u.phone, u.timezone,
        u.totp_secret IS NOT NULL AS mfa_enabled, a.updated_at AS avatar_updated_at
    FROM users u LEFT JOIN user_emails e ON e.user_id = u.id AND e.is_primary = 1
    LEFT JOIN avatars a ON a.user_id = u.id";

/// Columns of [`RawProject`].
const PROJECT_SELECT: &str = "SELECT p.id, p.name, p.org_id, o.name AS org, p.config, p.created_at
    FROM projects p LEFT JOIN organizations o ON o.id = p.org_id";

const ENTRY_COLUMNS: &str = "id, oplog_id, start_date, end_date, source_host, dest_host, tool,
    user_context, command, description, output, operator, tags, created_at, updated_at";

const API_TOKEN_COLUMNS: &str = "id, user_id, name, display_prefix, created_at, expires_at,
    last_used_at, revoked_at";

const PRINCIPAL_COLUMNS: &str = "id, name, description, created_by, created_at";

/// Columns of [`RawServiceToken`]: the token, its principal and its answerable user.
const SERVICE_TOKEN_SELECT: &str = "SELECT t.id, t.principal_id, p.name AS principal_name,
        p.description AS principal_description, p.created_by AS principal_created_by,
        p.created_at AS principal_created_at, t.name, t.display_prefix, t.preset, t.project_id,
        t.org_id, t.oplog_id, t.can_change_configs, t.can_change_secrets, t.can_delete_project,
        t.created_by, u.username AS created_by_username, u.active AS owner_active, t.created_at,
        t.expires_at, t.last_used_at, t.revoked_at
    FROM service_tokens t
    JOIN service_principals p ON p.id = t.principal_id
    JOIN users u ON u.id = t.created_by";

fn service_tokens(rows: Vec<RawServiceToken>) -> Result<Vec<ServiceTokenRow>> {
    rows.into_iter().map(TryInto::try_into).collect()
}

#[derive(Clone)]
pub struct SqliteRepository {
    pool: SqlitePool,
}

impl SqliteRepository {
    /// Opens (creating the file and its directory if needed) and migrates the database.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::Config(format!("bad SQLite database URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Config(format!(
                    "cannot create database directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| Error::Config(format!("cannot open the SQLite database: {e}")))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| Error::Config(format!("database migration failed: {e}")))?;
        Ok(SqliteRepository { pool })
    }

    /// Records a token's use, unless it was recorded at or after `stale_before`.
    async fn touch(
        &self,
        table: &str,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE {table} SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)"
        ))
        .bind(now.timestamp())
        .bind(token_id)
        .bind(stale_before.timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session matching `condition` (one `?`, bound to `value`).
    async fn session_where<T>(&self, condition: &str, value: T) -> Result<Option<SessionRow>>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        let row = sqlx::query_as::<_, RawSession>(&format!(
            "SELECT id, user_id, kind, created_at, last_seen_at, expires_at, ip, user_agent,
                 ended_at
             FROM sessions WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    /// A database file path, for messages.
    pub fn describe(url: &str) -> String {
        SqliteConnectOptions::from_str(url)
            .map(|o| Path::new(o.get_filename()).display().to_string())
            .unwrap_or_else(|_| url.to_string())
    }
}

/// Maps a unique-constraint failure to the field it is about.
fn conflict(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let msg = db.message();
        if msg.contains("users.username") {
            return Error::Conflict(FieldError::new("username", "That username is taken."));
        }
        if msg.contains("service_principals.name") {
            return Error::Conflict(FieldError::new(
                "principal_name",
                "A service principal with that name exists: pick it from the list.",
            ));
        }
        if msg.contains("user_emails.email") {
            return Error::Conflict(FieldError::new(
                "email",
                "That email address belongs to another account.",
            ));
        }
        // Names that are unique within their scope.
        if [
            "organizations.name",
            "teams.name",
            "projects_name",
            "oplogs.project_id",
        ]
        .iter()
        .any(|c| msg.contains(c))
        {
            return Error::Conflict(FieldError::new("name", "That name is already taken."));
        }
    }
    e.into()
}

#[async_trait]
impl Repository for SqliteRepository {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn create_user(&self, user: &NewUser, now: DateTime<Utc>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let id = insert_user(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        sqlx::query_as::<_, RawUser>(&format!("{USER_SELECT} WHERE u.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(UserRow::try_from)
            .transpose()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        sqlx::query_as::<_, RawUser>(&format!("{USER_SELECT} WHERE u.username = ?"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .map(UserRow::try_from)
            .transpose()
    }

    async fn replace_setup_code(&self, code_hash: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM setup_codes")
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO setup_codes (code_hash, created_at) VALUES (?, ?)")
            .bind(code_hash)
            .bind(now.timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_first_admin(
        &self,
        code_hash: &str,
        user: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        // BEGIN IMMEDIATE would be ideal; the UPDATE below takes the write lock first, and
        // its WHERE clause makes a second concurrent use find nothing to update.
        let mut tx = self.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE setup_codes SET used_at = ?
             WHERE code_hash = ? AND used_at IS NULL AND NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(now.timestamp())
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
            return Ok(None);
        }
        let id = insert_user(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn setup_code_usable(&self, code_hash: &str) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM setup_codes WHERE code_hash = ? AND used_at IS NULL)
                AND NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(code_hash)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn insert_api_token(&self, t: &NewApiToken, now: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, display_prefix, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.user_id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(&t.display_prefix)
        .bind(now.timestamp())
        .bind(t.expires_at.timestamp())
        .fetch_one(&self.pool)
        .await?)
    }

    async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenRow>> {
        let rows = sqlx::query_as::<_, RawApiToken>(&format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens
             WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRow>> {
        let row = sqlx::query_as::<_, RawApiToken>(&format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn replace_api_token_secret(
        &self,
        user_id: i64,
        token_id: i64,
        s: &ReplacedSecret,
    ) -> Result<Option<ApiTokenRow>> {
        let row = sqlx::query_as::<_, RawApiToken>(&format!(
            "UPDATE api_tokens SET token_hash = ?, display_prefix = ?, expires_at = ?
             WHERE id = ? AND user_id = ? AND revoked_at IS NULL
             RETURNING {API_TOKEN_COLUMNS}"
        ))
        .bind(&s.token_hash)
        .bind(&s.display_prefix)
        .bind(s.expires_at.timestamp())
        .bind(token_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = ?
             WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(token_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn touch_api_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        self.touch("api_tokens", token_id, now, stale_before).await
    }

    async fn create_service_principal(
        &self,
        name: &str,
        description: &str,
        created_by: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO service_principals (name, description, created_by, created_at)
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(description)
        .bind(created_by)
        .bind(now.timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn service_principals(&self) -> Result<Vec<ServicePrincipalRow>> {
        let rows = sqlx::query_as::<_, RawServicePrincipal>(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM service_principals ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn service_principal(&self, id: i64) -> Result<Option<ServicePrincipalRow>> {
        let row = sqlx::query_as::<_, RawServicePrincipal>(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM service_principals WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn service_principal_named(&self, name: &str) -> Result<Option<ServicePrincipalRow>> {
        let row = sqlx::query_as::<_, RawServicePrincipal>(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM service_principals WHERE name = ?"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn insert_service_token(&self, t: &NewServiceToken, now: DateTime<Utc>) -> Result<i64> {
        let (preset, project_id, org_id, oplog_id, p) = match t.scope {
            keyward_core::Scope::Project {
                project_id,
                org_id,
                permissions,
            } => ("project", Some(project_id), org_id, None, permissions),
            keyward_core::Scope::Oplog { oplog_id } => (
                "oplog",
                None,
                None,
                Some(oplog_id),
                keyward_core::Permissions::READ,
            ),
        };
        Ok(sqlx::query_scalar(
            "INSERT INTO service_tokens (principal_id, name, token_hash, display_prefix, preset,
                 project_id, org_id, oplog_id, can_change_configs, can_change_secrets,
                 can_delete_project, created_by, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(t.principal_id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(&t.display_prefix)
        .bind(preset)
        .bind(project_id)
        .bind(org_id)
        .bind(oplog_id)
        .bind(p.can_change_configs)
        .bind(p.can_change_secrets)
        .bind(p.can_delete_project)
        .bind(t.created_by)
        .bind(now.timestamp())
        .bind(t.expires_at.map(|e| e.timestamp()))
        .fetch_one(&self.pool)
        .await?)
    }

    async fn service_tokens_of(&self, user_id: i64) -> Result<Vec<ServiceTokenRow>> {
        service_tokens(
            sqlx::query_as(&format!(
                "{SERVICE_TOKEN_SELECT} WHERE t.created_by = ? AND t.revoked_at IS NULL
                 ORDER BY t.created_at DESC, t.id DESC"
            ))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn suspended_service_tokens(&self) -> Result<Vec<ServiceTokenRow>> {
        service_tokens(
            sqlx::query_as(&format!(
                "{SERVICE_TOKEN_SELECT} WHERE u.active = 0 AND t.revoked_at IS NULL ORDER BY t.id"
            ))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn service_token(&self, token_id: i64) -> Result<Option<ServiceTokenRow>> {
        let row: Option<RawServiceToken> =
            sqlx::query_as(&format!("{SERVICE_TOKEN_SELECT} WHERE t.id = ?"))
                .bind(token_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn service_token_by_hash(&self, token_hash: &str) -> Result<Option<ServiceTokenRow>> {
        let row: Option<RawServiceToken> =
            sqlx::query_as(&format!("{SERVICE_TOKEN_SELECT} WHERE t.token_hash = ?"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn revoke_service_token(
        &self,
        token_id: i64,
        created_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE service_tokens SET revoked_at = ?1
             WHERE id = ?2 AND revoked_at IS NULL AND (?3 IS NULL OR created_by = ?3)",
        )
        .bind(now.timestamp())
        .bind(token_id)
        .bind(created_by)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn transfer_service_token(&self, token_id: i64, to_user: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE service_tokens SET created_by = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(to_user)
        .bind(token_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn touch_service_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        self.touch("service_tokens", token_id, now, stale_before)
            .await
    }

    async fn insert_session(&self, s: &NewSession, now: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sessions (user_id, secret_hash, kind, created_at, last_seen_at, expires_at,
                 ip, user_agent)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(s.user_id)
        .bind(&s.secret_hash)
        .bind(s.kind.as_str())
        .bind(now.timestamp())
        .bind(now.timestamp())
        .bind(s.expires_at.timestamp())
        .bind(&s.ip)
        .bind(&s.user_agent)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn session_by_hash(&self, secret_hash: &str) -> Result<Option<SessionRow>> {
        self.session_where("secret_hash = ?", secret_hash.to_string())
            .await
    }

    async fn session_by_id(&self, session_id: i64) -> Result<Option<SessionRow>> {
        self.session_where("id = ?", session_id).await
    }

    async fn touch_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?")
            .bind(now.timestamp())
            .bind(session_id)
            .bind(stale_before.timestamp())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL")
            .bind(now.timestamp())
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn open_sessions(
        &self,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionRow, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            session: RawSession,
            username: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at, s.ip,
                 s.user_agent, s.ended_at, u.username
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.ended_at IS NULL AND s.expires_at > ?1 AND (?2 IS NULL OR s.user_id = ?2)
             ORDER BY s.created_at DESC, s.id DESC",
        )
        .bind(now.timestamp())
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.session.into(), r.username))
            .collect())
    }

    async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_other_sessions(&self, user_id: i64, keep: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id <> ? AND ended_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(user_id)
        .bind(keep)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn end_sessions_of(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
        Ok(
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")
                .bind(now.timestamp())
                .bind(user_id)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    async fn delete_dead_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE ended_at IS NOT NULL OR expires_at <= ?
                 OR (kind = 'browser' AND last_seen_at < ?)",
        )
        .bind(now.timestamp())
        .bind(idle_before.timestamp())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn set_role(&self, user_id: i64, role: keyward_core::Role) -> Result<()> {
        sqlx::query("UPDATE users SET role = ? WHERE id = ?")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query_as::<_, RawUser>(&format!("{USER_SELECT} ORDER BY u.username"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn set_active(&self, user_id: i64, active: bool, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET active = ? WHERE id = ?")
            .bind(active)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")
                .bind(now.timestamp())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn organizations(&self) -> Result<Vec<(i64, String)>> {
        Ok(
            sqlx::query_as("SELECT id, name FROM organizations ORDER BY name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn teams(&self) -> Result<Vec<TeamRow>> {
        let teams: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT t.id, t.name, o.name FROM teams t
             LEFT JOIN organizations o ON o.id = t.org_id ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let members: Vec<(i64, String)> = sqlx::query_as(
            "SELECT m.team_id, u.username FROM team_members m JOIN users u ON u.id = m.user_id
             ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?;
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

    async fn create_org(&self, name: &str, now: DateTime<Utc>) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO organizations (name, created_at) VALUES (?, ?) RETURNING id",
        )
        .bind(name)
        .bind(now.timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn org_id(&self, name: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM organizations WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_team(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO teams (name, org_id, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(org_id)
        .bind(now.timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn team_id(&self, name: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM teams WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn add_team_member(&self, team_id: i64, user_id: i64) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
            .bind(team_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn remove_team_member(&self, team_id: i64, user_id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM team_members WHERE team_id = ? AND user_id = ?")
            .bind(team_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn team_names_of(&self, user_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id
             WHERE m.user_id = ? ORDER BY t.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn create_project(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO projects (name, org_id, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(org_id)
        .bind(now.timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn project_exists(&self, project_id: i64) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?)")
                .bind(project_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn put_grant(
        &self,
        project_id: i64,
        subject: GrantSubject,
        p: keyward_core::Permissions,
    ) -> Result<()> {
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
        sqlx::query(&format!(
            "INSERT INTO project_grants (project_id, user_id, team_id, can_change_configs,
                 can_change_secrets, can_delete_project)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT {conflict_target} DO UPDATE SET
                 can_change_configs = excluded.can_change_configs,
                 can_change_secrets = excluded.can_change_secrets,
                 can_delete_project = excluded.can_delete_project"
        ))
        .bind(project_id)
        .bind(user_id)
        .bind(team_id)
        .bind(p.can_change_configs)
        .bind(p.can_change_secrets)
        .bind(p.can_delete_project)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_grant(&self, project_id: i64, subject: GrantSubject) -> Result<bool> {
        let (column, id) = match subject {
            GrantSubject::User(id) => ("user_id", id),
            GrantSubject::Team(id) => ("team_id", id),
        };
        let n = sqlx::query(&format!(
            "DELETE FROM project_grants WHERE project_id = ? AND {column} = ?"
        ))
        .bind(project_id)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn grants_on(&self, project_id: i64) -> Result<Vec<GrantRow>> {
        let rows: Vec<(bool, String, bool, bool, bool)> = sqlx::query_as(
            "SELECT g.team_id IS NOT NULL, COALESCE(t.name, u.username),
                 g.can_change_configs, g.can_change_secrets, g.can_delete_project
             FROM project_grants g
             LEFT JOIN teams t ON t.id = g.team_id
             LEFT JOIN users u ON u.id = g.user_id
             WHERE g.project_id = ? ORDER BY 1, 2",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(to_team, name, c, s, d)| GrantRow {
                to_team,
                name,
                permissions: keyward_core::Permissions {
                    can_change_configs: c,
                    can_change_secrets: s,
                    can_delete_project: d,
                },
            })
            .collect())
    }

    async fn grants_of_user(
        &self,
        user_id: i64,
        project_id: i64,
    ) -> Result<Vec<keyward_core::Permissions>> {
        let rows: Vec<(bool, bool, bool)> = sqlx::query_as(
            "SELECT can_change_configs, can_change_secrets, can_delete_project
             FROM project_grants
             WHERE project_id = ? AND (user_id = ?
                 OR team_id IN (SELECT team_id FROM team_members WHERE user_id = ?))",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(c, s, d)| keyward_core::Permissions {
                can_change_configs: c,
                can_change_secrets: s,
                can_delete_project: d,
            })
            .collect())
    }

    async fn granted_project_count(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT project_id) FROM project_grants
             WHERE user_id = ? OR team_id IN (SELECT team_id FROM team_members WHERE user_id = ?)",
        )
        .bind(user_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn create_oplog(&self, project_id: i64, name: &str, now: DateTime<Utc>) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO oplogs (project_id, name, created_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(project_id)
        .bind(name)
        .bind(now.timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn projects(&self, granted_to: Option<i64>) -> Result<Vec<ProjectRow>> {
        let rows = match granted_to {
            None => {
                sqlx::query_as::<_, RawProject>(&format!("{PROJECT_SELECT} ORDER BY p.id"))
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(user_id) => {
                sqlx::query_as::<_, RawProject>(&format!(
                    "{PROJECT_SELECT} WHERE p.id IN (SELECT project_id FROM project_grants
                         WHERE user_id = ? OR team_id IN
                             (SELECT team_id FROM team_members WHERE user_id = ?))
                     ORDER BY p.id"
                ))
                .bind(user_id)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn project(&self, project_id: i64) -> Result<Option<ProjectRow>> {
        let row = sqlx::query_as::<_, RawProject>(&format!("{PROJECT_SELECT} WHERE p.id = ?"))
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn delete_project(&self, project_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM projects WHERE id = ?")
            .bind(project_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_project_config(&self, project_id: i64, config: &str) -> Result<()> {
        sqlx::query("UPDATE projects SET config = ? WHERE id = ?")
            .bind(config)
            .bind(project_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn secrets(&self, project_id: i64) -> Result<Vec<SecretRow>> {
        let rows = sqlx::query_as::<_, RawSecret>(
            "SELECT name, value, updated_at FROM project_secrets WHERE project_id = ? ORDER BY name",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn put_secret(
        &self,
        project_id: i64,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO project_secrets (project_id, name, value, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value,
                 updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(name)
        .bind(value)
        .bind(now.timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_secret(&self, project_id: i64, name: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM project_secrets WHERE project_id = ? AND name = ?")
            .bind(project_id)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn oplogs(&self, granted_to: Option<i64>) -> Result<Vec<OplogRow>> {
        let query = match granted_to {
            None => sqlx::query_as("SELECT id, project_id, name FROM oplogs ORDER BY id"),
            Some(user_id) => sqlx::query_as(
                "SELECT id, project_id, name FROM oplogs
                 WHERE project_id IN (SELECT project_id FROM project_grants
                     WHERE user_id = ?1 OR team_id IN
                         (SELECT team_id FROM team_members WHERE user_id = ?1))
                 ORDER BY id",
            )
            .bind(user_id),
        };
        Ok(query.fetch_all(&self.pool).await?)
    }

    async fn oplogs_of_project(&self, project_id: i64) -> Result<Vec<OplogRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, name FROM oplogs WHERE project_id = ? ORDER BY id",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn oplog(&self, oplog_id: i64) -> Result<Option<OplogRow>> {
        Ok(
            sqlx::query_as("SELECT id, project_id, name FROM oplogs WHERE id = ?")
                .bind(oplog_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn entries(&self, oplog_id: i64) -> Result<Vec<EntryRow>> {
        let rows = sqlx::query_as::<_, RawEntry>(&format!(
            "SELECT {ENTRY_COLUMNS} FROM oplog_entries WHERE oplog_id = ? ORDER BY id"
        ))
        .bind(oplog_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn entry(&self, oplog_id: i64, entry_id: i64) -> Result<Option<EntryRow>> {
        let row = sqlx::query_as::<_, RawEntry>(&format!(
            "SELECT {ENTRY_COLUMNS} FROM oplog_entries WHERE oplog_id = ? AND id = ?"
        ))
        .bind(oplog_id)
        .bind(entry_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn insert_entry(
        &self,
        oplog_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<EntryRow> {
        let sql = format!(
            "INSERT INTO oplog_entries (oplog_id, start_date, end_date, source_host, dest_host,
                 tool, user_context, command, description, output, operator, tags, created_at,
                 updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {ENTRY_COLUMNS}"
        );
        let row = bind_entry(sqlx::query_as(&sql).bind(oplog_id), e)
            .bind(now.timestamp())
            .bind(now.timestamp())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.into())
    }

    async fn update_entry(
        &self,
        oplog_id: i64,
        entry_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<Option<EntryRow>> {
        let sql = format!(
            "UPDATE oplog_entries SET start_date = ?, end_date = ?, source_host = ?, dest_host = ?,
                 tool = ?, user_context = ?, command = ?, description = ?, output = ?,
                 operator = ?, tags = ?, updated_at = ?
             WHERE oplog_id = ? AND id = ? RETURNING {ENTRY_COLUMNS}"
        );
        let row = bind_entry(sqlx::query_as(&sql), e)
            .bind(now.timestamp())
            .bind(oplog_id)
            .bind(entry_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn delete_entry(&self, oplog_id: i64, entry_id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM oplog_entries WHERE oplog_id = ? AND id = ?")
            .bind(oplog_id)
            .bind(entry_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn update_personal_info(
        &self,
        user_id: i64,
        display_name: &str,
        phone: &str,
        timezone: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE users SET display_name = ?, phone = ?, timezone = ? WHERE id = ?")
            .bind(display_name)
            .bind(phone)
            .bind(timezone)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn emails_of(&self, user_id: i64) -> Result<Vec<EmailRow>> {
        Ok(sqlx::query_as(
            "SELECT id, email, is_primary FROM user_emails WHERE user_id = ?
             ORDER BY is_primary DESC, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn add_email(&self, user_id: i64, email: &str) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO user_emails (user_id, email, is_primary)
             VALUES (?1, ?2, NOT EXISTS (SELECT 1 FROM user_emails WHERE user_id = ?1))
             RETURNING id",
        )
        .bind(user_id)
        .bind(email)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict)
    }

    async fn remove_secondary_email(&self, user_id: i64, email_id: i64) -> Result<bool> {
        let n =
            sqlx::query("DELETE FROM user_emails WHERE id = ? AND user_id = ? AND is_primary = 0")
                .bind(email_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    async fn make_primary_email(&self, user_id: i64, email_id: i64) -> Result<bool> {
        // One statement, so there is never a moment with two primaries or none.
        let n = sqlx::query(
            "UPDATE user_emails SET is_primary = (id = ?1)
             WHERE user_id = ?2
               AND EXISTS (SELECT 1 FROM user_emails WHERE id = ?1 AND user_id = ?2)",
        )
        .bind(email_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    async fn set_avatar(&self, user_id: i64, png: &[u8], now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO avatars (user_id, image, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET image = excluded.image,
                 updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(png)
        .bind(now.timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn avatar(&self, user_id: i64) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT image FROM avatars WHERE user_id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn delete_avatar(&self, user_id: i64) -> Result<bool> {
        let n = sqlx::query("DELETE FROM avatars WHERE user_id = ?")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn totp_state(&self, user_id: i64) -> Result<TotpState> {
        let raw = sqlx::query_as::<_, RawTotp>(
            "SELECT totp_secret, totp_pending, totp_last_step, mfa_failures, mfa_failed_at
             FROM users WHERE id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        raw.map(Into::into).ok_or(Error::NotFound)
    }

    async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()> {
        sqlx::query("UPDATE users SET totp_pending = ? WHERE id = ? AND totp_secret IS NULL")
            .bind(secret)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn enable_totp(
        &self,
        user_id: i64,
        pending: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL,
                 totp_last_step = ?, mfa_failures = 0
             WHERE id = ? AND totp_pending = ? AND totp_secret IS NULL",
        )
        .bind(step)
        .bind(user_id)
        .bind(pending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn disable_totp(&self, user_id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, mfa_failures = 0
             WHERE id = ?",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        // Conditional on the last step, so two instances cannot both accept one code.
        let n = sqlx::query(
            "UPDATE users SET totp_last_step = ?, mfa_failures = 0
             WHERE id = ? AND totp_last_step < ?",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE recovery_codes SET used_at = ?
             WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(user_id)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            sqlx::query("UPDATE users SET mfa_failures = 0 WHERE id = ?")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn record_mfa_failure(&self, user_id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE users SET mfa_failures = mfa_failures + 1, mfa_failed_at = ? WHERE id = ?",
        )
        .bind(now.timestamp())
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

type EntryQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Sqlite, RawEntry, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds an entry's writable fields, in the column order both entry statements use.
fn bind_entry<'q>(query: EntryQuery<'q>, e: &'q EntryFields) -> EntryQuery<'q> {
    query
        .bind(e.start_date.map(|t| t.timestamp()))
        .bind(e.end_date.map(|t| t.timestamp()))
        .bind(&e.source_host)
        .bind(&e.dest_host)
        .bind(&e.tool)
        .bind(&e.user_context)
        .bind(&e.command)
        .bind(&e.description)
        .bind(&e.output)
        .bind(&e.operator)
        .bind(&e.tags)
}

async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user: &NewUser,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(user.role.as_str())
    .bind(&user.password_hash)
    .bind(now.timestamp())
    .fetch_one(&mut **tx)
    .await
    .map_err(conflict)?;
    if let Some(email) = &user.email {
        sqlx::query("INSERT INTO user_emails (user_id, email, is_primary) VALUES (?, ?, 1)")
            .bind(id)
            .bind(email)
            .execute(&mut **tx)
            .await
            .map_err(conflict)?;
    }
    Ok(id)
}
