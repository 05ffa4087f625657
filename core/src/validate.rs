//! Input rules shared by the page (to explain early), the server (to enforce) and the CLI.
//! Each failure names the field it is about, so it can be shown next to that field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::expiry::expiry_instant;

/// A rule broken by one input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's machine name (`name`, `expires_at`, `username`, ...).
    pub field: String,
    /// A sentence for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The default lifetime offered for a new API token.
pub const DEFAULT_API_TOKEN_DAYS: u32 = 30;
/// The default maximum lifetime of an API token (an admin may change it).
pub const DEFAULT_MAX_TOKEN_DAYS: u32 = 366;
/// The default lifetime of a new service token; `0` means it never expires.
pub const DEFAULT_SERVICE_TOKEN_DAYS: u32 = 365;
pub const NAME_MAX: usize = 100;
/// Longest description of a service principal.
pub const DESCRIPTION_MAX: usize = 500;
pub const PASSWORD_MIN: usize = 12;

/// 3-32 of `a-z0-9._-`.
pub fn username(s: &str) -> Result<&str, FieldError> {
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !(3..=32).contains(&s.len()) || !ok_chars {
        return Err(FieldError::new(
            "username",
            "Username must be 3-32 characters of a-z, 0-9, '.', '_' or '-'.",
        ));
    }
    Ok(s)
}

/// A token's name: 1-100 characters after trimming, no control characters.
pub fn token_name(s: &str) -> Result<String, FieldError> {
    name("name", s)
}

/// Characters no name or description may hold: control characters; the bidirectional
/// overrides, embeddings and isolates, which make text display as something it is not
/// (`deploy\u{202E}txt.exe` shows as `deployexe.txt`); the line and paragraph separators;
/// and the invisible ones (zero-width space, joiners, soft hyphen, fillers, variation
/// selectors, tags, byte order mark: Unicode's format characters and the blanks that look
/// like nothing), which make two different names look the same.
pub fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
            | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// Text a person typed, as it is stored: trimmed, in Unicode NFC (so an `é` typed as one
/// character or as `e` and an accent is one and the same name), refused if it holds a
/// deceptive character.
pub fn text(field: &str, s: &str) -> Result<String, FieldError> {
    use unicode_normalization::UnicodeNormalization;
    if s.chars().any(is_deceptive) {
        return Err(FieldError::new(
            field,
            "Must not contain control, direction-changing or invisible characters.",
        ));
    }
    Ok(s.trim().nfc().collect())
}

/// The name of anything (token, organization, team, project, operation log): 1-100
/// characters after trimming and normalising (see [`text`]).
pub fn name(field: &str, s: &str) -> Result<String, FieldError> {
    let s = text(field, s)?;
    if s.is_empty() {
        return Err(FieldError::new(field, "Name is required."));
    }
    if s.chars().count() > NAME_MAX {
        return Err(FieldError::new(
            field,
            format!("Name must be at most {NAME_MAX} characters."),
        ));
    }
    Ok(s)
}

/// Parses the date field of the token forms (`YYYY-MM-DD`, as `<input type=date>` sends it).
pub fn date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "Enter a date as YYYY-MM-DD."))
}

/// An API token's expiration date: strictly after today, at most `max_days` ahead.
/// Returns the instant the token stops working.
pub fn api_token_expiry(
    date: NaiveDate,
    now: DateTime<Utc>,
    max_days: u32,
) -> Result<DateTime<Utc>, FieldError> {
    let at = expiry_instant(date);
    if at <= now {
        return Err(FieldError::new(
            "expires_at",
            "Expiration date must be in the future.",
        ));
    }
    let latest = crate::expiry::date_in_days(now, max_days);
    if date > latest {
        return Err(FieldError::new(
            "expires_at",
            format!("Expiration date must be at most {max_days} days from today ({latest})."),
        ));
    }
    Ok(at)
}

/// A service token's `expires_in_days` as typed: a whole number of days, `0` for never.
pub fn expires_in_days(s: &str) -> Result<u32, FieldError> {
    s.trim().parse().map_err(|_| {
        FieldError::new(
            "expires_in_days",
            "Enter a whole number of days (0 means the token never expires).",
        )
    })
}

