//! The installation's token settings (`/admin/settings`, `keyward admin settings`): the
//! lifetime policy the forms offer and the services enforce from the next request on, and
//! the expiry webhook. Tightening the policy never touches an existing token: it keeps its
//! date and is shown as beyond policy ([`Policy::beyond`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// The longest lifetime a policy may allow, in days (ten years).
pub const MAX_LIFETIME_DAYS: u32 = 3660;
/// The longest rotation grace a policy may allow, in minutes (seven days).
pub const MAX_GRACE_MINUTES: u32 = 7 * 24 * 60;
/// Longest expiry webhook URL.
pub const URL_MAX: usize = 2000;

/// What every person's token forms follow. Sent to the profile page, so it holds nothing an
/// ordinary user should not see (the webhook URL is in [`Settings`] only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The longest lifetime of a new API or service token.
    pub max_token_days: u32,
    /// Whether a service token may be minted that never expires.
    pub allow_never_expiring: bool,
    /// The lifetime the New API token form proposes (capped by the maximum).
    pub default_api_token_days: u32,
    /// The longest time an old value may keep working after a rotation.
    pub max_rotation_grace_minutes: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_token_days: crate::validate::DEFAULT_MAX_TOKEN_DAYS,
            allow_never_expiring: true,
            default_api_token_days: crate::validate::DEFAULT_API_TOKEN_DAYS,
            max_rotation_grace_minutes: 24 * 60,
        }
    }
}

impl Policy {
    /// The lifetime a new API token is offered: the default, never beyond the maximum (an
    /// admin who lowers the maximum need not lower the default too).
    pub fn api_token_days(&self) -> u32 {
        self.default_api_token_days.min(self.max_token_days)
    }

    /// Whether a token that stops at `expires_at` (`None`: never) outlives any token the
    /// policy would allow minting at `now`: it was minted under a looser policy.
    pub fn beyond(&self, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        match expires_at {
            None => !self.allow_never_expiring,
            Some(at) => at > now + TimeDelta::days(self.max_token_days.into()),
        }
    }
}

/// The whole of `/admin/settings`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub policy: Policy,
    /// Where expiry notices are POSTed; `None`: nowhere.
    pub expiry_webhook_url: Option<String>,
}

/// One setting: its name is the form field's and `keyward admin settings`' KEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    MaxTokenDays,
    AllowNeverExpiring,
    DefaultApiTokenDays,
    MaxRotationGraceMinutes,
    ExpiryWebhookUrl,
}

impl Key {
    pub const ALL: [Key; 5] = [
        Key::MaxTokenDays,
        Key::AllowNeverExpiring,
        Key::DefaultApiTokenDays,
        Key::MaxRotationGraceMinutes,
        Key::ExpiryWebhookUrl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Key::MaxTokenDays => "max_token_days",
            Key::AllowNeverExpiring => "allow_never_expiring",
            Key::DefaultApiTokenDays => "default_api_token_days",
            Key::MaxRotationGraceMinutes => "max_rotation_grace_minutes",
            Key::ExpiryWebhookUrl => "expiry_webhook_url",
        }
    }

    /// The form field's label.
    pub fn label(self) -> &'static str {
        match self {
            Key::MaxTokenDays => "Maximum token lifetime (days)",
            Key::AllowNeverExpiring => "Allow never-expiring service tokens",
            Key::DefaultApiTokenDays => "Default API token lifetime (days)",
            Key::MaxRotationGraceMinutes => "Maximum rotation grace (minutes)",
            Key::ExpiryWebhookUrl => "Expiry webhook URL",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Key {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        Key::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Key::ALL.iter().map(|k| k.as_str()).collect();
                FieldError::new(
                    "key",
                    format!("Unknown setting; the settings are {}.", known.join(", ")),
                )
            })
    }
}

