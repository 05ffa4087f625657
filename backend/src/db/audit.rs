//! The audit log's table: one row per credential event, read newest first in pages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Result, SqlRepository, Timestamp};

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    #[sqlx(try_from = "Timestamp")]
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Which events to read: all filters optional; `before` is the id of the last row of the
/// previous page (keyset pagination, newest first).
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub user_id: Option<i64>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditRepo {
    async fn insert_audit(&self, event: &AuditRow) -> Result<()>;
    /// One page of events, newest first, in one query.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditRow>>;
    /// Deletes the events older than `cutoff`; how many.
    async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
impl AuditRepo for SqlRepository {
    async fn insert_audit(&self, e: &AuditRow) -> Result<()> {
        let sql = "INSERT INTO audit_events (at, user_id, actor, action, target, outcome, ip,
                user_agent)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        execute!(
            &self.db,
            sql,
            Timestamp::from(e.at),
            e.user_id,
            &e.actor,
            &e.action,
            &e.target,
            &e.outcome,
            &e.ip,
            &e.user_agent
        )?;
        Ok(())
    }

    async fn audit_events(&self, q: &AuditQuery) -> Result<Vec<AuditRow>> {
        // Each filter is a parameter that may be NULL, so the statement is one text for
        // every combination (and for both databases).
        let sql = "SELECT id, at, user_id, actor, action, target, outcome, ip, user_agent
            FROM audit_events
            WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR action = $2)
                AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)
                AND ($5 IS NULL OR id < $5)
            ORDER BY id DESC LIMIT $6";
        Ok(fetch!(
            &self.db,
            fetch_all,
            sql,
            q.user_id,
            &q.action,
            q.since.map(Timestamp::from),
            q.until.map(Timestamp::from),
            q.before,
            q.limit
        )?)
    }

    async fn delete_audit_before(&self, cutoff: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM audit_events WHERE at < $1";
        Ok(execute!(&self.db, sql, Timestamp::from(cutoff))?)
    }
}
