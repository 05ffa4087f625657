//! Leak reports (`POST /api/v1/tokens/report`): anyone who finds keyward tokens exposed (a
//! secret scanner, a person who saw one in a public repository) sends the values, and each
//! that is a live token's is revoked at once, as GitHub's public revocation API does. The
//! reporter learns only how many were revoked, never which or whose; each revocation is in
//! its owner's audit log with the reporter's address.

use chrono::{DateTime, Utc};
use keyward_core::{FieldError, TokenKind, token};

use crate::audit::{Action, Event};
use crate::db::TokenHash;
use crate::{Backend, Error, throttle};

/// The most values one report may carry.
pub const MAX_VALUES: usize = 100;

/// How long the owner's lists keep showing a token a report revoked.
pub const SHOWN_FOR: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// A report admitted by its address's rate limit: [`Backend::report_exposed`] takes one,
/// so no report is looked at before it was counted, however malformed its body.
#[derive(Debug)]
pub struct Admitted(());

impl Backend {
    /// Counts a report against its address's limit, before anything of it is read.
    pub fn admit_report(&self, ip: Option<&str>, now: DateTime<Utc>) -> Result<Admitted, Error> {
        let keys = throttle::report_keys(ip);
        self.throttle.take(&keys, now).map_err(Error::RateLimited)?;
        Ok(Admitted(()))
    }

    /// Revokes every live token among `values` (current values, and old ones still in their
    /// grace); how many were revoked. Values that are not well-formed keyward tokens are
    /// skipped without a lookup.
    pub async fn report_exposed(
        &self,
        _admitted: Admitted,
        values: &[String],
        now: DateTime<Utc>,
    ) -> Result<usize, Error> {
        if values.len() > MAX_VALUES {
            return Err(Error::Invalid(FieldError::new(
                "tokens",
                format!("At most {MAX_VALUES} values a report; send the rest in another."),
            )));
        }
        let mut hashes: Vec<String> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| token::parse(v).is_ok())
            .map(|v| TokenHash::of(v).as_str().to_owned())
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let revoked = self.repo.revoke_reported(&hashes, now).await?;
        for token in &revoked {
            let action = match token.kind {
                TokenKind::ApiToken => Action::ApiTokenReported,
                TokenKind::ServiceToken => Action::ServiceTokenReported,
            };
            let event = Event::success(Some(token.owner), action, &token.display_prefix);
            self.audit(event, now).await;
        }
        Ok(revoked.len())
    }
}
