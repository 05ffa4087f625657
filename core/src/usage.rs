//! Where a token is used: requests per UTC day over the last [`DAYS`] days, and the last
//! [`RECENT_IPS`] distinct client addresses with when each was last seen. The server builds
//! it (from the database and what it has counted since its last write), `whoami` sends it,
//! the page draws it and `kw status` sums it up.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How many days the series covers, today included.
pub const DAYS: u64 = 30;
/// How many client addresses are kept per token.
pub const RECENT_IPS: usize = 5;

/// One day of the series.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// The UTC day.
    pub date: NaiveDate,
    pub requests: u64,
}

/// A client address and when the token was last used from it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenFrom {
    pub ip: String,
    pub last_seen: DateTime<Utc>,
}

/// A token's usage: `days` holds exactly [`DAYS`] entries, oldest first, ending today;
/// `recent_ips` at most [`RECENT_IPS`], latest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub days: Vec<DayCount>,
    pub recent_ips: Vec<SeenFrom>,
}

/// The first day of the series that ends on `now`'s day.
pub fn first_day(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive() - Days::new(DAYS - 1)
}

impl Usage {
    /// The series ending on `now`'s day from counts per day (any order, days repeated are
    /// added up, days outside the series dropped), and the latest [`RECENT_IPS`] of
    /// `seen` (an address seen twice counts at its latest time).
    pub fn build(
        counts: impl IntoIterator<Item = (NaiveDate, u64)>,
        seen: impl IntoIterator<Item = SeenFrom>,
        now: DateTime<Utc>,
    ) -> Usage {
        let first = first_day(now);
        let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for (date, requests) in counts {
            if date >= first && date <= now.date_naive() {
                *per_day.entry(date).or_default() += requests;
            }
        }
        let days = first
            .iter_days()
            .take(DAYS as usize)
            .map(|date| DayCount {
                date,
                requests: per_day.get(&date).copied().unwrap_or(0),
            })
            .collect();
        let mut latest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for s in seen {
            let at = latest.entry(s.ip).or_insert(s.last_seen);
            *at = (*at).max(s.last_seen);
        }
        let mut recent_ips: Vec<SeenFrom> = latest
            .into_iter()
            .map(|(ip, last_seen)| SeenFrom { ip, last_seen })
            .collect();
        // Latest first; the address breaks ties, so the order never depends on a map.
        recent_ips.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.ip.cmp(&b.ip)));
        recent_ips.truncate(RECENT_IPS);
        Usage { days, recent_ips }
    }

    /// All requests of the series.
    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| d.requests).sum()
    }

    /// The busiest day (the latest of equals), if there was any request.
    pub fn busiest(&self) -> Option<DayCount> {
        self.days
            .iter()
            .filter(|d| d.requests > 0)
            .max_by_key(|d| (d.requests, d.date))
            .copied()
    }

    /// One sentence for a screen reader, or a terminal: "42 requests in the last 30 days,
    /// 3 today; most on 2026-12-01 (20)."
    pub fn summary(&self) -> String {
        let today = self.days.last().map_or(0, |d| d.requests);
        match self.busiest() {
            None => format!("No requests in the last {DAYS} days."),
            Some(top) => format!(
                "{} in the last {DAYS} days, {today} today; most on {} ({}).",
                requests(self.total()),
                top.date,
                top.requests
            ),
        }
    }
}

/// "1 request", "2 requests".
fn requests(n: u64) -> String {
    match n {
        1 => "1 request".into(),
        n => format!("{n} requests"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 15, 0, 0).unwrap()
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    fn seen(ip: &str, minutes_ago: i64) -> SeenFrom {
        SeenFrom {
            ip: ip.into(),
            last_seen: now() - chrono::TimeDelta::minutes(minutes_ago),
        }
    }

    #[test]
    fn thirty_days_ending_today_with_the_counts_added_up() {
        let usage = Usage::build(
            [
                (day("2026-12-06"), 2),
                (day("2026-12-06"), 1),
                (day("2026-11-07"), 5),
                // Outside: the day before the first, and tomorrow (another clock).
                (day("2026-11-06"), 100),
                (day("2026-12-07"), 100),
            ],
            [],
            now(),
        );
        assert_eq!(usage.days.len(), 30);
        assert_eq!(
            usage.days[0],
            DayCount {
                date: day("2026-11-07"),
                requests: 5
            }
        );
        assert_eq!(
            usage.days[29],
            DayCount {
                date: day("2026-12-06"),
                requests: 3
            }
        );
        assert_eq!(usage.total(), 8);
        assert_eq!(
            usage.summary(),
            "8 requests in the last 30 days, 3 today; most on 2026-11-07 (5)."
        );
        let none = Usage::build([], [], now());
        assert_eq!(none.days.len(), 30);
        assert_eq!(none.summary(), "No requests in the last 30 days.");
        let one = Usage::build([(day("2026-12-01"), 1)], [], now());
        assert_eq!(
            one.summary(),
            "1 request in the last 30 days, 0 today; most on 2026-12-01 (1)."
        );
    }

    #[test]
    fn the_five_latest_addresses_each_at_its_latest_time() {
        let usage = Usage::build(
            [],
            [
                seen("10.0.0.1", 60),
                seen("10.0.0.2", 50),
                seen("10.0.0.1", 5), // the same address again, later
                seen("10.0.0.3", 40),
                seen("10.0.0.4", 30),
                seen("10.0.0.5", 20),
                seen("10.0.0.6", 10),
                seen("10.0.0.7", 10), // a tie: by address
            ],
            now(),
        );
        let ips: Vec<&str> = usage.recent_ips.iter().map(|s| s.ip.as_str()).collect();
        assert_eq!(
            ips,
            ["10.0.0.1", "10.0.0.6", "10.0.0.7", "10.0.0.5", "10.0.0.4"]
        );
        assert_eq!(usage.recent_ips[0].last_seen, seen("x", 5).last_seen);
    }
}
