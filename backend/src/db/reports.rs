//! Leak reports: revoking, in one transaction, every live token one of a set of reported
//! values belongs to (its current value, or an old one still in its grace).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::TokenKind;

use super::rotation::table;
use super::{Result, SqlRepository, Timestamp};

/// `revoked_reason` of a token a leak report revoked.
pub const REPORTED: &str = "reported";

/// A token a report revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub kind: TokenKind,
    pub token_id: i64,
    /// The user answerable for it (an API token's owner, a service token's creator).
    pub owner: i64,
    pub display_prefix: String,
}

#[async_trait]
pub trait ReportRepo {
    /// Revokes (reason [`REPORTED`]) every unrevoked, unexpired token whose current hash is
    /// one of `hashes`, or that has a replaced value among them still working at `now`.
    async fn revoke_reported(&self, hashes: &[String], now: DateTime<Utc>)
    -> Result<Vec<Reported>>;
}

#[async_trait]
impl ReportRepo for SqlRepository {
    async fn revoke_reported(
        &self,
        hashes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<Reported>> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        // `$1` is the time, then one placeholder per hash (at most 100: the route's limit).
        let list = (2..hashes.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let now_ts = Timestamp::from(now);
        let mut revoked = Vec::new();
        in_transaction!(&self.db, |tx| {
            for kind in [TokenKind::ApiToken, TokenKind::ServiceToken] {
                let (table, owner_column, kind_text) = table(kind);
                let sql = format!(
                    "UPDATE {table} SET revoked_at = $1, revoked_reason = '{REPORTED}'
                     WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
                       AND (token_hash IN ({list}) OR id IN (
                           SELECT token_id FROM rotated_secrets
                           WHERE kind = '{kind_text}' AND valid_until > $1
                             AND token_hash IN ({list})))
                     RETURNING id, {owner_column}, display_prefix"
                );
                let mut query = sqlx::query_as::<_, (i64, i64, String)>(&sql).bind(now_ts);
                for hash in hashes {
                    query = query.bind(hash);
                }
                for (token_id, owner, display_prefix) in query.fetch_all(&mut *tx).await? {
                    revoked.push(Reported {
                        kind,
                        token_id,
                        owner,
                        display_prefix,
                    });
                }
            }
        });
        Ok(revoked)
    }
}
