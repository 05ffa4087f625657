//! Sign-in sessions: browser cookies and the sessions behind login JWTs.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::users::END_SESSIONS;
use super::{Result, SessionRow, SqlRepository, Timestamp, TokenHash};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

impl FromStr for SessionKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "browser" => Ok(SessionKind::Browser),
            "api" => Ok(SessionKind::Api),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub user_id: i64,
    pub secret_hash: TokenHash,
    pub kind: SessionKind,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[async_trait]
pub trait SessionRepo {
    /// Stores a session; beyond [`MAX_SESSIONS`] open ones of the user, the least recently
    /// seen are ended.
    async fn insert_session(&self, session: &NewSession, now: DateTime<Utc>) -> Result<i64>;
    async fn session_by_hash(&self, secret_hash: &TokenHash) -> Result<Option<SessionRow>>;
    async fn session_by_id(&self, session_id: i64) -> Result<Option<SessionRow>>;
    /// Makes every open session of the user confirm the password before the next sensitive
    /// change; how many.
    async fn require_reauthentication(&self, user_id: i64) -> Result<u64>;
    /// Records that the session's person entered their password again (sudo mode).
    async fn reauthenticate_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()>;
    /// Records that the session was seen, unless it was at or after `stale_before`.
    async fn touch_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;
    async fn end_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()>;
    /// Sessions not ended and not past their absolute expiry, newest first, each with its
    /// user's name; only `user_id`'s when given.
    async fn open_sessions(
        &self,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionRow, String)>>;
    /// Ends every open session of the user; how many.
    async fn end_sessions_of(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64>;
    /// Deletes the sessions that can no longer be used: ended, past their expiry, or (for
    /// browser sessions) idle since before `idle_before`. How many.
    async fn delete_dead_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64>;
}

const SESSION_SELECT: &str = "SELECT id, user_id, kind, created_at, last_seen_at, expires_at,
    ip, user_agent, ended_at, authenticated_at FROM sessions";

/// Open sessions (browser and API) one user may have; see `insert_session`.
pub const MAX_SESSIONS: i64 = crate::quota::SESSIONS;

#[async_trait]
impl SessionRepo for SqlRepository {
    async fn insert_session(&self, s: &NewSession, now: DateTime<Utc>) -> Result<i64> {
        let sql = "INSERT INTO sessions (user_id, secret_hash, kind, created_at, last_seen_at,
                authenticated_at, expires_at, ip, user_agent)
            VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7) RETURNING id";
        // Beyond the cap, the sessions seen least recently end, in the same transaction:
        // refusing the sign-in instead would lock the person out of the page that ends them.
        // Per kind: a script's many API logins never end the person's browser sessions.
        let cap = "UPDATE sessions SET ended_at = $1
            WHERE user_id = $2 AND kind = $4 AND ended_at IS NULL AND id NOT IN (
                SELECT id FROM sessions WHERE user_id = $2 AND kind = $4 AND ended_at IS NULL
                ORDER BY last_seen_at DESC, id DESC LIMIT $3)";
        Ok(in_transaction!(&self.db, |tx| {
            let id: i64 = sqlx::query_scalar(sql)
                .bind(s.user_id)
                .bind(&s.secret_hash)
                .bind(s.kind.as_str())
                .bind(Timestamp::from(now))
                .bind(Timestamp::from(s.expires_at))
                .bind(&s.ip)
                .bind(&s.user_agent)
                .fetch_one(&mut *tx)
                .await?;
            let kind = s.kind.as_str();
            run!(
                &mut *tx,
                cap,
                Timestamp::from(now),
                s.user_id,
                MAX_SESSIONS,
                kind
            )?;
            id
        }))
    }

    async fn session_by_hash(&self, secret_hash: &TokenHash) -> Result<Option<SessionRow>> {
        let sql = format!("{SESSION_SELECT} WHERE secret_hash = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, secret_hash)?)
    }

    async fn require_reauthentication(&self, user_id: i64) -> Result<u64> {
        let sql =
            "UPDATE sessions SET authenticated_at = 0 WHERE user_id = $1 AND ended_at IS NULL";
        Ok(execute!(&self.db, sql, user_id)?)
    }

    async fn reauthenticate_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()> {
        let sql = "UPDATE sessions SET authenticated_at = $1 WHERE id = $2 AND ended_at IS NULL";
        execute!(&self.db, sql, Timestamp::from(now), session_id)?;
        Ok(())
    }

    async fn session_by_id(&self, session_id: i64) -> Result<Option<SessionRow>> {
        let sql = format!("{SESSION_SELECT} WHERE id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, session_id)?)
    }

    async fn touch_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $3";
        let (now, stale_before) = (Timestamp::from(now), Timestamp::from(stale_before));
        execute!(&self.db, sql, now, session_id, stale_before)?;
        Ok(())
    }

    async fn end_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()> {
        let sql = "UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL";
        execute!(&self.db, sql, Timestamp::from(now), session_id)?;
        Ok(())
    }

    async fn open_sessions(
        &self,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionRow, String)>> {
        #[derive(sqlx::FromRow)]
        struct WithUsername {
            #[sqlx(flatten)]
            session: SessionRow,
            username: String,
        }
        let sql = "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, s.expires_at,
                s.authenticated_at,
                s.ip, s.user_agent, s.ended_at, u.username
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.ended_at IS NULL AND s.expires_at > $1 AND ($2 IS NULL OR s.user_id = $2)
            ORDER BY s.created_at DESC, s.id DESC";
        let rows: Vec<WithUsername> =
            fetch!(&self.db, fetch_all, sql, Timestamp::from(now), user_id)?;
        Ok(rows.into_iter().map(|r| (r.session, r.username)).collect())
    }

    async fn end_sessions_of(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
        // No session has id 0: every session ends.
        Ok(execute!(
            &self.db,
            END_SESSIONS,
            user_id,
            Timestamp::from(now),
            0_i64
        )?)
    }

    async fn delete_dead_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = "DELETE FROM sessions WHERE ended_at IS NOT NULL OR expires_at <= $1
            OR (kind = 'browser' AND last_seen_at < $2)";
        let (now, idle_before) = (Timestamp::from(now), Timestamp::from(idle_before));
        Ok(execute!(&self.db, sql, now, idle_before)?)
    }
}
