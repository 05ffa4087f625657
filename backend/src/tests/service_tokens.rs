//! Service tokens: the no-escalation rule, scopes, fixed grants, expiry, revocation,
//! suspension and transfer.

use chrono::TimeDelta;
use keyward_core::policy::Key;
use keyward_core::{Permissions, Scope};

use super::{bearer, input, rng, t0};
use crate::oplogs::OplogAction;
use crate::projects::Action;
use crate::resources::GrantTo;
use crate::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use crate::{Actor, AuthError, Backend, Error, Principal};

const CONFIGS: Permissions = Permissions {
    can_change_configs: true,
    ..Permissions::READ
};
const SECRETS: Permissions = Permissions {
    can_change_secrets: true,
    ..Permissions::READ
};

fn request(principal: &str, scope: Scope, days: u32) -> ServiceTokenRequest {
    ServiceTokenRequest {
        principal: PrincipalChoice::New {
            name: principal.into(),
            description: "runs the deploys".into(),
        },
        name: "deploy".into(),
        scope,
        lifetime: Lifetime::Days(days),
        allowed_ips: Default::default(),
    }
}

fn project(project_id: i64, permissions: Permissions) -> Scope {
    Scope::Project {
        project_id,
        org_id: None,
        permissions,
    }
}

on_both_databases!(
    no_escalation_and_nothing_left_behind_by_a_refusal,
    a_project_token_holds_exactly_its_grant_for_good,
    an_oplog_token_reads_and_writes_one_log,
    deactivation_suspends_until_revoked_or_transferred,
);

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid(f) => f.field,
        Error::Conflict(c) => c.field().into(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn auth(b: &Backend, value: &str, days_later: i64) -> Result<Principal, Error> {
    b.authenticate_bearer(
        Some(&bearer(value)),
        None,
        t0() + TimeDelta::days(days_later),
    )
    .await
}

/// alice: configs directly and secrets through team "red" on `falcon` (in org Acme); no
/// grant on `osprey`. Returns (falcon, osprey, falcon's log, osprey's log).
async fn world(b: &Backend) -> (i64, i64, i64, i64) {
    b.create_user(input("alice"), t0()).await.unwrap();
    b.create_user(input("bob"), t0()).await.unwrap();
    b.create_org("Acme", t0()).await.unwrap();
    b.create_org("Other", t0()).await.unwrap();
    b.create_team("red", Some("Acme"), t0()).await.unwrap();
    b.add_to_team("red", "alice").await.unwrap();
    let falcon = b
        .create_project("falcon", Some("Acme"), t0())
        .await
        .unwrap();
    let osprey = b.create_project("osprey", None, t0()).await.unwrap();
    b.grant(falcon, &GrantTo::User("alice".into()), CONFIGS, t0())
        .await
        .unwrap();
    b.grant(falcon, &GrantTo::Team("red".into()), SECRETS, t0())
        .await
        .unwrap();
    let falcon_log = b.create_oplog(falcon, "ops", t0()).await.unwrap();
    let osprey_log = b.create_oplog(osprey, "ops", t0()).await.unwrap();
    (falcon, osprey, falcon_log, osprey_log)
}

async fn no_escalation_and_nothing_left_behind_by_a_refusal(b: &Backend) {
    let (falcon, osprey, _, osprey_log) = world(b).await;
    let alice = b.user_named("alice").await.unwrap();
    let mut rng = rng();

    let refused = [
        // Flags beyond the union of alice's grants, one at a time.
        (
            project(
                falcon,
                Permissions {
                    can_delete_project: true,
                    ..CONFIGS
                },
            ),
            "can_delete_project",
        ),
        (project(osprey, Permissions::READ), "project"),
        (project(9999, Permissions::READ), "project"),
        (
            Scope::Oplog {
                oplog_id: osprey_log,
            },
            "oplog",
        ),
        (Scope::Oplog { oplog_id: 9999 }, "oplog"),
        // The organization context must be the project's own.
        (
            Scope::Project {
                project_id: falcon,
                org_id: Some(2),
                permissions: Permissions::READ,
            },
            "org",
        ),
    ];
    for (scope, field) in refused {
        let e = b
            .mint_service_token(&alice, &request("ci", scope, 30), t0(), &mut rng)
            .await
            .unwrap_err();
        assert_eq!(field_of(e), field, "{scope:?}");
    }
    let e = b
        .mint_service_token(
            &alice,
            &request("ci", project(falcon, CONFIGS), 367),
            t0(),
            &mut rng,
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "expires_in_days");
    // No principal was created by any refused request.
    assert!(b.service_principals().await.unwrap().is_empty());

    // Direct and team grants add up: both flags at once are allowed, with the org context.
    let both = CONFIGS.union(SECRETS);
    let minted = b
        .mint_service_token(
            &alice,
            &request(
                "ci",
                Scope::Project {
                    project_id: falcon,
                    org_id: Some(1),
                    permissions: both,
                },
                30,
            ),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    assert!(minted.secret.expose().starts_with("kwst_"));
    assert_eq!(minted.token.principal.name, "ci");
    // The target's names come with the token (the list shows them).
    let target = (&minted.token.target_name, &minted.token.target_org);
    assert_eq!(target, (&Some("falcon".into()), &Some("Acme".into())));
    assert_eq!(minted.token.expires_at, Some(t0() + TimeDelta::days(30)));

    // The principal's name is taken now; an existing one is picked by id.
    let e = b
        .mint_service_token(
            &alice,
            &request("ci", project(falcon, CONFIGS), 30),
            t0(),
            &mut rng,
        )
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "principal_name");
    let mut again = request("-", project(falcon, Permissions::READ), 0);
    again.principal = PrincipalChoice::Existing(minted.token.principal.id);
    let never = b
        .mint_service_token(&alice, &again, t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!(never.token.expires_at, None);
    assert_eq!(b.list_service_tokens(alice.id).await.unwrap().len(), 2);

    // The policy can forbid never-expiring tokens.
    let forbid = [(Key::AllowNeverExpiring, "false".to_string())];
    b.change_settings(&forbid, t0()).await.unwrap();
    let e = b
        .mint_service_token(&alice, &again, t0(), &mut rng)
        .await
        .unwrap_err();
    assert_eq!(field_of(e), "expires_in_days");
}

async fn a_project_token_holds_exactly_its_grant_for_good(b: &Backend) {
    let (falcon, osprey, falcon_log, osprey_log) = world(b).await;
    let alice = b.user_named("alice").await.unwrap();
    let minted = b
        .mint_service_token(
            &alice,
            &request("ci", project(falcon, CONFIGS), 30),
            t0(),
            &mut rng(),
        )
        .await
        .unwrap();
    let value = minted.secret.expose().to_string();
    let p = auth(b, &value, 0).await.unwrap();
    assert!(p.user().is_none());
    assert!(matches!(&p.actor, Actor::Service(t) if t.principal.name == "ci"));
    assert_eq!(p.credential.display_prefix, &value[..12]);

    let check = |p: Principal, project_id, action| async move {
        b.authorize_project(&p, project_id, action)
            .await
            .map(|v| v.permissions)
    };
    assert_eq!(
        check(p.clone(), falcon, Action::ChangeConfig)
            .await
            .unwrap(),
        CONFIGS
    );
    // alice holds secrets through her team, but the token was not given it.
    assert!(matches!(
        check(p.clone(), falcon, Action::ChangeSecrets).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        check(p.clone(), osprey, Action::Read).await,
        Err(Error::NotFound)
    ));
    let listed: Vec<i64> = b
        .list_projects(&p)
        .await
        .unwrap()
        .iter()
        .map(|v| v.project.id)
        .collect();
    assert_eq!(listed, [falcon]);

    // It reads its project's logs, and writes none.
    b.authorize_oplog(&p, falcon_log, OplogAction::Read)
        .await
        .unwrap();
    assert!(matches!(
        b.authorize_oplog(&p, falcon_log, OplogAction::Write).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        b.authorize_oplog(&p, osprey_log, OplogAction::Read).await,
        Err(Error::NotFound)
    ));

    // Later grant and team changes do not touch the token.
    b.grant(
        falcon,
        &GrantTo::User("alice".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    b.remove_from_team("red", "alice").await.unwrap();
    let p = auth(b, &value, 1).await.unwrap();
    assert_eq!(
        check(p, falcon, Action::ChangeConfig).await.unwrap(),
        CONFIGS
    );

    // Expiry and revocation, each with its own 401; another user cannot revoke it.
    assert!(matches!(
        auth(b, &value, 30).await,
        Err(Error::Auth(AuthError::TokenExpired))
    ));
    let bob = b.user_named("bob").await.unwrap();
    assert!(matches!(
        b.revoke_service_token(bob.id, minted.token.id, t0()).await,
        Err(Error::NotFound)
    ));
    b.revoke_service_token(alice.id, minted.token.id, t0())
        .await
        .unwrap();
    assert!(matches!(
        auth(b, &value, 0).await,
        Err(Error::Auth(AuthError::TokenRevoked))
    ));
    assert!(b.list_service_tokens(alice.id).await.unwrap().is_empty());
}

async fn an_oplog_token_reads_and_writes_one_log(b: &Backend) {
    let (falcon, _, falcon_log, osprey_log) = world(b).await;
    let other_log = b.create_oplog(falcon, "second", t0()).await.unwrap();
    let alice = b.user_named("alice").await.unwrap();
    let minted = b
        .mint_service_token(
            &alice,
            &request(
                "agent",
                Scope::Oplog {
                    oplog_id: falcon_log,
                },
                30,
            ),
            t0(),
            &mut rng(),
        )
        .await
        .unwrap();
    assert_eq!(minted.token.target_name.as_deref(), Some("ops"));
    let p = auth(b, minted.secret.expose(), 0).await.unwrap();
    for action in [OplogAction::Read, OplogAction::Write] {
        b.authorize_oplog(&p, falcon_log, action).await.unwrap();
    }
    assert!(matches!(
        b.authorize_oplog(&p, falcon_log, OplogAction::Delete).await,
        Err(Error::Forbidden)
    ));
    for log in [other_log, osprey_log] {
        assert!(matches!(
            b.authorize_oplog(&p, log, OplogAction::Read).await,
            Err(Error::NotFound)
        ));
    }
    assert!(matches!(
        b.authorize_project(&p, falcon, Action::Read).await,
        Err(Error::NotFound)
    ));
    assert!(b.list_projects(&p).await.unwrap().is_empty());
    let logs: Vec<i64> = b
        .list_oplogs(&p)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(logs, [falcon_log]);
}

async fn deactivation_suspends_until_revoked_or_transferred(b: &Backend) {
    let (falcon, ..) = world(b).await;
    let alice = b.user_named("alice").await.unwrap();
    let mut rng = rng();
    let (keep, keep_value) = b
        .mint_service_token(
            &alice,
            &request("-", project(falcon, SECRETS), 30),
            t0(),
            &mut rng,
        )
        .await
        .map(|m| (m.token.id, m.secret.expose().to_string()))
        .unwrap();
    let mut second = request("ci2", project(falcon, Permissions::READ), 30);
    second.principal = PrincipalChoice::Existing(1);
    let (drop, drop_value) = b
        .mint_service_token(&alice, &second, t0(), &mut rng)
        .await
        .map(|m| (m.token.id, m.secret.expose().to_string()))
        .unwrap();

    b.deactivate_user("alice", t0()).await.unwrap();
    for value in [&keep_value, &drop_value] {
        assert!(matches!(
            auth(b, value, 0).await,
            Err(Error::Auth(AuthError::TokenSuspended))
        ));
    }
    let suspended: Vec<i64> = b
        .suspended_service_tokens()
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(suspended, [keep, drop]);
    // Each suspension is in the owner's log, by its display prefix.
    let alice_id = b.user_named("alice").await.unwrap().id;
    let query = crate::db::AuditQuery {
        user_id: Some(alice_id),
        action: Some("service_token.suspended".into()),
        limit: 10,
        ..Default::default()
    };
    let logged: Vec<String> = (b.audit_events(&query).await.unwrap().into_iter())
        .map(|e| e.target)
        .collect();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged
            .iter()
            .all(|t| t.starts_with("kwst_") && t.len() == 12)
    );

    // bob must hold the grant: first he sees nothing, then only read, then secrets.
    assert_eq!(
        field_of(
            b.transfer_service_token(keep, "bob", t0())
                .await
                .unwrap_err()
        ),
        "project"
    );
    b.grant(
        falcon,
        &GrantTo::User("bob".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        field_of(
            b.transfer_service_token(keep, "bob", t0())
                .await
                .unwrap_err()
        ),
        "can_change_secrets"
    );
    assert_eq!(
        field_of(
            b.transfer_service_token(keep, "alice", t0())
                .await
                .unwrap_err()
        ),
        "username"
    );
    // Reactivating alice does not lift the suspension: an admin decides what happens.
    b.set_active("alice", true, t0()).await.unwrap();
    for value in [&keep_value, &drop_value] {
        assert!(matches!(
            auth(b, value, 0).await,
            Err(Error::Auth(AuthError::TokenSuspended))
        ));
    }
    let still: Vec<i64> = (b.suspended_service_tokens().await.unwrap().iter())
        .map(|t| t.id)
        .collect();
    assert_eq!(still, [keep, drop]);
    b.grant(falcon, &GrantTo::User("bob".into()), SECRETS, t0())
        .await
        .unwrap();
    b.transfer_service_token(keep, "bob", t0()).await.unwrap();
    let p = auth(b, &keep_value, 0).await.unwrap();
    b.authorize_project(&p, falcon, Action::ChangeSecrets)
        .await
        .unwrap();
    let bob = b.user_named("bob").await.unwrap();
    assert_eq!(b.list_service_tokens(bob.id).await.unwrap().len(), 1);

    b.admin_revoke_service_token(drop, t0()).await.unwrap();
    assert!(matches!(
        auth(b, &drop_value, 0).await,
        Err(Error::Auth(AuthError::TokenRevoked))
    ));
    assert!(b.suspended_service_tokens().await.unwrap().is_empty());
    assert!(matches!(
        b.transfer_service_token(drop, "bob", t0()).await,
        Err(Error::NotFound)
    ));
}
