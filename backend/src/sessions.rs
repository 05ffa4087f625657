//! Browser sign-in sessions. The cookie holds 256 random bits; the database holds their
//! SHA-256 only, so a copy of the database cannot be used to sign in.

use chrono::{DateTime, Utc};
use keyward_core::Secret;
use rand_core::{CryptoRng, RngCore};

use crate::audit::{self, Action, Event};
use crate::db::{NewSession, SessionKind, SessionRow, TokenHash, UserRow};
use crate::{Backend, Error, MfaError, password, throttle};

/// Where a sign-in came from, kept on the session for the session list.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The user agent is kept to its first 300 characters.
    pub fn new(ip: Option<String>, user_agent: Option<&str>) -> Self {
        ClientInfo {
            ip,
            user_agent: user_agent.map(|s| s.chars().take(300).collect()),
        }
    }
}

/// What a person signs in with: `code` is the TOTP (or recovery) code, needed only when
/// the account has MFA on.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub code: Option<&'a str>,
}

/// A successful sign-in: the cookie value (sent once, in `Set-Cookie`) and the session.
#[derive(Debug)]
pub struct SignedIn {
    pub cookie: Secret,
    pub session_id: i64,
    pub expires_at: DateTime<Utc>,
}

/// A request's live session and its user.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub session: SessionRow,
    pub user: UserRow,
}

