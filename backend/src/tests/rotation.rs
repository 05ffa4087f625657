//! Rotation: the new value works at once, the old one for its grace only (then
//! `token_rotated`), name, expiry and grants stay; the grace cap, another user's token, a
//! revocation during the grace, Edit expiration, and a token rotating itself.

use std::collections::HashMap;

use chrono::TimeDelta;
use keyward_core::TokenKind;
use keyward_core::policy::Key;

use super::*;
use crate::Principal;
use crate::db::AuditQuery;
use crate::rotation::Target;
use crate::service_tokens::Lifetime;

on_both_databases!(
    the_old_value_works_for_its_grace_then_says_token_rotated,
    refused_rotations_change_nothing,
    a_token_rotates_itself_but_not_its_replaced_value_or_a_login,
    two_rotations_at_once_take_turns,
);

async fn auth(b: &Backend, token: &str, now: DateTime<Utc>) -> Result<Principal, Error> {
    b.authenticate_bearer(Some(&bearer(token)), None, now).await
}

fn rotated(e: Error) -> bool {
    matches!(e, Error::Auth(AuthError::TokenRotated))
}

async fn the_old_value_works_for_its_grace_then_says_token_rotated(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let old = b
        .mint_api_token(uid, "deploy", date(30), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    let target = Target::owned(TokenKind::ApiToken, old.id, uid);
    let new = b
        .rotate_token(target.clone(), 60, t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!((new.id, new.name.as_str()), (old.id, "deploy"));
    assert_eq!(new.expires_at, Some(old.expires_at), "the expiry stays");
    assert_eq!(new.old_value_prefix, old.secret.display_prefix());
    assert_ne!(new.secret, old.secret);
    let until = t0() + TimeDelta::minutes(60);
    assert_eq!(new.old_valid_until, until);

    // Both work during the grace; only the old one says so, under its own prefix.
    let p = auth(b, new.secret.expose(), t0()).await.unwrap();
    assert_eq!(p.credential.replaced_until, None);
    assert_eq!(p.credential.display_prefix, new.secret.display_prefix());
    let during = t0() + TimeDelta::minutes(59);
    let p = auth(b, old.secret.expose(), during).await.unwrap();
    assert_eq!(p.credential.replaced_until, Some(until));
    assert_eq!(p.credential.id, old.id);
    assert_eq!(p.credential.display_prefix, old.secret.display_prefix());
    let windows = b
        .grace_windows(TokenKind::ApiToken, uid, during)
        .await
        .unwrap();
    assert_eq!(windows, HashMap::from([(old.id, until)]));

    // After it, the old value is refused in words; the new one lives on.
    assert!(rotated(
        auth(b, old.secret.expose(), until).await.unwrap_err()
    ));
    auth(b, new.secret.expose(), until).await.unwrap();
    let windows = b.grace_windows(TokenKind::ApiToken, uid, until).await;
    assert_eq!(windows.unwrap(), HashMap::new());

    // A rotation without grace cuts every older value off, even one within its own grace.
    let later = b
        .rotate_token(target.clone(), 60, until, &mut rng)
        .await
        .unwrap();
    auth(b, new.secret.expose(), until).await.unwrap();
    let cut = b
        .rotate_token(target.clone(), 0, until, &mut rng)
        .await
        .unwrap();
    for value in [&new.secret, &later.secret] {
        assert!(rotated(auth(b, value.expose(), until).await.unwrap_err()));
    }
    auth(b, cut.secret.expose(), until).await.unwrap();

    // A revocation ends the grace too.
    let again = b.rotate_token(target, 60, until, &mut rng).await.unwrap();
    b.revoke_api_token(uid, old.id, until).await.unwrap();
    for value in [&cut.secret, &again.secret] {
        let e = auth(b, value.expose(), until).await.unwrap_err();
        assert!(matches!(e, Error::Auth(AuthError::TokenRevoked)), "{e:?}");
    }

    // Edit expiration replaces the value with no grace: the old one is refused at once.
    let other = b
        .mint_api_token(uid, "other", date(30), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    b.edit_api_token_expiry(uid, other.id, date(60), t0(), &mut rng)
        .await
        .unwrap();
    assert!(rotated(
        auth(b, other.secret.expose(), t0()).await.unwrap_err()
    ));

    // Each rotation is in the owner's log, by prefixes only.
    let query = AuditQuery {
        action: Some("api_token.rotated".into()),
        user_id: Some(uid),
        limit: 10,
        ..AuditQuery::default()
    };
    let events = b.audit_events(&query).await.unwrap();
    assert_eq!(events.len(), 4);
    let first = &events[3].target;
    assert_eq!(
        *first,
        format!(
            "{} → {} (old value for 60 min)",
            old.secret.display_prefix(),
            new.secret.display_prefix()
        )
    );
}

async fn refused_rotations_change_nothing(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let token = b
        .mint_api_token(
            alice,
            "deploy",
            date(30),
            &Default::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    b.change_settings(&[(Key::MaxRotationGraceMinutes, "60".into())], t0())
        .await
        .unwrap();
    let mine = Target::owned(TokenKind::ApiToken, token.id, alice);
    let expired = b
        .mint_api_token_at(
            alice,
            "old",
            t0() - TimeDelta::days(1),
            &Default::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    let refused = [
        (mine.clone(), 61),
        (Target::owned(TokenKind::ApiToken, token.id, bob), 0),
        (Target::owned(TokenKind::ServiceToken, token.id, alice), 0),
        // An expired token has nothing to rotate (Edit expiration may revive it).
        (Target::owned(TokenKind::ApiToken, expired.id, alice), 0),
    ];
    for (target, grace) in refused {
        let e = b
            .rotate_token(target, grace, t0(), &mut rng)
            .await
            .unwrap_err();
        match grace {
            61 => assert!(
                matches!(e, Error::Invalid(ref f) if f.field == "grace_minutes"),
                "{e:?}"
            ),
            _ => assert!(matches!(e, Error::NotFound), "{e:?}"),
        }
    }
    // The value is still the current one, with no old value beside it.
    let p = auth(b, token.secret.expose(), t0()).await.unwrap();
    assert_eq!(p.credential.replaced_until, None);
    assert_eq!(p.credential.display_prefix, token.secret.display_prefix());
    let windows = b.grace_windows(TokenKind::ApiToken, alice, t0()).await;
    assert_eq!(windows.unwrap(), HashMap::new());
}

async fn a_token_rotates_itself_but_not_its_replaced_value_or_a_login(b: &Backend) {
    let (alice, project) = manager_and_project(b).await;
    let alice_id = alice.id;
    let mut rng = rng();
    let request = read_token_request(project, Lifetime::Days(0), Default::default());
    let minted = b
        .mint_service_token(&alice, &request, t0(), &mut rng)
        .await
        .unwrap();
    let p = auth(b, minted.secret.expose(), t0()).await.unwrap();
    let new = b.rotate_current(&p, 5, t0(), &mut rng).await.unwrap();
    assert_eq!(new.expires_at, None, "a never-expiring token stays so");
    let after = auth(b, new.secret.expose(), t0()).await.unwrap();
    assert_eq!(after.credential.id, minted.token.id);
    assert!(matches!(after.actor, crate::Actor::Service(ref row) if row.scope == request.scope));
    let windows = b
        .grace_windows(TokenKind::ServiceToken, alice_id, t0())
        .await
        .unwrap();
    assert_eq!(
        windows,
        HashMap::from([(minted.token.id, t0() + TimeDelta::minutes(5))])
    );

    // The replaced value still authenticates, but may not make the next one.
    let old = auth(b, minted.secret.expose(), t0()).await.unwrap();
    let e = b.rotate_current(&old, 0, t0(), &mut rng).await.unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e:?}");
    auth(b, new.secret.expose(), t0()).await.unwrap();

    // Nor may a value that was current when its request was authenticated, but was
    // replaced (here from the page) before its rotation ran.
    let stale = auth(b, new.secret.expose(), t0()).await.unwrap();
    let page = Target::owned(TokenKind::ServiceToken, minted.token.id, alice_id);
    let newest = b.rotate_token(page, 0, t0(), &mut rng).await.unwrap();
    let e = b
        .rotate_current(&stale, 0, t0(), &mut rng)
        .await
        .unwrap_err();
    assert!(rotated(e));
    auth(b, newest.secret.expose(), t0()).await.unwrap();

    // A login JWT renews by signing in, not by rotating.
    let login = b
        .api_login(
            creds("alice", "correct horse battery"),
            ClientInfo::new(None, None),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    let jwt = auth(b, login.token.expose(), t0()).await.unwrap();
    let e = b.rotate_current(&jwt, 0, t0(), &mut rng).await.unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e:?}");
}

/// Two rotations of one token at the same moment (two tabs, two jobs): both complete, one
/// after the other, so exactly one new value is current and every value before it is kept
/// as a replaced one (none lost, none current twice).
async fn two_rotations_at_once_take_turns(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let old = b
        .mint_api_token(uid, "deploy", date(30), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    let target = Target::owned(TokenKind::ApiToken, old.id, uid);
    let (mut rng_a, mut rng_b) = (ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
    let (a, c) = tokio::join!(
        b.rotate_token(target.clone(), 10, t0(), &mut rng_a),
        b.rotate_token(target.clone(), 10, t0(), &mut rng_b),
    );
    let (a, c) = (a.unwrap(), c.unwrap());
    let current: Vec<bool> = which_are_current(b, &[&a.secret, &c.secret]).await;
    assert_eq!(current.iter().filter(|c| **c).count(), 1, "{current:?}");
    // The first value and the one the later rotation replaced both work for the grace.
    for value in [&old.secret, &a.secret, &c.secret] {
        auth(b, value.expose(), t0()).await.unwrap();
    }
    let windows = b.grace_windows(TokenKind::ApiToken, uid, t0()).await;
    assert_eq!(
        windows.unwrap(),
        HashMap::from([(old.id, t0() + TimeDelta::minutes(10))])
    );
}

/// For each value: whether it is the token's current one (not a replaced value).
async fn which_are_current(b: &Backend, values: &[&keyward_core::Secret]) -> Vec<bool> {
    let mut current = Vec::new();
    for value in values {
        let p = auth(b, value.expose(), t0()).await.unwrap();
        current.push(p.credential.replaced_until.is_none());
    }
    current
}
