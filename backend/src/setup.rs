//! The one-time setup link: on the first start with no users, the server prints
//! `/setup?code=...`; the code creates the first administrator once and is then spent.

use chrono::{DateTime, Utc};
use keyward_core::{FieldError, Role, Secret};
use rand_core::{CryptoRng, RngCore};

use crate::db::TokenHash;
use crate::users::UserInput;
use crate::{Backend, Error};

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
        let code = Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect());
        self.repo
            .replace_setup_code(&TokenHash::of(code.expose()), now)
            .await?;
        Ok(Some(code))
    }

    pub async fn setup_code_usable(&self, code: &str) -> Result<bool, Error> {
        self.repo.setup_code_usable(&TokenHash::of(code)).await
    }

    /// Creates the first administrator with the setup code, which is spent by it.
    pub async fn complete_setup(
        &self,
        code: &str,
        mut input: UserInput,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        input.role = Role::Admin;
        let user = input.into_new_user().await?;
        self.repo
            .create_first_admin(&TokenHash::of(code), &user, now)
            .await?
            .ok_or_else(|| {
                Error::Invalid(FieldError::new(
                    "code",
                    "This setup link is no longer valid: it has been used, or keyward already has users.",
                ))
            })
    }
}
