//! Expiry notices (issue 15 §6): when an API or service token comes within 7 days, and then
//! within 1 day, of its expiry, keyward sends one event for it to the installation's expiry
//! webhook. What is pure lives here: which threshold a token is within, the event's shape,
//! how long a failed delivery waits, and the `--within` durations of `keyward admin expiring`.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::TokenKind;

/// A point before expiry at which a notice is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Threshold {
    OneDay,
    SevenDays,
}

impl Threshold {
    /// Tightest first.
    pub const ALL: [Threshold; 2] = [Threshold::OneDay, Threshold::SevenDays];

    pub fn days(self) -> i64 {
        match self {
            Threshold::OneDay => 1,
            Threshold::SevenDays => 7,
        }
    }

    pub fn from_days(days: i64) -> Option<Threshold> {
        Threshold::ALL.into_iter().find(|t| t.days() == days)
    }

    /// As the event names it: `7d`, `1d`.
    pub fn as_str(self) -> &'static str {
        match self {
            Threshold::OneDay => "1d",
            Threshold::SevenDays => "7d",
        }
    }

    /// The tightest threshold a token expiring at `expires_at` is within at `now`; `None`
    /// once it has expired or while it is further off than 7 days. A token that comes
    /// within a day without having been noticed at 7 days (minted for 2 days, or the
    /// server was down) gets the one-day notice only.
    pub fn of(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Threshold> {
        if expires_at <= now {
            return None;
        }
        let left = expires_at - now;
        Threshold::ALL
            .into_iter()
            .find(|t| left <= TimeDelta::days(t.days()))
    }
}

/// The furthest threshold: tokens expiring later than this are not noticed yet.
pub const NOTICE_WITHIN: TimeDelta = TimeDelta::days(7);

/// A live token expiring soon: a line of `keyward admin expiring`, and the body of the
/// webhook's event without its envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringToken {
    pub kind: TokenKind,
    pub id: i64,
    pub name: String,
    pub display_prefix: String,
    /// The user answerable for it: an API token's owner, a service token's creator (or
    /// whoever it was transferred to).
    pub owner: String,
    /// The service principal a service token acts as (`None` for an API token).
    pub principal: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What the expiry webhook receives (`Content-Type: application/json`), signed in the
/// `Keyward-Signature` header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryEvent {
    /// Always `token.expiring`.
    pub event: String,
    /// The same for every delivery of this notice (a retry, or a resend after an instance
    /// stopped mid-delivery): receivers drop repeats by it.
    pub delivery_id: String,
    /// `7d` or `1d`: the threshold the token came within.
    pub threshold: String,
    #[serde(flatten)]
    pub token: ExpiringToken,
}

impl ExpiryEvent {
    pub const EVENT: &'static str = "token.expiring";

    pub fn new(token: ExpiringToken, threshold: Threshold) -> ExpiryEvent {
        let kind = token.kind.short_name();
        ExpiryEvent {
            event: Self::EVENT.into(),
            delivery_id: format!(
                "{kind}-{}-{}-{}",
                token.id,
                threshold.as_str(),
                token.expires_at.timestamp()
            ),
            threshold: threshold.as_str().into(),
            token,
        }
    }
}

/// Deliveries tried before a notice is given up (about 5 hours of retries).
pub const MAX_ATTEMPTS: u32 = 12;

/// How long after its `attempts`-th failed try a notice is tried again: 30 s, doubling,
/// at most an hour.
pub fn retry_after(attempts: u32) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).min(7);
    (TimeDelta::seconds(30) * (1 << doublings)).min(TimeDelta::hours(1))
}

/// A `--within` duration: a whole number of days, hours or minutes (`7d`, `24h`, `90m`).
pub fn parse_within(text: &str) -> Result<TimeDelta, String> {
    let text = text.trim();
    let problem = || format!("{text:?} is not a duration such as 7d, 24h or 90m");
    let split = text.len().checked_sub(1).ok_or_else(problem)?;
    let (number, unit) = text.split_at_checked(split).ok_or_else(problem)?;
    let n: i64 = number.parse().map_err(|_| problem())?;
    let delta = match unit {
        "d" if (1..=3650).contains(&n) => TimeDelta::days(n),
        "h" if (1..=87_600).contains(&n) => TimeDelta::hours(n),
        "m" if (1..=5_256_000).contains(&n) => TimeDelta::minutes(n),
        "d" | "h" | "m" => return Err(format!("{text:?} is not from 1m to 3650d (such as 7d)")),
        _ => return Err(problem()),
    };
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_tightest_threshold_a_token_is_within() {
        let at = |d: TimeDelta| Threshold::of(t0() + d, t0());
        assert_eq!(at(TimeDelta::days(8)), None);
        assert_eq!(at(TimeDelta::days(7) + TimeDelta::seconds(1)), None);
        assert_eq!(at(TimeDelta::days(7)), Some(Threshold::SevenDays));
        assert_eq!(at(TimeDelta::days(2)), Some(Threshold::SevenDays));
        assert_eq!(
            at(TimeDelta::days(1) + TimeDelta::seconds(1)),
            Some(Threshold::SevenDays)
        );
        assert_eq!(at(TimeDelta::days(1)), Some(Threshold::OneDay));
        assert_eq!(at(TimeDelta::seconds(1)), Some(Threshold::OneDay));
        assert_eq!(at(TimeDelta::zero()), None, "expired");
        assert_eq!(at(-TimeDelta::days(1)), None);
        assert_eq!(Threshold::from_days(7), Some(Threshold::SevenDays));
        assert_eq!(Threshold::from_days(3), None);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|n| retry_after(n).num_seconds())
            .collect();
        assert_eq!(
            waits,
            [
                30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600, 3600
            ]
        );
        assert_eq!(retry_after(u32::MAX), TimeDelta::hours(1));
    }

    #[test]
    fn the_event_names_its_delivery_once_per_token_threshold_and_expiry() {
        let token = ExpiringToken {
            kind: TokenKind::ServiceToken,
            id: 42,
            name: "deploy".into(),
            display_prefix: "kwst_abcd1234".into(),
            owner: "alice".into(),
            principal: Some("ci-bot".into()),
            expires_at: t0(),
        };
        let event = ExpiryEvent::new(token.clone(), Threshold::OneDay);
        assert_eq!(
            event.delivery_id,
            format!("service-42-1d-{}", t0().timestamp())
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], "token.expiring");
        assert_eq!(json["kind"], "service_token");
        assert_eq!(json["principal"], "ci-bot");
        assert_eq!(json["threshold"], "1d");
        assert_eq!(json["expires_at"], "2026-12-01T12:00:00Z");
        let back: ExpiryEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
        let redated = ExpiringToken {
            expires_at: t0() + TimeDelta::days(1),
            ..token
        };
        assert_ne!(
            ExpiryEvent::new(redated, Threshold::OneDay).delivery_id,
            event.delivery_id
        );
    }

    #[test]
    fn within_takes_days_hours_or_minutes() {
        assert_eq!(parse_within("7d"), Ok(TimeDelta::days(7)));
        assert_eq!(parse_within(" 24h "), Ok(TimeDelta::hours(24)));
        assert_eq!(parse_within("90m"), Ok(TimeDelta::minutes(90)));
        for bad in [
            "", "d", "7", "7w", "-1d", "0d", "1.5d", "99999d", "7 d", "７d",
        ] {
            let e = parse_within(bad).unwrap_err();
            assert!(e.contains("1m") || e.contains("7d"), "{bad}: {e}");
        }
    }
}
