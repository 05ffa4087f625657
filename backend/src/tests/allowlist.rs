//! Allowed IP ranges: a token is refused (`ip_not_allowed`, audited with the address) from
//! outside its ranges and from an unknown address, works from inside them, and its ranges
//! change only by the user answerable for it; a value a rotation replaced keeps them.

use std::net::IpAddr;

use keyward_core::TokenKind;
use keyward_core::allowlist::Allowlist;

use super::*;
use crate::audit;
use crate::client::ClientAddr;
use crate::db::AuditQuery;
use crate::rotation::Target;
use crate::service_tokens::Lifetime;

on_both_databases!(
    an_api_token_works_only_from_its_ranges,
    only_the_owner_changes_the_ranges,
    a_service_token_and_a_replaced_value_keep_the_ranges,
);

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn ranges(s: &str) -> Allowlist {
    Allowlist::parse(s).unwrap()
}

async fn auth_from(
    b: &Backend,
    token: &str,
    from: Option<IpAddr>,
) -> Result<crate::Principal, Error> {
    // The audit log names the address the edge resolved, as the server's middleware sets it.
    let client = audit::Client::new(from.map(|ip| ip.to_string()), None);
    let header = bearer(token);
    let from = from.map(ClientAddr::peer);
    audit::with_client(client, b.authenticate_bearer(Some(&header), from, t0())).await
}

fn not_allowed(result: Result<crate::Principal, Error>) -> bool {
    matches!(result, Err(Error::Auth(AuthError::IpNotAllowed)))
}

async fn an_api_token_works_only_from_its_ranges(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let allowed = ranges("127.0.0.2, 2001:db8::/32");
    let minted = b
        .mint_api_token(uid, "deploy", date(30), &allowed, t0(), &mut rng)
        .await
        .unwrap();
    let token = minted.secret.expose();
    let p = auth_from(b, token, ip("127.0.0.2")).await.unwrap();
    assert_eq!(p.credential.allowed_ips, allowed);
    auth_from(b, token, ip("::ffff:127.0.0.2")).await.unwrap();
    auth_from(b, token, ip("2001:db8:1::9")).await.unwrap();
    assert!(not_allowed(auth_from(b, token, ip("127.0.0.3")).await));
    assert!(not_allowed(auth_from(b, token, ip("2001:db9::1")).await));
    assert!(
        not_allowed(auth_from(b, token, None).await),
        "unknown: outside"
    );

    // The refusal is in the owner's log, with the address it came from.
    let query = AuditQuery {
        user_id: Some(uid),
        action: Some("token.refused".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    let refused = b.audit_events(&query).await.unwrap();
    let prefix = minted.secret.display_prefix();
    let target = format!("{prefix} (ip_not_allowed)");
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|e| e.target == target && e.outcome == "failure")
    );
    let ips: Vec<Option<&str>> = refused.iter().map(|e| e.ip.as_deref()).collect();
    assert_eq!(ips, [None, Some("2001:db9::1"), Some("127.0.0.3")]);

    // Revoked says revoked from anywhere: the operator's decision comes first.
    b.revoke_api_token(uid, minted.id, t0()).await.unwrap();
    let revoked = auth_from(b, token, ip("127.0.0.3")).await;
    assert!(matches!(revoked, Err(Error::Auth(AuthError::TokenRevoked))));
}

async fn only_the_owner_changes_the_ranges(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let minted = b
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
    let token = minted.secret.expose();
    auth_from(b, token, ip("198.51.100.7")).await.unwrap();

    let mine = Target::owned(TokenKind::ApiToken, minted.id, alice);
    b.set_allowed_ips(&mine, &ranges("10.0.0.0/8"), t0())
        .await
        .unwrap();
    assert!(not_allowed(auth_from(b, token, ip("198.51.100.7")).await));
    auth_from(b, token, ip("10.1.2.3")).await.unwrap();
    let listed = b.list_api_tokens(alice).await.unwrap();
    assert_eq!(listed[0].allowed_ips, ranges("10.0.0.0/8"));

    // Bob cannot change (or learn of) Alice's token: nothing changes.
    let theirs = Target::owned(TokenKind::ApiToken, minted.id, bob);
    let refused = b.set_allowed_ips(&theirs, &Default::default(), t0()).await;
    assert!(matches!(refused, Err(Error::NotFound)));
    // Nor as a service token with the same id.
    let wrong_kind = Target::owned(TokenKind::ServiceToken, minted.id, alice);
    let refused = b
        .set_allowed_ips(&wrong_kind, &Default::default(), t0())
        .await;
    assert!(matches!(refused, Err(Error::NotFound)));
    assert_eq!(b.list_api_tokens(alice).await.unwrap(), listed);
    assert!(not_allowed(auth_from(b, token, ip("198.51.100.7")).await));

    // Emptied: anywhere again; the changes are in the log.
    b.set_allowed_ips(&mine, &Default::default(), t0())
        .await
        .unwrap();
    auth_from(b, token, ip("198.51.100.7")).await.unwrap();
    let query = AuditQuery {
        user_id: Some(alice),
        action: Some("api_token.allowed_ips_changed".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    let changes: Vec<String> = (b.audit_events(&query).await.unwrap())
        .into_iter()
        .map(|e| e.target)
        .collect();
    let prefix = minted.secret.display_prefix();
    assert_eq!(
        changes,
        [
            format!("{prefix}: anywhere"),
            format!("{prefix}: 10.0.0.0/8")
        ]
    );

    // A revoked token's ranges no longer change.
    b.revoke_api_token(alice, minted.id, t0()).await.unwrap();
    let refused = b.set_allowed_ips(&mine, &ranges("10.0.0.0/8"), t0()).await;
    assert!(matches!(refused, Err(Error::NotFound)));
}

async fn a_service_token_and_a_replaced_value_keep_the_ranges(b: &Backend) {
    let (alice, project) = manager_and_project(b).await;
    let alice_id = alice.id;
    let mut rng = rng();
    let request = read_token_request(project, Lifetime::Days(30), ranges("192.0.2.0/24"));
    let minted = b
        .mint_service_token(&alice, &request, t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!(minted.token.allowed_ips, request.allowed_ips);
    let old = minted.secret.expose();
    auth_from(b, old, ip("192.0.2.44")).await.unwrap();
    assert!(not_allowed(auth_from(b, old, ip("192.0.3.1")).await));

    // Rotated with a grace: both values keep the token's ranges.
    let target = Target::owned(TokenKind::ServiceToken, minted.token.id, alice_id);
    let new = b
        .rotate_token(target.clone(), 60, t0(), &mut rng)
        .await
        .unwrap();
    for value in [old, new.secret.expose()] {
        auth_from(b, value, ip("192.0.2.44")).await.unwrap();
        assert!(not_allowed(auth_from(b, value, ip("192.0.3.1")).await));
    }
    b.set_allowed_ips(&target, &ranges("192.0.3.0/24"), t0())
        .await
        .unwrap();
    assert!(not_allowed(auth_from(b, old, ip("192.0.2.44")).await));
    auth_from(b, old, ip("192.0.3.1")).await.unwrap();
    let listed = b.list_service_tokens(alice_id).await.unwrap();
    assert_eq!(listed[0].allowed_ips, ranges("192.0.3.0/24"));
}