impl Settings {
    /// The setting as text: what `set` takes back (`""` for no webhook URL).
    pub fn get(&self, key: Key) -> String {
        let p = &self.policy;
        match key {
            Key::MaxTokenDays => p.max_token_days.to_string(),
            Key::AllowNeverExpiring => p.allow_never_expiring.to_string(),
            Key::DefaultApiTokenDays => p.default_api_token_days.to_string(),
            Key::MaxRotationGraceMinutes => p.max_rotation_grace_minutes.to_string(),
            Key::ExpiryWebhookUrl => self.expiry_webhook_url.clone().unwrap_or_default(),
        }
    }

    /// Sets one setting from text, or says (on the setting's field) why the value is refused;
    /// a refused value changes nothing.
    pub fn set(&mut self, key: Key, value: &str) -> Result<(), FieldError> {
        let value = value.trim();
        let p = &mut self.policy;
        match key {
            Key::MaxTokenDays => p.max_token_days = days(key, value)?,
            Key::DefaultApiTokenDays => p.default_api_token_days = days(key, value)?,
            Key::AllowNeverExpiring => {
                p.allow_never_expiring = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(FieldError::new(key.as_str(), "Enter true or false.")),
                }
            }
            Key::MaxRotationGraceMinutes => {
                p.max_rotation_grace_minutes =
                    whole(value, 0, MAX_GRACE_MINUTES).ok_or_else(|| {
                        FieldError::new(
                            key.as_str(),
                            format!(
                                "Enter a whole number of minutes from 0 (no grace) to \
                                 {MAX_GRACE_MINUTES} (7 days)."
                            ),
                        )
                    })?
            }
            Key::ExpiryWebhookUrl => self.expiry_webhook_url = webhook_url(value)?,
        }
        Ok(())
    }
}

fn whole(value: &str, min: u32, max: u32) -> Option<u32> {
    value.parse().ok().filter(|n| (min..=max).contains(n))
}

fn days(key: Key, value: &str) -> Result<u32, FieldError> {
    whole(value, 1, MAX_LIFETIME_DAYS).ok_or_else(|| {
        FieldError::new(
            key.as_str(),
            format!("Enter a whole number of days from 1 to {MAX_LIFETIME_DAYS}."),
        )
    })
}

