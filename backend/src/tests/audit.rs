//! The audit log: what each credential event records, whose log shows it, and that no
//! secret value ends up in it.

use chrono::TimeDelta;

use super::*;
use crate::audit::{self, Action};
use crate::db::{AuditQuery, AuditRow};

on_both_databases!(credential_events_are_recorded_without_secrets);

async fn events(b: &Backend, user_id: Option<i64>) -> Vec<AuditRow> {
    let query = AuditQuery {
        user_id,
        limit: 1000,
        ..AuditQuery::default()
    };
    let mut rows = b.audit_events(&query).await.unwrap();
    rows.reverse(); // oldest first, as they happened
    rows
}

fn actions(rows: &[AuditRow]) -> Vec<(&str, &str, &str)> {
    rows.iter()
        .map(|r| (r.action.as_str(), r.target.as_str(), r.outcome.as_str()))
        .collect()
}

async fn credential_events_are_recorded_without_secrets(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut rng = rng();
    let client = audit::Client::new(Some("192.0.2.9".into()), Some("test agent"));
    let (minted, redated) = audit::with_client(client, async {
        // A failed and a good sign-in, from the page.
        let wrong = creds("alice", "wrong password!");
        let from = ClientInfo::new(Some("192.0.2.9".into()), None);
        let _ = b.sign_in(wrong, from.clone(), t0(), &mut rng).await;
        let right = creds("alice", "correct horse battery");
        b.sign_in(right, from, t0(), &mut rng).await.unwrap();
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
        let redated = b
            .edit_api_token_expiry(alice, minted.id, date(40), t0(), &mut rng)
            .await
            .unwrap();
        (minted, redated)
    })
    .await;
    // First use, then revocation by the token itself, then a refused use.
    let header = bearer(redated.secret.expose());
    b.authenticate_bearer(Some(&header), None, t0())
        .await
        .unwrap();
    let principal = b
        .authenticate_bearer(Some(&header), None, t0())
        .await
        .unwrap();
    b.revoke_current(&principal, t0()).await.unwrap();
    let refused = b.authenticate_bearer(Some(&header), None, t0()).await;
    assert!(refused.is_err());

    let rows = events(b, Some(alice)).await;
    let prefix = redated.secret.display_prefix();
    let replaced = format!("{} → {prefix}", minted.secret.display_prefix());
    assert_eq!(
        actions(&rows),
        [
            (Action::SignInFailed.as_str(), "wrong password", "failure"),
            (
                Action::SignedIn.as_str(),
                rows[1].target.as_str(),
                "success"
            ),
            (
                Action::ApiTokenMinted.as_str(),
                minted.secret.display_prefix(),
                "success"
            ),
            (Action::ApiTokenRedated.as_str(), &replaced, "success"),
            (Action::TokenFirstUsed.as_str(), prefix, "success"),
            (Action::ApiTokenRevoked.as_str(), prefix, "success"),
            (
                Action::TokenRefused.as_str(),
                &*format!("{prefix} (token_revoked)"),
                "failure"
            ),
        ]
    );
    assert!(rows[1].target.starts_with("browser session "));
    // Within the request: its address, agent and actor; outside (the admin CLI): none.
    assert_eq!(rows[2].ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(rows[2].user_agent.as_deref(), Some("test agent"));
    assert_eq!(rows[0].actor, "alice");
    assert_eq!(rows[4].actor, "keyward admin");
    // Another person's log is their own.
    assert!(events(b, Some(bob)).await.is_empty());
    // Filters: action and time.
    let query = AuditQuery {
        action: Some(Action::ApiTokenMinted.as_str().into()),
        since: Some(t0()),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(b.audit_events(&query).await.unwrap().len(), 1);
    let later = AuditQuery {
        since: Some(t0() + TimeDelta::seconds(1)),
        limit: 10,
        ..AuditQuery::default()
    };
    assert!(b.audit_events(&later).await.unwrap().is_empty());
    // No value, anywhere.
    for secret in [minted.secret.expose(), redated.secret.expose()] {
        assert!(!format!("{rows:?}").contains(secret));
    }
    // Retention: events older than the setting go.
    let kept = b.config().audit_retention_days;
    let late = t0() + TimeDelta::days(kept.into()) + TimeDelta::seconds(1);
    assert_eq!(b.prune_audit(late).await.unwrap(), rows.len() as u64);
    assert!(events(b, None).await.is_empty());
}
