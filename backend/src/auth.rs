//! Turning a bearer credential into a [`Principal`]: parse and checksum first (rejecting
//! without touching the database), then one indexed lookup by SHA-256.

use chrono::{DateTime, Utc};
use keyward_core::api::CredentialKind;
use keyward_core::{TokenKind, token};

use crate::db::UserRow;
use crate::{AuthError, Backend, Error};

/// The credential a request authenticated with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub kind: CredentialKind,
    /// Row id of the token (or session) in its table.
    pub id: i64,
    pub display_prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Who is calling, and with what.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserRow,
    pub credential: Credential,
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

impl Backend {
    /// Authenticates the value of an `Authorization` header (`None` when there is none).
    pub async fn authenticate_bearer(
        &self,
        authorization: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        let raw = authorization
            .and_then(bearer_token)
            .ok_or(AuthError::InvalidToken)?;
        let parsed = token::parse(raw).map_err(|_| AuthError::InvalidToken)?;
        match parsed.kind() {
            TokenKind::ApiToken => {
                let row = self
                    .repo
                    .api_token_by_hash(&parsed.hash())
                    .await?
                    .ok_or(AuthError::InvalidToken)?;
                if row.revoked_at.is_some() {
                    return Err(AuthError::TokenRevoked.into());
                }
                if row.expires_at <= now {
                    return Err(AuthError::TokenExpired.into());
                }
                let user = self
                    .repo
                    .user_by_id(row.user_id)
                    .await?
                    .ok_or(AuthError::InvalidToken)?;
                if !user.active {
                    return Err(AuthError::AccountDisabled.into());
                }
                if row
                    .last_used_at
                    .is_none_or(|t| t < now - self.config.touch_interval)
                {
                    self.repo
                        .touch_api_token(row.id, now, now - self.config.touch_interval)
                        .await?;
                }
                Ok(Principal {
                    user,
                    credential: Credential {
                        kind: CredentialKind::ApiToken,
                        id: row.id,
                        display_prefix: row.display_prefix,
                        expires_at: Some(row.expires_at),
                    },
                })
            }
            // No service token has been issued yet, so none can be known.
            TokenKind::ServiceToken => Err(AuthError::InvalidToken.into()),
        }
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
