//! Secrets at rest: TOTP seeds and project secret values are stored sealed (XChaCha20-Poly1305,
//! a random 192-bit nonce per value) with a key that is not in the database, and the login
//! JWT signing key is derived from that key instead of being stored. A copy of the database
//! alone yields none of them.
//!
//! A sealed value reads `kw1.<key id>.<base64 of nonce and ciphertext>`. The key id (the
//! first 8 hex digits of the key's SHA-256) says which key sealed it, so a key can be
//! rotated: the new key seals, the previous ones still open, and every start seals again,
//! with the new key, whatever is not sealed with it ([`crate::Backend::reseal`]). Each
//! value is sealed for its place (its "purpose": `totp:<user id>`,
//! `secret:<project id>:<name>`), so a sealed value copied into another row does not open
//! there.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha2::{Digest, Sha256};

use keyward_core::token::hex;

use crate::Error;

const PREFIX: &str = "kw1.";

/// A 256-bit key, from `KEYWARD_SECRET_KEY` or the key file (64 hex digits either way).
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let text = text.trim();
        let bad = || "a secret key is 64 hexadecimal digits (32 bytes)".to_string();
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(SecretKey(key))
    }

    pub fn generate(rng: &mut impl RngCore) -> SecretKey {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        SecretKey(key)
    }

    /// The 64 hex digits of a key file.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    fn id(&self) -> String {
        hex(&Sha256::digest(self.0)[..4])
    }
}

/// Never printed.
impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id())
    }
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    jwt: [u8; 32],
    webhook: [u8; 32],
}

impl Key {
    fn new(key: &SecretKey) -> Key {
        // A separate key for each signing, so the sealing key is never used for two things.
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        Key {
            id: key.id(),
            cipher: XChaCha20Poly1305::new((&key.0).into()),
            jwt: derive(b"keyward login JWT signing key v1"),
            webhook: derive(b"keyward expiry webhook signing secret v1"),
        }
    }
}

/// The current key (seals, signs) and the previous ones (open, verify) during a rotation.
pub struct Sealer {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        write!(
            f,
            "Sealer(current {}, previous {previous:?})",
            self.current.id
        )
    }
}

impl Sealer {
    pub fn new(current: &SecretKey, previous: &[SecretKey]) -> Sealer {
        Sealer {
            current: Key::new(current),
            previous: previous.iter().map(Key::new).collect(),
        }
    }

    /// A key of its own, for tests and tools that keep nothing.
    pub fn ephemeral() -> Sealer {
        Sealer::new(&SecretKey::generate(&mut rand_core::OsRng), &[])
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Whether a stored value is sealed (else it is plain text from before sealing).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }

    /// Whether a stored value was sealed with the current key.
    pub fn is_current(&self, value: &str) -> bool {
        key_id(value) == Some(self.current.id.as_str())
    }

    fn key(&self, id: &str) -> Option<&Key> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
    }

    /// Seals `plain` for `purpose` with the current key (the nonce is random: sealing the
    /// same value twice gives two different texts).
    pub fn seal(&self, purpose: &str, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: purpose.as_bytes(),
        };
        let sealed = self
            .current
            .cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("XChaCha20-Poly1305 seals any length keyward stores");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}.{}",
            self.current.id,
            STANDARD_NO_PAD.encode(bytes)
        )
    }

    /// Opens a value sealed for `purpose`. A wrong key, a wrong place or a changed text
    /// is an internal error (the data or the configuration is wrong, not the request).
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, Error> {
        let failed = |why: &str| Error::Internal(format!("cannot open a sealed {purpose}: {why}"));
        let (id, data) = sealed
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(|| failed("not a sealed value"))?;
        let key = self
            .key(id)
            .ok_or_else(|| failed(&format!("sealed with key {id}, which is not configured")))?;
        let bytes = STANDARD_NO_PAD
            .decode(data)
            .map_err(|_| failed("not base64"))?;
        if bytes.len() < 24 {
            return Err(failed("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let payload = Payload {
            msg: ciphertext,
            aad: purpose.as_bytes(),
        };
        let plain = key
            .cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| failed("it does not open with its key here"))?;
        String::from_utf8(plain).map_err(|_| failed("not text"))
    }

    /// Whether a stored value was sealed with a key this instance has.
    pub fn knows(&self, value: &str) -> bool {
        key_id(value).is_some_and(|id| self.key(id).is_some())
    }

    /// The key that signs login JWTs.
    pub fn jwt_key(&self) -> &[u8] {
        &self.current.jwt
    }

    /// The secret the expiry webhook's events are signed with, as receivers are given it
    /// (64 hex digits; the HMAC key is this text): the same on every instance with the same
    /// key, and new when the key is rotated.
    pub fn webhook_secret(&self) -> String {
        hex(&self.current.webhook)
    }

    /// Every key a login JWT may be signed with (current first).
    pub fn jwt_keys(&self) -> impl Iterator<Item = &[u8]> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|k| k.jwt.as_slice())
    }
}

