//! Creating users (the admin CLI and the first-admin setup page share these rules), and a
//! person changing their own password.

use chrono::{DateTime, Utc};
use keyward_core::{FieldError, Role, validate};

use crate::audit::{self, Action, Event};
use crate::db::{NewUser, UserRow};
use crate::throttle;
use crate::work::Bounded;
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
    pub(crate) async fn into_new_user(self, hashing: &Bounded) -> Result<NewUser, Error> {
        let username = validate::username(self.username.trim())?.to_string();
        validate::password(&self.password, &username)?;
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(validate::email(e)?.to_string()),
        };
        // The same rule as Update Personal Information: no control, direction-changing or
        // invisible characters (they would reach terminals through `kw status`), NFC.
        let display_name = match self.display_name.trim() {
            "" => username.clone(),
            name => keyward_core::profile::display_name(name)?,
        };
        let pw = self.password;
        let password_hash = hashing.run(move || password::hash(&pw)).await??;
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
    /// The user with this id, if any.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, Error> {
        self.repo.user_by_id(id).await
    }

    /// The user with this username, if any ([`Backend::user_named`] makes a missing one a
    /// field error).
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRow>, Error> {
        self.repo.user_by_username(username).await
    }

    pub async fn create_user(&self, input: UserInput, now: DateTime<Utc>) -> Result<i64, Error> {
        let user = input.into_new_user(&self.hashing).await?;
        self.repo.create_user(&user, now).await
    }
}

impl Backend {
    /// Changes the user's password after checking the current one, and ends every other
    /// session of theirs (browsers and API logins); `keep` is the session making the change.
    pub async fn change_password(
        &self,
        user_id: i64,
        keep: i64,
        current: &str,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let user = self
            .repo
            .user_by_id(user_id)
            .await?
            .ok_or(Error::NotFound)?;
        // A guess at the current password, like a sign-in: within the same limits.
        let keys = throttle::sign_in_keys(audit::client_ip().as_deref(), &user.username);
        let checked = self.limited(&keys, now, self.check_password(&user.username, current));
        match checked.await {
            Ok(_) => {}
            Err(Error::BadCredentials) => {
                let why = "wrong current password";
                let event = Event::failure(Some(user_id), Action::PasswordChanged, why);
                self.audit(event, now).await;
                return Err(
                    FieldError::new("current_password", "The current password is wrong.").into(),
                );
            }
            // Rate limited, busy, unavailable: nothing is changed.
            Err(e) => return Err(e),
        }
        validate::password(new, &user.username)
            .map_err(|e| FieldError::new("new_password", e.message))?;
        let pw = new.to_string();
        let hash = self.hashing.run(move || password::hash(&pw)).await??;
        self.repo.set_password(user_id, &hash, keep, now).await?;
        let event = Event::success(Some(user_id), Action::PasswordChanged, "");
        self.audit(event, now).await;
        Ok(())
    }
}
