//! Expiry status of a credential, from its expiry time and a `now` the caller passes in:
//! the server, the hydrated page and the CLI all compute it the same way.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A credential expiring within this window is flagged (warning colour, CLI warning).
pub const EXPIRING_SOON: TimeDelta = TimeDelta::days(7);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryStatus {
    /// Valid for more than [`EXPIRING_SOON`] (or never expires).
    Active,
    /// Valid, but for less than [`EXPIRING_SOON`].
    ExpiringSoon,
    /// No longer valid.
    Expired,
}

impl ExpiryStatus {
    /// `expires_at = None` means the credential never expires.
    pub fn of(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match expires_at {
            Some(at) if at <= now => ExpiryStatus::Expired,
            Some(at) if at - now <= EXPIRING_SOON => ExpiryStatus::ExpiringSoon,
            _ => ExpiryStatus::Active,
        }
    }

    /// CSS class for the row colour.
    pub fn css_class(self) -> &'static str {
        match self {
            ExpiryStatus::Active => "active",
            ExpiryStatus::ExpiringSoon => "expiring",
            ExpiryStatus::Expired => "expired",
        }
    }
}

/// The text that says what the colour says, so status is never conveyed by colour alone:
/// "Expired", "Expires in 5 hours", "Expires in 3 days", or `None` when nothing needs saying.
/// Time left is rounded up, so a token minted for 3 days reads "3 days" until 2 are left.
pub fn expiry_text(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    let left = expires_at? - now;
    let plural =
        |n: i64, unit: &str| format!("Expires in {n} {unit}{}", if n == 1 { "" } else { "s" });
    match ExpiryStatus::of(expires_at, now) {
        ExpiryStatus::Expired => Some("Expired".into()),
        ExpiryStatus::ExpiringSoon if left < TimeDelta::days(1) => {
            Some(plural(ceil_div(left, TimeDelta::hours(1)), "hour"))
        }
        ExpiryStatus::ExpiringSoon => Some(plural(ceil_div(left, TimeDelta::days(1)), "day")),
        ExpiryStatus::Active => None,
    }
}

/// The warning a response to a soon-expiring credential carries (API header, `kw`
/// stderr): "This credential expires in 3 days (at 2026-12-01T00:00:00Z): replace it before
/// then." `None` while it has more than [`EXPIRING_SOON`] left, or has expired.
pub fn expiry_warning(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    if ExpiryStatus::of(expires_at, now) != ExpiryStatus::ExpiringSoon {
        return None;
    }
    let text = expiry_text(expires_at, now)?;
    let at = expires_at?.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Some(format!(
        "This credential e{} (at {at}): replace it before then.",
        text.trim_start_matches('E')
    ))
}

fn ceil_div(a: TimeDelta, unit: TimeDelta) -> i64 {
    let (a, unit) = (a.num_seconds(), unit.num_seconds());
    (a + unit - 1) / unit
}

/// A token given the expiration date `date` stops working at 00:00 UTC on that date
/// (as GitLab's tokens do), so it is usable through the whole previous day.
pub fn expiry_instant(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The date shown as the default in the form: `days` after today.
pub fn date_in_days(now: DateTime<Utc>, days: u32) -> NaiveDate {
    now.date_naive() + Days::new(days.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    #[test]
    fn status_edges() {
        let now = at(10, 12);
        assert_eq!(ExpiryStatus::of(None, now), ExpiryStatus::Active);
        assert_eq!(ExpiryStatus::of(Some(now), now), ExpiryStatus::Expired);
        assert_eq!(ExpiryStatus::of(Some(at(9, 0)), now), ExpiryStatus::Expired);
        assert_eq!(
            ExpiryStatus::of(Some(at(10, 13)), now),
            ExpiryStatus::ExpiringSoon
        );
        assert_eq!(
            ExpiryStatus::of(Some(at(17, 12)), now),
            ExpiryStatus::ExpiringSoon
        );
        assert_eq!(
            ExpiryStatus::of(Some(at(17, 13)), now),
            ExpiryStatus::Active
        );
    }

    #[test]
    fn text_names_the_status() {
        let now = at(10, 12);
        assert_eq!(expiry_text(None, now), None);
        assert_eq!(expiry_text(Some(at(30, 0)), now), None);
        assert_eq!(expiry_text(Some(at(1, 0)), now).unwrap(), "Expired");
        assert_eq!(
            expiry_text(Some(at(10, 13)), now).unwrap(),
            "Expires in 1 hour"
        );
        assert_eq!(
            expiry_text(Some(at(10, 20)), now).unwrap(),
            "Expires in 8 hours"
        );
        assert_eq!(
            expiry_text(Some(at(11, 12)), now).unwrap(),
            "Expires in 1 day"
        );
        assert_eq!(
            expiry_text(Some(at(11, 13)), now).unwrap(),
            "Expires in 2 days"
        );
        // Minted for 3 days, listed a second later: still "3 days".
        let minted = now + TimeDelta::days(3);
        let later = now + TimeDelta::seconds(1);
        assert_eq!(
            expiry_text(Some(minted), later).unwrap(),
            "Expires in 3 days"
        );
    }

    #[test]
    fn warnings_only_within_the_window() {
        let now = at(10, 12);
        assert_eq!(expiry_warning(None, now), None);
        assert_eq!(expiry_warning(Some(at(17, 13)), now), None);
        assert_eq!(expiry_warning(Some(at(9, 0)), now), None);
        assert_eq!(
            expiry_warning(Some(at(13, 12)), now).unwrap(),
            "This credential expires in 3 days (at 2026-11-13T12:00:00Z): replace it before then."
        );
    }

    #[test]
    fn a_date_expires_at_its_first_instant() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(
            expiry_instant(d),
            Utc.with_ymd_and_hms(2026, 12, 24, 0, 0, 0).unwrap()
        );
        assert_eq!(
            date_in_days(at(10, 23), 30),
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()
        );
    }
}