impl crate::Backend {
    /// Seals every stored value that is plain text (from before sealing) or sealed with a
    /// previous key, with the current key; how many rows changed. Run at every start, so a
    /// key rotation completes by restarting with the new key (and the old one in
    /// `KEYWARD_SECRET_KEY_PREVIOUS`). A value no configured key opens is a configuration
    /// error: the server must not start and fail every sign-in of its owner.
    pub async fn reseal(&self) -> Result<u64, Error> {
        let sealer = &self.config.sealer;
        let reseal = |purpose: &str, value: &str| -> Result<Option<String>, Error> {
            if sealer.is_current(value) {
                return Ok(None);
            }
            if !Sealer::is_sealed(value) {
                return Ok(Some(sealer.seal(purpose, value)));
            }
            let plain = sealer.open(purpose, value).map_err(|_| {
                Error::Config(format!(
                    "a stored value ({purpose}) was sealed with a key this server does not have: \
                     set KEYWARD_SECRET_KEY (or the key file) to the key it was sealed with, or \
                     add that key to KEYWARD_SECRET_KEY_PREVIOUS"
                ))
            })?;
            Ok(Some(sealer.seal(purpose, &plain)))
        };
        self.repo().reseal_all(&reseal).await
    }
}

/// The id of the key that sealed a stored value.
fn key_id(value: &str) -> Option<&str> {
    let rest = value.strip_prefix(PREFIX)?;
    rest.split_once('.').map(|(id, _)| id)
}

/// The purpose of a user's TOTP seed (pending or confirmed).
pub fn totp_purpose(user_id: i64) -> String {
    format!("totp:{user_id}")
}

/// The purpose of a project secret's value.
pub fn secret_purpose(project_id: i64, name: &str) -> String {
    format!("secret:{project_id}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey([byte; 32])
    }

    #[test]
    fn seals_and_opens_for_its_place_only() {
        let s = Sealer::new(&key(1), &[]);
        let sealed = s.seal("totp:7", "JBSWY3DPEHPK3PXP");
        assert!(Sealer::is_sealed(&sealed) && s.is_current(&sealed));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            s.seal("totp:7", "JBSWY3DPEHPK3PXP"),
            "a fresh nonce each time"
        );
        assert_eq!(s.open("totp:7", &sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        // Copied into another user's row, it does not open.
        assert!(s.open("totp:8", &sealed).is_err());
        // One changed character, and it does not open.
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            s.open("totp:7", &String::from_utf8(tampered).unwrap())
                .is_err()
        );
        assert!(s.open("totp:7", "plain text").is_err());
    }

    #[test]
    fn rotation_opens_old_values_and_seals_with_the_new_key() {
        let old = Sealer::new(&key(1), &[]);
        let sealed = old.seal("secret:1:db", "hunter2");
        let other = Sealer::new(&key(2), &[]);
        let err = other.open("secret:1:db", &sealed).unwrap_err().to_string();
        assert!(err.contains("not configured"), "{err}");
        assert!(!other.knows(&sealed));
        let rotating = Sealer::new(&key(2), &[key(1)]);
        assert!(rotating.knows(&sealed) && !rotating.is_current(&sealed));
        assert_eq!(rotating.open("secret:1:db", &sealed).unwrap(), "hunter2");
        assert!(rotating.is_current(&rotating.seal("secret:1:db", "hunter2")));
        assert_eq!(rotating.jwt_keys().count(), 2);
        assert_ne!(old.jwt_key(), other.jwt_key());
    }

    #[test]
    fn keys_parse_from_hex() {
        let k = SecretKey::generate(&mut rand_core::OsRng);
        assert_eq!(SecretKey::parse(&k.to_hex()).unwrap().0, k.0);
        for bad in ["", "abc", &"g".repeat(64), &"a".repeat(63), &"é".repeat(32)] {
            assert!(SecretKey::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{k:?}").contains(&k.to_hex()));
    }
}
