//! The bearer token format shared by the server, the WASM page and the `kw` client.
//!
//! `<kind>_<30 base62 random chars><6 base62 chars of CRC32 over everything before it>`
//!
//! The checksum lets every party reject a mistyped or foreign string without a database
//! lookup (the same idea as GitHub's `ghp_` tokens). The regex for secret scanners is
//! [`TOKEN_REGEX`].

use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// 0-9, A-Z, a-z: the order fixes how checksums are written, so it never changes.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters of CSPRNG output: 30 × log2(62) ≈ 178 bits.
pub const RANDOM_LEN: usize = 30;
/// CRC32 < 2^32 < 62^6, so six base62 digits always hold it.
pub const CHECKSUM_LEN: usize = 6;
/// Stored beside the hash and shown in tables, logs and errors: enough to tell tokens apart,
/// far too little to use (7 random characters).
pub const DISPLAY_PREFIX_LEN: usize = 12;
/// The published pattern of every keyward token, for secret scanners.
pub const TOKEN_REGEX: &str = r"\bkw(at|st)_[0-9A-Za-z]{36}\b";

/// Which credential a token is. The prefixes are part of the product: never change one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `kwat_`: user-bound API token.
    ApiToken,
    /// `kwst_`: service token, bound to a service principal.
    ServiceToken,
}

impl TokenKind {
    pub const ALL: [TokenKind; 2] = [TokenKind::ApiToken, TokenKind::ServiceToken];

    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::ApiToken => "kwat_",
            TokenKind::ServiceToken => "kwst_",
        }
    }

    /// `api` or `service`: the kind in words short enough for a column or an id.
    pub fn short_name(self) -> &'static str {
        match self {
            TokenKind::ApiToken => "api",
            TokenKind::ServiceToken => "service",
        }
    }

    fn from_prefix(s: &str) -> Option<TokenKind> {
        TokenKind::ALL
            .into_iter()
            .find(|k| s.starts_with(k.prefix()))
    }
}

/// Why a string is not a keyward token. None of these needs the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("not a keyward token (unknown prefix)")]
    UnknownPrefix,
    #[error("token has the wrong length")]
    Length,
    #[error("token contains characters outside base62")]
    Charset,
    #[error("token checksum does not match (mistyped or truncated?)")]
    Checksum,
}

/// A string that passed every offline check: right prefix, length, alphabet and checksum.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedToken<'a> {
    kind: TokenKind,
    value: &'a str,
}

impl<'a> ParsedToken<'a> {
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// SHA-256 of the whole token, hex: the only form the database ever holds.
    pub fn hash(&self) -> String {
        hash_token(self.value)
    }

    pub fn display_prefix(&self) -> &'a str {
        &self.value[..DISPLAY_PREFIX_LEN]
    }
}

impl std::fmt::Debug for ParsedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParsedToken({}…)", self.display_prefix())
    }
}

/// Total length of every token: prefix (5) + random + checksum = 41.
pub const TOKEN_LEN: usize = 5 + RANDOM_LEN + CHECKSUM_LEN;

/// Mints a new token of `kind` from `rng` (the caller passes a CSPRNG; tests pass a seeded one).
pub fn generate(kind: TokenKind, rng: &mut impl RngCore) -> Secret {
    let mut value = String::with_capacity(TOKEN_LEN);
    value.push_str(kind.prefix());
    let mut filled = 0;
    let mut buf = [0u8; 64];
    while filled < RANDOM_LEN {
        rng.fill_bytes(&mut buf);
        for &b in &buf {
            // 248 = 4 × 62: rejecting the top 8 byte values keeps every character equally likely.
            if b < 248 && filled < RANDOM_LEN {
                value.push(BASE62[(b % 62) as usize] as char);
                filled += 1;
            }
        }
    }
    let checksum = encode_checksum(crc32fast::hash(value.as_bytes()));
    value.push_str(&checksum);
    Secret::new(value)
}

/// Validates `s` offline. Surrounding whitespace (a pasted newline) is tolerated.
pub fn parse(s: &str) -> Result<ParsedToken<'_>, TokenFormatError> {
    let s = s.trim();
    let kind = TokenKind::from_prefix(s).ok_or(TokenFormatError::UnknownPrefix)?;
    if s.len() != TOKEN_LEN {
        return Err(TokenFormatError::Length);
    }
    let body = &s.as_bytes()[kind.prefix().len()..];
    if !body.iter().all(u8::is_ascii_alphanumeric) {
        return Err(TokenFormatError::Charset);
    }
    let (head, checksum) = s.split_at(TOKEN_LEN - CHECKSUM_LEN);
    if encode_checksum(crc32fast::hash(head.as_bytes())) != checksum {
        return Err(TokenFormatError::Checksum);
    }
    Ok(ParsedToken { kind, value: s })
}

/// SHA-256 hex of a token value. Tokens carry ~178 bits of entropy, so a fast hash is right
/// here (Argon2 is for low-entropy passwords).
pub fn hash_token(value: &str) -> String {
    sha256_hex(value.as_bytes())
}

