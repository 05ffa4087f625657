//! Where a token is used. Each authenticated request adds one to its token's count for the
//! day and notes its client address, in memory ([`Counter`]): a map update under a lock
//! held for microseconds, never a database write. `keyward serve` writes what was counted
//! every few seconds and at shutdown ([`Backend::flush_usage`]), each instance adding its
//! own counts, so several instances add up. What is read back ([`Backend::token_usage`])
//! is the stored usage plus what this instance has not written yet. The stored part of a
//! read is reused for [`STORED_FOR`] (`whoami` reads it at every call: without this, a
//! query per request would cut its throughput by three quarters); this instance's own
//! writes clear it, so only other instances' last writes can be that much later.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use keyward_core::TokenKind;
use keyward_core::usage::{DAYS, RECENT_IPS, SeenFrom, Usage, first_day};

use crate::client::canonical;
use crate::db::{StoredUsage, UsageDelta};
use crate::rotation::Target;
use crate::{Backend, Error};

/// What one token did since the last write.
#[derive(Clone, Debug, Default)]
struct Counts {
    days: BTreeMap<NaiveDate, i64>,
    /// At most [`RECENT_IPS`]: only the latest are ever shown.
    ips: HashMap<IpAddr, DateTime<Utc>>,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        for (day, n) in other.days {
            *self.days.entry(day).or_default() += n;
        }
        for (ip, at) in other.ips {
            self.saw(ip, at);
        }
    }

    fn saw(&mut self, ip: IpAddr, at: DateTime<Utc>) {
        let seen = self.ips.entry(ip).or_insert(at);
        *seen = (*seen).max(at);
        if self.ips.len() > RECENT_IPS {
            // The oldest goes (the one address just added is never it); of equals, the last
            // as text, as the database keeps them (see `db::usage`).
            let oldest = (self.ips.iter()).min_by_key(|(ip, at)| (**at, Reverse(ip.to_string())));
            if let Some((&ip, _)) = oldest {
                self.ips.remove(&ip);
            }
        }
    }
}

/// How long the stored part of a token's usage is reused by the reads of this instance.
pub const STORED_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
/// Beyond this many tokens read, the reads older than [`STORED_FOR`] are dropped.
const STORED_MAX: usize = 10_000;

/// A token's stored usage as last read: when, and from which first day.
type Read = (DateTime<Utc>, NaiveDate, StoredUsage);

/// The counts of this instance that are not in the database yet.
#[derive(Debug, Default)]
pub struct Counter {
    pending: Mutex<HashMap<(TokenKind, i64), Counts>>,
    /// Held for writing by a flush from taking the counts until they are stored (or put
    /// back), and for reading by a read of usage: while counts are in neither place, a
    /// read waits rather than show too few.
    flushing: tokio::sync::RwLock<()>,
    /// Recent reads of the stored usage, by token.
    stored: Mutex<HashMap<(TokenKind, i64), Read>>,
}

impl Counter {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<(TokenKind, i64), Counts>> {
        // A panic elsewhere while holding the lock leaves counts that are still counts.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One request with the token `(kind, id)`, from `ip` if known.
    pub fn record(&self, kind: TokenKind, token_id: i64, ip: Option<IpAddr>, now: DateTime<Utc>) {
        let mut pending = self.pending();
        let counts = pending.entry((kind, token_id)).or_default();
        *counts.days.entry(now.date_naive()).or_default() += 1;
        if let Some(ip) = ip {
            counts.saw(canonical(ip), now);
        }
    }

    fn take(&self) -> HashMap<(TokenKind, i64), Counts> {
        std::mem::take(&mut *self.pending())
    }

    /// Puts back counts whose write failed, so the next write carries them.
    fn restore(&self, taken: HashMap<(TokenKind, i64), Counts>) {
        let mut pending = self.pending();
        for (key, counts) in taken {
            pending.entry(key).or_default().add(counts);
        }
    }

    fn reads(&self) -> std::sync::MutexGuard<'_, HashMap<(TokenKind, i64), Read>> {
        self.stored.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The stored usage read for this token within [`STORED_FOR`] of `now`, from `first`.
    fn recent_read(
        &self,
        key: (TokenKind, i64),
        first: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<StoredUsage> {
        let reads = self.reads();
        let (at, from, stored) = reads.get(&key)?;
        (*from == first && *at <= now && now - *at < STORED_FOR).then(|| stored.clone())
    }

    fn remember(&self, key: (TokenKind, i64), read: Read) {
        let mut reads = self.reads();
        if reads.len() >= STORED_MAX {
            let now = read.0;
            reads.retain(|_, (at, _, _)| now - *at < STORED_FOR);
        }
        reads.insert(key, read);
    }

    fn of(&self, kind: TokenKind, token_id: i64) -> Counts {
        self.pending()
            .get(&(kind, token_id))
            .cloned()
            .unwrap_or_default()
    }
}

impl Backend {
    /// Counts one authenticated request (unless counting is off: see `Config`).
    pub(crate) fn count_use(
        &self,
        kind: TokenKind,
        token_id: i64,
        ip: Option<IpAddr>,
        now: DateTime<Utc>,
    ) {
        if self.config.count_usage {
            self.usage.record(kind, token_id, ip, now);
        }
    }

