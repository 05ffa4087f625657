//! The audit log: every credential event, recorded by the service that caused it, with the
//! actor, the action, the target (a display prefix, a username or a project, never a
//! value), the client's address and user agent, the outcome and the time.
//!
//! The edges say who and where through a task-local [`Client`] (set once per request by the
//! server, and told the actor once the credential is known), so the services record
//! events without every signature carrying them. Outside a request (the `keyward admin`
//! command) the actor is `keyward admin`.
//!
//! An event is written after the change it records, not in its transaction: an audit write
//! that fails is logged as an error and does not undo or refuse the change.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::{AuditQuery, AuditRow};
use crate::{Backend, Error};

/// What happened. The text (`as_str`) is what is stored and filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ApiTokenMinted,
    ApiTokenRedated,
    ApiTokenRevoked,
    /// A new value; the old one works for the grace the target names.
    ApiTokenRotated,
    /// Its Allowed IP ranges changed (the target lists the new ones).
    ApiTokenAllowlistChanged,
    /// Revoked because a leak report named its value (the event's address: the reporter's).
    ApiTokenReported,
    ServiceTokenMinted,
    ServiceTokenRevoked,
    ServiceTokenRotated,
    ServiceTokenAllowlistChanged,
    ServiceTokenReported,
    ServiceTokenTransferred,
    /// Its answerable user was deactivated.
    ServiceTokenSuspended,
    /// A token's first authenticated request.
    TokenFirstUsed,
    /// A revoked, expired, replaced or suspended token was presented, or one from outside
    /// its Allowed IP ranges (the target says which; the event's address, from where).
    TokenRefused,
    SignedIn,
    SignInFailed,
    RateLimited,
    AccessConfirmed,
    MfaEnabled,
    MfaDisabled,
    MfaReset,
    RecoveryCodeUsed,
    PasswordChanged,
    SessionEnded,
    RoleChanged,
    UserActivated,
    UserDeactivated,
    GrantChanged,
    SecretSet,
    SecretDeleted,
    EmailAdded,
    EmailRemoved,
    EmailMadePrimary,
    /// An admin changed the token settings (the target lists them).
    SettingsChanged,
}

impl Action {
    pub const ALL: [Action; 35] = [
        Action::ApiTokenMinted,
        Action::ApiTokenRedated,
        Action::ApiTokenRevoked,
        Action::ApiTokenRotated,
        Action::ApiTokenAllowlistChanged,
        Action::ApiTokenReported,
        Action::ServiceTokenMinted,
        Action::ServiceTokenRevoked,
        Action::ServiceTokenRotated,
        Action::ServiceTokenAllowlistChanged,
        Action::ServiceTokenReported,
        Action::ServiceTokenTransferred,
        Action::ServiceTokenSuspended,
        Action::TokenFirstUsed,
        Action::TokenRefused,
        Action::SignedIn,
        Action::SignInFailed,
        Action::RateLimited,
        Action::AccessConfirmed,
        Action::MfaEnabled,
        Action::MfaDisabled,
        Action::MfaReset,
        Action::RecoveryCodeUsed,
        Action::PasswordChanged,
        Action::SessionEnded,
        Action::RoleChanged,
        Action::UserActivated,
        Action::UserDeactivated,
        Action::GrantChanged,
        Action::SecretSet,
        Action::SecretDeleted,
        Action::EmailAdded,
        Action::EmailRemoved,
        Action::EmailMadePrimary,
        Action::SettingsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ApiTokenMinted => "api_token.minted",
            Action::ApiTokenRedated => "api_token.redated",
            Action::ApiTokenRevoked => "api_token.revoked",
            Action::ApiTokenRotated => "api_token.rotated",
            Action::ApiTokenAllowlistChanged => "api_token.allowed_ips_changed",
            Action::ApiTokenReported => "api_token.reported",
            Action::ServiceTokenMinted => "service_token.minted",
            Action::ServiceTokenRevoked => "service_token.revoked",
            Action::ServiceTokenRotated => "service_token.rotated",
            Action::ServiceTokenAllowlistChanged => "service_token.allowed_ips_changed",
            Action::ServiceTokenReported => "service_token.reported",
            Action::ServiceTokenTransferred => "service_token.transferred",
            Action::ServiceTokenSuspended => "service_token.suspended",
            Action::TokenFirstUsed => "token.first_used",
            Action::TokenRefused => "token.refused",
            Action::SignedIn => "sign_in",
            Action::SignInFailed => "sign_in.failed",
            Action::RateLimited => "rate_limited",
            Action::AccessConfirmed => "access.confirmed",
            Action::MfaEnabled => "mfa.enabled",
            Action::MfaDisabled => "mfa.disabled",
            Action::MfaReset => "mfa.reset",
            Action::RecoveryCodeUsed => "mfa.recovery_code_used",
            Action::PasswordChanged => "password.changed",
            Action::SessionEnded => "session.ended",
            Action::RoleChanged => "user.role_changed",
            Action::UserActivated => "user.activated",
            Action::UserDeactivated => "user.deactivated",
            Action::GrantChanged => "grant.changed",
            Action::SecretSet => "project_secret.set",
            Action::SecretDeleted => "project_secret.deleted",
            Action::EmailAdded => "email.added",
            Action::EmailRemoved => "email.removed",
            Action::EmailMadePrimary => "email.made_primary",
            Action::SettingsChanged => "settings.changed",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Who is asking and from where, for the events of one request.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    actor: Arc<Mutex<Option<String>>>,
}

impl Client {
    pub fn new(ip: Option<String>, user_agent: Option<&str>) -> Client {
        Client {
            ip,
            user_agent: user_agent.map(|s| s.chars().take(300).collect()),
            actor: Arc::default(),
        }
    }
}

tokio::task_local! {
    static CLIENT: Client;
}

/// Runs one request's work with its client known to the events it records.
pub async fn with_client<F: Future>(client: Client, work: F) -> F::Output {
    CLIENT.scope(client, work).await
}

/// Names the actor of the current request (a username, or `service principal <name>`),
/// once its credential is known.
pub fn set_actor(actor: &str) {
    let _ = CLIENT.try_with(|c| {
        if let Ok(mut slot) = c.actor.lock() {
            *slot = Some(actor.to_string());
        }
    });
}

/// The address of the current request, if any (for rate limits inside services).
pub fn client_ip() -> Option<String> {
    current().and_then(|c| c.ip)
}

fn current() -> Option<Client> {
    CLIENT.try_with(Client::clone).ok()
}

/// One event, as a service reports it.
pub struct Event<'a> {
    /// Whose Security log shows it.
    pub user_id: Option<i64>,
    pub action: Action,
    pub target: &'a str,
    pub ok: bool,
}

