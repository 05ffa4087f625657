//! API login (`POST /api/v1/login`): username, password (and a TOTP code with MFA on) for a short-lived JWT whose `sid`
//! names a tracked session row. Every call with the JWT checks that session, so ending it
//! (sign-out, an admin's revoke, deactivation) stops the JWT at its next call.

use chrono::{DateTime, Utc};
use keyward_core::Secret;
use keyward_core::api::CredentialKind;
use rand_core::{CryptoRng, RngCore};

use crate::audit::{Action, Event};
use crate::auth::{Actor, Credential};
use crate::db::SessionKind;
use crate::jwt::{self, Claims, JwtError};
use crate::sessions::{ClientInfo, Credentials};
use crate::{AuthError, Backend, Error, Principal};

/// A login JWT: the only place its value exists.
#[derive(Debug)]
pub struct ApiLogin {
    pub token: Secret,
    pub session_id: i64,
    pub expires_at: DateTime<Utc>,
}

impl Backend {
    pub async fn api_login(
        &self,
        credentials: Credentials<'_>,
        client: ClientInfo,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<ApiLogin, Error> {
        let user = self
            .check_credentials(credentials, client.ip.as_deref(), now)
            .await?;
        let expires_at = now + self.config.login_jwt;
        let (_, session_id) = self
            .open_session(user.id, SessionKind::Api, expires_at, client, now, rng)
            .await?;
        let target = format!("API login session {session_id}");
        self.audit(
            Event::success(Some(user.id), Action::SignedIn, &target),
            now,
        )
        .await;
        let claims = Claims {
            sub: user.id,
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        Ok(ApiLogin {
            // Signed with a key derived from the sealing key: never in the database.
            token: Secret::new(jwt::sign(&claims, self.config.sealer.jwt_key())),
            session_id,
            expires_at,
        })
    }

    /// A bearer value shaped like a JWT: signature, expiry, then its session and user.
    pub(crate) async fn authenticate_jwt(
        &self,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<Principal, Error> {
        // The current key, or a previous one while keys are being rotated.
        let mut verified = Err(JwtError::Invalid);
        for key in self.config.sealer.jwt_keys() {
            verified = jwt::verify(raw, key, now);
            if !matches!(verified, Err(JwtError::Invalid)) {
                break;
            }
        }
        let claims = verified.map_err(|e| match e {
            JwtError::Invalid => AuthError::InvalidToken,
            JwtError::Expired => AuthError::TokenExpired,
        })?;
        let session = self
            .repo
            .session_by_id(claims.sid)
            .await?
            .filter(|s| s.user_id == claims.sub && s.kind == SessionKind::Api)
            .ok_or(AuthError::InvalidToken)?;
        if session.ended_at.is_some() {
            return Err(AuthError::SessionRevoked.into());
        }
        if session.expires_at <= now {
            return Err(AuthError::TokenExpired.into());
        }
        let user = self
            .repo
            .user_by_id(claims.sub)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if !user.active {
            return Err(AuthError::AccountDisabled.into());
        }
        self.touch_session_if_stale(&session, now).await?;
        Ok(Principal {
            actor: Actor::User(user),
            credential: Credential {
                kind: CredentialKind::LoginSession,
                id: session.id,
                display_prefix: format!("session {}", session.id),
                expires_at: Some(session.expires_at),
                replaced_until: None,
                hash: None,
                allowed_ips: Default::default(),
            },
        })
    }
}
