//! Operation logs of projects, and their entries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::query::QueryAs;
use sqlx::{Database, Encode, Type};

use super::projects::GRANTS_OF_USER;
use super::{EntryFields, EntryRow, OplogRow, Result, SqlRepository, Timestamp};

#[async_trait]
pub trait OplogRepo {
    /// Fails with an `OplogName` conflict if the project has a log of that name.
    async fn create_oplog(&self, project_id: i64, name: &str, now: DateTime<Utc>) -> Result<i64>;
    /// Every operation log (`None`), or those of projects the user holds a grant on; by id.
    async fn oplogs(&self, granted_to: Option<i64>) -> Result<Vec<OplogRow>>;
    async fn oplogs_of_project(&self, project_id: i64) -> Result<Vec<OplogRow>>;
    async fn oplog(&self, oplog_id: i64) -> Result<Option<OplogRow>>;
    async fn entries(&self, oplog_id: i64) -> Result<Vec<EntryRow>>;
    /// The latest `per_log` entries of each log of a project (newest first within a log),
    /// in one query.
    async fn latest_entries_of_project(
        &self,
        project_id: i64,
        per_log: i64,
    ) -> Result<Vec<EntryRow>>;
    async fn entry(&self, oplog_id: i64, entry_id: i64) -> Result<Option<EntryRow>>;
    async fn insert_entry(
        &self,
        oplog_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<EntryRow>;
    async fn update_entry(
        &self,
        oplog_id: i64,
        entry_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<Option<EntryRow>>;
    async fn delete_entry(&self, oplog_id: i64, entry_id: i64) -> Result<bool>;
}

const OPLOG_SELECT: &str = "SELECT id, project_id, name FROM oplogs";

const ENTRY_COLUMNS: &str = "id, oplog_id, start_date, end_date, source_host, dest_host, tool,
    user_context, command, description, output, operator, tags, created_at, updated_at";

/// Binds an entry's writable fields as `$1` to `$11`, in the order of [`EntryFields`];
/// both entry statements number them so.
fn bind_fields<'q, DB: Database, O>(
    query: QueryAs<'q, DB, O, DB::Arguments<'q>>,
    e: &'q EntryFields,
) -> QueryAs<'q, DB, O, DB::Arguments<'q>>
where
    Option<Timestamp>: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
{
    let query = query
        .bind(e.start_date.map(Timestamp::from))
        .bind(e.end_date.map(Timestamp::from));
    [
        &e.source_host,
        &e.dest_host,
        &e.tool,
        &e.user_context,
        &e.command,
        &e.description,
        &e.output,
        &e.operator,
        &e.tags,
    ]
    .into_iter()
    .fold(query, |query, text| query.bind(text.as_str()))
}

#[async_trait]
impl OplogRepo for SqlRepository {
    async fn create_oplog(&self, project_id: i64, name: &str, now: DateTime<Utc>) -> Result<i64> {
        let sql =
            "INSERT INTO oplogs (project_id, name, created_at) VALUES ($1, $2, $3) RETURNING id";
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            sql,
            project_id,
            name,
            Timestamp::from(now)
        )?)
    }

    async fn oplogs(&self, granted_to: Option<i64>) -> Result<Vec<OplogRow>> {
        Ok(match granted_to {
            None => fetch!(&self.db, fetch_all, &format!("{OPLOG_SELECT} ORDER BY id"))?,
            Some(user_id) => {
                let sql = format!(
                    "{OPLOG_SELECT} WHERE project_id IN (SELECT project_id FROM {GRANTS_OF_USER})
                     ORDER BY id"
                );
                fetch!(&self.db, fetch_all, &sql, user_id)?
            }
        })
    }

    async fn oplogs_of_project(&self, project_id: i64) -> Result<Vec<OplogRow>> {
        let sql = format!("{OPLOG_SELECT} WHERE project_id = $1 ORDER BY id");
        Ok(fetch!(&self.db, fetch_all, &sql, project_id)?)
    }

    async fn oplog(&self, oplog_id: i64) -> Result<Option<OplogRow>> {
        let sql = format!("{OPLOG_SELECT} WHERE id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, oplog_id)?)
    }

    async fn entries(&self, oplog_id: i64) -> Result<Vec<EntryRow>> {
        let sql =
            format!("SELECT {ENTRY_COLUMNS} FROM oplog_entries WHERE oplog_id = $1 ORDER BY id");
        Ok(fetch!(&self.db, fetch_all, &sql, oplog_id)?)
    }

    async fn latest_entries_of_project(
        &self,
        project_id: i64,
        per_log: i64,
    ) -> Result<Vec<EntryRow>> {
        // Ranks ids only, then reads the kept rows: entries can hold 1 MiB of output each.
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM oplog_entries WHERE id IN (
                SELECT id FROM (
                    SELECT e.id,
                        ROW_NUMBER() OVER (PARTITION BY e.oplog_id ORDER BY e.id DESC) AS n
                    FROM oplog_entries e JOIN oplogs l ON l.id = e.oplog_id
                    WHERE l.project_id = $1
                ) ranked
                WHERE n <= $2
            )
            ORDER BY oplog_id, id DESC"
        );
        Ok(fetch!(&self.db, fetch_all, &sql, project_id, per_log)?)
    }

    async fn entry(&self, oplog_id: i64, entry_id: i64) -> Result<Option<EntryRow>> {
        let sql =
            format!("SELECT {ENTRY_COLUMNS} FROM oplog_entries WHERE oplog_id = $1 AND id = $2");
        Ok(fetch!(&self.db, fetch_optional, &sql, oplog_id, entry_id)?)
    }

    async fn insert_entry(
        &self,
        oplog_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<EntryRow> {
        let sql = format!(
            "INSERT INTO oplog_entries (start_date, end_date, source_host, dest_host, tool,
                 user_context, command, description, output, operator, tags, created_at,
                 updated_at, oplog_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)
             RETURNING {ENTRY_COLUMNS}"
        );
        let now = Timestamp::from(now);
        Ok(on_pool!(&self.db, |pool| bind_fields(
            sqlx::query_as(&sql),
            e
        )
        .bind(now)
        .bind(oplog_id)
        .fetch_one(pool)
        .await)?)
    }

    async fn update_entry(
        &self,
        oplog_id: i64,
        entry_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<Option<EntryRow>> {
        let sql = format!(
            "UPDATE oplog_entries SET start_date = $1, end_date = $2, source_host = $3,
                 dest_host = $4, tool = $5, user_context = $6, command = $7, description = $8,
                 output = $9, operator = $10, tags = $11, updated_at = $12
             WHERE oplog_id = $13 AND id = $14 RETURNING {ENTRY_COLUMNS}"
        );
        let now = Timestamp::from(now);
        Ok(on_pool!(&self.db, |pool| bind_fields(
            sqlx::query_as(&sql),
            e
        )
        .bind(now)
        .bind(oplog_id)
        .bind(entry_id)
        .fetch_optional(pool)
        .await)?)
    }

    async fn delete_entry(&self, oplog_id: i64, entry_id: i64) -> Result<bool> {
        let sql = "DELETE FROM oplog_entries WHERE oplog_id = $1 AND id = $2";
        Ok(execute!(&self.db, sql, oplog_id, entry_id)? == 1)
    }
}
