//! Fresh PostgreSQL databases for tests (the backend's own and the server's integration
//! tests): each test creates one and drops it when done, so runs leave nothing behind.

use rand_core::{OsRng, RngCore};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// Overrides where the PostgreSQL tests create their databases: a URL of an existing
/// database, as a role that may create databases.
pub const POSTGRES_URL_VAR: &str = "KEYWARD_TEST_POSTGRES_URL";

fn admin_url() -> String {
    std::env::var(POSTGRES_URL_VAR)
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database created for one test and dropped when this is dropped (also when the test
/// fails), so runs leave nothing behind.
pub struct PgTestDatabase {
    name: String,
    pub url: String,
}

impl PgTestDatabase {
    /// Creates `kw_test_<random>`. PostgreSQL must be running: CI starts it, and a test
    /// that cannot reach it fails rather than passing without having run.
    pub async fn create() -> Self {
        let admin = admin_url();
        let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}). Start it \
                 (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) \
                 or point {POSTGRES_URL_VAR} at one."
            )
        });
        let name = format!("kw_test_{:016x}", OsRng.next_u64());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        PgTestDatabase { name, url }
    }
}

impl PgTestDatabase {
    /// Takes the database away from its clients, as an outage would (`false`: its
    /// connections are ended and new ones refused), or gives it back (`true`).
    pub async fn set_reachable(&self, reachable: bool) {
        let mut conn = PgConnection::connect(&admin_url()).await.unwrap();
        let name = &self.name;
        sqlx::query(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {reachable}"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        if !reachable {
            self.end_connections().await;
        }
    }

    /// Ends every open connection to the database (as a restart or an idle timeout would),
    /// waiting until they are gone; new ones are still accepted.
    pub async fn end_connections(&self) {
        let mut conn = PgConnection::connect(&admin_url()).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = $1",
        )
        .bind(&self.name)
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and may run inside the test's runtime: a thread with its own
        // runtime does the work. FORCE ends the test's still-open pool connections.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    let mut conn = PgConnection::connect(&admin_url()).await?;
                    sqlx::query(&sql).execute(&mut conn).await.map(|_| ())
                })
                .map_err(|e| e.to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("the thread dropping it panicked".into()));
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}
