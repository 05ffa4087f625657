//! The stored values that are sealed (see `crate::sealing`): TOTP seeds and project secret
//! values, read and rewritten together when the key changes.

use async_trait::async_trait;

use super::{Result, SqlRepository};
use crate::sealing::{secret_purpose, totp_purpose};

/// Decides, for one stored value and its purpose, what to store instead (`None`: keep it).
pub type Reseal<'a> = dyn Fn(&str, &str) -> Result<Option<String>> + Send + Sync + 'a;

#[async_trait]
pub trait SealedRepo {
    /// In one transaction, passes every TOTP seed (pending or confirmed) and every project
    /// secret value to `reseal` and stores what it returns; how many rows changed. Each
    /// write is conditional on the value read, so a value changed meanwhile (by another
    /// instance) is left to that change.
    async fn reseal_all(&self, reseal: &Reseal<'_>) -> Result<u64>;
}

#[async_trait]
impl SealedRepo for SqlRepository {
    async fn reseal_all(&self, reseal: &Reseal<'_>) -> Result<u64> {
        let replaced = |purpose: &str, value: &Option<String>| -> Result<Option<String>> {
            Ok(match value {
                Some(v) => reseal(purpose, v)?,
                None => None,
            })
        };
        Ok(in_transaction!(&self.db, |tx| {
            let mut changed = 0;
            let users: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT id, totp_secret, totp_pending FROM users
                 WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL",
            )
            .fetch_all(&mut *tx)
            .await?;
            for (id, secret, pending) in users {
                let purpose = totp_purpose(id);
                let new_secret = replaced(&purpose, &secret)?;
                let new_pending = replaced(&purpose, &pending)?;
                if new_secret.is_none() && new_pending.is_none() {
                    continue;
                }
                changed += run!(
                    &mut *tx,
                    "UPDATE users SET totp_secret = $1, totp_pending = $2
                     WHERE id = $3 AND totp_secret IS NOT DISTINCT FROM $4
                         AND totp_pending IS NOT DISTINCT FROM $5",
                    new_secret.or(secret.clone()),
                    new_pending.or(pending.clone()),
                    id,
                    secret,
                    pending
                )?;
            }
            let secrets: Vec<(i64, String, String)> =
                sqlx::query_as("SELECT project_id, name, value FROM project_secrets")
                    .fetch_all(&mut *tx)
                    .await?;
            for (project_id, name, value) in secrets {
                let Some(new) = reseal(&secret_purpose(project_id, &name), &value)? else {
                    continue;
                };
                changed += run!(
                    &mut *tx,
                    "UPDATE project_secrets SET value = $1
                     WHERE project_id = $2 AND name = $3 AND value = $4",
                    new,
                    project_id,
                    name,
                    value
                )?;
            }
            changed
        }))
    }
}
