//! Rate limits on guessing: token buckets keyed by client IP, by account, and by the pair.
//!
//! An attempt takes one unit from each of its buckets *before* the secret is checked, so
//! parallel guesses cannot all slip through; an attempt that did not fail gives its units
//! back (failed attempts count, successes do not). A bucket refills one unit every
//! [`Rate::every`]. The pair (IP + account) is the tightest limit: it stops one client
//! guessing one account, while the looser account limit, spread over many addresses, is the
//! only way to delay the real person, and only for minutes.
//!
//! The buckets live in the memory of each instance: several instances behind a load
//! balancer each allow the full rate (the MFA lockout, which is in the database, holds
//! across them).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

/// `burst` attempts at once, then one more every `every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub every: TimeDelta,
}

impl Rate {
    pub const fn new(burst: u32, every_secs: i64) -> Rate {
        Rate {
            burst,
            every: TimeDelta::seconds(every_secs),
        }
    }

    /// `BURST/SECONDS`, e.g. `5/60`: five attempts, then one a minute.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let bad = || format!("a rate is BURST/SECONDS with both at least 1, like 5/60: {text}");
        let (burst, secs) = text.trim().split_once('/').ok_or_else(bad)?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        let secs: i64 = secs.trim().parse().map_err(|_| bad())?;
        if burst == 0 || !(1..=86_400).contains(&secs) {
            return Err(bad());
        }
        Ok(Rate::new(burst, secs))
    }
}

/// The limits of `keyward serve` (see the README's Security section for the settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Failed sign-ins (password or TOTP step) of one account from one IP.
    pub sign_in_pair: Rate,
    /// Failed sign-ins of one account from anywhere.
    pub sign_in_account: Rate,
    /// Failed sign-ins, TOTP steps and setup-link tries from one IP, any account.
    pub sign_in_ip: Rate,
    /// Failed bearer authentications (unknown, malformed, expired, revoked) from one IP.
    pub bearer_ip: Rate,
    /// Leak reports (`POST /api/v1/tokens/report`) from one IP, each one counted.
    pub report_ip: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in_pair: Rate::new(10, 60),
            sign_in_account: Rate::new(20, 60),
            sign_in_ip: Rate::new(50, 10),
            bearer_ip: Rate::new(100, 1),
            report_ip: Rate::new(10, 60),
        }
    }
}

/// Which limit a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    SignInPair,
    SignInAccount,
    SignInIp,
    BearerIp,
    ReportIp,
}

/// One bucket to draw from: its scope and key (an IP, a username, or both).
pub type Key = (Scope, String);

/// How long to wait before the next attempt is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub TimeDelta);

impl Wait {
    /// Whole seconds, rounded up, at least 1 (the `Retry-After` value).
    pub fn seconds(self) -> u64 {
        let ms = self.0.num_milliseconds().max(1);
        (ms as u64).div_ceil(1000)
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Units left at `at` (fractional while refilling).
    units: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn level(&self, rate: Rate, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - self.at).num_milliseconds().max(0) as f64;
        let refill = elapsed / rate.every.num_milliseconds() as f64;
        (self.units + refill).min(f64::from(rate.burst))
    }
}

/// Beyond this many buckets, full ones (which hold no failure) are dropped.
const MAX_BUCKETS: usize = 20_000;

