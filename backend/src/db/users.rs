//! Users and their account: role and activation, password, personal information, email
//! addresses and avatar.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::Role;

use super::{EmailRow, Result, SqlRepository, Timestamp, UserRow};

/// A user to insert. `password_hash` is already an Argon2id PHC string.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub password_hash: String,
}

/// Everything but the password hash.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait UserRepo {
    async fn count_users(&self) -> Result<i64>;
    /// Fails with a `Username` (or `Email`) conflict if either is taken.
    async fn create_user(&self, user: &NewUser, now: DateTime<Utc>) -> Result<i64>;
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>>;
    /// Every user, by username.
    async fn users(&self) -> Result<Vec<UserRow>>;
    async fn set_role(&self, user_id: i64, role: Role) -> Result<()>;
    /// Activates or deactivates; deactivating also ends all the user's sessions, in one
    /// transaction (their service tokens are suspended by the same change).
    /// Activates or deactivates a user; a deactivation ends their sessions and suspends
    /// their service tokens, in one transaction. The display prefixes of the tokens it
    /// suspended.
    async fn set_active(
        &self,
        user_id: i64,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>>;
    /// Replaces the password hash and ends every open session of the user but `keep`, in
    /// one transaction.
    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn update_personal_info(
        &self,
        user_id: i64,
        display_name: &str,
        phone: &str,
        timezone: &str,
    ) -> Result<()>;

    /// The user's addresses, primary first.
    async fn emails_of(&self, user_id: i64) -> Result<Vec<EmailRow>>;
    /// Adds an address (primary if it is the user's first). Fails with an `Email` conflict
    /// if any account has it (case-insensitive).
    async fn add_email(&self, user_id: i64, email: &str) -> Result<i64>;
    /// How many of what the quotas limit the user holds now, in one query.
    async fn quota_usage(&self, user_id: i64, now: DateTime<Utc>) -> Result<QuotaUsage>;
    /// Removes one of the user's addresses that is not the primary; `false` if there is none.
    async fn remove_secondary_email(&self, user_id: i64, email_id: i64) -> Result<bool>;
    /// Makes one of the user's addresses the primary (and the others not); `false` if the
    /// address is not theirs.
    async fn make_primary_email(&self, user_id: i64, email_id: i64) -> Result<bool>;

    async fn set_avatar(&self, user_id: i64, png: &[u8], now: DateTime<Utc>) -> Result<()>;
    async fn avatar(&self, user_id: i64) -> Result<Option<Vec<u8>>>;
    async fn delete_avatar(&self, user_id: i64) -> Result<bool>;
}

/// Columns of [`UserRow`]: the user (`u`), their primary email (`e`) and their avatar's
/// time (`a`), joined by [`USER_JOINS`].
pub(super) const USER_COLUMNS: &str = "u.id, u.username, u.display_name, e.email, u.role,
    u.active, u.password_hash, u.created_at, u.phone, u.timezone,
    u.totp_secret IS NOT NULL AS mfa_enabled, a.updated_at AS avatar_updated_at";

/// What [`USER_COLUMNS`] needs beside `users u`.
pub(super) const USER_JOINS: &str =
    "LEFT JOIN user_emails e ON e.user_id = u.id AND e.is_primary = TRUE
    LEFT JOIN avatars a ON a.user_id = u.id";

/// A query of [`UserRow`]s, ending with `tail` (a `WHERE` or `ORDER BY` clause).
fn user_query(tail: &str) -> String {
    format!("SELECT {USER_COLUMNS} FROM users u {USER_JOINS} {tail}")
}

/// Ends the open sessions of user `$1` at `$2`, but session `$3`.
pub(super) const END_SESSIONS: &str =
    "UPDATE sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL AND id <> $3";

/// Inserts a user and their primary address on `$conn` (a transaction on either database)
/// and evaluates to the new id; `?` leaves the enclosing function on failure.
macro_rules! insert_user {
    ($conn:expr, $user:expr, $now:expr) => {{
        let user: &$crate::db::NewUser = $user;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind($crate::db::Timestamp::from($now))
        .fetch_one(&mut *$conn)
        .await?;
        if let Some(email) = &user.email {
            run!(
                &mut *$conn,
                "INSERT INTO user_emails (user_id, email, is_primary) VALUES ($1, $2, TRUE)",
                id,
                email
            )?;
        }
        id
    }};
}
pub(super) use insert_user;

/// What a user holds of each thing a quota limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaUsage {
    /// Not revoked and not expired.
    pub api_tokens: i64,
    /// Not revoked and not expired, the user answerable for them.
    pub service_tokens: i64,
    pub emails: i64,
    /// Created by the user.
    pub principals: i64,
}

#[async_trait]
impl UserRepo for SqlRepository {
    async fn count_users(&self) -> Result<i64> {
        Ok(fetch_scalar!(
            &self.db,
            fetch_one,
            "SELECT COUNT(*) FROM users"
        )?)
    }

