//! Creating users (the admin CLI and the first-admin setup page share these rules).

use chrono::{DateTime, Utc};
use keyward_core::{Role, validate};

use crate::db::NewUser;
use crate::sessions::blocking;
use crate::{Backend, Error, password};

/// What a person typed to create an account.
#[derive(Clone, Debug)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub password: String,
}

impl UserInput {
    /// Validates every field and hashes the password (Argon2id, off the async threads).
    pub(crate) async fn into_new_user(self) -> Result<NewUser, Error> {
        let username = validate::username(self.username.trim())?.to_string();
        validate::password(&self.password, &username)?;
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(validate::email(e)?.to_string()),
        };
        let display_name = match self.display_name.trim() {
            "" => username.clone(),
            name if name.chars().count() > 100 => {
                return Err(keyward_core::FieldError::new(
                    "display_name",
                    "Display name must be at most 100 characters.",
                )
                .into());
            }
            name => name.to_string(),
        };
        let pw = self.password;
        let password_hash = blocking(move || password::hash(&pw)).await??;
        Ok(NewUser {
            username,
            display_name,
            email,
            role: self.role,
            password_hash,
        })
    }
}

impl Backend {
    pub async fn create_user(&self, input: UserInput, now: DateTime<Utc>) -> Result<i64, Error> {
        let user = input.into_new_user().await?;
        self.repo.create_user(&user, now).await
    }
}
