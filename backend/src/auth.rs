//! Turning a bearer credential into a [`Principal`]: parse and checksum first (rejecting
//! without touching the database), then one indexed lookup by SHA-256 that brings the token
//! and its owner together (one query per request; a last-used write at most once a minute).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use keyward_core::allowlist::Allowlist;
use keyward_core::api::CredentialKind;
use keyward_core::{TokenKind, token};

use crate::audit::{self, Action, Event};
use crate::client::ClientAddr;
use crate::db::{RotatedSecret, ServiceTokenRow, TokenHash, UserRow};
use crate::{AuthError, Backend, Error, throttle};

/// The credential a request authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub kind: CredentialKind,
    /// Row id of the token (or session) in its table.
    pub id: i64,
    pub display_prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Set when the value was replaced by a rotation and works only until then (its grace
    /// window): every response says so.
    pub replaced_until: Option<DateTime<Utc>>,
    /// The hash of the token value presented (`None` for a login JWT and page sessions).
    pub hash: Option<TokenHash>,
    /// The token's Allowed IP ranges (empty: anywhere; always empty for a login JWT).
    pub allowed_ips: Allowlist,
}

/// Who a request acts as.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A person (API token, login session), with their permissions at this moment.
    User(UserRow),
    /// A service principal, through a service token that carries its own grant.
    Service(ServiceTokenRow),
}

/// Who is calling, and with what.
#[derive(Clone, Debug)]
pub struct Principal {
    pub actor: Actor,
    pub credential: Credential,
}

impl Principal {
    /// The person the request acts as (`None` for a service token).
    pub fn user(&self) -> Option<&UserRow> {
        match &self.actor {
            Actor::User(user) => Some(user),
            Actor::Service(_) => None,
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// What decides whether a token found by its hash may be used now.
struct Presented<'a> {
    revoked_at: Option<DateTime<Utc>>,
    /// `None`: never expires.
    expires_at: Option<DateTime<Utc>>,
    /// Set for a value a rotation replaced.
    replaced: Option<&'a RotatedSecret>,
    allowed_ips: &'a Allowlist,
}

impl Presented<'_> {
    /// A token is refused once revoked (said first: it is the operator's decision), then
    /// once expired, then, for a value a rotation replaced, once its grace is over, then
    /// when the request comes from outside its Allowed IP ranges.
    fn check(&self, ip: Option<IpAddr>, now: DateTime<Utc>) -> Result<(), AuthError> {
        if self.revoked_at.is_some() {
            Err(AuthError::TokenRevoked)
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Err(AuthError::TokenExpired)
        } else if self.replaced.is_some_and(|r| r.valid_until <= now) {
            Err(AuthError::TokenRotated)
        } else if !self.allowed_ips.allows(ip) {
            Err(AuthError::IpNotAllowed)
        } else {
            Ok(())
        }
    }
}

impl Backend {
    /// Authenticates the value of an `Authorization` header (`None` when there is none),
    /// from a client address (`None` when unknown) that has not failed too often: every
    /// refused credential counts against it. A token with Allowed IP ranges is refused from
    /// any other address, and from an unknown one.
    pub async fn authenticate_bearer(
        &self,
        authorization: Option<&str>,
        client: Option<ClientAddr>,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        let keys = throttle::bearer_keys(client.map(|c| c.ip.to_string()).as_deref());
        self.throttle
            .check(&keys, now)
            .map_err(Error::RateLimited)?;
        let checked = self
            .authenticate_bearer_value(authorization, client, now)
            .await;
        // No Authorization header at all is not a guess (a client that forgot it).
        if authorization.is_some() && matches!(checked, Err(Error::Auth(_))) {
            self.throttle.fail(&keys, now);
            // Recorded once, when the failure empties the bucket (not at every refusal).
            if self.throttle.check(&keys, now).is_err() {
                let event = Event::failure(None, Action::RateLimited, "bearer");
                self.audit(event, now).await;
            }
        }
        checked
    }

    async fn authenticate_bearer_value(
        &self,
        authorization: Option<&str>,
        client: Option<ClientAddr>,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        let raw = authorization
            .and_then(bearer_token)
            .ok_or(AuthError::InvalidToken)?;
        if crate::jwt::looks_like_jwt(raw) {
            return self.authenticate_jwt(raw, now).await;
        }
        let parsed = token::parse(raw).map_err(|_| AuthError::InvalidToken)?;
        let hash = TokenHash::of(raw);
        match parsed.kind() {
            TokenKind::ApiToken => self.authenticate_api_token(&hash, client, now).await,
            TokenKind::ServiceToken => self.authenticate_service_token(&hash, client, now).await,
        }
    }

