//! TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30-second steps, 6 digits, what every
//! authenticator app speaks. Pure: time arrives as `now`.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one, for clocks that drift a little.
const SKEW: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (how authenticator apps show and take secrets).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// Decodes base32, ignoring case, spaces and padding; `None` on any other character.
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.chars().filter(|c| !matches!(c, ' ' | '=')) {
        let v = ALPHABET
            .iter()
            .position(|a| *a as char == c.to_ascii_uppercase())?;
        acc = (acc << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The time step that `now` falls in.
pub fn step(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECONDS)
}

/// HOTP value of `counter` (RFC 4226 §5.3, dynamic truncation).
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let code = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    code % 10u32.pow(digits)
}

/// The code an app shows at `now` for a base32 secret.
pub fn code_at(secret: &str, now: DateTime<Utc>) -> Option<String> {
    let key = base32_decode(secret)?;
    Some(format!(
        "{:0width$}",
        hotp(&key, step(now) as u64, DIGITS),
        width = DIGITS as usize
    ))
}

/// Whether `code` is right for `secret` at `now` (one step of drift either way), and for
/// which step. Steps at or before `last_step` are refused: a code works only once, which
/// stops replay within its 30 seconds. The caller records the returned step.
pub fn verify(secret: &str, code: &str, now: DateTime<Utc>, last_step: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let key = base32_decode(secret)?;
    let current = step(now);
    (current - SKEW..=current + SKEW)
        .filter(|s| *s > last_step && *s >= 0)
        .find(|s| {
            let expected = format!(
                "{:0width$}",
                hotp(&key, *s as u64, DIGITS),
                width = DIGITS as usize
            );
            // Compared in constant time: a timing difference must not leak digits.
            expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
}

/// The `otpauth://` URI that the QR code carries (Google Authenticator's key URI format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; an app shows the last 6).
    #[test]
    fn rfc6238_vectors() {
        let key = b"12345678901234567890";
        for (t, expected) in [
            (59_i64, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(key, (t / 30) as u64, 8), expected, "t={t}");
        }
        let secret = base32_encode(key);
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(code_at(&secret, at(59)).unwrap(), "287082");
        assert_eq!(code_at(&secret, at(1111111109)).unwrap(), "081804");
    }

    #[test]
    fn base32_round_trips() {
        for len in 0..24 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base32_encode(&bytes);
            assert_eq!(base32_decode(&text).unwrap(), bytes);
            assert_eq!(base32_decode(&text.to_lowercase()).unwrap(), bytes);
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW 6YTB OI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1"), None);
    }

    #[test]
    fn accepts_one_step_of_drift_and_each_step_once() {
        let secret = base32_encode(b"an example secret!!!");
        let now = at(1_800_000_015);
        let current = step(now);
        let code = code_at(&secret, now).unwrap();
        assert_eq!(verify(&secret, &code, now, 0), Some(current));
        // A replay within the same step, after the step was recorded, is refused.
        assert_eq!(verify(&secret, &code, now, current), None);
        // The previous and next steps' codes still work once (clock drift).
        let before = code_at(&secret, now - chrono::TimeDelta::seconds(30)).unwrap();
        let after = code_at(&secret, now + chrono::TimeDelta::seconds(30)).unwrap();
        assert_eq!(verify(&secret, &before, now, 0), Some(current - 1));
        assert_eq!(verify(&secret, &after, now, current), Some(current + 1));
        // Two steps old is too old.
        let old = code_at(&secret, now - chrono::TimeDelta::seconds(60)).unwrap();
        assert_eq!(verify(&secret, &old, now, 0), None);
        for bad in ["", "12345", "1234567", "abcdef", " 12 34 "] {
            assert_eq!(verify(&secret, bad, now, 0), None, "{bad:?}");
        }
        assert_eq!(verify("not base32!", &code, now, 0), None);
    }

    #[test]
    fn otpauth_uri_escapes_its_parts() {
        assert_eq!(
            otpauth_uri("keyward", "ada lovelace", "ABC"),
            "otpauth://totp/keyward:ada%20lovelace?secret=ABC&issuer=keyward&algorithm=SHA1&digits=6&period=30"
        );
    }
}
