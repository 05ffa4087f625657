//! A person's API tokens (`kwat_`): only the hash of the value and its display prefix.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::allowlist::Allowlist;

use super::lookup::Lookup;
use super::rows::Revoked;
use super::types::{MaybeTimestamp, Text};
use super::users::{USER_COLUMNS, USER_JOINS};
use super::{ApiTokenRow, Result, SqlRepository, Timestamp, TokenHash, UserRow};

#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: TokenHash,
    pub display_prefix: String,
    pub expires_at: DateTime<Utc>,
    pub allowed_ips: Allowlist,
}

#[async_trait]
pub trait ApiTokenRepo {
    async fn insert_api_token(&self, token: &NewApiToken, now: DateTime<Utc>) -> Result<i64>;
    /// The user's tokens that are not revoked (and, with `reported_since`, those a leak
    /// report revoked since then), newest first.
    async fn api_tokens_of(
        &self,
        user_id: i64,
        reported_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ApiTokenRow>>;
    /// The token with this hash and the user it belongs to, in one query: the whole
    /// lookup of a bearer check.
    async fn api_token_and_owner(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<(ApiTokenRow, UserRow)>>;
    /// The same by the token's id: for a value a rotation replaced, whose hash is no
    /// longer the token's.
    async fn api_token_and_owner_by_id(
        &self,
        token_id: i64,
    ) -> Result<Option<(ApiTokenRow, UserRow)>>;
    /// Revokes the user's token; `false` if it does not exist, is not theirs or is revoked.
    async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Revoked>>;
    /// Records use, unless it was already recorded at or after `stale_before`.
    async fn touch_api_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;
}

/// What a bearer lookup finds of an API token: the owner's columns as [`UserRow`] names
/// them, the token's prefixed with `t_`.
#[derive(Clone, sqlx::FromRow)]
pub(crate) struct ApiLookup {
    #[sqlx(flatten)]
    owner: UserRow,
    t_id: i64,
    t_name: String,
    t_display_prefix: String,
    #[sqlx(try_from = "Timestamp")]
    t_created_at: DateTime<Utc>,
    #[sqlx(try_from = "Timestamp")]
    t_expires_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeTimestamp")]
    t_last_used_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    t_revoked_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "Text<Allowlist>")]
    t_allowed_ips: Allowlist,
    t_revoked_reason: Option<String>,
}

impl ApiLookup {
    fn into_parts(self) -> (ApiTokenRow, UserRow) {
        let token = ApiTokenRow {
            id: self.t_id,
            user_id: self.owner.id,
            name: self.t_name,
            display_prefix: self.t_display_prefix,
            created_at: self.t_created_at,
            expires_at: self.t_expires_at,
            last_used_at: self.t_last_used_at,
            revoked_at: self.t_revoked_at,
            allowed_ips: self.t_allowed_ips,
            revoked_reason: self.t_revoked_reason,
        };
        (token, self.owner)
    }
}

/// The token and its owner in one statement.
impl Lookup for ApiLookup {
    fn statement(in_batch: &str) -> String {
        format!(
            "SELECT t.token_hash AS lookup_hash, {USER_COLUMNS}, t.id AS t_id,
                 t.name AS t_name, t.display_prefix AS t_display_prefix,
                 t.created_at AS t_created_at, t.expires_at AS t_expires_at,
                 t.last_used_at AS t_last_used_at, t.revoked_at AS t_revoked_at,
                 t.allowed_ips AS t_allowed_ips, t.revoked_reason AS t_revoked_reason
             FROM api_tokens t JOIN users u ON u.id = t.user_id {USER_JOINS}
             WHERE t.token_hash {in_batch}"
        )
    }
}

/// The condition on a token row (named `t`) of a list: unrevoked, or revoked by a leak
/// report after `$2` (a time, or NULL for none).
pub(super) const LIVE_OR_REPORTED: &str = "(t.revoked_at IS NULL
    OR (t.revoked_reason = 'reported' AND t.revoked_at > $2))";

const API_TOKEN_COLUMNS: &str = "id, user_id, name, display_prefix, created_at, expires_at,
    last_used_at, revoked_at, allowed_ips, revoked_reason";

#[async_trait]
impl ApiTokenRepo for SqlRepository {
    async fn insert_api_token(&self, t: &NewApiToken, now: DateTime<Utc>) -> Result<i64> {
        let sql = "INSERT INTO api_tokens (user_id, name, token_hash, display_prefix, created_at,
                expires_at, allowed_ips)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            sql,
            t.user_id,
            &t.name,
            &t.token_hash,
            &t.display_prefix,
            Timestamp::from(now),
            Timestamp::from(t.expires_at),
            t.allowed_ips.to_string(),
        )?)
    }

    async fn api_tokens_of(
        &self,
        user_id: i64,
        reported_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ApiTokenRow>> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens t
             WHERE user_id = $1 AND {LIVE_OR_REPORTED} ORDER BY created_at DESC, id DESC"
        );
        let since = reported_since.map(Timestamp::from);
        Ok(fetch!(&self.db, fetch_all, &sql, user_id, since)?)
    }

    async fn api_token_and_owner(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<(ApiTokenRow, UserRow)>> {
        let found = self.api_lookups.find(token_hash).await?;
        Ok(found.map(ApiLookup::into_parts))
    }

    async fn api_token_and_owner_by_id(
        &self,
        token_id: i64,
    ) -> Result<Option<(ApiTokenRow, UserRow)>> {
        // The bearer lookup's statement, for one id (its `lookup_hash` column unused).
        let sql = ApiLookup::statement("IS NOT NULL AND t.id = $1");
        let found: Option<ApiLookup> = fetch!(&self.db, fetch_optional, &sql, token_id)?;
        Ok(found.map(ApiLookup::into_parts))
    }

    async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<Revoked>> {
        let sql = "UPDATE api_tokens SET revoked_at = $1
            WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL
            RETURNING display_prefix, user_id AS owner";
        let now = Timestamp::from(now);
        Ok(fetch!(
            &self.db,
            fetch_optional,
            sql,
            now,
            token_id,
            user_id
        )?)
    }

    async fn touch_api_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        self.touch_last_used("api_tokens", token_id, now, stale_before)
            .await
    }
}
