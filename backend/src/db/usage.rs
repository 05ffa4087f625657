//! Token usage as stored: requests per UTC day, and client addresses with when each was
//! last seen (see `crate::usage` for the counting).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use keyward_core::TokenKind;
use keyward_core::usage::RECENT_IPS;

use super::rotation::table;
use super::{Result, SqlRepository, Timestamp};

/// What one instance counted for one token since its last write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageDelta {
    pub kind: TokenKind,
    pub token_id: i64,
    /// Requests to add, per day.
    pub days: Vec<(NaiveDate, i64)>,
    /// Addresses and when they were last seen.
    pub ips: Vec<(String, DateTime<Utc>)>,
}

/// A token's stored usage: its days (from the first asked for) and its addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredUsage {
    pub days: Vec<(NaiveDate, i64)>,
    pub ips: Vec<(String, DateTime<Utc>)>,
}

#[async_trait]
pub trait UsageRepo {
    /// Adds what was counted, in one transaction: the days' requests added to what is
    /// stored, each address's last-seen time the later of the two, and then only the
    /// [`RECENT_IPS`] latest addresses of each token kept.
    async fn add_usage(&self, deltas: &[UsageDelta]) -> Result<()>;
    /// The stored usage of one token, its days from `since` on, in one query.
    async fn usage_of(
        &self,
        kind: TokenKind,
        token_id: i64,
        since: NaiveDate,
    ) -> Result<StoredUsage>;
    /// Deletes the days before `day` and the addresses not seen since `seen_before`.
    async fn prune_usage(&self, day: NaiveDate, seen_before: DateTime<Utc>) -> Result<()>;
    /// Whether the token of `kind` with this id is `owner`'s (revoked or not).
    async fn owns_token(&self, kind: TokenKind, token_id: i64, owner: i64) -> Result<bool>;
}

/// `token_usage_*.kind` of a kind of token.
fn kind_text(kind: TokenKind) -> &'static str {
    table(kind).2
}

#[async_trait]
impl UsageRepo for SqlRepository {
    async fn add_usage(&self, deltas: &[UsageDelta]) -> Result<()> {
        let add_day = "INSERT INTO token_usage_days (kind, token_id, day, requests)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (kind, token_id, day)
            DO UPDATE SET requests = token_usage_days.requests + excluded.requests";
        let seen = "INSERT INTO token_usage_ips (kind, token_id, ip, last_seen)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (kind, token_id, ip) DO UPDATE SET last_seen =
                CASE WHEN excluded.last_seen > token_usage_ips.last_seen
                    THEN excluded.last_seen ELSE token_usage_ips.last_seen END";
        let keep_latest = format!(
            "DELETE FROM token_usage_ips WHERE kind = $1 AND token_id = $2 AND ip NOT IN (
                 SELECT ip FROM token_usage_ips WHERE kind = $1 AND token_id = $2
                 ORDER BY last_seen DESC, ip LIMIT {RECENT_IPS})"
        );
        // Rows are locked in one order on every instance (tokens, then days and addresses,
        // sorted), so two instances writing the same rows at once wait, never deadlock.
        let mut deltas: Vec<&UsageDelta> = deltas.iter().collect();
        deltas.sort_by_key(|d| (kind_text(d.kind), d.token_id));
        in_transaction!(&self.db, |tx| {
            for delta in deltas {
                let kind = kind_text(delta.kind);
                let mut days = delta.days.clone();
                days.sort();
                let mut ips = delta.ips.clone();
                ips.sort();
                for (day, requests) in &days {
                    let day = day.to_string();
                    run!(&mut *tx, add_day, kind, delta.token_id, day, *requests)?;
                }
                for (ip, at) in &ips {
                    run!(
                        &mut *tx,
                        seen,
                        kind,
                        delta.token_id,
                        ip,
                        Timestamp::from(*at)
                    )?;
                }
                if !ips.is_empty() {
                    run!(&mut *tx, &keep_latest, kind, delta.token_id)?;
                }
            }
        });
        Ok(())
    }

    async fn usage_of(
        &self,
        kind: TokenKind,
        token_id: i64,
        since: NaiveDate,
    ) -> Result<StoredUsage> {
        // Both parts in one round trip: `what` says which a row is.
        let sql = "SELECT 'day' AS what, day AS item, requests AS n FROM token_usage_days
                WHERE kind = $1 AND token_id = $2 AND day >= $3
            UNION ALL
            SELECT 'ip', ip, last_seen FROM token_usage_ips WHERE kind = $1 AND token_id = $2";
        let rows: Vec<(String, String, i64)> = fetch!(
            &self.db,
            fetch_all,
            sql,
            kind_text(kind),
            token_id,
            since.to_string()
        )?;
        let mut usage = StoredUsage::default();
        for (what, item, n) in rows {
            if what == "day" {
                if let Ok(day) = item.parse() {
                    usage.days.push((day, n));
                }
            } else {
                let at = DateTime::from_timestamp(n, 0).unwrap_or_default();
                usage.ips.push((item, at));
            }
        }
        Ok(usage)
    }

    async fn prune_usage(&self, day: NaiveDate, seen_before: DateTime<Utc>) -> Result<()> {
        let days = "DELETE FROM token_usage_days WHERE day < $1";
        let ips = "DELETE FROM token_usage_ips WHERE last_seen < $1";
        in_transaction!(&self.db, |tx| {
            run!(&mut *tx, days, day.to_string())?;
            run!(&mut *tx, ips, Timestamp::from(seen_before))?;
        });
        Ok(())
    }

    async fn owns_token(&self, kind: TokenKind, token_id: i64, owner: i64) -> Result<bool> {
        let (table, owner_column, _) = table(kind);
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1 AND {owner_column} = $2");
        let n: i64 = fetch_scalar!(&self.db, fetch_one, &sql, token_id, owner)?;
        Ok(n > 0)
    }
}
