//! Leak reports: every live token among the reported values is revoked (a current value, or
//! an old one still in its grace), in its owner's log with the reporter's address; expired,
//! already revoked, malformed and unknown values change nothing; at most 100 values; every
//! report counts against its address's limit; the owner's lists show the revoked token for
//! 30 days.

use chrono::TimeDelta;
use keyward_core::TokenKind;

use super::*;
use crate::audit;
use crate::db::{AuditQuery, REPORTED};
use crate::rotation::Target;
use crate::service_tokens::Lifetime;

on_both_databases!(
    reported_live_tokens_are_revoked_and_nothing_else,
    too_many_values_or_reports_are_refused,
    a_replaced_value_revokes_only_its_own_token,
);

async fn auth(b: &Backend, token: &str) -> Result<crate::Principal, Error> {
    b.authenticate_bearer(Some(&bearer(token)), None, t0())
        .await
}

async fn report(b: &Backend, values: &[&str], ip: &str) -> Result<usize, Error> {
    let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let client = audit::Client::new(Some(ip.into()), None);
    let admitted = b.admit_report(Some(ip), t0())?;
    audit::with_client(client, b.report_exposed(admitted, &values, t0())).await
}

async fn reported_live_tokens_are_revoked_and_nothing_else(b: &Backend) {
    let (manager, project) = manager_and_project(b).await;
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let anywhere = Default::default();
    let leaked = b
        .mint_api_token(bob, "leaked", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    let kept = b
        .mint_api_token(bob, "kept", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    let expired = b
        .mint_api_token_at(
            bob,
            "old",
            t0() - TimeDelta::days(1),
            &anywhere,
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    let revoked = b
        .mint_api_token(bob, "gone", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    b.revoke_api_token(bob, revoked.id, t0()).await.unwrap();
    let request = read_token_request(project, Lifetime::Days(30), Default::default());
    let service = b
        .mint_service_token(&manager, &request, t0(), &mut rng)
        .await
        .unwrap();
    // A token rotated with a grace: its old value still works, so reporting it counts.
    let rotating = b
        .mint_api_token(bob, "rotating", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    let target = Target::owned(TokenKind::ApiToken, rotating.id, bob);
    let rotated = b.rotate_token(target, 60, t0(), &mut rng).await.unwrap();
    let unknown = keyward_core::token::generate(TokenKind::ApiToken, &mut rng);

    let values = [
        leaked.secret.expose(),
        leaked.secret.expose(), // twice: counts once
        service.secret.expose(),
        rotating.secret.expose(), // the replaced value, in its grace
        expired.secret.expose(),
        revoked.secret.expose(),
        unknown.expose(),
        "kwat_not-a-token",
        "",
    ];
    assert_eq!(report(b, &values, "192.0.2.9").await.unwrap(), 3);

    for gone in [
        leaked.secret.expose(),
        service.secret.expose(),
        rotated.secret.expose(),
    ] {
        assert!(matches!(
            auth(b, gone).await,
            Err(Error::Auth(AuthError::TokenRevoked))
        ));
    }
    auth(b, kept.secret.expose()).await.unwrap();
    // The one revoked by its owner stays so, without the report's reason.
    let listed = b.api_tokens_and_reported(bob, t0()).await.unwrap();
    let reasons: Vec<(&str, Option<&str>)> = (listed.iter())
        .map(|t| (t.name.as_str(), t.revoked_reason.as_deref()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("rotating", Some(REPORTED)),
            ("old", None),
            ("kept", None),
            ("leaked", Some(REPORTED)),
        ]
    );
    // The plain list (used by the API and the checks) holds only unrevoked tokens, and the
    // page's list drops reported ones after 30 days.
    assert_eq!(b.list_api_tokens(bob).await.unwrap().len(), 2);
    let month_on = t0() + TimeDelta::days(31);
    assert_eq!(
        b.api_tokens_and_reported(bob, month_on)
            .await
            .unwrap()
            .len(),
        2
    );
    let services = b
        .service_tokens_and_reported(manager.id, t0())
        .await
        .unwrap();
    assert_eq!(services[0].revoked_reason.as_deref(), Some(REPORTED));
    assert!(b.list_service_tokens(manager.id).await.unwrap().is_empty());

    // Each revocation is in its owner's log, from the reporter's address.
    let query = AuditQuery {
        user_id: Some(bob),
        action: Some("api_token.reported".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    let events = b.audit_events(&query).await.unwrap();
    let mut targets: Vec<&str> = events.iter().map(|e| e.target.as_str()).collect();
    targets.sort();
    let mut expected = [
        leaked.secret.display_prefix(),
        rotated.secret.display_prefix(),
    ];
    expected.sort();
    assert_eq!(targets, expected);
    assert!(events.iter().all(|e| e.ip.as_deref() == Some("192.0.2.9")));

    // A second report of the same values revokes nothing more.
    assert_eq!(report(b, &values, "192.0.2.9").await.unwrap(), 0);
}

async fn too_many_values_or_reports_are_refused(b: &Backend) {
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let minted = b
        .mint_api_token(bob, "ci", date(30), &Default::default(), t0(), &mut rng())
        .await
        .unwrap();
    let token = minted.secret.expose();
    let mut many = vec![token; 101];
    let refused = report(b, &many, "198.51.100.1").await;
    assert!(
        matches!(refused, Err(Error::Invalid(ref f)) if f.field == "tokens"),
        "{refused:?}"
    );
    auth(b, token).await.unwrap();
    many.truncate(100);
    // Ten reports from one address (the first was the refused one), then a wait.
    for _ in 0..9 {
        assert_eq!(
            report(b, &["kwat_nothing"], "198.51.100.1").await.unwrap(),
            0
        );
    }
    let limited = report(b, &many, "198.51.100.1").await;
    assert!(matches!(limited, Err(Error::RateLimited(_))), "{limited:?}");
    auth(b, token).await.unwrap();
    // Another address may still report.
    assert_eq!(report(b, &many, "198.51.100.2").await.unwrap(), 1);
}

/// A replaced value revokes its own token only: not a token of the other kind with the same
/// id, and not once its grace is over.
async fn a_replaced_value_revokes_only_its_own_token(b: &Backend) {
    let (manager, project) = manager_and_project(b).await;
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let anywhere = Default::default();
    let request = read_token_request(project, Lifetime::Days(30), Default::default());
    let service = b
        .mint_service_token(&manager, &request, t0(), &mut rng)
        .await
        .unwrap();
    let graced = b
        .mint_api_token(bob, "graced", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!(
        graced.id, service.token.id,
        "the same id in the other table"
    );
    let ended = b
        .mint_api_token(bob, "ended", date(30), &anywhere, t0(), &mut rng)
        .await
        .unwrap();
    let target = |id| Target::owned(TokenKind::ApiToken, id, bob);
    let graced_new = b
        .rotate_token(target(graced.id), 60, t0(), &mut rng)
        .await
        .unwrap();
    let ended_new = b
        .rotate_token(target(ended.id), 0, t0(), &mut rng)
        .await
        .unwrap();

    let values = [graced.secret.expose(), ended.secret.expose()];
    assert_eq!(report(b, &values, "192.0.2.9").await.unwrap(), 1);
    let revoked = auth(b, graced_new.secret.expose()).await;
    assert!(matches!(revoked, Err(Error::Auth(AuthError::TokenRevoked))));
    auth(b, service.secret.expose()).await.unwrap();
    auth(b, ended_new.secret.expose()).await.unwrap();
    // The revoked token's old value is no longer shown as working.
    let windows = b
        .grace_windows(TokenKind::ApiToken, bob, t0())
        .await
        .unwrap();
    assert!(windows.is_empty(), "{windows:?}");
}