    async fn create_user(&self, user: &NewUser, now: DateTime<Utc>) -> Result<i64> {
        Ok(in_transaction!(&self.db, |tx| {
            insert_user!(tx, user, now)
        }))
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = user_query("WHERE u.id = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, id)?)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        // Every stored username was validated when it was created, so a name of another
        // shape matches nothing: answered without a query, so that a NUL byte (which
        // PostgreSQL refuses in text) or a megabyte of junk from a sign-in form never
        // reaches the database.
        if keyward_core::validate::username(username).is_err() {
            return Ok(None);
        }
        let sql = user_query("WHERE u.username = $1");
        Ok(fetch!(&self.db, fetch_optional, &sql, username)?)
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        let sql = user_query("ORDER BY u.username");
        Ok(fetch!(&self.db, fetch_all, &sql)?)
    }

    async fn set_role(&self, user_id: i64, role: Role) -> Result<()> {
        let sql = "UPDATE users SET role = $1 WHERE id = $2";
        execute!(&self.db, sql, role.as_str(), user_id)?;
        Ok(())
    }

    async fn set_active(
        &self,
        user_id: i64,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        Ok(in_transaction!(&self.db, |tx| {
            run!(
                &mut *tx,
                "UPDATE users SET active = $1 WHERE id = $2",
                active,
                user_id
            )?;
            if !active {
                // No session has id 0: every session ends.
                run!(&mut *tx, END_SESSIONS, user_id, Timestamp::from(now), 0_i64)?;
                // Their service tokens are suspended, and stay so after a reactivation
                // until an admin transfers or revokes them.
                sqlx::query_scalar(
                    "UPDATE service_tokens SET suspended_at = $1
                     WHERE created_by = $2 AND revoked_at IS NULL AND suspended_at IS NULL
                     RETURNING display_prefix",
                )
                .bind(Timestamp::from(now))
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?
            } else {
                Vec::new()
            }
        }))
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        in_transaction!(&self.db, |tx| {
            run!(
                &mut *tx,
                "UPDATE users SET password_hash = $1 WHERE id = $2",
                password_hash,
                user_id
            )?;
            run!(&mut *tx, END_SESSIONS, user_id, Timestamp::from(now), keep)?;
        });
        Ok(())
    }

    async fn update_personal_info(
        &self,
        user_id: i64,
        display_name: &str,
        phone: &str,
        timezone: &str,
    ) -> Result<()> {
        let sql = "UPDATE users SET display_name = $1, phone = $2, timezone = $3 WHERE id = $4";
        execute!(&self.db, sql, display_name, phone, timezone, user_id)?;
        Ok(())
    }

    async fn emails_of(&self, user_id: i64) -> Result<Vec<EmailRow>> {
        let sql = "SELECT id, email, is_primary FROM user_emails WHERE user_id = $1
            ORDER BY is_primary DESC, id";
        Ok(fetch!(&self.db, fetch_all, sql, user_id)?)
    }

    async fn quota_usage(&self, user_id: i64, now: DateTime<Utc>) -> Result<QuotaUsage> {
        let sql = "SELECT
            (SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL
                AND expires_at > $2) AS api_tokens,
            (SELECT COUNT(*) FROM service_tokens WHERE created_by = $1 AND revoked_at IS NULL
                AND (expires_at IS NULL OR expires_at > $2)) AS service_tokens,
            (SELECT COUNT(*) FROM user_emails WHERE user_id = $1) AS emails,
            (SELECT COUNT(*) FROM service_principals WHERE created_by = $1) AS principals";
        Ok(fetch!(
            &self.db,
            fetch_one,
            sql,
            user_id,
            Timestamp::from(now)
        )?)
    }

    async fn add_email(&self, user_id: i64, email: &str) -> Result<i64> {
        let sql = "INSERT INTO user_emails (user_id, email, is_primary)
            VALUES ($1, $2, NOT EXISTS (SELECT 1 FROM user_emails WHERE user_id = $1))
            RETURNING id";
        Ok(fetch_scalar!(&self.db, fetch_one, sql, user_id, email)?)
    }

    async fn remove_secondary_email(&self, user_id: i64, email_id: i64) -> Result<bool> {
        let sql = "DELETE FROM user_emails WHERE id = $1 AND user_id = $2 AND is_primary = FALSE";
        Ok(execute!(&self.db, sql, email_id, user_id)? == 1)
    }

    async fn make_primary_email(&self, user_id: i64, email_id: i64) -> Result<bool> {
        // One statement, so there is never a moment with two primaries or none.
        let sql = "UPDATE user_emails SET is_primary = (id = $1)
            WHERE user_id = $2
              AND EXISTS (SELECT 1 FROM user_emails WHERE id = $1 AND user_id = $2)";
        Ok(execute!(&self.db, sql, email_id, user_id)? > 0)
    }

    async fn set_avatar(&self, user_id: i64, png: &[u8], now: DateTime<Utc>) -> Result<()> {
        let sql = "INSERT INTO avatars (user_id, image, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET image = excluded.image,
                updated_at = excluded.updated_at";
        execute!(&self.db, sql, user_id, png, Timestamp::from(now))?;
        Ok(())
    }

    async fn avatar(&self, user_id: i64) -> Result<Option<Vec<u8>>> {
        let sql = "SELECT image FROM avatars WHERE user_id = $1";
        Ok(fetch_scalar!(&self.db, fetch_optional, sql, user_id)?)
    }

    async fn delete_avatar(&self, user_id: i64) -> Result<bool> {
        let sql = "DELETE FROM avatars WHERE user_id = $1";
        Ok(execute!(&self.db, sql, user_id)? == 1)
    }
}
