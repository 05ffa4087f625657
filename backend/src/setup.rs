//! The one-time setup link: on the first start with no users, the server prints
//! `/setup?code=...`; the code creates the first administrator once and is then spent.

use chrono::{DateTime, TimeDelta, Utc};
use keyward_core::{FieldError, Role, Secret};
use rand_core::{CryptoRng, RngCore};

use crate::db::TokenHash;
use crate::users::UserInput;
use crate::{Backend, Error, throttle};

/// A setup link works for this long after the server printed it.
pub const SETUP_CODE_LIFETIME: TimeDelta = TimeDelta::hours(1);

impl Backend {
    /// A fresh setup code if there are no users yet (earlier codes stop working), else `None`.
    pub async fn setup_code_if_needed(
        &self,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Option<Secret>, Error> {
        if self.repo.count_users().await? > 0 {
            return Ok(None);
        }
        let mut bytes = [0u8; 24];
        rng.fill_bytes(&mut bytes);
        let code = Secret::new(keyward_core::token::hex(&bytes));
        self.repo
            .replace_setup_code(&TokenHash::of(code.expose()), now)
            .await?;
        Ok(Some(code))
    }

    /// Whether a setup code can still create the first administrator. A wrong code counts
    /// against the client address's sign-in limit (the code is a guessable secret too).
    pub async fn setup_code_usable(
        &self,
        code: &str,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        let keys = throttle::setup_keys(ip);
        self.throttle.take(&keys, now).map_err(Error::RateLimited)?;
        let usable = self
            .repo
            .setup_code_usable(&TokenHash::of(code), now - SETUP_CODE_LIFETIME)
            .await;
        if !matches!(usable, Ok(false)) {
            self.throttle.refund(&keys, now);
        }
        usable
    }

    /// Creates the first administrator with the setup code, which is spent by it.
    pub async fn complete_setup(
        &self,
        code: &str,
        mut input: UserInput,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        let unusable = || {
            Error::Invalid(FieldError::new(
                "code",
                "This setup link is no longer valid: it has been used, it is more than an hour old, or keyward already has users. Restart the server for a new link while there are no users.",
            ))
        };
        // Checked before the password is hashed, so wrong codes cost no Argon2 run.
        if !self.setup_code_usable(code, ip, now).await? {
            return Err(unusable());
        }
        input.role = Role::Admin;
        let user = input.into_new_user(&self.hashing).await?;
        self.repo
            .create_first_admin(&TokenHash::of(code), now - SETUP_CODE_LIFETIME, &user, now)
            .await?
            .ok_or_else(unusable)
    }
}