/// When a service token minted at `now` for `days` stops working (`None`: never). At most
/// `max_days`; never-expiring tokens only while the policy allows them.
pub fn service_token_expiry(
    days: u32,
    now: DateTime<Utc>,
    max_days: u32,
    allow_never: bool,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    if days == 0 {
        return if allow_never {
            Ok(None)
        } else {
            Err(FieldError::new(
                "expires_in_days",
                "Never-expiring service tokens are not allowed on this installation.",
            ))
        };
    }
    if days > max_days {
        return Err(FieldError::new(
            "expires_in_days",
            format!("A service token may live at most {max_days} days."),
        ));
    }
    Ok(Some(now + chrono::TimeDelta::days(i64::from(days))))
}

/// A service principal's description: at most 500 characters, trimmed and normalised.
pub fn description(s: &str) -> Result<String, FieldError> {
    let s = text("principal_description", s)?;
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(FieldError::new(
            "principal_description",
            format!("Description must be at most {DESCRIPTION_MAX} characters."),
        ));
    }
    Ok(s)
}

/// Password policy: at least 12 characters and not the username.
pub fn password<'a>(password: &'a str, username: &str) -> Result<&'a str, FieldError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(FieldError::new(
            "password",
            format!("Password must be at least {PASSWORD_MIN} characters."),
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(FieldError::new(
            "password",
            "Password must not be the same as the username.",
        ));
    }
    Ok(password)
}

/// A plausible email address (one `@`, something on each side, a dot in the domain).
pub fn email(s: &str) -> Result<&str, FieldError> {
    let s = s.trim();
    let valid = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(s.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(s)
    } else {
        Err(FieldError::new("email", "Enter a valid email address."))
    }
}

/// A project's config document: JSON text that must hold an object. A parse error names the
/// line and column in words ("line 3, column 1"), the same on the page and in `kw`.
pub fn config_document(text: &str) -> Result<serde_json::Value, FieldError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        // serde_json's message without its own " at line L column C" (said in words below).
        let problem = e.to_string();
        let problem = problem
            .rfind(" at line ")
            .map_or(problem.as_str(), |at| &problem[..at]);
        FieldError::new(
            "config",
            format!(
                "Not valid JSON: {problem} (line {}, column {}).",
                e.line(),
                e.column()
            ),
        )
    })?;
    if !value.is_object() {
        return Err(FieldError::new(
            "config",
            "The config must be a JSON object.",
        ));
    }
    Ok(value)
}

