//! Rotation without downtime: a token gets a new value and keeps its name, expiry and
//! grants, while the old value works for a grace window (at most the policy's maximum), so
//! the jobs that hold it can move over. Edit expiration is a rotation without grace that
//! also sets a new date.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use keyward_core::api::CredentialKind;
use keyward_core::{FieldError, Secret, TokenKind, token};
use rand_core::{CryptoRng, RngCore};

use crate::audit::{Action, Event};
use crate::db::{Rotation, TokenHash};
use crate::{Actor, AuthError, Backend, Error, Principal};

/// A new value, shown once, and until when the old one still works.
#[derive(Clone, Debug)]
pub struct RotatedToken {
    pub id: i64,
    pub name: String,
    pub secret: Secret,
    /// Unchanged by a rotation; `None`: a service token that never expires.
    pub expires_at: Option<DateTime<Utc>>,
    pub old_value_prefix: String,
    pub old_valid_until: DateTime<Utc>,
}

/// Which token: of `kind`, with this id, belonging to `owner` (an API token's user, the
/// user answerable for a service token).
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: TokenKind,
    pub token_id: i64,
    pub owner: i64,
    /// A token rotating itself: the hash of the value it presented, which must still be the
    /// current one when the rotation happens (else 401 `token_rotated`).
    pub presented: Option<TokenHash>,
}

impl Target {
    /// A token of `owner`'s, rotated (or re-dated) from the page.
    pub fn owned(kind: TokenKind, token_id: i64, owner: i64) -> Target {
        Target {
            kind,
            token_id,
            owner,
            presented: None,
        }
    }
}

impl Backend {
    /// Rotates a token the caller owns (an API token of theirs, or a service token they
    /// are answerable for); the old value works `grace_minutes` longer, and values replaced
    /// earlier no longer than that. Another user's token, a revoked or an expired one, is
    /// `NotFound`.
    pub async fn rotate_token(
        &self,
        target: Target,
        grace_minutes: u32,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<RotatedToken, Error> {
        let max = self.policy().await?.max_rotation_grace_minutes;
        if grace_minutes > max {
            return Err(Error::Invalid(FieldError::new(
                "grace_minutes",
                format!(
                    "The old value may keep working at most {max} minutes on this installation."
                ),
            )));
        }
        let old_valid_until = now + TimeDelta::minutes(grace_minutes.into());
        self.replace_secret(target, None, old_valid_until, now, rng)
            .await
    }

    /// Until when each of `owner`'s tokens of `kind` has an old value still working (for
    /// the rows' notes), in one query, by token id.
    pub async fn grace_windows(
        &self,
        kind: TokenKind,
        owner: i64,
        now: DateTime<Utc>,
    ) -> Result<HashMap<i64, DateTime<Utc>>, Error> {
        let windows = self.repo.grace_windows(kind, owner, now).await?;
        Ok(windows.into_iter().collect())
    }

    /// `POST /api/v1/tokens/current/rotate`: an API or service token rotates itself (its
    /// expiry and grants stay as they are). A login JWT cannot, and neither can a value that
    /// was already replaced (only the current value may make the next one).
    pub async fn rotate_current(
        &self,
        principal: &Principal,
        grace_minutes: u32,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<RotatedToken, Error> {
        let credential = &principal.credential;
        let (kind, owner) = match (credential.kind, &principal.actor) {
            (CredentialKind::ApiToken, Actor::User(user)) => (TokenKind::ApiToken, user.id),
            (CredentialKind::ServiceToken, Actor::Service(row)) => {
                (TokenKind::ServiceToken, row.created_by)
            }
            _ => {
                return Err(Error::Refused(
                    "Only an API or service token can rotate itself: a login token is renewed by signing in again.",
                ));
            }
        };
        if credential.replaced_until.is_some() {
            return Err(Error::Refused(
                "This value was already replaced by a rotation: rotate with the current value.",
            ));
        }
        let target = Target {
            presented: credential.hash.clone(),
            ..Target::owned(kind, credential.id, owner)
        };
        self.rotate_token(target, grace_minutes, now, rng).await
    }

    /// The shared step of a rotation and a re-dating: a new value (and, with `expires_at`,
    /// a new date) in one transaction, the old value kept until `old_valid_until`, and the
    /// event in the owner's log.
    pub(crate) async fn replace_secret(
        &self,
        target: Target,
        expires_at: Option<DateTime<Utc>>,
        old_valid_until: DateTime<Utc>,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<RotatedToken, Error> {
        let secret = token::generate(target.kind, rng);
        let rotation = Rotation {
            kind: target.kind,
            token_id: target.token_id,
            owner: target.owner,
            token_hash: TokenHash::of(secret.expose()),
            display_prefix: secret.display_prefix().to_string(),
            expires_at,
            presented: target.presented.clone(),
            old_valid_until,
        };
        // For a token rotating itself, nothing found means its value was replaced (or it
        // was revoked) since the request was authenticated.
        let gone = match target.presented {
            Some(_) => Error::Auth(AuthError::TokenRotated),
            None => Error::NotFound,
        };
        let rotated = self.repo.rotate_secret(&rotation, now).await?.ok_or(gone)?;
        let action = match target.kind {
            TokenKind::ApiToken if expires_at.is_some() => Action::ApiTokenRedated,
            TokenKind::ApiToken => Action::ApiTokenRotated,
            TokenKind::ServiceToken => Action::ServiceTokenRotated,
        };
        let mut target_text = format!("{} → {}", rotated.old_prefix, secret.display_prefix());
        if action != Action::ApiTokenRedated {
            let grace = (old_valid_until - now).num_minutes();
            target_text.push_str(&format!(" (old value for {grace} min)"));
        }
        let event = Event::success(Some(target.owner), action, &target_text);
        self.audit(event, now).await;
        Ok(RotatedToken {
            id: target.token_id,
            name: rotated.name,
            secret,
            expires_at: rotated.expires_at,
            old_value_prefix: rotated.old_prefix,
            old_valid_until,
        })
    }
}