impl Backend {
    /// Checks username and password (any failure is `BadCredentials`, whichever part was
    /// wrong), then the TOTP code when the account has MFA on, and opens a browser session.
    pub async fn sign_in(
        &self,
        credentials: Credentials<'_>,
        client: ClientInfo,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<SignedIn, Error> {
        let user = self
            .check_credentials(credentials, client.ip.as_deref(), now)
            .await?;
        let expires_at = now + self.config.session_absolute;
        let (cookie, session_id) = self
            .open_session(user.id, SessionKind::Browser, expires_at, client, now, rng)
            .await?;
        let target = format!("browser session {session_id}");
        self.audit(
            Event::success(Some(user.id), Action::SignedIn, &target),
            now,
        )
        .await;
        Ok(SignedIn {
            cookie,
            session_id,
            expires_at,
        })
    }

    /// The password, then the second factor (`Mfa` errors only once the password was right),
    /// within the sign-in rate limits of this client address and account: a wrong password
    /// or code counts against them, anything else gives its attempt back.
    pub(crate) async fn check_credentials(
        &self,
        c: Credentials<'_>,
        ip: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<UserRow, Error> {
        // The attempted username names the actor only if it can be one: a password typed
        // into the Username field must not end up in the audit log.
        let name = c.username.trim();
        let actor = keyward_core::validate::username(name).unwrap_or("(not a username)");
        audit::set_actor(actor);
        let keys = throttle::sign_in_keys(ip, c.username);
        let attempt = async {
            let user = self.check_password(c.username, c.password).await?;
            self.second_factor(&user, c.code, now).await?;
            Ok(user)
        };
        let checked = self.limited(&keys, now, attempt).await;
        self.audit_refusal(&checked, c.username, &keys, now).await;
        checked
    }

    /// A refused password or code in the log of the account it was for (an unknown
    /// username: in none), and the rate limit once, when this failure reached it (not at
    /// every refusal after: a flood must not become a flood of writes).
    async fn audit_refusal<T>(
        &self,
        result: &Result<T, Error>,
        username: &str,
        keys: &[throttle::Key],
        now: DateTime<Utc>,
    ) {
        let target = match result {
            Err(Error::BadCredentials) => "wrong password",
            Err(Error::Mfa(MfaError::WrongCode)) => "wrong code",
            Err(Error::Mfa(MfaError::Locked)) => "code step locked",
            _ => return,
        };
        let user_id = match self.repo.user_by_username(username.trim()).await {
            Ok(user) => user.map(|u| u.id),
            Err(_) => None,
        };
        self.audit(Event::failure(user_id, Action::SignInFailed, target), now)
            .await;
        if self.throttle.check(keys, now).is_err() {
            let event = Event::failure(user_id, Action::RateLimited, "sign-in");
            self.audit(event, now).await;
        }
    }

    /// Runs a guess of a password or code within the rate limits of `keys`: refused at once
    /// when one is exhausted; a wrong password or code counts against them, any other
    /// outcome gives its attempt back.
    pub(crate) async fn limited<T>(
        &self,
        keys: &[throttle::Key],
        now: DateTime<Utc>,
        attempt: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        self.throttle.take(keys, now).map_err(Error::RateLimited)?;
        let result = attempt.await;
        if !matches!(
            result,
            Err(Error::BadCredentials | Error::Mfa(MfaError::WrongCode))
        ) {
            self.throttle.refund(keys, now);
        }
        result
    }

    /// The active user with this username and password; any failure is `BadCredentials`,
    /// and takes as long as a success (an unknown user still costs one Argon2 run).
    pub(crate) async fn check_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<UserRow, Error> {
        let user = self.repo.user_by_username(username.trim()).await?;
        let password = password.to_string();
        let (user, ok) = match user {
            Some(user) if user.active => {
                let phc = user.password_hash.clone();
                let ok = self
                    .hashing
                    .run(move || password::verify(&password, &phc))
                    .await?;
                (Some(user), ok)
            }
            _ => {
                self.hashing
                    .run(move || password::burn_time(&password))
                    .await?;
                (None, false)
            }
        };
        user.filter(|_| ok).ok_or(Error::BadCredentials)
    }

    /// Stores a new session; returns its secret (256 random bits, of which only the hash is
    /// kept) and its id.
    pub(crate) async fn open_session(
        &self,
        user_id: i64,
        kind: SessionKind,
        expires_at: DateTime<Utc>,
        client: ClientInfo,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<(Secret, i64), Error> {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        let secret = Secret::new(keyward_core::token::hex(&bytes));
        let id = self
            .repo
            .insert_session(
                &NewSession {
                    user_id,
                    secret_hash: TokenHash::of(secret.expose()),
                    kind,
                    expires_at,
                    ip: client.ip,
                    user_agent: client.user_agent,
                },
                now,
            )
            .await?;
        Ok((secret, id))
    }

    /// The live session a cookie value names, or `NotSignedIn` (unknown, ended, idle too
    /// long, past its absolute lifetime, or its user deactivated).
    pub async fn session_user(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionUser, Error> {
        let session = self
            .repo
            .session_by_hash(&TokenHash::of(cookie))
            .await?
            .ok_or(Error::NotSignedIn)?;
        let live = session.ended_at.is_none()
            && now < session.expires_at
            && now - session.last_seen_at < self.config.session_idle;
        if !live {
            return Err(Error::NotSignedIn);
        }
        let user = self
            .repo
            .user_by_id(session.user_id)
            .await?
            .filter(|u| u.active)
            .ok_or(Error::NotSignedIn)?;
        self.touch_session_if_stale(&session, now).await?;
        Ok(SessionUser { session, user })
    }

    /// Records that a session was seen, at most once per touch interval, so checking a
    /// session stays a read under load (browser cookies and login JWTs alike).
    pub(crate) async fn touch_session_if_stale(
        &self,
        session: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if self.stale(Some(session.last_seen_at), now) {
            self.repo
                .touch_session(session.id, now, now - self.config.touch_interval)
                .await?;
        }
        Ok(())
    }

    pub async fn sign_out(&self, session: &SessionRow, now: DateTime<Utc>) -> Result<(), Error> {
        self.repo.end_session(session.id, now).await?;
        let target = format!("session {} (signed out)", session.id);
        let event = Event::success(Some(session.user_id), Action::SessionEnded, &target);
        self.audit(event, now).await;
        Ok(())
    }

    /// The sessions that still work (browser and API), newest first, with their user's name:
    /// one user's, or everyone's (`None`, for admins).
    pub async fn open_sessions(
        &self,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionRow, String)>, Error> {
        let idle_before = now - self.config.session_idle;
        let mut sessions = self.repo.open_sessions(user_id, now).await?;
        sessions.retain(|(s, _)| s.kind != SessionKind::Browser || s.last_seen_at >= idle_before);
        Ok(sessions)
    }

    /// Ends one session: the user's own (`Some(user_id)`), or any (`None`, for admins). A
    /// session that is not theirs, or no longer open, is `NotFound`. It is refused at its
    /// next request.
    pub async fn end_session(
        &self,
        owner: Option<i64>,
        session_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let open = self
            .repo
            .session_by_id(session_id)
            .await?
            .filter(|s| s.ended_at.is_none() && owner.is_none_or(|u| u == s.user_id));
        let Some(open) = open else {
            return Err(Error::NotFound);
        };
        self.repo.end_session(session_id, now).await?;
        let target = format!("session {session_id}");
        let event = Event::success(Some(open.user_id), Action::SessionEnded, &target);
        self.audit(event, now).await;
        Ok(())
    }

    /// Ends every session of a user; how many were open.
    pub async fn end_sessions_of(&self, username: &str, now: DateTime<Utc>) -> Result<u64, Error> {
        let user = self.user_named(username).await?;
        let ended = self.repo.end_sessions_of(user.id, now).await?;
        let target = format!("all sessions ({ended})");
        let event = Event::success(Some(user.id), Action::SessionEnded, &target);
        self.audit(event, now).await;
        Ok(ended)
    }

    /// Deletes the sessions that can no longer be used; how many.
    pub async fn cleanup_sessions(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        self.repo
            .delete_dead_sessions(now, now - self.config.session_idle)
            .await
    }
}