/// An `https` URL with a host and nothing that parsers read differently (empty: no
/// webhook); plain `http` only to this machine (a local receiver), since the notices name
/// tokens and their owners. Plain ASCII only: no spaces, control or invisible characters
/// that would make it display as another address, no user name or password, no backslash
/// (which some parsers take for a slash, and so for the end of the host).
fn webhook_url(value: &str) -> Result<Option<String>, FieldError> {
    if value.is_empty() {
        return Ok(None);
    }
    let refuse = |message: &str| Err(FieldError::new(Key::ExpiryWebhookUrl.as_str(), message));
    if value.chars().count() > URL_MAX {
        return refuse(&format!("The URL must be at most {URL_MAX} characters."));
    }
    if !value.chars().all(|c| c.is_ascii_graphic()) || value.contains('\\') {
        return refuse(
            "The URL must be plain ASCII with no spaces or backslashes (percent-encode the rest).",
        );
    }
    let (plain, rest) = match (
        value.strip_prefix("https://"),
        value.strip_prefix("http://"),
    ) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        _ => return refuse("Enter a URL that starts with https://."),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return refuse("The URL must not hold a user name or password.");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, port)) if port.is_empty() || port.starts_with(':') => {
                (host, port.strip_prefix(':'))
            }
            _ => return refuse("Enter a URL with a valid host."),
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    if host.is_empty() || !port_ok {
        return refuse("Enter a URL with a host name, e.g. https://hooks.example.com/keyward.");
    }
    let this_machine = host == "localhost"
        || host == "::1"
        || (host.starts_with("127.") && host.split('.').all(|o| o.parse::<u8>().is_ok()));
    if plain && !this_machine {
        return refuse("Use https:// (plain http:// is only for a receiver on this machine).");
    }
    Ok(Some(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    #[test]
    fn every_key_reads_back_what_was_set() {
        let mut s = Settings::default();
        let values = [
            "30",
            "false",
            "14",
            "60",
            "https://hooks.example.com:8443/kw?x=1",
        ];
        for (key, value) in Key::ALL.into_iter().zip(values) {
            s.set(key, value).unwrap();
            assert_eq!(s.get(key), value);
            assert_eq!(key.as_str().parse::<Key>().unwrap(), key);
        }
        assert_eq!(s.policy.max_token_days, 30);
        assert!(!s.policy.allow_never_expiring);
        assert_eq!(s.policy.default_api_token_days, 14);
        assert_eq!(s.policy.max_rotation_grace_minutes, 60);
        for local in [
            "http://127.0.0.1:9000/h",
            "http://localhost/x",
            "http://[::1]:80/",
        ] {
            s.set(Key::ExpiryWebhookUrl, local).unwrap();
        }
        s.set(Key::ExpiryWebhookUrl, " ").unwrap();
        assert_eq!(s.expiry_webhook_url, None);
    }

    #[test]
    fn refused_values_name_their_field_and_change_nothing() {
        let bad = [
            (Key::MaxTokenDays, "0"),
            (Key::MaxTokenDays, "3661"),
            (Key::MaxTokenDays, "-1"),
            (Key::MaxTokenDays, "1.5"),
            (Key::DefaultApiTokenDays, ""),
            (Key::AllowNeverExpiring, "yes"),
            (Key::MaxRotationGraceMinutes, "10081"),
            (Key::MaxRotationGraceMinutes, "x"),
            (Key::ExpiryWebhookUrl, "ftp://example.com"),
            (Key::ExpiryWebhookUrl, "https://"),
            (Key::ExpiryWebhookUrl, "https:///path"),
            (Key::ExpiryWebhookUrl, "https://user@/x"),
            (Key::ExpiryWebhookUrl, "https://exa mple.com"),
            (
                Key::ExpiryWebhookUrl,
                "https://good.example\\@evil.example/",
            ),
            (
                Key::ExpiryWebhookUrl,
                "https://user:pass@hooks.example.com/",
            ),
            (Key::ExpiryWebhookUrl, "https://hooks.example.com:notaport/"),
            (Key::ExpiryWebhookUrl, "https://hooks.example.com:0/"),
            (Key::ExpiryWebhookUrl, "https://[::1/"),
            (Key::ExpiryWebhookUrl, "http://hooks.example.com/"),
            (Key::ExpiryWebhookUrl, "http://127.0.0.1.evil.example/"),
            (Key::ExpiryWebhookUrl, "https://example.com/\u{202e}"),
            (Key::ExpiryWebhookUrl, "javascript:alert(1)"),
        ];
        for (key, value) in bad {
            let mut s = Settings::default();
            let err = s.set(key, value).unwrap_err();
            assert_eq!(err.field, key.as_str(), "{key} = {value:?}");
            assert_eq!(s, Settings::default(), "{key} = {value:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert!(
            Settings::default()
                .set(Key::ExpiryWebhookUrl, &long)
                .is_err()
        );
        assert_eq!("max_days".parse::<Key>().unwrap_err().field, "key");
    }

    #[test]
    fn the_default_lifetime_never_exceeds_the_maximum() {
        let mut p = Policy::default();
        assert_eq!(p.api_token_days(), 30);
        p.max_token_days = 10;
        assert_eq!(p.api_token_days(), 10);
    }

    #[test]
    fn beyond_policy_is_a_token_no_mint_today_could_make() {
        let mut p = Policy {
            max_token_days: 30,
            ..Policy::default()
        };
        let day = |n: i64| Some(now() + TimeDelta::days(n));
        assert!(
            !p.beyond(day(30), now()),
            "a token minted now for the maximum"
        );
        assert!(p.beyond(
            Some(now() + TimeDelta::days(30) + TimeDelta::seconds(1)),
            now()
        ));
        assert!(!p.beyond(day(-3), now()), "expired tokens are just expired");
        assert!(!p.beyond(None, now()));
        p.allow_never_expiring = false;
        assert!(p.beyond(None, now()));
    }
}
