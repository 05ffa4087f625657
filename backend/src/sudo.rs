//! Sudo mode, as GitHub has it: minting or re-dating a token, turning MFA on or off,
//! changing email addresses and changing the password need the person to have entered their
//! password in this session within the last [`WINDOW`] (signing in counts). Otherwise the
//! page asks for it again ("Confirm access") and then carries on. API tokens cannot do
//! these things at all.

use chrono::{DateTime, TimeDelta, Utc};
use keyward_core::FieldError;

use crate::audit::{Action, Event};
use crate::db::SessionRow;
use crate::sessions::SessionUser;
use crate::{Backend, Error, throttle};

pub const WINDOW: TimeDelta = TimeDelta::minutes(10);

impl Backend {
    /// `ReauthRequired` unless the session's password entry is recent enough.
    pub fn require_recent_sign_in(
        &self,
        session: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if now - session.authenticated_at <= WINDOW {
            Ok(())
        } else {
            Err(Error::ReauthRequired)
        }
    }

    /// `keyward admin require-reauth`: every open session of the user must confirm the
    /// password before its next sensitive change; how many sessions.
    pub async fn require_reauthentication(&self, username: &str) -> Result<u64, Error> {
        let user = self.user_named(username).await?;
        self.repo.require_reauthentication(user.id).await
    }

    /// The Confirm access dialog: the password again (within the sign-in rate limits, as
    /// it is a guess like any other), which restarts the window for this session.
    pub async fn confirm_access(
        &self,
        session: &SessionUser,
        password: &str,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let username = &session.user.username;
        let keys = throttle::sign_in_keys(ip, username);
        let attempt = self.check_password(username, password);
        let checked = self.limited(&keys, now, attempt).await;
        let user = Some(session.user.id);
        match &checked {
            Ok(_) => {
                self.audit(Event::success(user, Action::AccessConfirmed, ""), now)
                    .await
            }
            Err(Error::BadCredentials) => {
                let event = Event::failure(user, Action::AccessConfirmed, "wrong password");
                self.audit(event, now).await;
            }
            // Refusals before a check (rate limited, busy) are not events of their own.
            Err(_) => {}
        }
        checked.map_err(|e| match e {
            Error::BadCredentials => {
                FieldError::new("password", "That password is not right.").into()
            }
            other => other,
        })?;
        self.repo
            .reauthenticate_session(session.session.id, now)
            .await
    }
}