impl Event<'_> {
    pub fn success(user_id: Option<i64>, action: Action, target: &str) -> Event<'_> {
        Event {
            user_id,
            action,
            target,
            ok: true,
        }
    }

    pub fn failure(user_id: Option<i64>, action: Action, target: &str) -> Event<'_> {
        Event {
            user_id,
            action,
            target,
            ok: false,
        }
    }
}

/// Events are kept this long unless `KEYWARD_AUDIT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

impl Backend {
    /// Records an event (see the module comment on failures).
    pub async fn audit(&self, event: Event<'_>, now: DateTime<Utc>) {
        let client = current();
        let actor = match &client {
            Some(c) => c
                .actor
                .lock()
                .ok()
                .and_then(|a| a.clone())
                .unwrap_or_else(|| "anonymous".into()),
            None => "keyward admin".into(),
        };
        // Bounded, whatever a caller passes: the log must not become a way to store data.
        let bounded = |s: &str| s.chars().take(200).collect::<String>();
        let row = AuditRow {
            id: 0,
            at: now,
            user_id: event.user_id,
            actor: bounded(&actor),
            action: event.action.as_str().into(),
            target: bounded(event.target),
            outcome: if event.ok { "success" } else { "failure" }.into(),
            ip: client.as_ref().and_then(|c| c.ip.clone()),
            user_agent: client.and_then(|c| c.user_agent),
        };
        if let Err(e) = self.repo.insert_audit(&row).await {
            tracing::error!(error = %e, action = row.action, "cannot record an audit event");
        }
    }

    /// A revocation that happened (`Some`) is recorded in the owner's log; none is
    /// `NotFound`.
    pub(crate) async fn revoked(
        &self,
        found: Option<crate::db::Revoked>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let r = found.ok_or(Error::NotFound)?;
        let event = Event::success(Some(r.owner), action, &r.display_prefix);
        self.audit(event, now).await;
        Ok(())
    }

    /// One page of events, newest first.
    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, Error> {
        self.repo.audit_events(query).await
    }

    /// Deletes the events older than the retention period; how many.
    pub async fn prune_audit(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let days = TimeDelta::days(self.config.audit_retention_days.into());
        self.repo.delete_audit_before(now - days).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert!(seen.insert(a.as_str()), "{a:?}");
        }
        assert_eq!(Action::parse("drop table"), None);
    }
}
