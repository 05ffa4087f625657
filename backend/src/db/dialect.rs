//! What differs between SQLite and PostgreSQL, and nothing else: how to connect, which
//! migrations to apply, and how each reports a unique violation.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Connection, Database};

use sqlx::Row;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;

use super::api_tokens::ApiLookup;
use super::lookup::{BoxFuture, Lookup, Lookups};
use super::{Db, Result, ServiceTokenRow};
use crate::error::{Constraint, Error};

/// Connections of the pool, per instance (the bearer lookups have their own few: see
/// [`LOOKUP_WORKERS`]). SQLite has one writer anyway; on PostgreSQL several instances share
/// the server's connection limit (100 by default).
const MAX_CONNECTIONS: u32 = 8;

/// A connection that waited in the pool longer than this is checked (a round trip) before a
/// request gets it, and replaced unseen if the database dropped it. One that waited less
/// answered sqlx's check on release a moment ago, so under load (where a connection never
/// waits that long) a query is one round trip, not two.
const CHECK_IF_IDLE_FOR: Duration = Duration::from_millis(100);

/// Pool settings common to both databases.
fn pool_options<DB: Database>() -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for > CHECK_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connections (and workers) of each kind of bearer lookup, beside the pool's (see
/// [`super::lookup`]). On 2 cores, one does most (batches are largest), two keep the
/// lookups going while one statement is slow; more split the batches for nothing.
const LOOKUP_WORKERS: usize = 2;

/// The pool and the two kinds of bearer lookups on one database.
pub(crate) type Connected = (Db, Lookups<ApiLookup>, Lookups<ServiceTokenRow>);

/// Creates the SQLite file (and its directory) readable by this user only, before SQLite
/// opens it: the directory 0700, the file 0600 (SQLite gives its -wal and -shm files the
/// file's mode). Existing ones are left as they are.
fn private_file(path: &Path) -> Result<()> {
    let config = |what: &str, e: std::io::Error| {
        Error::Config(format!(
            "cannot create the database {what} {}: {e}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| config("directory of", e))?;
    }
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another instance created it meanwhile.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(config("file", e)),
    }
}

/// Opens the pool `url` names and applies the migrations of its database, and starts the
/// bearer lookups (which open their connections when first used).
pub(crate) async fn connect(url: &str) -> Result<Connected> {
    if url.starts_with("sqlite:") {
        sqlite(url).await
    } else if is_postgres(url) {
        postgres(url).await
    } else {
        // Only the scheme: the rest of a URL may hold a password.
        Err(Error::Config(format!(
            "unsupported database URL (expected sqlite://... or postgres://...): {}://...",
            url.split("://").next().unwrap_or_default()
        )))
    }
}

/// One file in WAL mode (so `keyward admin ...` can write while the server runs), created
/// with its directory if needed; foreign keys on.
async fn sqlite(url: &str) -> Result<Connected> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::Config(format!("bad SQLite database URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // Deleted and overwritten content is zeroed in the file, so a value replaced by its
        // sealed form (or a revoked row's data) does not linger in free pages.
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    private_file(options.get_filename())?;
    let pool: SqlitePoolOptions = pool_options();
    let timeout = pool.get_acquire_timeout();
    let pool = pool
        .connect_with(options.clone())
        .await
        .map_err(|e| Error::Config(format!("cannot open the SQLite database: {e}")))?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&pool)
        .await
        .map_err(migration_failed)?;
    Ok((
        Db::Sqlite(pool),
        Lookups::start(options.clone(), LOOKUP_WORKERS, timeout, sqlite_lookups),
        Lookups::start(options, LOOKUP_WORKERS, timeout, sqlite_lookups),
    ))
}

/// The migrator takes an advisory lock, so instances starting together migrate once.
async fn postgres(url: &str) -> Result<Connected> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| Error::Config(format!("bad PostgreSQL database URL: {e}")))?;
    // Short: while the database is down, requests should fail fast with 503, not queue.
    let acquire_timeout = Duration::from_secs(3);
    let pool: PgPoolOptions = pool_options();
    let pool = pool
        .acquire_timeout(acquire_timeout)
        .connect_with(options.clone())
        .await
        .map_err(|e| Error::Config(format!("cannot open the PostgreSQL database: {e}")))?;
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .map_err(migration_failed)?;
    Ok((
        Db::Postgres(pool),
        Lookups::start(
            options.clone(),
            LOOKUP_WORKERS,
            acquire_timeout,
            postgres_lookups,
        ),
        Lookups::start(options, LOOKUP_WORKERS, acquire_timeout, postgres_lookups),
    ))
}

