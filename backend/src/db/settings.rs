//! The installation: its settings, the one-time setup code that creates the first
//! administrator, and a round trip for the health check.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::users::insert_user;
use super::{NewUser, Result, SqlRepository, Timestamp, TokenHash};

#[async_trait]
pub trait SettingsRepo {
    /// Round trips for the readiness check: one on the pool, one through each kind of
    /// bearer lookup (which have connections of their own).
    async fn ping(&self) -> Result<()>;

    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;
    /// The stored values of `keys` (missing ones are left out), in one query.
    async fn settings_of(&self, keys: &[&str]) -> Result<Vec<(String, String)>>;
    /// Stores every pair in one transaction: all of them or none.
    async fn put_settings(&self, pairs: &[(&str, String)]) -> Result<()>;
    /// The setting's value; `value` is stored first if there is none (the first of several
    /// racing instances wins, and all read the same value).
    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String>;

    /// Forgets every earlier code and stores this one.
    async fn replace_setup_code(&self, code_hash: &TokenHash, now: DateTime<Utc>) -> Result<()>;
    /// In one transaction: uses up the code (which must be unused and made after
    /// `made_after`) and creates the first user, only while there is no user yet.
    /// `Ok(None)` if the code is unknown, spent or too old.
    async fn create_first_admin(
        &self,
        code_hash: &TokenHash,
        made_after: DateTime<Utc>,
        user: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>>;
    /// Whether the code (made after `made_after`) could still create the first admin.
    async fn setup_code_usable(
        &self,
        code_hash: &TokenHash,
        made_after: DateTime<Utc>,
    ) -> Result<bool>;
}

#[async_trait]
impl SettingsRepo for SqlRepository {
    async fn ping(&self) -> Result<()> {
        execute!(&self.db, "SELECT 1")?;
        // The bearer lookups have connections of their own: ready means they answer too.
        let nobody = TokenHash::of("readyz: a hash no token has");
        self.api_lookups.find(&nobody).await?;
        self.service_lookups.find(&nobody).await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(fetch_scalar!(&self.db, fetch_optional, sql, key)?)
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        self.put_settings(&[(key, value.to_string())]).await
    }

    async fn settings_of(&self, keys: &[&str]) -> Result<Vec<(String, String)>> {
        let placeholders: Vec<_> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT key, value FROM settings WHERE key IN ({})",
            placeholders.join(", ")
        );
        Ok(on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for key in keys {
                query = query.bind(*key);
            }
            query.fetch_all(pool).await
        })?)
    }

    async fn put_settings(&self, pairs: &[(&str, String)]) -> Result<()> {
        let sql = "INSERT INTO settings (key, value) VALUES ($1, $2)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        in_transaction!(&self.db, |tx| {
            for (key, value) in pairs {
                run!(&mut *tx, sql, *key, value)?;
            }
        });
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String> {
        let sql = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        execute!(&self.db, sql, key, value)?;
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(fetch_scalar!(&self.db, fetch_one, sql, key)?)
    }

    async fn replace_setup_code(&self, code_hash: &TokenHash, now: DateTime<Utc>) -> Result<()> {
        in_transaction!(&self.db, |tx| {
            run!(&mut *tx, "DELETE FROM setup_codes")?;
            run!(
                &mut *tx,
                "INSERT INTO setup_codes (code_hash, created_at) VALUES ($1, $2)",
                code_hash,
                Timestamp::from(now)
            )?;
        });
        Ok(())
    }

    async fn create_first_admin(
        &self,
        code_hash: &TokenHash,
        made_after: DateTime<Utc>,
        user: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        Ok(in_transaction!(&self.db, |tx| {
            // The UPDATE takes the write lock (SQLite) or the code's row lock (PostgreSQL)
            // first, and its WHERE clause makes a second concurrent use find nothing.
            let used = run!(
                &mut *tx,
                "UPDATE setup_codes SET used_at = $1
                 WHERE code_hash = $2 AND used_at IS NULL AND created_at > $3
                     AND NOT EXISTS (SELECT 1 FROM users)",
                Timestamp::from(now),
                code_hash,
                Timestamp::from(made_after)
            )?;
            if used == 0 {
                return Ok(None);
            }
            let id = insert_user!(tx, user, now);
            Some(id)
        }))
    }

    async fn setup_code_usable(
        &self,
        code_hash: &TokenHash,
        made_after: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "SELECT EXISTS (SELECT 1 FROM setup_codes WHERE code_hash = $1
                AND used_at IS NULL AND created_at > $2) AND NOT EXISTS (SELECT 1 FROM users)";
        let made_after = Timestamp::from(made_after);
        Ok(fetch_scalar!(
            &self.db, fetch_one, sql, code_hash, made_after
        )?)
    }
}
