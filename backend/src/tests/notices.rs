//! The notice queue on both databases: a claim is a lease (not claimed again before it ends,
//! claimed again once it has, renewed before a delivery), a lease that ended and was claimed
//! again can neither be renewed nor record an outcome, a notice whose event no longer holds
//! is given up unsent (or set aside while its owner is away), and old notices are pruned.

use chrono::TimeDelta;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use super::*;
use crate::db::ClaimedNotice;
use crate::notices::LEASE;

on_both_databases!(
    a_claim_is_a_lease_and_a_late_record_is_ignored,
    notices_that_no_longer_hold_are_given_up_not_claimed,
);

/// An API token of `user` expiring at `expires_at` (each from its own seed).
async fn mint_at(b: &Backend, user: i64, name: &str, expires_at: DateTime<Utc>) -> i64 {
    let anywhere = Default::default();
    let mut rng = ChaCha8Rng::seed_from_u64(expires_at.timestamp().unsigned_abs() ^ user as u64);
    let minted = b.mint_api_token_at(user, name, expires_at, &anywhere, t0(), &mut rng);
    minted.await.unwrap().id
}

async fn claim(b: &Backend, at: DateTime<Utc>) -> Vec<ClaimedNotice> {
    b.repo().claim_notices(at, at + LEASE, 20).await.unwrap()
}

async fn a_claim_is_a_lease_and_a_late_record_is_ignored(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    mint_at(b, uid, "ci", t0() + TimeDelta::days(3)).await;
    assert_eq!(b.queue_expiry_notices(t0()).await.unwrap(), 1);
    assert_eq!(b.queue_expiry_notices(t0()).await.unwrap(), 0, "once");

    let first = claim(b, t0()).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    let second = TimeDelta::seconds(1);
    assert!(claim(b, t0() + LEASE - second).await.is_empty(), "leased");
    let again = claim(b, t0() + LEASE).await;
    assert_eq!((again[0].id, again[0].attempts), (first[0].id, 2));

    // The first claim's instance is late: its lease was over and the notice is another's
    // now, so it may not renew it (to deliver) nor record an outcome.
    let late = t0() + LEASE + second;
    assert!(
        !b.repo()
            .renew_notice(&first[0], late + LEASE)
            .await
            .unwrap()
    );
    b.repo().notice_sent(&first[0], late).await.unwrap();
    b.repo()
        .notice_failed(&first[0], None, "late", late)
        .await
        .unwrap();
    // The current claim renews its lease before delivering: not claimed at its old end.
    assert!(
        b.repo()
            .renew_notice(&again[0], late + LEASE)
            .await
            .unwrap()
    );
    assert!(claim(b, t0() + LEASE * 2).await.is_empty(), "renewed");
    let third = claim(b, late + LEASE).await;
    assert_eq!((third.len(), third[0].attempts), (1, 3));

    // The current claim's outcome is recorded: sent, never claimed again.
    let at = late + LEASE + second;
    b.repo().notice_sent(&third[0], at).await.unwrap();
    assert!(claim(b, t0() + LEASE * 10).await.is_empty());

    // Pruned 30 days after the token's expiry, not before.
    let expired = t0() + TimeDelta::days(3);
    let month = TimeDelta::days(30);
    assert_eq!(b.prune_notices(expired + month - second).await.unwrap(), 0);
    assert_eq!(b.prune_notices(expired + month + second).await.unwrap(), 1);
}

async fn notices_that_no_longer_hold_are_given_up_not_claimed(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let revoked = mint_at(b, alice, "revoked", t0() + TimeDelta::days(6)).await;
    let redated = mint_at(b, alice, "redated", t0() + TimeDelta::hours(150)).await;
    mint_at(b, alice, "closing", t0() + TimeDelta::days(3)).await;
    mint_at(b, bob, "bob's", t0() + TimeDelta::days(6)).await;
    // Queued, never delivered (a receiver that was down, say).
    assert_eq!(b.queue_expiry_notices(t0()).await.unwrap(), 4);

    b.revoke_api_token(alice, revoked, t0()).await.unwrap();
    b.deactivate_user("bob", t0()).await.unwrap();
    let on = (t0() + TimeDelta::days(5)).date_naive();
    let mut rng = rng();
    b.edit_api_token_expiry(alice, redated, on, t0(), &mut rng)
        .await
        .unwrap();
    // Two days on: "closing" is within a day, "redated" has a new expiry.
    let later = t0() + TimeDelta::days(2) + TimeDelta::minutes(1);
    assert_eq!(b.queue_expiry_notices(later).await.unwrap(), 2);

    // The revoked token's, the old expiry's and "closing"'s 7-day notice (its one-day
    // notice overtook it): given up. Bob's is set aside until his account is back.
    assert_eq!(b.repo().give_up_stale_notices(later).await.unwrap(), 3);
    let claimed = claim(b, later).await;
    let thresholds: Vec<String> = (claimed.iter())
        .map(|c| {
            let event: serde_json::Value = serde_json::from_str(&c.body).unwrap();
            format!("{} {}", event["name"], event["threshold"])
        })
        .collect();
    assert_eq!(thresholds, ["\"closing\" \"1d\"", "\"redated\" \"7d\""]);
    assert_eq!(b.repo().give_up_stale_notices(later).await.unwrap(), 0);
    assert_eq!(b.queue_expiry_notices(later).await.unwrap(), 0);

    b.set_active("bob", true, later).await.unwrap();
    assert_eq!(
        b.queue_expiry_notices(later).await.unwrap(),
        1,
        "bob's again"
    );
    let bobs = claim(b, later).await;
    assert_eq!(bobs.len(), 1);
    assert!(bobs[0].body.contains("bob's"), "{}", bobs[0].body);
}
