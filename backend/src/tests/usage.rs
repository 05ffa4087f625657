//! Token usage: counted in memory per request, added to the database by a flush (nothing
//! lost on a failed one, nothing counted twice), summed across instances, read only by the
//! user answerable for the token, trimmed to the 5 latest addresses and pruned after 30 days.

use std::net::IpAddr;

use chrono::TimeDelta;
use keyward_core::TokenKind;
use keyward_core::usage::Usage;

use super::*;
use crate::client::ClientAddr;
use crate::db::testing::execute_raw;
use crate::rotation::Target;
use crate::service_tokens::Lifetime;

on_both_databases!(
    requests_are_counted_per_day_and_address_and_survive_a_flush,
    instances_add_up_and_only_the_owner_reads_it,
    service_tokens_and_replaced_values_count_but_refusals_do_not,
);

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

async fn use_at(b: &Backend, token: &str, from: Option<IpAddr>, at: DateTime<Utc>) {
    b.authenticate_bearer(Some(&bearer(token)), from.map(ClientAddr::peer), at)
        .await
        .unwrap();
}

fn per_day(usage: &Usage) -> Vec<u64> {
    usage.days.iter().map(|d| d.requests).collect()
}

fn ips(usage: &Usage) -> Vec<&str> {
    usage.recent_ips.iter().map(|s| s.ip.as_str()).collect()
}

