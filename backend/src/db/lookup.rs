//! Bearer lookups, batched. Every API request looks its token up by hash; the lookups that
//! arrive while the previous statement runs go to the database together in the next one
//! (`WHERE token_hash IN <the batch>`), so under load one round trip serves many requests,
//! while a lone request is one statement as before.
//!
//! Nothing is cached: a lookup's statement starts after its request arrived, so it sees
//! every change committed before the request (a revocation, a deactivation, on any
//! instance), exactly as a statement of its own would.
//!
//! A few workers each own a connection, kept beside the pool: no other request can leave it
//! half-way through an exchange, so it goes from one statement to the next without the
//! check sqlx's pool makes on every connection it gets back (a second round trip). A
//! connection that fails is replaced (see [`run_batch`]), so the lookups heal by
//! themselves after an outage, as the pool does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{ConnectOptions, Connection, FromRow};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::dialect::is_unavailable;
use super::types::TokenHash;
use crate::error::Error;

/// At most this many lookups share a statement.
const MAX_BATCH: usize = 64;

pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Runs one batch on a connection (see `dialect::sqlite_lookups`): the rows found, each
/// with the hash it was found by.
pub(crate) type RunBatch<C, R> =
    for<'c> fn(&'c mut C, &'c [String]) -> BoxFuture<'c, Result<Vec<(String, R)>, sqlx::Error>>;

/// A row that a bearer lookup finds, on either database.
pub(crate) trait Lookup:
    Clone + Send + Unpin + 'static + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{
    /// The statement of a batch: the rows `WHERE t.token_hash {in_batch}`, where `in_batch`
    /// tests against the batch bound as `$1` in the dialect's way, each with the hash it was
    /// found by as the column `lookup_hash`.
    fn statement(in_batch: &str) -> String;
}

struct Job<R> {
    hash: TokenHash,
    reply: oneshot::Sender<Result<Option<R>, Error>>,
}

/// The door to one kind of lookup (API tokens, service tokens).
pub(crate) struct Lookups<R> {
    queue: mpsc::Sender<Job<R>>,
    /// How long a lookup may wait for its answer (a batch, or a connection, ahead of it).
    timeout: Duration,
}

impl<R> std::fmt::Debug for Lookups<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookups").finish_non_exhaustive()
    }
}

impl<R: Clone + Send + 'static> Lookups<R> {
    /// Starts `workers` tasks on the current runtime, each with a connection opened (and
    /// reopened) from `options` when needed, running `run`. They stop when the `Lookups`
    /// is dropped.
    pub(crate) fn start<C: Connection + 'static>(
        options: C::Options,
        workers: usize,
        timeout: Duration,
        run: RunBatch<C, R>,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(1024);
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..workers {
            tokio::spawn(work(jobs.clone(), options.clone(), timeout, run));
        }
        Lookups { queue, timeout }
    }

    /// The row found by `hash`, if any.
    pub(crate) async fn find(&self, hash: &TokenHash) -> Result<Option<R>, Error> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            hash: hash.clone(),
            reply,
        };
        let asked = async {
            self.queue.send(job).await.ok()?;
            answer.await.ok()
        };
        match tokio::time::timeout(self.timeout, asked).await {
            Ok(Some(answer)) => answer,
            // The workers are gone (their runtime ended).
            Ok(None) => Err(Error::Unavailable(sqlx::Error::PoolClosed)),
            Err(_) => Err(Error::Unavailable(sqlx::Error::PoolTimedOut)),
        }
    }
}

/// One worker: takes what is queued (up to [`MAX_BATCH`]), runs it as one statement and
/// answers each lookup.
async fn work<C: Connection + 'static, R: Clone + Send + 'static>(
    jobs: Arc<Mutex<mpsc::Receiver<Job<R>>>>,
    options: C::Options,
    timeout: Duration,
    run: RunBatch<C, R>,
) {
    let mut conn: Option<C> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut jobs = jobs.lock().await;
            if jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return; // every sender is gone
            }
        }
        // Requests that gave up (timed out, or their client left) need no answer.
        batch.retain(|job: &Job<R>| !job.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let mut hashes: Vec<String> = batch.iter().map(|j| j.hash.as_str().to_owned()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let found = run_batch(&mut conn, &options, timeout, run, &hashes).await;
        match found {
            Ok(rows) => {
                let rows: HashMap<String, R> = rows.into_iter().collect();
                for job in batch.drain(..) {
                    let row = rows.get(job.hash.as_str()).cloned();
                    let _ = job.reply.send(Ok(row));
                }
            }
            Err(e) => {
                let unavailable = is_unavailable(&e);
                let message = e.to_string();
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(shared_error(unavailable, &message)));
                }
            }
        }
    }
}

/// Runs one batch. A connection that failed in any way is dropped (a cancelled or broken
/// exchange leaves it unusable), and a batch that failed on a connection kept from before
/// runs once more on a new one: the database may have ended that connection while it sat
/// idle (a restart, `idle_session_timeout`, a proxy), and the statement only reads, so
/// running it again is safe and still sees every change made before its requests arrived.
async fn run_batch<C: Connection, R>(
    conn: &mut Option<C>,
    options: &C::Options,
    timeout: Duration,
    run: RunBatch<C, R>,
    hashes: &[String],
) -> Result<Vec<(String, R)>, sqlx::Error> {
    let reused = conn.is_some();
    match attempt(conn, options, timeout, run, hashes).await {
        Err(e) if reused && !matches!(e, sqlx::Error::PoolTimedOut) => {
            tracing::debug!(error = %e, "a bearer-lookup connection failed; retrying on a new one");
            attempt(conn, options, timeout, run, hashes).await
        }
        result => result,
    }
}

/// One try: connects if needed, then runs the statement, each within `timeout` (a
/// connection that went silent must not hold the lookups until TCP gives up).
async fn attempt<C: Connection, R>(
    conn: &mut Option<C>,
    options: &C::Options,
    timeout: Duration,
    run: RunBatch<C, R>,
    hashes: &[String],
) -> Result<Vec<(String, R)>, sqlx::Error> {
    let open = match conn.take() {
        Some(open) => open,
        None => within(tokio::time::timeout(timeout, options.connect()).await)?,
    };
    let open = conn.insert(open);
    let result = within(tokio::time::timeout(timeout, run(open, hashes)).await);
    if result.is_err() {
        *conn = None;
    }
    result
}

/// The result of an exchange bounded by a timeout; running out of time is "unavailable".
fn within<T>(
    bounded: Result<Result<T, sqlx::Error>, tokio::time::error::Elapsed>,
) -> Result<T, sqlx::Error> {
    bounded.unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// The failure of a batch, as each of its lookups reports it (the cause itself is not
/// `Clone`): still "unavailable" when the database was out of reach (503), otherwise a
/// database error.
fn shared_error(unavailable: bool, message: &str) -> Error {
    if unavailable {
        Error::Unavailable(sqlx::Error::Io(std::io::Error::other(message.to_owned())))
    } else {
        Error::Database(sqlx::Error::Protocol(message.to_owned()))
    }
}