    /// Writes what this instance counted since the last write, in one transaction. On
    /// failure the counts stay for the next try.
    pub async fn flush_usage(&self) -> Result<(), Error> {
        let _flushing = self.usage.flushing.write().await;
        let taken = self.usage.take();
        if taken.is_empty() {
            return Ok(());
        }
        let deltas: Vec<UsageDelta> = taken
            .iter()
            .map(|((kind, token_id), counts)| UsageDelta {
                kind: *kind,
                token_id: *token_id,
                days: counts.days.iter().map(|(d, n)| (*d, *n)).collect(),
                ips: (counts.ips.iter())
                    .map(|(ip, at)| (ip.to_string(), *at))
                    .collect(),
            })
            .collect();
        if let Err(e) = self.repo.add_usage(&deltas).await {
            self.usage.restore(taken);
            return Err(e);
        }
        // What was read before holds none of what was just written.
        self.usage.reads().clear();
        Ok(())
    }

    /// The usage of a token (its own, for `whoami`: no ownership check).
    pub async fn token_usage(
        &self,
        kind: TokenKind,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Usage, Error> {
        let _not_flushing = self.usage.flushing.read().await;
        let (key, first) = ((kind, token_id), first_day(now));
        let stored = match self.usage.recent_read(key, first, now) {
            Some(stored) => stored,
            None => {
                let stored = self.repo.usage_of(kind, token_id, first).await?;
                self.usage.remember(key, (now, first, stored.clone()));
                stored
            }
        };
        let pending = self.usage.of(kind, token_id);
        let counts = (stored.days.into_iter())
            .chain(pending.days)
            .map(|(day, n)| (day, u64::try_from(n).unwrap_or(0)));
        let seen = (stored.ips.into_iter())
            .chain(pending.ips.into_iter().map(|(ip, at)| (ip.to_string(), at)))
            .map(|(ip, last_seen)| SeenFrom { ip, last_seen });
        Ok(Usage::build(counts, seen, now))
    }

    /// The usage of a token the caller is answerable for (the page's Usage dialog);
    /// another user's token is `NotFound`.
    pub async fn owned_token_usage(
        &self,
        target: &Target,
        now: DateTime<Utc>,
    ) -> Result<Usage, Error> {
        let (kind, id) = (target.kind, target.token_id);
        if !self.repo.owns_token(kind, id, target.owner).await? {
            return Err(Error::NotFound);
        }
        self.token_usage(kind, id, now).await
    }

    /// Deletes usage older than the series shows (with the hourly audit pruning).
    pub async fn prune_usage(&self, now: DateTime<Utc>) -> Result<(), Error> {
        let first = first_day(now);
        let seen_before = now - chrono::TimeDelta::days(DAYS as i64);
        self.repo.prune_usage(first, seen_before).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_keep_the_five_latest_addresses_and_add_up_when_restored() {
        let counter = Counter::default();
        let t = |m: i64| DateTime::from_timestamp(1_800_000_000 + m * 60, 0).unwrap();
        for i in 0..8u8 {
            let ip = IpAddr::from([10, 0, 0, i]);
            counter.record(TokenKind::ApiToken, 1, Some(ip), t(i.into()));
        }
        let mapped: IpAddr = "::ffff:10.0.0.9".parse().unwrap();
        counter.record(TokenKind::ApiToken, 1, Some(mapped), t(9));
        counter.record(TokenKind::ServiceToken, 1, None, t(9));
        let api = counter.of(TokenKind::ApiToken, 1);
        assert_eq!(api.days.values().sum::<i64>(), 9);
        let mut ips: Vec<String> = api.ips.keys().map(ToString::to_string).collect();
        ips.sort();
        // The five latest, the mapped one as the IPv4 address it is.
        assert_eq!(
            ips,
            ["10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.9"]
        );
        assert_eq!(counter.of(TokenKind::ServiceToken, 1).days.len(), 1);

        let taken = counter.take();
        assert!(counter.of(TokenKind::ApiToken, 1).days.is_empty());
        counter.record(TokenKind::ApiToken, 1, None, t(10));
        counter.restore(taken);
        let api = counter.of(TokenKind::ApiToken, 1);
        assert_eq!(api.days.values().sum::<i64>(), 10, "nothing lost");
    }
}