pub struct Throttle {
    limits: Limits,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Throttle {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn rate(&self, scope: Scope) -> Rate {
        match scope {
            Scope::SignInPair => self.limits.sign_in_pair,
            Scope::SignInAccount => self.limits.sign_in_account,
            Scope::SignInIp => self.limits.sign_in_ip,
            Scope::BearerIp => self.limits.bearer_ip,
            Scope::ReportIp => self.limits.report_ip,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Bucket>> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether every bucket has a unit left, without taking one (the longest wait if not).
    pub fn check(&self, keys: &[Key], now: DateTime<Utc>) -> Result<(), Wait> {
        let buckets = self.lock();
        self.wait(&buckets, keys, now)
    }

    fn wait(
        &self,
        buckets: &HashMap<Key, Bucket>,
        keys: &[Key],
        now: DateTime<Utc>,
    ) -> Result<(), Wait> {
        let longest = keys
            .iter()
            .filter_map(|key| {
                let rate = self.rate(key.0);
                let level = buckets.get(key)?.level(rate, now);
                (level < 1.0).then(|| {
                    let ms = (1.0 - level) * rate.every.num_milliseconds() as f64;
                    // Whole milliseconds: float noise must not add a second to `Retry-After`.
                    TimeDelta::milliseconds(ms.round().max(1.0) as i64)
                })
            })
            .max();
        longest.map_or(Ok(()), |w| Err(Wait(w)))
    }

    /// Takes a unit from every bucket, or none if one of them is empty.
    pub fn take(&self, keys: &[Key], now: DateTime<Utc>) -> Result<(), Wait> {
        let mut buckets = self.lock();
        self.wait(&buckets, keys, now)?;
        self.spend(&mut buckets, keys, now);
        Ok(())
    }

    /// Records a failure without a prior [`Throttle::take`] (where checking first is
    /// enough, e.g. bearer tokens, whose guesses cost one lookup each).
    pub fn fail(&self, keys: &[Key], now: DateTime<Utc>) {
        self.spend(&mut self.lock(), keys, now);
    }

    fn spend(&self, buckets: &mut HashMap<Key, Bucket>, keys: &[Key], now: DateTime<Utc>) {
        if buckets.len() + keys.len() > MAX_BUCKETS {
            self.prune(buckets, now);
        }
        for key in keys {
            let rate = self.rate(key.0);
            let level = buckets
                .get(key)
                .map_or(f64::from(rate.burst), |b| b.level(rate, now));
            let bucket = Bucket {
                units: (level - 1.0).max(0.0),
                at: now,
            };
            buckets.insert(key.clone(), bucket);
        }
    }

    /// Gives back the units of an attempt that did not fail.
    pub fn refund(&self, keys: &[Key], now: DateTime<Utc>) {
        let mut buckets = self.lock();
        for key in keys {
            let rate = self.rate(key.0);
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.units = (bucket.level(rate, now) + 1.0).min(f64::from(rate.burst));
                bucket.at = now;
            }
        }
    }

    fn prune(&self, buckets: &mut HashMap<Key, Bucket>, now: DateTime<Utc>) {
        buckets.retain(|key, b| b.level(self.rate(key.0), now) < f64::from(self.rate(key.0).burst));
        if buckets.len() >= MAX_BUCKETS {
            // Only a flood from very many networks gets here. The fullest half goes (those
            // closest to forgiven); the emptiest, which hold the most failures, stay.
            tracing::warn!(
                buckets = buckets.len(),
                "rate limiter full: forgetting the fullest half"
            );
            let fill = |key: &Key, b: &Bucket| {
                let rate = self.rate(key.0);
                b.level(rate, now) / f64::from(rate.burst)
            };
            let mut levels: Vec<f64> = buckets.iter().map(|(k, b)| fill(k, b)).collect();
            levels.sort_by(f64::total_cmp);
            let median = levels[levels.len() / 2];
            buckets.retain(|k, b| fill(k, b) < median);
        }
    }
}

/// The key of a client address: an IPv6 address by its /64 (one subscriber's network holds
/// more addresses than any limit could count), an IPv4 address as it is.
fn address(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        None => "-".into(),
    }
}

/// The key of an account: the username as it is looked up (trimmed, lower case); anything
/// that cannot be a username is one shared key, so made-up names cannot fill memory.
fn account(username: &str) -> String {
    let name = username.trim().to_lowercase();
    match keyward_core::validate::username(&name) {
        Ok(_) => name,
        Err(_) => "(not a username)".to_string(),
    }
}

/// The buckets of a sign-in attempt (password or TOTP step).
pub fn sign_in_keys(ip: Option<&str>, username: &str) -> Vec<Key> {
    let (ip, account) = (address(ip), account(username));
    vec![
        (Scope::SignInPair, format!("{ip} {account}")),
        (Scope::SignInAccount, account),
        (Scope::SignInIp, ip),
    ]
}

/// The bucket of a setup-link try.
pub fn setup_keys(ip: Option<&str>) -> Vec<Key> {
    vec![(Scope::SignInIp, address(ip))]
}

/// The bucket of a bearer authentication.
pub fn bearer_keys(ip: Option<&str>) -> Vec<Key> {
    vec![(Scope::BearerIp, address(ip))]
}

/// The bucket of a leak report.
pub fn report_keys(ip: Option<&str>) -> Vec<Key> {
    vec![(Scope::ReportIp, address(ip))]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn throttle() -> Throttle {
        Throttle::new(Limits {
            sign_in_pair: Rate::new(3, 60),
            sign_in_account: Rate::new(5, 60),
            sign_in_ip: Rate::new(10, 10),
            bearer_ip: Rate::new(2, 1),
            report_ip: Rate::new(2, 60),
        })
    }

    #[test]
    fn a_burst_then_one_per_period() {
        let t = throttle();
        let keys = sign_in_keys(Some("10.0.0.1"), "Ada");
        for _ in 0..3 {
            t.take(&keys, at(0)).unwrap();
        }
        assert_eq!(t.take(&keys, at(0)), Err(Wait(TimeDelta::seconds(60))));
        assert_eq!(t.take(&keys, at(59)).unwrap_err().seconds(), 1);
        t.take(&keys, at(60)).unwrap();
        assert!(t.take(&keys, at(61)).is_err());
    }

    #[test]
    fn successes_do_not_count() {
        let t = throttle();
        let keys = sign_in_keys(Some("10.0.0.1"), "ada");
        for _ in 0..50 {
            t.take(&keys, at(0)).unwrap();
            t.refund(&keys, at(0));
        }
        t.take(&keys, at(0)).unwrap();
    }

    #[test]
    fn the_pair_is_tighter_than_the_account() {
        let t = throttle();
        // The attacker's address runs out on this account after 3 failures...
        let attacker = sign_in_keys(Some("10.6.6.6"), "ada");
        for _ in 0..3 {
            t.take(&attacker, at(0)).unwrap();
        }
        assert!(t.take(&attacker, at(0)).is_err());
        // ...while the person, from their own address, still gets in (same account,
        // differently spelt).
        let person = sign_in_keys(Some("192.0.2.7"), " ADA ");
        t.take(&person, at(0)).unwrap();
        // Many addresses together exhaust the account, for one period per attempt only.
        for i in 0..5 {
            let _ = t.take(&sign_in_keys(Some(&format!("10.9.0.{i}")), "ada"), at(0));
        }
        let wait = t.take(&person, at(0)).unwrap_err();
        assert!(wait.seconds() <= 60, "{wait:?}");
    }

    #[test]
    fn fail_and_check_for_bearer_tokens() {
        let t = throttle();
        let keys = bearer_keys(Some("10.0.0.2"));
        t.check(&keys, at(0)).unwrap();
        t.fail(&keys, at(0));
        t.fail(&keys, at(0));
        assert_eq!(t.check(&keys, at(0)).unwrap_err().seconds(), 1);
        t.check(&keys, at(1)).unwrap();
        // Another address is not affected.
        t.check(&bearer_keys(Some("10.0.0.3")), at(0)).unwrap();
    }

    #[test]
    fn keys_group_ipv6_networks_and_made_up_names() {
        let pair = |ip, name| sign_in_keys(Some(ip), name)[0].1.clone();
        assert_eq!(
            pair("2001:db8:1:2::1", "Ada"),
            pair("2001:db8:1:2:ffff::9", " ada ")
        );
        assert_ne!(
            pair("2001:db8:1:2::1", "ada"),
            pair("2001:db8:1:3::1", "ada")
        );
        assert_eq!(pair("::ffff:192.0.2.1", "ada"), pair("192.0.2.1", "ada"));
        let huge = "x".repeat(1 << 20);
        assert_eq!(sign_in_keys(None, &huge)[1].1, "(not a username)");
        assert_eq!(
            sign_in_keys(None, "hunter2 my password")[1].1,
            "(not a username)"
        );
    }

    #[test]
    fn rates_parse() {
        assert_eq!(Rate::parse("5/60"), Ok(Rate::new(5, 60)));
        assert_eq!(Rate::parse(" 100 / 1 "), Ok(Rate::new(100, 1)));
        for bad in ["", "5", "0/60", "5/0", "a/b", "5/-1", "5/100000"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }
}
