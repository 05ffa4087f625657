//! The login JWT of `POST /api/v1/login`: HS256 over `{"sub", "sid", "iat", "exp"}`. Pure:
//! the key and `now` are parameters. Only the signature is trusted; `alg` in the header must
//! be HS256 (no `none`, no algorithm switching).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims keyward puts in a login JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    /// The session row the JWT belongs to: revoking it revokes the JWT.
    pub sid: i64,
    pub iat: i64,
    pub exp: i64,
}

/// Why a JWT was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtError {
    /// Not three base64url parts, bad JSON, another algorithm, or a wrong signature.
    Invalid,
    Expired,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length")
}

/// Whether `s` looks like a JWT (three dot-separated parts) rather than a keyward token.
pub fn looks_like_jwt(s: &str) -> bool {
    s.split('.').count() == 3
}

pub fn sign(claims: &Claims, key: &[u8]) -> String {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
    let mut m = mac(key);
    m.update(signing_input.as_bytes());
    let signature = B64.encode(m.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Checks the signature (in constant time), the algorithm and the expiry.
pub fn verify(jwt: &str, key: &[u8], now: DateTime<Utc>) -> Result<Claims, JwtError> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Invalid);
    };
    let signature = B64.decode(signature).map_err(|_| JwtError::Invalid)?;
    let mut m = mac(key);
    m.update(header.as_bytes());
    m.update(b".");
    m.update(payload.as_bytes());
    m.verify_slice(&signature).map_err(|_| JwtError::Invalid)?;
    let header: serde_json::Value = B64
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or(JwtError::Invalid)?;
    if header["alg"] != "HS256" {
        return Err(JwtError::Invalid);
    }
    let claims: Claims = B64
        .decode(payload)
        .ok()
        .and_then(|p| serde_json::from_slice(&p).ok())
        .ok_or(JwtError::Invalid)?;
    if claims.exp <= now.timestamp() {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    fn claims() -> Claims {
        Claims {
            sub: 7,
            sid: 42,
            iat: now().timestamp(),
            exp: now().timestamp() + 900,
        }
    }

    #[test]
    fn round_trip_and_expiry() {
        let jwt = sign(&claims(), b"key");
        assert!(looks_like_jwt(&jwt));
        assert_eq!(verify(&jwt, b"key", now()), Ok(claims()));
        let at_expiry = now() + chrono::TimeDelta::seconds(900);
        assert_eq!(verify(&jwt, b"key", at_expiry), Err(JwtError::Expired));
    }

    #[test]
    fn forgeries_are_refused() {
        let jwt = sign(&claims(), b"key");
        assert_eq!(verify(&jwt, b"other key", now()), Err(JwtError::Invalid));
        // Another user in the payload, the signature kept.
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = Claims { sub: 1, ..claims() };
        let payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        let tampered = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert_eq!(verify(&tampered, b"key", now()), Err(JwtError::Invalid));
        // alg "none" with an empty signature.
        let none = format!(
            "{}.{}.",
            B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert_eq!(verify(&none, b"key", now()), Err(JwtError::Invalid));
        for junk in ["", "a.b", "a.b.c.d", "...", "kwat_abc"] {
            assert_eq!(
                verify(junk, b"key", now()),
                Err(JwtError::Invalid),
                "{junk}"
            );
        }
    }

    /// A JWT with any header, validly signed with `key` (HMAC-SHA256 over header.payload).
    fn signed_with_header(header: &str, key: &[u8]) -> String {
        let payload = B64.encode(serde_json::to_vec(&claims()).unwrap());
        let input = format!("{}.{payload}", B64.encode(header));
        let mut m = mac(key);
        m.update(input.as_bytes());
        format!("{input}.{}", B64.encode(m.finalize().into_bytes()))
    }

    #[test]
    fn only_hs256_is_accepted_even_with_a_valid_signature() {
        // The signature checks out, so only the `alg` check can refuse these.
        let ok = signed_with_header(r#"{"alg":"HS256","typ":"JWT"}"#, b"key");
        assert_eq!(verify(&ok, b"key", now()), Ok(claims()));
        for header in [
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"hs256","typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
            "not json",
        ] {
            let jwt = signed_with_header(header, b"key");
            assert_eq!(
                verify(&jwt, b"key", now()),
                Err(JwtError::Invalid),
                "{header}"
            );
        }
    }
}
