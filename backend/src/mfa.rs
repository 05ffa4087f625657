//! TOTP multi-factor authentication: enrolment (a secret shown as a QR code and as text,
//! confirmed with a code), one-time recovery codes, and the second step of both sign-in
//! paths (the `/login` page and `POST /api/v1/login`).

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use keyward_core::FieldError;
use rand_core::{CryptoRng, RngCore};

use crate::audit::{Action, Event};
use crate::db::{TokenHash, UserRow};
use crate::sealing::totp_purpose;
use crate::{Backend, Error, MfaError, totp};

/// Shown in the authenticator app next to the account name.
pub const ISSUER: &str = "keyward";
pub const RECOVERY_CODES: usize = 10;
/// After this many wrong codes within [`LOCKOUT_MINUTES`] of each other, codes are refused
/// until that long after the last one.
const MAX_FAILURES: i64 = 10;
const LOCKOUT_MINUTES: i64 = 15;

/// What the enrolment step shows: the secret as text and inside a QR code.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// Base32, as authenticator apps take it.
    pub secret: String,
    pub otpauth_uri: String,
    /// An SVG image of the QR code, as a `data:` URI for an `<img>`.
    pub qr_data_uri: String,
}

fn code_error(message: &str) -> Error {
    FieldError::new("code", message).into()
}

/// Recovery codes are compared without case, spaces or dashes.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Sixteen random base32 characters (80 bits), shown as `xxxx-xxxx-xxxx-xxxx`.
fn recovery_code(rng: &mut impl RngCore) -> String {
    let mut bytes = [0u8; 10];
    rng.fill_bytes(&mut bytes);
    let text = totp::base32_encode(&bytes).to_lowercase();
    let groups: Vec<&str> = (0..4).map(|i| &text[4 * i..4 * i + 4]).collect();
    groups.join("-")
}

fn qr_data_uri(uri: &str) -> Result<String, Error> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

impl Backend {
    /// Starts enrolment: a fresh secret, kept as pending until a code from it is confirmed.
    /// Starting again replaces the pending secret.
    pub async fn begin_mfa(
        &self,
        user: &UserRow,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Enrolment, Error> {
        if user.mfa_enabled {
            return Err(code_error("MFA is already on."));
        }
        let mut key = [0u8; 20];
        rng.fill_bytes(&mut key);
        let secret = totp::base32_encode(&key);
        let sealed = self.config.sealer.seal(&totp_purpose(user.id), &secret);
        self.repo.set_totp_pending(user.id, &sealed).await?;
        let otpauth_uri = totp::otpauth_uri(ISSUER, &user.username, &secret);
        Ok(Enrolment {
            qr_data_uri: qr_data_uri(&otpauth_uri)?,
            otpauth_uri,
            secret,
        })
    }

    /// Confirms enrolment with a code from the pending secret and turns MFA on. Returns the
    /// recovery codes: this is the only time they exist in clear.
    pub async fn enable_mfa(
        &self,
        user_id: i64,
        code: &str,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<Vec<String>, Error> {
        let state = self.repo.totp_state(user_id).await?;
        if state.secret.is_some() {
            return Err(code_error("MFA is already on."));
        }
        let pending = state
            .pending
            .ok_or_else(|| code_error("Start the set-up again: there is no secret to confirm."))?;
        let seed = self.config.sealer.open(&totp_purpose(user_id), &pending)?;
        let step = totp::verify(&seed, code, now, state.last_step).ok_or_else(|| {
            code_error("That code does not match. Enter the code your app shows now.")
        })?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code(rng)).collect();
        let hashes: Vec<TokenHash> = codes
            .iter()
            .map(|c| TokenHash::of(&normalise_recovery(c)))
            .collect();
        if !self
            .repo
            .enable_totp(user_id, &pending, step, &hashes)
            .await?
        {
            return Err(code_error(
                "Start the set-up again: the secret has changed.",
            ));
        }
        let event = Event::success(Some(user_id), Action::MfaEnabled, "TOTP");
        self.audit(event, now).await;
        Ok(codes)
    }

    /// Turns MFA off; it takes a current code (or a recovery code), like signing in.
    pub async fn disable_mfa(
        &self,
        user: &UserRow,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if !user.mfa_enabled {
            return Err(code_error("MFA is already off."));
        }
        let checked = self.second_factor(user, Some(code), now).await;
        if let Err(Error::Mfa(m)) = &checked {
            // A wrong code here is a guess too: it shows in the person's log.
            let event = Event::failure(Some(user.id), Action::MfaDisabled, m.code());
            self.audit(event, now).await;
        }
        checked.map_err(|e| match e {
            Error::Mfa(m) => code_error(&m.to_string()),
            other => other,
        })?;
        self.repo.disable_totp(user.id).await?;
        let event = Event::success(Some(user.id), Action::MfaDisabled, "TOTP");
        self.audit(event, now).await;
        Ok(())
    }

    /// An administrator's way out for someone who lost both their app and their recovery
    /// codes: MFA off, so they can sign in with the password and enrol again.
    pub async fn reset_mfa(&self, username: &str, now: DateTime<Utc>) -> Result<(), Error> {
        let user = self.user_named(username).await?;
        self.repo.disable_totp(user.id).await?;
        let event = Event::success(Some(user.id), Action::MfaReset, "TOTP");
        self.audit(event, now).await;
        Ok(())
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, Error> {
        self.repo.recovery_codes_left(user_id).await
    }

    /// The second step of a sign-in, after the password: nothing to do without MFA;
    /// otherwise a current TOTP code (each step once) or an unused recovery code.
    pub(crate) async fn second_factor(
        &self,
        user: &UserRow,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        if !user.mfa_enabled {
            return Ok(());
        }
        let code = code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(MfaError::Required)?;
        let state = self.repo.totp_state(user.id).await?;
        let window_start = now - TimeDelta::minutes(LOCKOUT_MINUTES);
        if !self
            .repo
            .reserve_mfa_attempt(user.id, MAX_FAILURES, window_start, now)
            .await?
        {
            return Err(MfaError::Locked.into());
        }
        let sealed = state.secret.unwrap_or_default();
        let seed = self.config.sealer.open(&totp_purpose(user.id), &sealed)?;
        let ok = match totp::verify(&seed, code, now, state.last_step) {
            Some(step) => self.repo.claim_totp_step(user.id, step).await?,
            None => {
                let hash = TokenHash::of(&normalise_recovery(code));
                let used = self.repo.use_recovery_code(user.id, &hash, now).await?;
                if used {
                    let event = Event::success(Some(user.id), Action::RecoveryCodeUsed, "");
                    self.audit(event, now).await;
                }
                used
            }
        };
        // A wrong code stays counted; a right one cleared the count.
        if ok {
            Ok(())
        } else {
            Err(MfaError::WrongCode.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_look_alike_and_normalise() {
        let mut rng = rand_core::OsRng;
        let code = recovery_code(&mut rng);
        assert_eq!(code.len(), 19);
        assert_eq!(code.split('-').map(str::len).collect::<Vec<_>>(), [4; 4]);
        // 16 base32 characters: 80 bits.
        assert_eq!(code.replace('-', "").len() * 5, 80);
        assert_eq!(
            normalise_recovery(&code.to_uppercase().replace('-', " ")),
            code.replace('-', "")
        );
    }

    #[test]
    fn the_qr_code_is_an_svg_data_uri() {
        let uri = qr_data_uri("otpauth://totp/keyward:ada?secret=ABC").unwrap();
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
    }
}