/// A batch of bearer lookups on SQLite, which has no arrays: the hashes go as one JSON
/// array, read back by `json_each`.
fn sqlite_lookups<'c, R: Lookup>(
    conn: &'c mut SqliteConnection,
    hashes: &'c [String],
) -> BoxFuture<'c, std::result::Result<Vec<(String, R)>, sqlx::Error>> {
    Box::pin(async move {
        let batch = serde_json::to_string(hashes).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let sql = R::statement("IN (SELECT value FROM json_each($1))");
        let rows = sqlx::query(&sql).bind(batch).fetch_all(conn).await?;
        rows.iter()
            .map(|row| Ok((row.try_get("lookup_hash")?, R::from_row(row)?)))
            .collect()
    })
}

/// A batch of bearer lookups on PostgreSQL: the hashes as one `text[]`.
fn postgres_lookups<'c, R: Lookup>(
    conn: &'c mut PgConnection,
    hashes: &'c [String],
) -> BoxFuture<'c, std::result::Result<Vec<(String, R)>, sqlx::Error>> {
    Box::pin(async move {
        let sql = R::statement("= ANY($1)");
        let rows = sqlx::query(&sql).bind(hashes).fetch_all(conn).await?;
        rows.iter()
            .map(|row| Ok((row.try_get("lookup_hash")?, R::from_row(row)?)))
            .collect()
    })
}

fn migration_failed(e: sqlx::migrate::MigrateError) -> Error {
    Error::Config(format!("database migration failed: {e}"))
}

/// The database a URL names, for the start-up log: a SQLite file's path, or PostgreSQL's
/// host, port and database (never the password).
pub fn describe(url: &str) -> String {
    if is_postgres(url) {
        PgConnectOptions::from_str(url)
            .map(|o| {
                format!(
                    "postgres://{}:{}/{}",
                    o.get_host(),
                    o.get_port(),
                    o.get_database().unwrap_or_default()
                )
            })
            .unwrap_or_else(|_| "postgres (unparsable URL)".into())
    } else {
        SqliteConnectOptions::from_str(url)
            .map(|o| Path::new(o.get_filename()).display().to_string())
            .unwrap_or_else(|_| url.to_string())
    }
}

/// The unique rules a person can break, as each database reports them: SQLite lists the
/// columns in its message (`UNIQUE constraint failed: users.username`, or `index 'name'`
/// for an index on an expression); PostgreSQL names the constraint or index (the default
/// names of `UNIQUE` columns, or the index names in `migrations/postgres`).
const UNIQUE_RULES: &[(&str, &str, Constraint)] = &[
    ("users.username", "users_username_key", Constraint::Username),
    (
        "user_emails.email",
        "user_emails_email_lower",
        Constraint::Email,
    ),
    (
        "service_principals.name",
        "service_principals_name_key",
        Constraint::PrincipalName,
    ),
    (
        "organizations.name",
        "organizations_name_key",
        Constraint::OrgName,
    ),
    ("teams.name", "teams_name_key", Constraint::TeamName),
    (
        "index 'projects_name'",
        "projects_name",
        Constraint::ProjectName,
    ),
    (
        "oplogs.project_id, oplogs.name",
        "oplogs_project_id_name_key",
        Constraint::OplogName,
    ),
];

/// The rule a unique violation broke, if it is one a person can run into (a clash of token
/// hashes, say, is not: it stays a database error).
pub(crate) fn constraint_of(e: &sqlx::Error) -> Option<Constraint> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    UNIQUE_RULES
        .iter()
        .find(|(sqlite, postgres, _)| match db.constraint() {
            Some(name) => name == *postgres,
            None => db.message().ends_with(sqlite),
        })
        .map(|rule| rule.2)
}

/// Whether an error says the database cannot be reached now, rather than that a statement
/// failed: the connection broke or was refused, the pool waited in vain, the server is
/// shutting down, the database is gone or closed to connections, or SQLite could not open or
/// lock its file in time.
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // SQLSTATE: class 08 connection exception, 57P01-03 shutdown or starting,
                // 53300 too many connections, 3D000 no such database, 55000 the database
                // does not accept connections.
                code.starts_with("08")
                    || code.starts_with("57P")
                    || matches!(&*code, "53300" | "3D000" | "55000")
            } else {
                // SQLite result codes (the low byte of an extended code): BUSY, IOERR,
                // CANTOPEN.
                code.parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 10 | 14))
            }
        }
        _ => false,
    }
}

/// Whether PostgreSQL refused a text value it cannot store (a NUL character: SQLSTATE
/// 22021). SQLite stores such text, so the same input would otherwise be a 500 on one
/// database only.
pub(crate) fn is_unstorable_text(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some_and(|pg| pg.code() == "22021")
}
