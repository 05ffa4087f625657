//! A million generated inputs against the two parsers every request meets first: the token
//! parser (format, prefix, checksum) and the `Authorization: Bearer` header parser. Neither
//! may panic, and what they accept must be exactly what they should: a parsed token is a
//! whole, well-formed value of its kind, never a near miss. Deterministic (a fixed seed), so
//! a failure is reproducible; `FUZZ_INPUTS` changes the count (`make fuzz` runs ten million).

use keyward_backend::auth::bearer_token;
use keyward_core::{TokenKind, token};

/// xorshift64*: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl rand_core::RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        self.next() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.next()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

const PIECES: [&str; 16] = [
    "kwat_",
    "kwst_",
    "KWAT_",
    "kw_",
    "_",
    "0",
    "Z",
    "z",
    "é",
    "\u{202E}",
    "\u{0}",
    " ",
    "\t",
    "Bearer ",
    "bearer",
    "\u{1F600}",
];

/// A candidate: a real token changed a little, or text built from pieces and random bytes.
fn candidate(rng: &mut Rng, real: &[String]) -> String {
    let mut s = real[rng.below(real.len())].clone();
    match rng.below(8) {
        // One character replaced (a typo; the checksum must catch it).
        0 | 1 => {
            let chars: Vec<char> = s.chars().collect();
            let at = rng.below(chars.len());
            let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
            let new = alphabet[rng.below(alphabet.len())] as char;
            s = chars
                .iter()
                .enumerate()
                .map(|(i, c)| if i == at { new } else { *c })
                .collect();
        }
        // Cut short, or grown.
        2 => s.truncate(rng.below(s.len())),
        3 => s.push_str(PIECES[rng.below(PIECES.len())]),
        // Two characters swapped.
        4 => {
            let mut b = s.into_bytes();
            let (i, j) = (rng.below(b.len()), rng.below(b.len()));
            b.swap(i, j);
            s = String::from_utf8_lossy(&b).into_owned();
        }
        // Pieces and raw bytes.
        5 | 6 => {
            s.clear();
            for _ in 0..rng.below(12) {
                if rng.below(2) == 0 {
                    s.push_str(PIECES[rng.below(PIECES.len())]);
                } else {
                    let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                    s.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
        }
        // The real one, untouched (the control: it must parse).
        _ => {}
    }
    s
}

#[test]
fn parsers_survive_a_million_inputs_and_accept_only_real_tokens() {
    let count: usize = std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(0x5EED_CAFE_F00D_BEEF);
    let real: Vec<String> = (0..64)
        .map(|i| {
            let kind = if i % 2 == 0 {
                TokenKind::ApiToken
            } else {
                TokenKind::ServiceToken
            };
            token::generate(kind, &mut rng).expose().to_string()
        })
        .collect();
    let (mut accepted, mut near_misses) = (0usize, 0usize);
    for _ in 0..count {
        let s = candidate(&mut rng, &real);
        let header = match rng.below(4) {
            0 => format!("Bearer {s}"),
            1 => format!("bEaReR   {s}  "),
            2 => format!("Basic {s}"),
            _ => s.clone(),
        };
        // The header parser: a bearer value only after the Bearer scheme, trimmed.
        let bearer = bearer_token(&header);
        if let Some(value) = bearer {
            assert!(
                header.to_lowercase().trim_start().starts_with("bearer"),
                "{header:?}"
            );
            assert_eq!(value, value.trim(), "{header:?}");
        }
        match token::parse(&s) {
            Ok(parsed) => {
                // Only whole real values parse, with surrounding whitespace (a pasted
                // newline) tolerated; a near miss passing its checksum by chance is
                // possible in theory, about 1 in 4 billion: it would show here.
                let value = s.trim();
                assert!(
                    real.iter().any(|r| r == value),
                    "accepted a value never minted: {s:?}"
                );
                assert_eq!(parsed.display_prefix(), &value[..12]);
                accepted += 1;
            }
            Err(_) => {
                if s.len() == real[0].len() && s.is_ascii() {
                    near_misses += 1;
                }
            }
        }
    }
    // The generator reached both sides: real tokens, and same-length look-alikes refused.
    assert!(accepted > count / 20, "{accepted} accepted of {count}");
    assert!(
        near_misses > count / 10,
        "{near_misses} near misses of {count}"
    );
}
