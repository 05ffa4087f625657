//! API tokens (`kwat_`): mint, list, re-date (with a replacement secret) and revoke.

use chrono::{DateTime, NaiveDate, Utc};
use keyward_core::allowlist::Allowlist;
use keyward_core::api::CredentialKind;
use keyward_core::{Secret, TokenKind, token, validate};
use rand_core::{CryptoRng, RngCore};

use crate::audit::{Action, Event};
use crate::db::{ApiTokenRow, NewApiToken, TokenHash};
use crate::quota::Quota;
use crate::rotation::Target;
use crate::{Actor, Backend, Error, Principal};

/// A token just created or re-issued: the only place its value ever exists.
#[derive(Clone, Debug)]
pub struct Minted {
    pub id: i64,
    pub name: String,
    pub secret: Secret,
    pub expires_at: DateTime<Utc>,
}

impl Backend {
    /// Mints a token for the profile page: the date must be in the future and within policy.
    pub async fn mint_api_token(
        &self,
        user_id: i64,
        name: &str,
        expires_on: NaiveDate,
        allowed: &Allowlist,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Minted, Error> {
        let name = validate::token_name(name)?;
        let expires_at =
            validate::api_token_expiry(expires_on, now, self.policy().await?.max_token_days)?;
        self.within_quota(user_id, Quota::ApiTokens, now).await?;
        self.mint_api_token_at(user_id, &name, expires_at, allowed, now, rng)
            .await
    }

    /// Mints a token with any expiry, even a past one (`keyward admin mint-token`, for
    /// bootstrapping automation and for tests). Only the name is validated.
    pub async fn mint_api_token_at(
        &self,
        user_id: i64,
        name: &str,
        expires_at: DateTime<Utc>,
        allowed: &Allowlist,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Minted, Error> {
        let name = validate::token_name(name)?.to_string();
        let secret = token::generate(TokenKind::ApiToken, rng);
        let id = self
            .repo
            .insert_api_token(
                &NewApiToken {
                    user_id,
                    name: name.clone(),
                    token_hash: TokenHash::of(secret.expose()),
                    display_prefix: secret.display_prefix().to_string(),
                    expires_at,
                    allowed_ips: allowed.clone(),
                },
                now,
            )
            .await?;
        let target = crate::allowlist::minted_target(secret.display_prefix(), allowed);
        let minted = Event::success(Some(user_id), Action::ApiTokenMinted, &target);
        self.audit(minted, now).await;
        Ok(Minted {
            id,
            name,
            secret,
            expires_at,
        })
    }

    /// The user's live (unrevoked) tokens, expired ones included, newest first.
    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiTokenRow>, Error> {
        self.repo.api_tokens_of(user_id, None).await
    }

    /// The same, with the tokens a leak report revoked in the last 30 days (the profile
    /// shows them, so their owner learns why they stopped).
    pub async fn api_tokens_and_reported(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<ApiTokenRow>, Error> {
        let since = now - crate::reports::SHOWN_FOR;
        self.repo.api_tokens_of(user_id, Some(since)).await
    }

    /// Sets a new expiration date and issues a replacement secret: the old value stops
    /// working at once. Another user's token is `NotFound`.
    pub async fn edit_api_token_expiry(
        &self,
        user_id: i64,
        token_id: i64,
        expires_on: NaiveDate,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Minted, Error> {
        let expires_at =
            validate::api_token_expiry(expires_on, now, self.policy().await?.max_token_days)?;
        let target = Target::owned(TokenKind::ApiToken, token_id, user_id);
        // The old value stops at once (and is then refused as token_rotated).
        let redated = self
            .replace_secret(target, Some(expires_at), now, now, rng)
            .await?;
        Ok(Minted {
            id: redated.id,
            name: redated.name,
            secret: redated.secret,
            expires_at,
        })
    }

    /// Revokes one of the user's tokens. Another user's token is `NotFound`.
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let found = self.repo.revoke_api_token(user_id, token_id, now).await?;
        self.revoked(found, Action::ApiTokenRevoked, now).await
    }

    /// `DELETE /api/v1/tokens/current`: the calling token revokes itself (leak response).
    pub async fn revoke_current(
        &self,
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let id = principal.credential.id;
        let (found, action) = match (principal.credential.kind, &principal.actor) {
            (CredentialKind::ApiToken, Actor::User(user)) => (
                self.repo.revoke_api_token(user.id, id, now).await?,
                Action::ApiTokenRevoked,
            ),
            (CredentialKind::ServiceToken, _) => (
                self.repo.revoke_service_token(id, None, now).await?,
                Action::ServiceTokenRevoked,
            ),
            // A login JWT ends its session: the JWT then gets 401 session_revoked.
            (CredentialKind::LoginSession, _) => {
                self.repo.end_session(id, now).await?;
                let user_id = principal.user().map(|u| u.id);
                let target = &principal.credential.display_prefix;
                let event = Event::success(user_id, Action::SessionEnded, target);
                self.audit(event, now).await;
                return Ok(());
            }
            (CredentialKind::ApiToken, Actor::Service(_)) => (None, Action::ApiTokenRevoked),
        };
        self.revoked(found, action, now).await
    }
}
