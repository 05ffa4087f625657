//! The personal information a person keeps on their profile: display name, phone and IANA
//! timezone. Pure checks, shared by the page (the timezone list) and the server.

use crate::validate::{FieldError, NAME_MAX};

/// The timezones a person can choose: `UTC` and the IANA zones of `zone.tab` (tzdata
/// 2025b), one per line. A plain list keeps the WASM bundle free of a timezone database.
const TIMEZONE_LIST: &str = include_str!("timezones.txt");

pub const DEFAULT_TIMEZONE: &str = "UTC";

/// Every timezone a person can choose, `UTC` first, then by name.
pub fn timezones() -> impl Iterator<Item = &'static str> {
    TIMEZONE_LIST.lines().filter(|l| !l.is_empty())
}

pub fn timezone(s: &str) -> Result<&'static str, FieldError> {
    let s = s.trim();
    timezones()
        .find(|tz| *tz == s)
        .ok_or_else(|| FieldError::new("timezone", "Choose a timezone from the list."))
}

/// A display name: required, at most 100 characters, trimmed and normalised (see
/// [`crate::validate::text`]).
pub fn display_name(s: &str) -> Result<String, FieldError> {
    let s = crate::validate::text("display_name", s)?;
    if s.is_empty() {
        return Err(FieldError::new("display_name", "Display name is required."));
    }
    if s.chars().count() > NAME_MAX {
        return Err(FieldError::new(
            "display_name",
            format!(
                "Display name must be at most {NAME_MAX} characters, without control characters."
            ),
        ));
    }
    Ok(s)
}

/// A phone number as people write it: optional; otherwise 7 to 15 digits (E.164's bound),
/// an optional leading `+`, and spaces, dots, dashes or parentheses between them.
pub fn phone(s: &str) -> Result<&str, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(s);
    }
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let allowed = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'));
    if allowed && (7..=15).contains(&digits) && s.len() <= 32 {
        Ok(s)
    } else {
        Err(FieldError::new(
            "phone",
            "Enter a phone number of 7 to 15 digits, e.g. +41 44 668 18 00.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_are_the_iana_names() {
        let all: Vec<_> = timezones().collect();
        assert_eq!(all[0], "UTC");
        assert!(all.len() > 400, "{}", all.len());
        for tz in ["Europe/Zurich", "America/New_York", "Asia/Tokyo", "UTC"] {
            assert_eq!(timezone(tz), Ok(tz));
        }
        for bad in [
            "",
            "Mars/Olympus",
            "europe/zurich",
            "Europe/Zurich/Old",
            "UTC+2",
        ] {
            assert_eq!(timezone(bad).unwrap_err().field, "timezone", "{bad:?}");
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "",
            "+41 44 668 18 00",
            "(555) 123-4567",
            "0441234567",
            "+1.202.555.0143",
        ] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        for bad in [
            "12345",
            "+41 44 668 18 00 11 22 33",
            "call me",
            "+41+44 6681800",
            "12-34-56-78-x",
        ] {
            assert_eq!(phone(bad).unwrap_err().field, "phone", "{bad}");
        }
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name("  Ada Lovelace "), Ok("Ada Lovelace".into()));
        assert!(display_name("   ").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
        assert!(display_name("a\u{7}b").is_err());
    }
}

/// Why an avatar upload was refused. The upload is a plain form post, so the page learns
/// the reason from a code in the URL it is sent back to, never from free text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AvatarRefusal {
    #[error("Choose an image file to upload.")]
    Missing,
    #[error("The image is larger than 2 MiB.")]
    TooLarge,
    #[error("The file is not a PNG, JPEG or WebP image.")]
    NotAnImage,
    #[error("The image could not be read: the file is damaged.")]
    Unreadable,
    #[error("The image is too large: at most 4096 pixels a side and 16 megapixels.")]
    TooManyPixels,
}

impl AvatarRefusal {
    const ALL: [AvatarRefusal; 5] = [
        AvatarRefusal::Missing,
        AvatarRefusal::TooLarge,
        AvatarRefusal::NotAnImage,
        AvatarRefusal::Unreadable,
        AvatarRefusal::TooManyPixels,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AvatarRefusal::Missing => "missing",
            AvatarRefusal::TooLarge => "too_large",
            AvatarRefusal::NotAnImage => "not_an_image",
            AvatarRefusal::Unreadable => "unreadable",
            AvatarRefusal::TooManyPixels => "dimensions",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[cfg(test)]
mod avatar_tests {
    use super::*;

    #[test]
    fn refusal_codes_round_trip() {
        for r in AvatarRefusal::ALL {
            assert_eq!(AvatarRefusal::from_code(r.code()), Some(r));
        }
        assert_eq!(AvatarRefusal::from_code("<script>"), None);
    }
}
