//! Allowed IP ranges: changing a token's after its creation. The check itself is part of
//! every bearer authentication (see `auth.rs`); the client address it checks is resolved
//! at the edge ([`crate::client`]).

use chrono::{DateTime, Utc};
use keyward_core::TokenKind;
use keyward_core::allowlist::Allowlist;

use crate::audit::{Action, Event};
use crate::rotation::Target;
use crate::{Backend, Error};

impl Backend {
    /// Sets the ranges of a token the caller is answerable for (an API token of theirs, a
    /// service token they answer for); at once, on every instance. Another user's token,
    /// or a revoked one, is `NotFound`.
    pub async fn set_allowed_ips(
        &self,
        target: &Target,
        allowed: &Allowlist,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let prefix = self
            .repo
            .set_allowed_ips(target.kind, target.token_id, target.owner, allowed)
            .await?
            .ok_or(Error::NotFound)?;
        let action = match target.kind {
            TokenKind::ApiToken => Action::ApiTokenAllowlistChanged,
            TokenKind::ServiceToken => Action::ServiceTokenAllowlistChanged,
        };
        let described = format!("{prefix}: {}", ranges(allowed));
        let event = Event::success(Some(target.owner), action, &described);
        self.audit(event, now).await;
        Ok(())
    }
}

/// The ranges as the audit log names them: "anywhere", or the list.
fn ranges(allowed: &Allowlist) -> String {
    match allowed.is_empty() {
        true => "anywhere".to_string(),
        false => allowed.to_string().replace('\n', ", "),
    }
}

/// The target of a mint event: the prefix, and the ranges it was minted with, if any.
pub(crate) fn minted_target(prefix: &str, allowed: &Allowlist) -> String {
    match allowed.is_empty() {
        true => prefix.to_string(),
        false => format!("{prefix} (allowed from {})", ranges(allowed)),
    }
}
