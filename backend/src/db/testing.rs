//! Test support: the schema as `(table, column)` pairs, so the two migration folders can be
//! compared.

pub(crate) use super::test_database::PgTestDatabase;
use super::{Db, SqlRepository};

/// Every `(table, column)` of the schema, without sqlx's own bookkeeping table.
pub(crate) async fn columns(repo: &SqlRepository) -> Vec<(String, String)> {
    let sql = match repo.db {
        Db::Sqlite(_) => {
            "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name <> '_sqlx_migrations'"
        }
        Db::Postgres(_) => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'"
        }
    };
    fetch!(&repo.db, fetch_all, sql).expect("the schema can be listed")
}

/// Runs one statement as it is (a test's way to break or mend the schema on purpose).
pub(crate) async fn execute_raw(repo: &SqlRepository, sql: &str) {
    execute!(&repo.db, sql).unwrap();
}
