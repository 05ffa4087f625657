//! Expiry notices (issue 15 §6): when a live API or service token comes within 7 days, and
//! then within 1 day, of its expiry, one signed event goes to the installation's **Expiry
//! webhook URL**. Kept in the database (`expiry_notices`), so a notice survives a restart
//! and is sent by one instance when several share a PostgreSQL database:
//!
//! 1. Any instance queues what is due ([`Backend::queue_expiry_notices`]); the table's
//!    unique key makes a notice once per token, threshold and expiry, whoever queues it.
//! 2. An instance claims due notices in one UPDATE that also moves their next try past a
//!    lease ([`LEASE`]), delivers them, and records each outcome: sent, or tried again
//!    after a backoff ([`retry_after`]), given up after [`MAX_ATTEMPTS`].
//!
//! An instance that stops between a delivery and its record leaves the notice to be sent
//! again after the lease: delivery is at least once, and receivers drop repeats by the
//! event's `delivery_id` (also the `Keyward-Delivery` header).

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use keyward_core::notice::{
    ExpiringToken, ExpiryEvent, MAX_ATTEMPTS, NOTICE_WITHIN, Threshold, retry_after,
};
use keyward_core::token::hex;
use sha2::Sha256;

use crate::db::{ClaimedNotice, NewNotice};
use crate::{Backend, Error};

/// How long a claimed notice is this instance's to deliver before another may claim it:
/// longer than a batch of deliveries at their timeout.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);

/// Notices claimed at once.
const BATCH: i64 = 20;

/// One event on its way to the webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery<'a> {
    pub url: &'a str,
    /// The JSON body, sent as is.
    pub body: &'a str,
    /// For `Keyward-Delivery`: the same on every try of this notice.
    pub delivery_id: &'a str,
    /// For `Keyward-Signature`: `sha256=` and the hex HMAC-SHA256 of the body.
    pub signature: &'a str,
}

/// Sends one event (the server's is an HTTP client).
#[async_trait]
pub trait Deliver: Send + Sync {
    /// `Err` says why the receiver did not take it (a status, a connection error), in
    /// words that may be stored: never the URL.
    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), String>;
}

/// What one round of sending did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub queued: u64,
    pub sent: usize,
    pub failed: usize,
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret` (the text, as receivers
/// have it): the `Keyward-Signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

impl Backend {
    /// The live tokens (of active users) expiring after `now` and within `within` of it,
    /// soonest first: `keyward admin expiring`.
    pub async fn expiring_tokens(
        &self,
        within: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<ExpiringToken>, Error> {
        self.repo.expiring_tokens(now, now + within).await
    }

    /// Deletes the notices of tokens that expired more than 30 days ago (hourly, with the
    /// other pruning): nothing will be sent for them again.
    pub async fn prune_notices(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        self.repo.prune_notices(now - TimeDelta::days(30)).await
    }

    /// The secret receivers check `Keyward-Signature` with (`keyward admin webhook-secret`).
    pub fn webhook_secret(&self) -> String {
        self.config.sealer.webhook_secret()
    }

    /// Queues a notice for each live token that is within a threshold at `now` and has
    /// none for it (and its current expiry) yet; how many were new.
    pub async fn queue_expiry_notices(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        let expiring = self.repo.expiring_tokens(now, now + NOTICE_WITHIN).await?;
        let queued: HashSet<_> = (self.repo.queued_notice_keys(now).await?)
            .into_iter()
            .collect();
        let mut new = Vec::new();
        for token in expiring {
            let Some(threshold) = Threshold::of(token.expires_at, now) else {
                continue;
            };
            let key = (token.kind, token.id, threshold, token.expires_at);
            if queued.contains(&key) {
                continue;
            }
            let (kind, token_id, expires_at) = (token.kind, token.id, token.expires_at);
            let body = serde_json::to_string(&ExpiryEvent::new(token, threshold))
                .map_err(|e| Error::Internal(e.to_string()))?;
            new.push(NewNotice {
                kind,
                token_id,
                threshold,
                expires_at,
                body,
            });
        }
        if new.is_empty() {
            return Ok(0);
        }
        self.repo.queue_notices(&new, now).await
    }

    /// One round, run every minute by `keyward serve`: queues what came due, gives up the
    /// notices that no longer hold and delivers what is due, batch after batch, until nothing
    /// is left to claim or half a lease has passed (the rest waits for the next round, so a
    /// claim is always recorded well inside its lease). Nothing at all while no webhook URL
    /// is set (notices are queued once one is).
    ///
    /// `clock` is read for each claim and each record: a slow receiver makes a round long,
    /// and leases and backoffs count from when they start, not from the round's start.
    pub async fn send_expiry_notices(
        &self,
        deliver: &impl Deliver,
        clock: &(impl Fn() -> DateTime<Utc> + Sync),
    ) -> Result<Round, Error> {
        let Some(url) = self.settings().await?.expiry_webhook_url else {
            return Ok(Round::default());
        };
        let started = clock();
        let mut round = Round {
            queued: self.queue_expiry_notices(started).await?,
            ..Round::default()
        };
        // After queueing: a one-day notice queued now overtakes its 7-day one at once.
        self.repo.give_up_stale_notices(started).await?;
        let secret = self.webhook_secret();
        loop {
            let now = clock();
            if now - started >= LEASE / 2 {
                return Ok(round);
            }
            let claimed = self.repo.claim_notices(now, now + LEASE, BATCH).await?;
            if claimed.is_empty() {
                return Ok(round);
            }
            for notice in &claimed {
                match self
                    .deliver_notice(deliver, &url, &secret, notice, clock)
                    .await?
                {
                    Some(true) => round.sent += 1,
                    Some(false) => round.failed += 1,
                    None => {}
                }
            }
        }
    }

    /// One try of one claimed notice, and its record: whether the receiver took it (`None`:
    /// not tried, another instance claimed it since).
    async fn deliver_notice(
        &self,
        deliver: &impl Deliver,
        url: &str,
        secret: &str,
        notice: &ClaimedNotice,
        clock: &(impl Fn() -> DateTime<Utc> + Sync),
    ) -> Result<Option<bool>, Error> {
        let delivery_id = serde_json::from_str::<ExpiryEvent>(&notice.body)
            .map(|e| e.delivery_id)
            .unwrap_or_default();
        let signature = signature(secret, notice.body.as_bytes());
        let delivery = Delivery {
            url,
            body: &notice.body,
            delivery_id: &delivery_id,
            signature: &signature,
        };
        // A lease of its own for this delivery: however long the batch before it took, no
        // other instance claims the notice while it is on its way.
        if !self.repo.renew_notice(notice, clock() + LEASE).await? {
            return Ok(None);
        }
        let outcome = deliver.deliver(&delivery).await;
        let now = clock();
        match outcome {
            Ok(()) => {
                self.repo.notice_sent(notice, now).await?;
                tracing::info!(delivery = %delivery_id, "expiry notice sent");
                Ok(Some(true))
            }
            Err(why) => {
                let retry =
                    (notice.attempts < MAX_ATTEMPTS).then(|| now + retry_after(notice.attempts));
                self.repo.notice_failed(notice, retry, &why, now).await?;
                tracing::warn!(
                    delivery = %delivery_id,
                    attempts = notice.attempts,
                    error = %why,
                    given_up = retry.is_none(),
                    "expiry notice not delivered"
                );
                Ok(Some(false))
            }
        }
    }
}
