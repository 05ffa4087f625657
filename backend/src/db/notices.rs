//! Expiry notices as stored: the live tokens expiring soon, and the queue of webhook
//! deliveries (see `crate::notices` for when they are queued and sent).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::TokenKind;
use keyward_core::notice::{ExpiringToken, MAX_ATTEMPTS, Threshold};

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
    /// In one transaction: gives up the pending notices that can never be sent (their token
    /// revoked, re-dated or expired, or overtaken: see `sendable`), and deletes those of
    /// suspended tokens and deactivated users, to be queued afresh (with the owner of the
    /// day) once the token is in use again. How many were given up.
    async fn give_up_stale_notices(&self, now: DateTime<Utc>) -> Result<u64>;
    /// Extends this instance's lease of a claimed notice to `lease_until`, just before a
    /// delivery: `false` (deliver nothing) when the notice was claimed again since.
    async fn renew_notice(
        &self,
        claimed: &ClaimedNotice,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
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

/// Whether the token of notice `n` is unrevoked and still expires when the event says;
/// with `in_use`, also not suspended and its user active (reversible: an account comes
/// back, a transfer lifts a suspension).
fn token_holds(in_use: bool) -> String {
    let (api, service) = match in_use {
        true => ("AND u.active", "AND t.suspended_at IS NULL AND u.active"),
        false => ("", ""),
    };
    format!(
        "CASE n.kind
        WHEN 'api_token' THEN EXISTS (
            SELECT 1 FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.id = n.token_id AND t.expires_at = n.expires_at
                AND t.revoked_at IS NULL {api})
        ELSE EXISTS (
            SELECT 1 FROM service_tokens t JOIN users u ON u.id = t.created_by
            WHERE t.id = n.token_id AND t.expires_at = n.expires_at
                AND t.revoked_at IS NULL {service})
        END"
    )
}

/// Whether pending notice `n` can still be sent at `$1` (with `in_use`: may be sent now):
/// its expiry is ahead, its token holds (above), it has tries left, and no tighter notice
/// of that expiry is queued (a one-day notice overtakes a 7-day one still being retried).
fn sendable(in_use: bool) -> String {
    format!(
        "n.expires_at > $1 AND n.attempts < {MAX_ATTEMPTS} AND {holds}
        AND NOT EXISTS (
            SELECT 1 FROM expiry_notices o
            WHERE o.kind = n.kind AND o.token_id = n.token_id
                AND o.expires_at = n.expires_at AND o.threshold_days < n.threshold_days)",
        holds = token_holds(in_use)
    )
}

/// Pending: neither sent nor given up.
const PENDING: &str = "n.sent_at IS NULL AND n.given_up_at IS NULL";

/// Why a notice was given up without a try.
pub const STALE: &str = "not to be sent: the token was revoked, re-dated or has expired, \
    a tighter notice replaced it, or it was tried as often as allowed";

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
        let (can_be_sent, in_use) = (sendable(false), token_holds(true));
        let give_up = format!(
            "UPDATE expiry_notices AS n SET given_up_at = $1, last_error = $2
            WHERE {PENDING} AND NOT ({can_be_sent})"
        );
        let on_hold = format!("DELETE FROM expiry_notices AS n WHERE {PENDING} AND NOT ({in_use})");
        let at = Timestamp::from(now);
        let given_up = in_transaction!(&self.db, |tx| {
            let given_up = run!(&mut *tx, &give_up, at, STALE)?;
            run!(&mut *tx, &on_hold)?;
            given_up
        });
        Ok(given_up)
    }

    async fn claim_notices(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ClaimedNotice>> {
        // PostgreSQL: instances claiming at once skip each other's rows instead of waiting
        // for them (SQLite has one writer anyway). The rows are picked once, in a
        // materialized CTE: as an `IN (...)` subquery, PostgreSQL may run a locking SELECT
        // again for each row it updates and claim past the LIMIT. The UPDATE repeats the
        // due check, so a row claimed since it was picked is not claimed twice.
        let skip_locked = match self.db {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sendable = sendable(true);
        let sql = format!(
            "WITH picked AS MATERIALIZED (
                SELECT n.id FROM expiry_notices AS n
                WHERE {PENDING} AND n.next_attempt_at <= $1 AND {sendable}
                ORDER BY n.next_attempt_at, n.id LIMIT $3 {skip_locked})
            UPDATE expiry_notices AS n SET attempts = attempts + 1, next_attempt_at = $2
            WHERE n.id IN (SELECT id FROM picked) AND {PENDING} AND n.next_attempt_at <= $1
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

    async fn renew_notice(
        &self,
        claimed: &ClaimedNotice,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE expiry_notices AS n SET next_attempt_at = $3
            WHERE n.id = $1 AND n.attempts = $2 AND {PENDING}"
        );
        let attempts = i64::from(claimed.attempts);
        let until = Timestamp::from(lease_until);
        Ok(execute!(&self.db, &sql, claimed.id, attempts, until)? == 1)
    }

    async fn notice_sent(&self, claimed: &ClaimedNotice, now: DateTime<Utc>) -> Result<()> {
        let sql = format!(
            "UPDATE expiry_notices AS n SET sent_at = $3, last_error = NULL
            WHERE n.id = $1 AND n.attempts = $2 AND {PENDING}"
        );
        let attempts = i64::from(claimed.attempts);
        execute!(&self.db, &sql, claimed.id, attempts, Timestamp::from(now))?;
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
        let sql = format!(
            "UPDATE expiry_notices AS n
            SET next_attempt_at = $3, given_up_at = $4, last_error = $5
            WHERE n.id = $1 AND n.attempts = $2 AND {PENDING}"
        );
        let attempts = i64::from(claimed.attempts);
        execute!(&self.db, &sql, claimed.id, attempts, next, given_up, error)?;
        Ok(())
    }

    async fn prune_notices(&self, before: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM expiry_notices WHERE expires_at < $1";
        Ok(execute!(&self.db, sql, Timestamp::from(before))?)
    }
}