/// A secret's name: 1-100 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`. Names travel as one
/// URL path segment, where `.` and `..` would name another route.
pub fn secret_name(name: &str) -> Result<&str, FieldError> {
    let ok = (1..=100).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(FieldError::new(
            "name",
            "Secret names are 1-100 characters of A-Z, a-z, 0-9, '.', '_' or '-', other than '.' and '..'.",
        ))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn secret_names_fit_one_url_segment() {
        use super::secret_name;
        for good in [
            "API_KEY",
            "db.password",
            "a",
            "...",
            "-x-",
            &"k".repeat(100),
        ] {
            assert_eq!(secret_name(good), Ok(good));
        }
        for bad in [
            ".",
            "..",
            "",
            "a/b",
            "KEY=value",
            "sp ace",
            "é",
            &"k".repeat(101),
        ] {
            assert_eq!(secret_name(bad).unwrap_err().field, "name", "{bad:?}");
        }
    }

    #[test]
    fn names_are_normalised_and_refuse_deceptive_characters() {
        // One é, or e and a combining accent: the same stored name.
        assert_eq!(
            name("name", " caf\u{0065}\u{0301} ").unwrap(),
            "caf\u{00e9}"
        );
        assert_eq!(name("name", "caf\u{00e9}").unwrap(), "caf\u{00e9}");
        for bad in [
            "deploy\u{202E}txt.exe",
            "a\u{2066}b",
            "admin\u{200B}",
            "zero\u{2060}joiner",
            "\u{FEFF}bom",
            "tab\tinside",
            "nul\u{0}",
            "soft\u{00AD}hyphen",
            "line\u{2028}break",
            "hangul\u{3164}filler",
            "varied\u{FE0F}",
            "tag\u{E0041}",
            "\u{180E}mongolian",
        ] {
            let e = name("name", bad).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
            assert!(e.message.contains("invisible"), "{bad:?}");
            assert!(description(bad).is_err(), "{bad:?}");
        }
        // Emoji with joiners are made of ZWJ sequences: refused too, as invisible joiners.
        assert!(name("name", "team \u{1F469}\u{200D}\u{1F4BB}").is_err());
        assert_eq!(name("name", "Équipe ☃").unwrap(), "Équipe ☃");
    }

    use super::*;
    use chrono::TimeZone;

    #[test]
    fn usernames() {
        for ok in ["abc", "a.b_c-d", "x23456789012345678901234567890yz"] {
            assert!(username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Alice",
            "a b",
            "é-user",
            "x234567890123456789012345678901yz",
            "",
        ] {
            assert_eq!(username(bad).unwrap_err().field, "username", "{bad}");
        }
    }

    #[test]
    fn service_token_lifetimes() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        assert_eq!(expires_in_days(" 365 ").unwrap(), 365);
        for bad in ["", "-1", "1.5", "ten", "99999999999"] {
            assert_eq!(
                expires_in_days(bad).unwrap_err().field,
                "expires_in_days",
                "{bad}"
            );
        }
        assert_eq!(
            service_token_expiry(1, now, 366, true).unwrap(),
            Some(now + chrono::TimeDelta::days(1))
        );
        assert!(service_token_expiry(366, now, 366, true).unwrap().is_some());
        assert!(service_token_expiry(367, now, 366, true).is_err());
        assert_eq!(service_token_expiry(0, now, 366, true).unwrap(), None);
        assert_eq!(
            service_token_expiry(0, now, 366, false).unwrap_err().field,
            "expires_in_days"
        );
        assert!(description(&"d".repeat(500)).is_ok());
        assert!(description(&"d".repeat(501)).is_err());
    }

    #[test]
    fn token_names() {
        assert_eq!(token_name("  ci deploy ").unwrap(), "ci deploy");
        assert!(token_name("   ").is_err());
        assert!(token_name(&"x".repeat(100)).is_ok());
        assert!(token_name(&"x".repeat(101)).is_err());
        assert!(token_name("a\u{0}b").is_err());
    }

    #[test]
    fn expiry_dates() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(
            api_token_expiry(d(2026, 11, 23), now, 366).is_err(),
            "today"
        );
        assert!(api_token_expiry(d(2020, 1, 1), now, 366).is_err(), "past");
        assert_eq!(
            api_token_expiry(d(2026, 11, 24), now, 366).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()
        );
        assert!(
            api_token_expiry(d(2027, 11, 24), now, 366).is_ok(),
            "366 days"
        );
        let err = api_token_expiry(d(2027, 11, 25), now, 366).unwrap_err();
        assert_eq!(err.field, "expires_at");
        assert!(err.message.contains("366"));
        assert!(date("expires_at", "2026-13-01").is_err());
        assert!(date("expires_at", "").is_err());
    }

    #[test]
    fn passwords_and_emails() {
        assert!(password("short", "alice").is_err());
        assert!(password("aliceALICEaliceALICE", "alicealicealicealice").is_err());
        assert!(password("correct horse battery", "alice").is_ok());
        assert!(email("a@b.co").is_ok());
        for bad in ["", "a@b", "@b.co", "a b@c.de", "a@@b.co", "a@b.co."] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_documents_are_json_objects_with_errors_in_words() {
        assert_eq!(
            config_document(r#"{"replicas": 2}"#).unwrap()["replicas"],
            2
        );
        let e = config_document("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!(e.field, "config");
        assert_eq!(
            e.message,
            "Not valid JSON: trailing comma (line 3, column 1)."
        );
        let e = config_document("[1, 2]").unwrap_err();
        assert_eq!(e.message, "The config must be a JSON object.");
        assert!(config_document("").is_err());
    }
}
