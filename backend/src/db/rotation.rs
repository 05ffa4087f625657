//! Replacing a token's secret (a rotation, or Edit expiration) while the old value keeps
//! working for a grace window: the old hash moves to `rotated_secrets` in the same
//! transaction that stores the new one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::TokenKind;

use super::types::MaybeTimestamp;
use super::{Result, SqlRepository, Timestamp, TokenHash};

/// A new secret for one token.
#[derive(Clone, Debug)]
pub struct Rotation {
    pub kind: TokenKind,
    pub token_id: i64,
    /// Only the token of this user (an API token's owner, a service token's answerable
    /// user).
    pub owner: i64,
    pub token_hash: TokenHash,
    pub display_prefix: String,
    /// A new expiry (Edit expiration, which may revive an expired token); `None` keeps the
    /// token's, and then an expired token has nothing to rotate.
    pub expires_at: Option<DateTime<Utc>>,
    /// The hash of the value that asked (a token rotating itself): only while it is still
    /// the current one, so a value replaced meanwhile cannot make the next.
    pub presented: Option<TokenHash>,
    /// Until when the old value still works (`now`: not at all).
    pub old_valid_until: DateTime<Utc>,
}

/// The token after its rotation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Rotated {
    pub name: String,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The display prefix of the value that was replaced.
    #[sqlx(skip)]
    pub old_prefix: String,
}

/// A value a rotation replaced.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RotatedSecret {
    pub token_id: i64,
    pub display_prefix: String,
    #[sqlx(try_from = "Timestamp")]
    pub valid_until: DateTime<Utc>,
}

/// The table of a kind of token, the column of the user answerable for it, and its
/// `rotated_secrets.kind`.
pub(super) fn table(kind: TokenKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        TokenKind::ApiToken => ("api_tokens", "user_id", "api_token"),
        TokenKind::ServiceToken => ("service_tokens", "created_by", "service_token"),
    }
}

#[async_trait]
pub trait RotationRepo {
    /// In one transaction: the unrevoked token's current hash becomes a replaced value
    /// valid until `old_valid_until`, values replaced earlier work no longer than that
    /// either (a rotation without grace cuts every old value off), and the new hash (and
    /// expiry) takes its place. `None` if there is no such token (not `owner`'s, revoked,
    /// expired without a new date, or no longer holding `presented`).
    async fn rotate_secret(&self, r: &Rotation, now: DateTime<Utc>) -> Result<Option<Rotated>>;
    /// The replaced value of a token of `kind` with this hash, if it is one.
    async fn rotated_secret(
        &self,
        kind: TokenKind,
        token_hash: &TokenHash,
    ) -> Result<Option<RotatedSecret>>;
    /// For each of `owner`'s tokens of `kind` with an old value still working at `now`:
    /// `(token id, until when)`, the latest window of each.
    async fn grace_windows(
        &self,
        kind: TokenKind,
        owner: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, DateTime<Utc>)>>;
}

#[async_trait]
impl RotationRepo for SqlRepository {
    async fn rotate_secret(&self, r: &Rotation, now: DateTime<Utc>) -> Result<Option<Rotated>> {
        let (table, owner_column, kind) = table(r.kind);
        let mut lock = format!(
            "UPDATE {table} SET token_hash = token_hash
             WHERE id = $1 AND {owner_column} = $2 AND revoked_at IS NULL
                 AND (expires_at IS NULL OR expires_at > $3 OR $4)"
        );
        if r.presented.is_some() {
            lock.push_str(" AND token_hash = $5");
        }
        let shorten = "UPDATE rotated_secrets SET valid_until = $1
            WHERE kind = $2 AND token_id = $3 AND valid_until > $1";
        let keep = format!(
            "INSERT INTO rotated_secrets (token_hash, kind, token_id, display_prefix,
                 valid_until, rotated_at)
             SELECT token_hash, $1, id, display_prefix, $2, $3 FROM {table} WHERE id = $4
             RETURNING display_prefix"
        );
        let replace = format!(
            "UPDATE {table} SET token_hash = $1, display_prefix = $2,
                 expires_at = COALESCE($3, expires_at)
             WHERE id = $4 RETURNING name, expires_at"
        );
        let new_expiry = r.expires_at.map(Timestamp::from);
        Ok(in_transaction!(&self.db, |tx| {
            // The row lock first (PostgreSQL; SQLite's write lock), so two rotations at
            // once take turns and each keeps the value it replaced.
            let mut locked = sqlx::query(&lock)
                .bind(r.token_id)
                .bind(r.owner)
                .bind(Timestamp::from(now))
                .bind(r.expires_at.is_some());
            if let Some(hash) = &r.presented {
                locked = locked.bind(hash);
            }
            if locked.execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(None);
            }
            let until = Timestamp::from(r.old_valid_until);
            run!(&mut *tx, shorten, until, kind, r.token_id)?;
            let old_prefix: String = sqlx::query_scalar(&keep)
                .bind(kind)
                .bind(Timestamp::from(r.old_valid_until))
                .bind(Timestamp::from(now))
                .bind(r.token_id)
                .fetch_one(&mut *tx)
                .await?;
            let mut rotated: Rotated = sqlx::query_as(&replace)
                .bind(&r.token_hash)
                .bind(&r.display_prefix)
                .bind(new_expiry)
                .bind(r.token_id)
                .fetch_one(&mut *tx)
                .await?;
            rotated.old_prefix = old_prefix;
            Some(rotated)
        }))
    }

    async fn rotated_secret(
        &self,
        kind: TokenKind,
        token_hash: &TokenHash,
    ) -> Result<Option<RotatedSecret>> {
        let sql = "SELECT token_id, display_prefix, valid_until FROM rotated_secrets
            WHERE token_hash = $1 AND kind = $2";
        Ok(fetch!(
            &self.db,
            fetch_optional,
            sql,
            token_hash,
            table(kind).2
        )?)
    }

    async fn grace_windows(
        &self,
        kind: TokenKind,
        owner: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let (table, owner_column, kind) = table(kind);
        let sql = format!(
            "SELECT r.token_id, MAX(r.valid_until) FROM rotated_secrets r
                 JOIN {table} t ON t.id = r.token_id
             WHERE r.kind = $1 AND t.{owner_column} = $2 AND r.valid_until > $3
                 AND t.revoked_at IS NULL
             GROUP BY r.token_id"
        );
        let rows: Vec<(i64, Timestamp)> =
            fetch!(&self.db, fetch_all, &sql, kind, owner, Timestamp::from(now))?;
        Ok(rows.into_iter().map(|(id, t)| (id, t.into())).collect())
    }
}
