//! A person's own account: personal information, email addresses and avatar, and what
//! others may see of a profile.

use chrono::{DateTime, Utc};
use keyward_core::{FieldError, Role, profile, validate};

use crate::audit::{Action, Event};
use crate::db::{EmailRow, UserRow};
use crate::quota::Quota;
use crate::{Backend, Error, avatar};

/// A profile as one viewer may see it: email and phone only for the person themselves,
/// managers and admins.
#[derive(Clone, Debug)]
pub struct ProfileOf {
    pub user: UserRow,
    pub full: bool,
}

impl Backend {
    /// Display name, phone and timezone, each checked (a bad one is a field error).
    pub async fn update_personal_info(
        &self,
        user_id: i64,
        display_name: &str,
        phone: &str,
        timezone: &str,
    ) -> Result<(), Error> {
        let display_name = profile::display_name(display_name)?;
        let phone = profile::phone(phone)?;
        let timezone = profile::timezone(timezone)?;
        self.repo
            .update_personal_info(user_id, &display_name, phone, timezone)
            .await
    }

    pub async fn emails(&self, user_id: i64) -> Result<Vec<EmailRow>, Error> {
        self.repo.emails_of(user_id).await
    }

    /// Adds an address; the first one becomes the primary. Unique across all accounts.
    pub async fn add_email(
        &self,
        user_id: i64,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, Error> {
        let email = validate::email(email)?;
        let mine = self.repo.emails_of(user_id).await?;
        if mine.iter().any(|e| e.email.eq_ignore_ascii_case(email)) {
            return Err(FieldError::new("email", "You already have this address.").into());
        }
        self.within_quota(user_id, Quota::Emails, now).await?;
        let id = self.repo.add_email(user_id, email).await?;
        self.audit(
            Event::success(Some(user_id), Action::EmailAdded, email),
            now,
        )
        .await;
        Ok(id)
    }

    /// Removes an address that is not the primary, so at least one always remains.
    pub async fn remove_email(
        &self,
        user_id: i64,
        email_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let mine = self.repo.emails_of(user_id).await?;
        let target = mine
            .iter()
            .find(|e| e.id == email_id)
            .ok_or(Error::NotFound)?;
        if target.is_primary {
            let message = if mine.len() == 1 {
                "You need at least one email address: add another before removing this one."
            } else {
                "This is your primary address: make another one primary first."
            };
            return Err(FieldError::new("email", message).into());
        }
        // Conditional on "not primary" in SQL too, in case it became primary meanwhile.
        if !self.repo.remove_secondary_email(user_id, email_id).await? {
            return Err(Error::NotFound);
        }
        let event = Event::success(Some(user_id), Action::EmailRemoved, &target.email);
        self.audit(event, now).await;
        Ok(())
    }

    pub async fn make_primary_email(
        &self,
        user_id: i64,
        email_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if !self.repo.make_primary_email(user_id, email_id).await? {
            return Err(Error::NotFound);
        }
        let target = format!("address {email_id}");
        let event = Event::success(Some(user_id), Action::EmailMadePrimary, &target);
        self.audit(event, now).await;
        Ok(())
    }

    /// Checks, scales and stores an uploaded avatar (decoding runs off the async threads).
    pub async fn set_avatar(
        &self,
        user_id: i64,
        upload: Vec<u8>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let png = self
            .decoding
            .run(move || avatar::process(&upload))
            .await??;
        self.repo.set_avatar(user_id, &png, now).await
    }

    pub async fn remove_avatar(&self, user_id: i64) -> Result<(), Error> {
        self.repo.delete_avatar(user_id).await?;
        Ok(())
    }

    /// The stored PNG of a user's avatar.
    pub async fn avatar_of(&self, username: &str) -> Result<Vec<u8>, Error> {
        let user = self
            .repo
            .user_by_username(username)
            .await?
            .ok_or(Error::NotFound)?;
        self.repo.avatar(user.id).await?.ok_or(Error::NotFound)
    }

    /// Someone's profile as `viewer` may see it.
    pub async fn profile_of(&self, viewer: &UserRow, username: &str) -> Result<ProfileOf, Error> {
        let user = self
            .repo
            .user_by_username(username)
            .await?
            .ok_or(Error::NotFound)?;
        let full = viewer.id == user.id || matches!(viewer.role, Role::Manager | Role::Admin);
        Ok(ProfileOf { user, full })
    }
}