async fn requests_are_counted_per_day_and_address_and_survive_a_flush(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let minted = b
        .mint_api_token(uid, "ci", date(60), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    let token = minted.secret.expose();
    let next_day = t0() + TimeDelta::days(1);
    for _ in 0..3 {
        use_at(b, token, ip("127.0.0.2"), t0()).await;
    }
    use_at(b, token, ip("::ffff:127.0.0.3"), next_day).await;
    // A refused request is not a use.
    let refused = b
        .authenticate_bearer(Some(&bearer(token)), None, t0() + TimeDelta::days(90))
        .await;
    assert!(refused.is_err());

    let expected_days = {
        let mut days = vec![0; 30];
        days[28] = 3;
        days[29] = 1;
        days
    };
    let check = |usage: Usage| {
        assert_eq!(per_day(&usage), expected_days);
        assert_eq!(ips(&usage), ["127.0.0.3", "127.0.0.2"]);
        assert_eq!(usage.recent_ips[0].last_seen, next_day);
        assert_eq!(usage.days[29].date, next_day.date_naive());
    };
    let kind = TokenKind::ApiToken;
    // Before any write: from memory.
    check(b.token_usage(kind, minted.id, next_day).await.unwrap());
    b.flush_usage().await.unwrap();
    // From the database alone, and a second flush adds nothing.
    check(b.token_usage(kind, minted.id, next_day).await.unwrap());
    b.flush_usage().await.unwrap();
    check(b.token_usage(kind, minted.id, next_day).await.unwrap());
    // A fresh instance (nothing in memory) reads the same.
    let fresh = Backend::new(b.repo.clone(), Config::default());
    check(fresh.token_usage(kind, minted.id, next_day).await.unwrap());

    // Seven addresses over two flushes: the database keeps the five latest.
    for i in 4..=10u8 {
        let at = next_day + TimeDelta::minutes(i.into());
        use_at(b, token, Some(IpAddr::from([127, 0, 0, i])), at).await;
        if i == 6 {
            b.flush_usage().await.unwrap();
        }
    }
    b.flush_usage().await.unwrap();
    let later = next_day + TimeDelta::hours(1);
    let stored = b
        .repo
        .usage_of(kind, minted.id, t0().date_naive())
        .await
        .unwrap();
    let mut stored_ips: Vec<String> = stored.ips.into_iter().map(|(ip, _)| ip).collect();
    stored_ips.sort();
    assert_eq!(
        stored_ips,
        [
            "127.0.0.10",
            "127.0.0.6",
            "127.0.0.7",
            "127.0.0.8",
            "127.0.0.9"
        ]
    );
    let usage = b.token_usage(kind, minted.id, later).await.unwrap();
    assert_eq!(usage.total(), 11);

    // Thirty days on, the first day has left the series; pruning deletes it and the
    // addresses not seen since.
    let month_on = t0() + TimeDelta::days(30);
    let usage = b.token_usage(kind, minted.id, month_on).await.unwrap();
    assert_eq!(per_day(&usage)[0], 8);
    assert_eq!(usage.total(), 8);
    b.prune_usage(month_on).await.unwrap();
    let stored = b
        .repo
        .usage_of(kind, minted.id, t0().date_naive())
        .await
        .unwrap();
    assert_eq!(stored.days, [(next_day.date_naive(), 8)]);
    assert_eq!(stored.ips.len(), 5, "seen within 30 days");
    b.prune_usage(t0() + TimeDelta::days(40)).await.unwrap();
    let stored = b
        .repo
        .usage_of(kind, minted.id, t0().date_naive())
        .await
        .unwrap();
    assert_eq!((stored.days.len(), stored.ips.len()), (0, 0));

    // Counting can be switched off (to measure its cost).
    let quiet = Backend::new(
        b.repo.clone(),
        Config {
            count_usage: false,
            ..Config::default()
        },
    );
    use_at(&quiet, token, ip("127.0.0.2"), t0()).await;
    assert_eq!(
        quiet
            .token_usage(kind, minted.id, t0())
            .await
            .unwrap()
            .total(),
        0
    );
}

async fn instances_add_up_and_only_the_owner_reads_it(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let minted = b
        .mint_api_token(alice, "ci", date(60), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    let token = minted.secret.expose();
    let other = Backend::new(b.repo.clone(), Config::default());
    use_at(b, token, ip("10.0.0.1"), t0()).await;
    use_at(&other, token, ip("10.0.0.2"), t0() + TimeDelta::minutes(1)).await;
    use_at(&other, token, ip("10.0.0.2"), t0() + TimeDelta::minutes(2)).await;
    b.flush_usage().await.unwrap();
    other.flush_usage().await.unwrap();
    let mine = Target::owned(TokenKind::ApiToken, minted.id, alice);
    let usage = b.owned_token_usage(&mine, t0()).await.unwrap();
    assert_eq!(usage.total(), 3);
    assert_eq!(ips(&usage), ["10.0.0.2", "10.0.0.1"]);

    // What another instance writes shows within 5 s: a read is reused that long.
    use_at(&other, token, ip("10.0.0.3"), t0()).await;
    other.flush_usage().await.unwrap();
    let soon = t0() + TimeDelta::seconds(4);
    assert_eq!(b.owned_token_usage(&mine, soon).await.unwrap().total(), 3);
    let later = t0() + TimeDelta::seconds(5);
    assert_eq!(b.owned_token_usage(&mine, later).await.unwrap().total(), 4);
    // Its own counts show at once, before and after its write.
    use_at(b, token, ip("10.0.0.1"), later).await;
    assert_eq!(b.owned_token_usage(&mine, later).await.unwrap().total(), 5);
    b.flush_usage().await.unwrap();
    assert_eq!(b.owned_token_usage(&mine, later).await.unwrap().total(), 5);

    // Bob: not found, whether the token exists or not; nor as the other kind.
    for target in [
        Target::owned(TokenKind::ApiToken, minted.id, bob),
        Target::owned(TokenKind::ServiceToken, minted.id, alice),
        Target::owned(TokenKind::ApiToken, minted.id + 100, alice),
    ] {
        let refused = b.owned_token_usage(&target, t0()).await;
        assert!(matches!(refused, Err(Error::NotFound)), "{target:?}");
    }
}

async fn service_tokens_and_replaced_values_count_but_refusals_do_not(b: &Backend) {
    let (alice, project) = manager_and_project(b).await;
    let alice_id = alice.id;
    let mut rng = rng();
    let allowed = keyward_core::allowlist::Allowlist::parse("10.0.0.0/8").unwrap();
    let request = read_token_request(project, Lifetime::Days(30), allowed);
    let minted = b
        .mint_service_token(&alice, &request, t0(), &mut rng)
        .await
        .unwrap();
    let old = minted.secret.expose();
    use_at(b, old, ip("10.0.0.1"), t0()).await;
    // From outside its ranges: refused, and not a use.
    let outside = ClientAddr::peer("192.0.2.1".parse().unwrap());
    let refused = b
        .authenticate_bearer(Some(&bearer(old)), Some(outside), t0())
        .await;
    assert!(matches!(refused, Err(Error::Auth(AuthError::IpNotAllowed))));
    // Rotated with a grace: the old value's uses count for the same token.
    let target = Target::owned(TokenKind::ServiceToken, minted.token.id, alice_id);
    let new = b
        .rotate_token(target.clone(), 60, t0(), &mut rng)
        .await
        .unwrap();
    use_at(b, old, ip("10.0.0.2"), t0()).await;
    use_at(b, new.secret.expose(), ip("10.0.0.3"), t0()).await;
    let usage = b.owned_token_usage(&target, t0()).await.unwrap();
    assert_eq!(usage.total(), 3);
    assert_eq!(ips(&usage), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    let p = b
        .authenticate_bearer(Some(&bearer(new.secret.expose())), None, t0())
        .await;
    assert!(p.is_err(), "an unknown address is outside the ranges");
}

/// A write that fails keeps its counts for the next one, which adds them once.
#[tokio::test]
async fn a_failed_write_loses_nothing() {
    for store in [
        Store::sqlite(),
        Store::Postgres(PgTestDatabase::create().await),
    ] {
        let repo = SqlRepository::connect(&store.url()).await.unwrap();
        let b = Backend::new(std::sync::Arc::new(repo.clone()), Config::default());
        let uid = b.create_user(input("alice"), t0()).await.unwrap();
        let minted = b
            .mint_api_token(uid, "ci", date(60), &Default::default(), t0(), &mut rng())
            .await
            .unwrap();
        let token = minted.secret.expose();
        use_at(&b, token, ip("10.0.0.1"), t0()).await;
        use_at(&b, token, ip("10.0.0.1"), t0()).await;
        let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
        execute_raw(&repo, &rename("token_usage_days", "usage_days_away")).await;
        assert!(b.flush_usage().await.is_err());
        execute_raw(&repo, &rename("usage_days_away", "token_usage_days")).await;
        use_at(&b, token, ip("10.0.0.1"), t0()).await;
        b.flush_usage().await.unwrap();
        // Read by an instance with nothing in memory: exactly what was counted.
        let fresh = Backend::new(std::sync::Arc::new(repo.clone()), Config::default());
        let usage = fresh
            .token_usage(TokenKind::ApiToken, minted.id, t0())
            .await
            .unwrap();
        assert_eq!(usage.total(), 3);
        assert_eq!(ips(&usage), ["10.0.0.1"]);
    }
}
