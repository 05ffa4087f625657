//! The repository: every SQL statement of keyward lives here, written once for both SQLite
//! (the embedded default) and PostgreSQL (several instances on one database).
//!
//! - One small trait per aggregate, each in its own file with its implementation, combined
//!   into [`Repository`] (the one the services hold).
//! - One implementation, [`SqlRepository`], over either pool ([`Db`]). Each method's body is
//!   written once inside [`on_pool!`], which expands it for both pools, so a statement is one
//!   string that both databases run: `$1` placeholders (sqlx's SQLite driver binds them by
//!   number too), `TRUE`/`FALSE`, `ON CONFLICT ... DO NOTHING/UPDATE`, `RETURNING`.
//!   Not `sqlx::Any`: in sqlx 0.8 it decodes SQLite integers as numbers rather than booleans
//!   and drops SQLite's connect options.
//! - What really differs (connect options, migrations, constraint names) is in [`dialect`].

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body is the same text
/// in both arms, type-checked once per database.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in one transaction on `$db`, with `$tx` bound to it: committed when the body
/// completes, rolled back when it leaves early (`?` or `return`). Evaluates to the body.
macro_rules! in_transaction {
    ($db:expr, |$tx:ident| $body:block) => {
        on_pool!($db, |pool| {
            let mut $tx = pool.begin().await?;
            let value = $body;
            $tx.commit().await?;
            value
        })
    };
}

/// Runs one statement with its arguments on an executor (a pool, or `&mut *tx` inside a
/// transaction): the number of rows it changed.
macro_rules! run {
    ($executor:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query($sql)
            $(.bind($arg))*
            .execute($executor)
            .await
            .map(|done| done.rows_affected())
    };
}

/// Runs one statement with its arguments on `$db`: the number of rows it changed.
macro_rules! execute {
    ($db:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        on_pool!($db, |pool| run!(pool, $sql $(, $arg)*))
    };
}

/// Runs one query with its arguments on `$db` and decodes its rows (`FromRow`) with
/// `$fetch`: `fetch_one`, `fetch_optional` or `fetch_all`.
macro_rules! fetch {
    ($db:expr, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        on_pool!($db, |pool| sqlx::query_as($sql)$(.bind($arg))*.$fetch(pool).await)
    };
}

/// Like [`fetch!`], for a query of one column.
macro_rules! fetch_scalar {
    ($db:expr, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        on_pool!($db, |pool| sqlx::query_scalar($sql)$(.bind($arg))*.$fetch(pool).await)
    };
}

mod allowlist;
mod api_tokens;
mod audit;
pub(crate) mod dialect;
mod lookup;
mod mfa;
mod notices;
mod oplogs;
mod projects;
mod reports;
mod rotation;
mod rows;
mod sealed;
mod service_tokens;
mod sessions;
mod settings;
mod teams;
pub mod test_database;
#[cfg(test)]
pub(crate) mod testing;
mod types;
mod usage;
mod users;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};

pub use allowlist::AllowlistRepo;
use api_tokens::ApiLookup;
pub use api_tokens::{ApiTokenRepo, NewApiToken};
pub use audit::{AuditQuery, AuditRepo, AuditRow};
pub use dialect::describe;
use lookup::Lookups;
pub use mfa::MfaRepo;
pub use notices::{ClaimedNotice, NewNotice, NoticeKey, NoticeRepo};
pub use oplogs::OplogRepo;
pub use projects::{GrantSubject, ProjectRepo};
pub use reports::{REPORTED, ReportRepo, Reported};
pub use rotation::{Rotated, RotatedSecret, Rotation, RotationRepo};
pub use rows::{
    ApiTokenRow, EmailRow, EntryFields, EntryRow, GrantRow, OplogRow, ProjectRow, Revoked,
    SecretRow, ServicePrincipalRow, ServiceTokenRow, SessionRow, TeamRow, TotpState, UserRow,
};
pub use sealed::SealedRepo;
pub use service_tokens::{NewServiceToken, ServiceTokenRepo, TokenPrincipal};
pub use sessions::{NewSession, SessionKind, SessionRepo};
pub use settings::SettingsRepo;
pub use teams::TeamRepo;
pub use types::{Timestamp, TokenHash};
pub use usage::{StoredUsage, UsageDelta, UsageRepo};
pub use users::{NewUser, QuotaUsage, UserRepo};

use crate::error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the services need from storage.
pub trait Repository:
    UserRepo
    + SessionRepo
    + ApiTokenRepo
    + ServiceTokenRepo
    + TeamRepo
    + ProjectRepo
    + OplogRepo
    + SettingsRepo
    + MfaRepo
    + SealedRepo
    + AuditRepo
    + RotationRepo
    + AllowlistRepo
    + UsageRepo
    + ReportRepo
    + NoticeRepo
    + Send
    + Sync
    + 'static
{
}

impl<T> Repository for T where
    T: UserRepo
        + SessionRepo
        + ApiTokenRepo
        + ServiceTokenRepo
        + TeamRepo
        + ProjectRepo
        + OplogRepo
        + SettingsRepo
        + MfaRepo
        + SealedRepo
        + AuditRepo
        + RotationRepo
        + AllowlistRepo
        + UsageRepo
        + ReportRepo
        + NoticeRepo
        + Send
        + Sync
        + 'static
{
}

/// A connection pool on one of the two databases.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The repository on either database.
#[derive(Clone, Debug)]
pub struct SqlRepository {
    db: Db,
    /// The statements every API request runs, the bearer lookups: batched, on connections
    /// of their own (see [`lookup`]). Everything else uses the pool.
    api_lookups: Arc<Lookups<ApiLookup>>,
    service_lookups: Arc<Lookups<ServiceTokenRow>>,
}

impl SqlRepository {
    /// Opens the database named by `url` (`sqlite:...`, `postgres://...` or
    /// `postgresql://...`), creating a SQLite file and its directory if needed, and applies
    /// the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let (db, api_lookups, service_lookups) = dialect::connect(url).await?;
        Ok(SqlRepository {
            db,
            api_lookups: Arc::new(api_lookups),
            service_lookups: Arc::new(service_lookups),
        })
    }

    /// Records a token's use, unless it was recorded at or after `stale_before` (throttling
    /// keeps verification a read under load). `table` is one of the two token tables.
    async fn touch_last_used(
        &self,
        table: &'static str,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {table} SET last_used_at = $1
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)"
        );
        execute!(
            &self.db,
            &sql,
            Timestamp::from(now),
            token_id,
            Timestamp::from(stale_before)
        )?;
        Ok(())
    }
}
