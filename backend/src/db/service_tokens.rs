//! Service principals and their tokens (`kwst_`). A token's grant lives on its row: the
//! preset, its target and the flags.

use async_trait::async_trait;

use super::api_tokens::LIVE_OR_REPORTED;
use super::lookup::Lookup;
use super::rows::Revoked;
use chrono::{DateTime, Utc};
use keyward_core::allowlist::Allowlist;
use keyward_core::{Permissions, Scope};

use super::{Result, ServicePrincipalRow, ServiceTokenRow, SqlRepository, Timestamp, TokenHash};

/// The principal a new token belongs to.
#[derive(Clone, Debug)]
pub enum TokenPrincipal {
    Existing(i64),
    /// Created with the token, in the same transaction.
    New {
        name: String,
        description: String,
    },
}

#[derive(Clone, Debug)]
pub struct NewServiceToken {
    pub principal: TokenPrincipal,
    pub name: String,
    pub token_hash: TokenHash,
    pub display_prefix: String,
    pub scope: Scope,
    pub created_by: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub allowed_ips: Allowlist,
}

#[async_trait]
pub trait ServiceTokenRepo {
    /// Every principal, by name.
    async fn service_principals(&self) -> Result<Vec<ServicePrincipalRow>>;
    async fn service_principal(&self, id: i64) -> Result<Option<ServicePrincipalRow>>;
    async fn service_principal_named(&self, name: &str) -> Result<Option<ServicePrincipalRow>>;
    /// Stores the token (and its principal, if new: a `PrincipalName` conflict if the name
    /// is taken) in one transaction; the token's id.
    async fn insert_service_token(&self, t: &NewServiceToken, now: DateTime<Utc>) -> Result<i64>;
    /// Unrevoked tokens the user is answerable for (and, with `reported_since`, those a
    /// leak report revoked since then), newest first.
    async fn service_tokens_of(
        &self,
        user_id: i64,
        reported_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ServiceTokenRow>>;
    /// Unrevoked tokens scoped to one project, whoever minted them, newest first.
    async fn service_tokens_on(&self, project_id: i64) -> Result<Vec<ServiceTokenRow>>;
    /// `(project id, count)` of the tokens that work at `now` (unrevoked, unexpired, their
    /// answerable user active), for the projects that have any.
    async fn live_service_token_counts(&self, now: DateTime<Utc>) -> Result<Vec<(i64, i64)>>;
    /// Unrevoked tokens whose answerable user is deactivated (suspended), oldest first.
    async fn suspended_service_tokens(&self) -> Result<Vec<ServiceTokenRow>>;
    async fn service_token(&self, token_id: i64) -> Result<Option<ServiceTokenRow>>;
    async fn service_token_by_hash(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ServiceTokenRow>>;
    /// Revokes an unrevoked token, only if `created_by` is answerable for it (`None`: any
    /// token, for admins). `false` if there is no such token.
    async fn revoke_service_token(
        &self,
        token_id: i64,
        created_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<Revoked>>;
    /// Makes `to_user` answerable for an unrevoked token; `false` if there is none.
    async fn transfer_service_token(&self, token_id: i64, to_user: i64) -> Result<bool>;
    async fn touch_service_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;
}

/// Columns of [`ServicePrincipalRow`] (named as the row expects them).
const PRINCIPAL_SELECT: &str = "SELECT id AS principal_id, name AS principal_name,
        description AS principal_description, created_by AS principal_created_by,
        created_at AS principal_created_at
    FROM service_principals";

/// Columns of [`ServiceTokenRow`]: the token, its principal, its answerable user, and the
/// names of its target (joined, so a list of tokens is one query).
const SERVICE_TOKEN_SELECT: &str = "SELECT t.id, t.principal_id, p.name AS principal_name,
        p.description AS principal_description, p.created_by AS principal_created_by,
        p.created_at AS principal_created_at, t.name, t.display_prefix, t.preset, t.project_id,
        t.org_id, t.oplog_id, t.can_change_configs, t.can_change_secrets, t.can_delete_project,
        COALESCE(tp.name, tl.name) AS target_name, tpo.name AS target_org,
        t.created_by, u.username AS created_by_username,
        (u.active AND t.suspended_at IS NULL) AS owner_active, t.created_at,
        t.expires_at, t.last_used_at, t.revoked_at, t.allowed_ips, t.revoked_reason
    FROM service_tokens t
    JOIN service_principals p ON p.id = t.principal_id
    JOIN users u ON u.id = t.created_by
    LEFT JOIN projects tp ON tp.id = t.project_id
    LEFT JOIN organizations tpo ON tpo.id = tp.org_id
    LEFT JOIN oplogs tl ON tl.id = t.oplog_id";

/// A service token as a bearer lookup finds it: with everything the list shows.
impl Lookup for ServiceTokenRow {
    fn statement(in_batch: &str) -> String {
        let select =
            SERVICE_TOKEN_SELECT.replacen("SELECT ", "SELECT t.token_hash AS lookup_hash, ", 1);
        format!("{select} WHERE t.token_hash {in_batch}")
    }
}

#[async_trait]
impl ServiceTokenRepo for SqlRepository {
    async fn service_principals(&self) -> Result<Vec<ServicePrincipalRow>> {
        let sql = format!("{PRINCIPAL_SELECT} ORDER BY name");
        Ok(fetch!(&self.db, fetch_all, &sql)?)
    }

    async fn service_principal(&self, id: i64) -> Result<Option<ServicePrincipalRow>> {
        let sql = format!("{PRINCIPAL_SELECT} WHERE id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, id)?)
    }

    async fn service_principal_named(&self, name: &str) -> Result<Option<ServicePrincipalRow>> {
        let sql = format!("{PRINCIPAL_SELECT} WHERE name = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, name)?)
    }

    async fn insert_service_token(&self, t: &NewServiceToken, now: DateTime<Utc>) -> Result<i64> {
        let (preset, project_id, org_id, oplog_id, p) = match t.scope {
            Scope::Project {
                project_id,
                org_id,
                permissions,
            } => ("project", Some(project_id), org_id, None, permissions),
            Scope::Oplog { oplog_id } => ("oplog", None, None, Some(oplog_id), Permissions::READ),
        };
        let now = Timestamp::from(now);
        Ok(in_transaction!(&self.db, |tx| {
            let principal_id: i64 = match &t.principal {
                TokenPrincipal::Existing(id) => *id,
                TokenPrincipal::New { name, description } => {
                    sqlx::query_scalar(
                        "INSERT INTO service_principals (name, description, created_by,
                             created_at)
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(name)
                    .bind(description)
                    .bind(t.created_by)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO service_tokens (principal_id, name, token_hash, display_prefix,
                     preset, project_id, org_id, oplog_id, can_change_configs,
                     can_change_secrets, can_delete_project, created_by, created_at, expires_at,
                     allowed_ips)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                 RETURNING id",
            )
            .bind(principal_id)
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
            .bind(now)
            .bind(t.expires_at.map(Timestamp::from))
            .bind(t.allowed_ips.to_string())
            .fetch_one(&mut *tx)
            .await?;
            id
        }))
    }

    async fn service_tokens_of(
        &self,
        user_id: i64,
        reported_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ServiceTokenRow>> {
        let sql = format!(
            "{SERVICE_TOKEN_SELECT} WHERE t.created_by = $1 AND {LIVE_OR_REPORTED}
             ORDER BY t.created_at DESC, t.id DESC"
        );
        let since = reported_since.map(Timestamp::from);
        Ok(fetch!(&self.db, fetch_all, &sql, user_id, since)?)
    }

    async fn service_tokens_on(&self, project_id: i64) -> Result<Vec<ServiceTokenRow>> {
        let sql = format!(
            "{SERVICE_TOKEN_SELECT} WHERE t.project_id = $1 AND t.revoked_at IS NULL
             ORDER BY t.created_at DESC, t.id DESC"
        );
        Ok(fetch!(&self.db, fetch_all, &sql, project_id)?)
    }

    async fn live_service_token_counts(&self, now: DateTime<Utc>) -> Result<Vec<(i64, i64)>> {
        let sql = "SELECT t.project_id, COUNT(*) FROM service_tokens t
            JOIN users u ON u.id = t.created_by
            WHERE t.project_id IS NOT NULL AND t.revoked_at IS NULL AND u.active = TRUE
                AND t.suspended_at IS NULL
                AND (t.expires_at IS NULL OR t.expires_at > $1)
            GROUP BY t.project_id";
        Ok(fetch!(&self.db, fetch_all, sql, Timestamp::from(now))?)
    }

    async fn suspended_service_tokens(&self) -> Result<Vec<ServiceTokenRow>> {
        let sql = format!(
            "{SERVICE_TOKEN_SELECT} WHERE (u.active = FALSE OR t.suspended_at IS NOT NULL)
                AND t.revoked_at IS NULL ORDER BY t.id"
        );
        Ok(fetch!(&self.db, fetch_all, &sql)?)
    }

    async fn service_token(&self, token_id: i64) -> Result<Option<ServiceTokenRow>> {
        let sql = format!("{SERVICE_TOKEN_SELECT} WHERE t.id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, token_id)?)
    }

    async fn service_token_by_hash(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<ServiceTokenRow>> {
        self.service_lookups.find(token_hash).await
    }

    async fn revoke_service_token(
        &self,
        token_id: i64,
        created_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<Revoked>> {
        let sql = "UPDATE service_tokens SET revoked_at = $1
            WHERE id = $2 AND revoked_at IS NULL AND ($3 IS NULL OR created_by = $3)
            RETURNING display_prefix, created_by AS owner";
        let now = Timestamp::from(now);
        Ok(fetch!(
            &self.db,
            fetch_optional,
            sql,
            now,
            token_id,
            created_by
        )?)
    }

    async fn transfer_service_token(&self, token_id: i64, to_user: i64) -> Result<bool> {
        // The new owner answers for it from now: no longer suspended.
        let sql = "UPDATE service_tokens SET created_by = $1, suspended_at = NULL
            WHERE id = $2 AND revoked_at IS NULL";
        Ok(execute!(&self.db, sql, to_user, token_id)? == 1)
    }

    async fn touch_service_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        self.touch_last_used("service_tokens", token_id, now, stale_before)
            .await
    }
}