/// Lower-case hex SHA-256, the stored form of every high-entropy secret (tokens, session ids,
/// setup codes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes` (keys, MACs, random secrets).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    out
}

/// The first [`DISPLAY_PREFIX_LEN`] characters of anything token-like, safe to log.
/// Shorter input yields itself only if it cannot be a secret (it is shorter than a prefix).
pub fn display_prefix(value: &str) -> &str {
    let end = value
        .char_indices()
        .nth(DISPLAY_PREFIX_LEN)
        .map_or(value.len(), |(i, _)| i);
    &value[..end]
}

fn encode_checksum(mut n: u32) -> String {
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    // Only ASCII from BASE62 was written.
    digits.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn token(kind: TokenKind, seed: u64) -> Secret {
        generate(kind, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    #[test]
    fn generated_tokens_have_the_published_shape() {
        for kind in TokenKind::ALL {
            let t = token(kind, 7);
            let v = t.expose();
            assert_eq!(v.len(), TOKEN_LEN);
            assert!(v.starts_with(kind.prefix()));
            assert!(v[5..].bytes().all(|b| b.is_ascii_alphanumeric()));
            assert_eq!(parse(v).unwrap().kind(), kind);
        }
    }

    #[test]
    fn checksum_is_crc32_of_the_head_in_base62() {
        let t = token(TokenKind::ApiToken, 1);
        let v = t.expose();
        let crc = crc32fast::hash(&v.as_bytes()[..35]);
        let decoded = v[35..].bytes().fold(0u64, |acc, b| {
            acc * 62 + BASE62.iter().position(|&c| c == b).unwrap() as u64
        });
        assert_eq!(decoded, crc as u64);
    }

    #[test]
    fn foreign_and_malformed_strings_are_rejected() {
        let good = token(TokenKind::ApiToken, 3);
        let v = good.expose();
        assert_eq!(parse(""), Err(TokenFormatError::UnknownPrefix));
        assert_eq!(
            parse("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            Err(TokenFormatError::UnknownPrefix)
        );
        assert_eq!(parse("Bearer kwat_x"), Err(TokenFormatError::UnknownPrefix));
        assert_eq!(parse(&v[..40]), Err(TokenFormatError::Length));
        assert_eq!(parse(&format!("{v}a")), Err(TokenFormatError::Length));
        let mut bad = v.to_string();
        bad.replace_range(10..11, "-");
        assert_eq!(parse(&bad), Err(TokenFormatError::Charset));
        // A multi-byte character of the same byte length must not panic on slicing.
        let mut utf = v[..39].to_string();
        utf.push('é');
        assert!(parse(&utf).is_err());
        // The same random part under the other kind's prefix fails the checksum.
        let swapped = format!("kwst_{}", &v[5..]);
        assert_eq!(parse(&swapped), Err(TokenFormatError::Checksum));
    }

    #[test]
    fn surrounding_whitespace_is_tolerated() {
        let t = token(TokenKind::ServiceToken, 4);
        let pasted = format!("  {}\n", t.expose());
        assert_eq!(parse(&pasted).unwrap().hash(), hash_token(t.expose()));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // Known vector: sha256("abc").
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn display_prefix_is_twelve_chars_and_safe_on_short_input() {
        let t = token(TokenKind::ApiToken, 5);
        assert_eq!(display_prefix(t.expose()).len(), 12);
        assert_eq!(
            parse(t.expose()).unwrap().display_prefix(),
            &t.expose()[..12]
        );
        assert_eq!(display_prefix("kw"), "kw");
        assert_eq!(display_prefix("ééééééééééééééé").chars().count(), 12);
    }

    proptest! {
        #[test]
        fn round_trip(seed in any::<u64>(), service in any::<bool>()) {
            let kind = if service { TokenKind::ServiceToken } else { TokenKind::ApiToken };
            let t = token(kind, seed);
            let parsed = parse(t.expose()).unwrap();
            prop_assert_eq!(parsed.kind(), kind);
            prop_assert_eq!(parsed.hash(), hash_token(t.expose()));
        }

        /// CRC32 detects every single-character error, so no one-character change of a valid
        /// token can parse (either the prefix, the alphabet or the checksum rejects it).
        #[test]
        fn every_single_character_change_is_rejected(
            seed in any::<u64>(),
            pos in 0usize..TOKEN_LEN,
            replacement in proptest::char::range('!', '~'),
        ) {
            let t = token(TokenKind::ApiToken, seed);
            let original = t.expose();
            prop_assume!(original.as_bytes()[pos] as char != replacement);
            let mut changed = original.to_string();
            changed.replace_range(pos..pos + 1, &replacement.to_string());
            prop_assert!(parse(&changed).is_err(), "accepted {changed}");
        }

        #[test]
        fn arbitrary_strings_never_panic_and_rarely_parse(s in "\\PC{0,60}") {
            // Random strings almost never carry a valid prefix and checksum together.
            if let Ok(p) = parse(&s) {
                prop_assert!(s.trim().starts_with(p.kind().prefix()));
            }
        }
    }
}