    /// Records a token's refusal (revoked, expired, suspended, owner deactivated: then the
    /// refusal is returned) or its first use, in its owner's log.
    async fn audit_use(
        &self,
        owner: i64,
        prefix: &str,
        last_used_at: Option<DateTime<Utc>>,
        refused: Option<AuthError>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if let Some(e) = refused {
            let target = format!("{prefix} ({})", e.code());
            let event = Event::failure(Some(owner), Action::TokenRefused, &target);
            self.audit(event, now).await;
            return Err(e.into());
        }
        if last_used_at.is_none() {
            let event = Event::success(Some(owner), Action::TokenFirstUsed, prefix);
            self.audit(event, now).await;
        }
        Ok(())
    }

    /// Whether a last-used time is old enough to be written again.
    pub(crate) fn stale(&self, last_used_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        last_used_at.is_none_or(|t| t < now - self.config.touch_interval)
    }

    /// The value a rotation replaced, for a hash that is no token's current one (so this
    /// costs a current value nothing); `invalid_token` if it is none.
    async fn replaced(&self, kind: TokenKind, hash: &TokenHash) -> Result<RotatedSecret, Error> {
        let found = self.repo.rotated_secret(kind, hash).await?;
        Ok(found.ok_or(AuthError::InvalidToken)?)
    }

    async fn authenticate_api_token(
        &self,
        hash: &TokenHash,
        client: Option<ClientAddr>,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        let (mut row, user, replaced) = match self.repo.api_token_and_owner(hash).await? {
            Some((row, user)) => (row, user, None),
            None => {
                let old = self.replaced(TokenKind::ApiToken, hash).await?;
                let (row, user) = self
                    .repo
                    .api_token_and_owner_by_id(old.token_id)
                    .await?
                    .ok_or(AuthError::InvalidToken)?;
                (row, user, Some(old))
            }
        };
        // A replaced value is named by its own prefix, in the log and to its caller.
        if let Some(old) = &replaced {
            row.display_prefix.clone_from(&old.display_prefix);
        }
        let presented = Presented {
            revoked_at: row.revoked_at,
            expires_at: Some(row.expires_at),
            replaced: replaced.as_ref(),
            allowed_ips: &row.allowed_ips,
        };
        let refused = match presented.check(client.and_then(ClientAddr::for_allowlist), now) {
            Err(e) => Some(e),
            Ok(()) if !user.active => Some(AuthError::AccountDisabled),
            Ok(()) => None,
        };
        audit::set_actor(&format!("{} ({})", user.username, row.display_prefix));
        self.audit_use(user.id, &row.display_prefix, row.last_used_at, refused, now)
            .await?;
        if self.stale(row.last_used_at, now) {
            self.repo
                .touch_api_token(row.id, now, now - self.config.touch_interval)
                .await?;
        }
        self.count_use(TokenKind::ApiToken, row.id, client.map(|c| c.ip), now);
        Ok(Principal {
            actor: Actor::User(user),
            credential: Credential {
                kind: CredentialKind::ApiToken,
                id: row.id,
                display_prefix: row.display_prefix,
                expires_at: Some(row.expires_at),
                replaced_until: replaced.map(|r| r.valid_until),
                hash: Some(hash.clone()),
                allowed_ips: row.allowed_ips,
            },
        })
    }

    async fn authenticate_service_token(
        &self,
        hash: &TokenHash,
        client: Option<ClientAddr>,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        let (mut row, replaced) = match self.repo.service_token_by_hash(hash).await? {
            Some(row) => (row, None),
            None => {
                let old = self.replaced(TokenKind::ServiceToken, hash).await?;
                let row = self.repo.service_token(old.token_id).await?;
                (row.ok_or(AuthError::InvalidToken)?, Some(old))
            }
        };
        if let Some(old) = &replaced {
            row.display_prefix.clone_from(&old.display_prefix);
        }
        // The user answerable for it was deactivated: suspended until an admin revokes or
        // transfers it.
        let presented = Presented {
            revoked_at: row.revoked_at,
            expires_at: row.expires_at,
            replaced: replaced.as_ref(),
            allowed_ips: &row.allowed_ips,
        };
        let refused = match presented.check(client.and_then(ClientAddr::for_allowlist), now) {
            Err(e) => Some(e),
            Ok(()) if !row.owner_active => Some(AuthError::TokenSuspended),
            Ok(()) => None,
        };
        let (owner, prefix) = (row.created_by, &row.display_prefix);
        self.audit_use(owner, prefix, row.last_used_at, refused, now)
            .await?;
        audit::set_actor(&format!(
            "service principal {} ({prefix})",
            row.principal.name
        ));
        if self.stale(row.last_used_at, now) {
            self.repo
                .touch_service_token(row.id, now, now - self.config.touch_interval)
                .await?;
        }
        self.count_use(TokenKind::ServiceToken, row.id, client.map(|c| c.ip), now);
        Ok(Principal {
            credential: Credential {
                kind: CredentialKind::ServiceToken,
                id: row.id,
                display_prefix: row.display_prefix.clone(),
                expires_at: row.expires_at,
                replaced_until: replaced.map(|r| r.valid_until),
                hash: Some(hash.clone()),
                allowed_ips: row.allowed_ips.clone(),
            },
            actor: Actor::Service(row),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token(""), None);
    }
}
