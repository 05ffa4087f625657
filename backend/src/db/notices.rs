//! Expiry notices as stored: the live tokens expiring soon, and the queue of webhook
//! deliveries (see `crate::notices` for when they are queued and sent).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::TokenKind;
use keyward_core::notice::{ExpiringToken, Threshold};

use super::rotation::table;
use super::{Db, Result, SqlRepository, Timestamp};

/// A notice to queue: the event's body, fixed now so every try sends the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotice {
    pub kind: TokenKind,
    pub token_id: i64,
    pub threshold: Threshold,
    pub expires_at: DateTime<Utc>,
    pub body: String,
}

/// The key that makes a notice once per token, threshold and expiry.
pub type NoticeKey = (TokenKind, i64, Threshold, DateTime<Utc>);

/// A notice claimed by this instance for one delivery try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedNotice {
    pub id: i64,
    pub body: String,
    /// Tries so far, this one included.
    pub attempts: u32,
}

#[async_trait]
pub trait NoticeRepo {
    /// The unrevoked tokens of both kinds, of active users, expiring after `now` and by
    /// `until`, soonest first, in one query.
    async fn expiring_tokens(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ExpiringToken>>;
    /// The keys of the notices queued for expiries after `now`.
    async fn queued_notice_keys(&self, now: DateTime<Utc>) -> Result<Vec<NoticeKey>>;
    /// Queues the notices in one transaction, due at `now`; one that is queued already
    /// (another instance was first) is left as it is. How many were new.
    async fn queue_notices(&self, notices: &[NewNotice], now: DateTime<Utc>) -> Result<u64>;
    /// Gives up the pending notices whose event no longer holds (see [`CURRENT`]); how many.
    async fn give_up_stale_notices(&self, now: DateTime<Utc>) -> Result<u64>;
    /// Claims up to `limit` current notices due at `now` for one try each: their next try
    /// moves to `lease_until` in the same statement that picks them, so no other instance
    /// claims them until then.
    async fn claim_notices(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedNotice>>;
    /// Records a delivered try. Like [`NoticeRepo::notice_failed`], it changes nothing when
    /// the notice was claimed again since (this instance's lease ran out): that claim's
    /// outcome is the one kept.
    async fn notice_sent(&self, claimed: &ClaimedNotice, now: DateTime<Utc>) -> Result<()>;
    /// Records a failed try: tried again at `retry_at`, or given up at `now` when `None`.
    async fn notice_failed(
        &self,
        claimed: &ClaimedNotice,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Deletes the notices of expiries before `before`.
    async fn prune_notices(&self, before: DateTime<Utc>) -> Result<u64>;
}

/// A pending notice `n` whose event still holds at `$1`: its token is unrevoked, not
/// suspended, of an active user and still expires when the event says (after `$1`), and no
/// tighter notice of that expiry is queued (one that came within a day while its 7-day
/// notice was still being retried says so itself).
const CURRENT: &str = "n.expires_at > $1
    AND CASE n.kind
        WHEN 'api_token' THEN EXISTS (
            SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.id = n.token_id AND t.expires_at = n.expires_at
                AND t.revoked_at IS NULL AND u.active)
        ELSE EXISTS (
            SELECT 1 FROM service_tokens t JOIN users u ON u.id = t.created_by
            WHERE t.id = n.token_id AND t.expires_at = n.expires_at
                AND t.revoked_at IS NULL AND t.suspended_at IS NULL AND u.active)
    END
    AND NOT EXISTS (
        SELECT 1 FROM expiry_notices o
        WHERE o.kind = n.kind AND o.token_id = n.token_id AND o.expires_at = n.expires_at
            AND o.threshold_days < n.threshold_days)";

/// Pending and due at `$1`.
const DUE: &str = "n.sent_at IS NULL AND n.given_up_at IS NULL AND n.next_attempt_at <= $1";

/// Why a notice was given up without a try.
pub const STALE: &str = "no longer current: the token was revoked, suspended or re-dated, \
    its owner deactivated, or a tighter notice replaced it";

fn kind_of(text: &str) -> Option<TokenKind> {
    TokenKind::ALL.into_iter().find(|k| table(*k).2 == text)
}

type KeyRow = (String, i64, i64, Timestamp);

fn key_of((kind, token_id, days, expires_at): KeyRow) -> Option<NoticeKey> {
    Some((
        kind_of(&kind)?,
        token_id,
        Threshold::from_days(days)?,
        expires_at.into(),
    ))
}

#[async_trait]
impl NoticeRepo for SqlRepository {
    async fn expiring_tokens(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ExpiringToken>> {
        let sql = "SELECT 'api_token' AS kind, t.id, t.name, t.display_prefix, u.username,
                    NULL AS principal, t.expires_at
                FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.revoked_at IS NULL AND u.active AND t.expires_at > $1
                    AND t.expires_at <= $2
            UNION ALL
            SELECT 'service_token', t.id, t.name, t.display_prefix, u.username, p.name,
                    t.expires_at
                FROM service_tokens t JOIN users u ON u.id = t.created_by
                    JOIN service_principals p ON p.id = t.principal_id
                WHERE t.revoked_at IS NULL AND t.suspended_at IS NULL AND u.active
                    AND t.expires_at > $1 AND t.expires_at <= $2
            ORDER BY 7, 1, 2";
        type Row = (
            String,
            i64,
            String,
            String,
            String,
            Option<String>,
            Timestamp,
        );
        let rows: Vec<Row> = fetch!(
            &self.db,
            fetch_all,
            sql,
            Timestamp::from(now),
            Timestamp::from(until)
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, id, name, display_prefix, owner, principal, at)| {
                Some(ExpiringToken {
                    kind: kind_of(&kind)?,
                    id,
                    name,
                    display_prefix,
                    owner,
                    principal,
                    expires_at: at.into(),
                })
            })
            .collect())
    }

    async fn queued_notice_keys(&self, now: DateTime<Utc>) -> Result<Vec<NoticeKey>> {
        let sql = "SELECT kind, token_id, threshold_days, expires_at FROM expiry_notices
            WHERE expires_at > $1";
        let rows: Vec<KeyRow> = fetch!(&self.db, fetch_all, sql, Timestamp::from(now))?;
        Ok(rows.into_iter().filter_map(key_of).collect())
    }

    async fn queue_notices(&self, notices: &[NewNotice], now: DateTime<Utc>) -> Result<u64> {
        let sql = "INSERT INTO expiry_notices
                (kind, token_id, threshold_days, expires_at, body, queued_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            ON CONFLICT (kind, token_id, threshold_days, expires_at) DO NOTHING";
        let mut queued = 0;
        in_transaction!(&self.db, |tx| {
            for n in notices {
                queued += run!(
                    &mut *tx,
                    sql,
                    table(n.kind).2,
                    n.token_id,
                    n.threshold.days(),
                    Timestamp::from(n.expires_at),
                    &n.body,
                    Timestamp::from(now)
                )?;
            }
        });
        Ok(queued)
    }

    async fn give_up_stale_notices(&self, now: DateTime<Utc>) -> Result<u64> {
        let sql = format!(
            "UPDATE expiry_notices AS n SET given_up_at = $1, last_error = $2
            WHERE {DUE} AND NOT ({CURRENT})"
        );
        Ok(execute!(&self.db, &sql, Timestamp::from(now), STALE)?)
    }

    async fn claim_notices(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedNotice>> {
        // PostgreSQL: instances claiming at once skip each other's rows instead of waiting
        // for them (SQLite has one writer anyway). The outer condition repeats the inner
        // one, so a row claimed since the inner SELECT read it is not claimed twice.
        let skip_locked = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE expiry_notices AS n SET attempts = attempts + 1, next_attempt_at = $2
            WHERE n.id IN (
                    SELECT n.id FROM expiry_notices AS n WHERE {DUE} AND {CURRENT}
                    ORDER BY n.next_attempt_at, n.id LIMIT $3 {skip_locked})
                AND {DUE}
            RETURNING id, body, attempts"
        );
        let rows: Vec<(i64, String, i64)> = fetch!(
            &self.db,
            fetch_all,
            &sql,
            Timestamp::from(now),
            Timestamp::from(lease_until),
            limit
        )?;
        let mut claimed: Vec<ClaimedNotice> = rows
            .into_iter()
            .map(|(id, body, attempts)| ClaimedNotice {
                id,
                body,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            })
            .collect();
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    async fn notice_sent(&self, claimed: &ClaimedNotice, now: DateTime<Utc>) -> Result<()> {
        let sql = "UPDATE expiry_notices SET sent_at = $3, last_error = NULL
            WHERE id = $1 AND attempts = $2";
        let attempts = i64::from(claimed.attempts);
        execute!(&self.db, sql, claimed.id, attempts, Timestamp::from(now))?;
        Ok(())
    }

    async fn notice_failed(
        &self,
        claimed: &ClaimedNotice,
        retry_at: Option<DateTime<Utc>>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (next, given_up) = match retry_at {
            Some(at) => (Timestamp::from(at), None),
            None => (Timestamp::from(now), Some(Timestamp::from(now))),
        };
        let sql = "UPDATE expiry_notices
            SET next_attempt_at = $3, given_up_at = $4, last_error = $5
            WHERE id = $1 AND attempts = $2 AND sent_at IS NULL";
        let attempts = i64::from(claimed.attempts);
        execute!(&self.db, sql, claimed.id, attempts, next, given_up, error)?;
        Ok(())
    }

    async fn prune_notices(&self, before: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM expiry_notices WHERE expires_at < $1";
        Ok(execute!(&self.db, sql, Timestamp::from(before))?)
    }
}
