//! Per-user quotas, so one account (or a stolen session) cannot fill the database: at most
//! [`API_TOKENS`] live API tokens, [`SERVICE_TOKENS`] live service tokens answerable to the
//! user, [`EMAILS`] addresses and [`PRINCIPALS`] service principals created by the user. A
//! request beyond one is refused with a field error (422) that names the number. Sessions
//! are capped at [`SESSIONS`] differently: signing in beyond it ends the least recently
//! seen session (refusing would lock the person out of the page that ends sessions).
//!
//! Counted just before the insert, so requests racing each other may pass a quota by the
//! number in flight; the quotas bound growth, they are not exact accounting.

use chrono::{DateTime, Utc};
use keyward_core::FieldError;

use crate::db::QuotaUsage;
use crate::{Backend, Error};

pub const API_TOKENS: i64 = 100;
pub const SERVICE_TOKENS: i64 = 100;
pub const EMAILS: i64 = 10;
pub const PRINCIPALS: i64 = 25;
pub const SESSIONS: i64 = 50;

/// The limits in force (`KEYWARD_QUOTA_*` for `keyward serve`; the constants above by
/// default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub api_tokens: i64,
    pub service_tokens: i64,
    pub emails: i64,
    pub principals: i64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            api_tokens: API_TOKENS,
            service_tokens: SERVICE_TOKENS,
            emails: EMAILS,
            principals: PRINCIPALS,
        }
    }
}

/// The quotas checked before an insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    ApiTokens,
    ServiceTokens,
    Emails,
    Principals,
}

impl Quota {
    pub fn limit(self, quotas: &Quotas) -> i64 {
        match self {
            Quota::ApiTokens => quotas.api_tokens,
            Quota::ServiceTokens => quotas.service_tokens,
            Quota::Emails => quotas.emails,
            Quota::Principals => quotas.principals,
        }
    }

    fn used(self, usage: &QuotaUsage) -> i64 {
        match self {
            Quota::ApiTokens => usage.api_tokens,
            Quota::ServiceTokens => usage.service_tokens,
            Quota::Emails => usage.emails,
            Quota::Principals => usage.principals,
        }
    }

    /// The refusal: on the form field the quota is about, naming the limit.
    fn refusal(self, n: i64) -> FieldError {
        let (field, message) = match self {
            Quota::ApiTokens => (
                "name",
                format!("You have {n} live API tokens, the most allowed: revoke one first."),
            ),
            Quota::ServiceTokens => (
                "name",
                format!("You have {n} live service tokens, the most allowed: revoke one first."),
            ),
            Quota::Emails => (
                "email",
                format!("You can have at most {n} addresses: remove one first."),
            ),
            Quota::Principals => (
                "principal_name",
                format!(
                    "You have created {n} service principals, the most allowed: choose an existing one."
                ),
            ),
        };
        FieldError::new(field, message)
    }
}

impl Backend {
    /// Refuses when the user already holds the quota's limit.
    pub(crate) async fn within_quota(
        &self,
        user_id: i64,
        quota: Quota,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let usage = self.repo.quota_usage(user_id, now).await?;
        let limit = quota.limit(&self.config.quotas);
        if quota.used(&usage) >= limit {
            return Err(quota.refusal(limit).into());
        }
        Ok(())
    }
}
