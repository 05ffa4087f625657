//! TOTP multi-factor authentication: the secret, the last used step, wrong-code counts and
//! the one-time recovery codes (hashed).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Result, SqlRepository, Timestamp, TokenHash, TotpState};
use crate::error::Error;

#[async_trait]
pub trait MfaRepo {
    async fn totp_state(&self, user_id: i64) -> Result<TotpState>;
    async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()>;
    /// Turns MFA on with the pending secret, if it is still `pending` and MFA is off, with
    /// `step` as used and these recovery codes (replacing any), in one transaction. `false`
    /// if not.
    async fn enable_totp(
        &self,
        user_id: i64,
        pending: &str,
        step: i64,
        recovery_codes: &[TokenHash],
    ) -> Result<bool>;
    /// Turns MFA off and forgets the secret and the recovery codes.
    async fn disable_totp(&self, user_id: i64) -> Result<()>;
    /// Records `step` as used if it is later than the last used one (and clears the
    /// failure count); `false` if it is not, i.e. the code was replayed.
    async fn claim_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// Uses up an unused recovery code (and clears the failure count); `false` if none.
    async fn use_recovery_code(
        &self,
        user_id: i64,
        code: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    async fn recovery_codes_left(&self, user_id: i64) -> Result<i64>;
    /// Counts one code attempt against the user before the code is checked (a right code
    /// clears the count again), so parallel guesses cannot each get a try: `false`, and
    /// nothing counted, when `max` attempts since `window_start` were already made. A
    /// count whose last attempt is older than `window_start` starts again at one.
    async fn reserve_mfa_attempt(
        &self,
        user_id: i64,
        max: i64,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

const DELETE_RECOVERY_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";

#[async_trait]
impl MfaRepo for SqlRepository {
    async fn totp_state(&self, user_id: i64) -> Result<TotpState> {
        let sql = "SELECT totp_secret AS secret, totp_pending AS pending,
                totp_last_step AS last_step, mfa_failures AS failures,
                mfa_failed_at AS failed_at
            FROM users WHERE id = $1";
        fetch!(&self.db, fetch_optional, sql, user_id)?.ok_or(Error::NotFound)
    }

    async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()> {
        let sql = "UPDATE users SET totp_pending = $1 WHERE id = $2 AND totp_secret IS NULL";
        execute!(&self.db, sql, secret, user_id)?;
        Ok(())
    }

    async fn enable_totp(
        &self,
        user_id: i64,
        pending: &str,
        step: i64,
        recovery_codes: &[TokenHash],
    ) -> Result<bool> {
        Ok(in_transaction!(&self.db, |tx| {
            let n = run!(
                &mut *tx,
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL,
                     totp_last_step = $1, mfa_failures = 0
                 WHERE id = $2 AND totp_pending = $3 AND totp_secret IS NULL",
                step,
                user_id,
                pending
            )?;
            if n != 1 {
                return Ok(false);
            }
            run!(&mut *tx, DELETE_RECOVERY_CODES, user_id)?;
            for hash in recovery_codes {
                run!(
                    &mut *tx,
                    "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
                    user_id,
                    hash
                )?;
            }
            true
        }))
    }

    async fn disable_totp(&self, user_id: i64) -> Result<()> {
        in_transaction!(&self.db, |tx| {
            run!(
                &mut *tx,
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, mfa_failures = 0
                 WHERE id = $1",
                user_id
            )?;
            run!(&mut *tx, DELETE_RECOVERY_CODES, user_id)?;
        });
        Ok(())
    }

    async fn claim_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        // Conditional on the last step, so two instances cannot both accept one code.
        let sql = "UPDATE users SET totp_last_step = $1, mfa_failures = 0
            WHERE id = $2 AND totp_last_step < $1";
        Ok(execute!(&self.db, sql, step, user_id)? == 1)
    }

    async fn use_recovery_code(
        &self,
        user_id: i64,
        code: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(in_transaction!(&self.db, |tx| {
            // The user's row is locked first, as enabling and disabling MFA lock it (users,
            // then recovery_codes): in the other order, a recovery code used while MFA is
            // being turned off could deadlock on PostgreSQL.
            run!(
                &mut *tx,
                "UPDATE users SET mfa_failures = mfa_failures WHERE id = $1",
                user_id
            )?;
            let n = run!(
                &mut *tx,
                "UPDATE recovery_codes SET used_at = $1
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                Timestamp::from(now),
                user_id,
                code
            )?;
            if n > 0 {
                run!(
                    &mut *tx,
                    "UPDATE users SET mfa_failures = 0 WHERE id = $1",
                    user_id
                )?;
            }
            n > 0
        }))
    }

    async fn recovery_codes_left(&self, user_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        Ok(fetch_scalar!(&self.db, fetch_one, sql, user_id)?)
    }

    async fn reserve_mfa_attempt(
        &self,
        user_id: i64,
        max: i64,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        // One conditional UPDATE: the check and the count cannot be split by another
        // request, on this instance or another.
        let sql = "UPDATE users SET
                mfa_failures = CASE WHEN mfa_failed_at IS NULL OR mfa_failed_at < $1
                    THEN 1 ELSE mfa_failures + 1 END,
                mfa_failed_at = $2
            WHERE id = $3
                AND NOT (mfa_failures >= $4 AND mfa_failed_at IS NOT NULL AND mfa_failed_at >= $1)";
        let (start, now) = (Timestamp::from(window_start), Timestamp::from(now));
        Ok(execute!(&self.db, sql, start, now, user_id, max)? == 1)
    }
}
