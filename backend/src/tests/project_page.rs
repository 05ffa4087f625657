//! The project page's services: every service token of a project whoever minted it, who may
//! revoke which, the live-token counts of `/projects`, and the grants managers see.

use chrono::TimeDelta;
use keyward_core::{Permissions, Role, Scope};

use super::{input, t0};
use crate::resources::GrantTo;
use crate::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use crate::{Backend, Error};

const SECRETS: Permissions = Permissions {
    can_change_secrets: true,
    ..Permissions::READ
};

on_both_databases!(
    a_project_lists_every_token_and_who_may_revoke_each,
    a_refused_revocation_changes_nothing,
    live_token_counts_leave_out_revoked_expired_and_suspended,
    only_managers_and_admins_see_who_holds_grants,
    a_projects_logs_come_with_their_latest_entries,
);

/// Mints a token on `project` for `creator` (a new principal named after the token).
async fn mint(
    b: &Backend,
    creator: &str,
    name: &str,
    project_id: i64,
    permissions: Permissions,
    lifetime: Lifetime,
) -> i64 {
    let creator = b.user_named(creator).await.unwrap();
    let request = ServiceTokenRequest {
        principal: PrincipalChoice::New {
            name: format!("{name}-principal"),
            description: String::new(),
        },
        name: name.into(),
        scope: Scope::Project {
            project_id,
            org_id: None,
            permissions,
        },
        lifetime,
        allowed_ips: Default::default(),
    };
    // OsRng: each token its own value (the seeded rng would repeat the first).
    b.mint_service_token(&creator, &request, t0(), &mut rand_core::OsRng)
        .await
        .unwrap()
        .token
        .id
}

/// Team "crew" (sam and reader) holds read on `falcon`; sam also holds can_change_secrets
/// directly; outsider holds nothing; root is an admin, mia a manager. `osprey` is sam's too.
async fn world(b: &Backend) -> (i64, i64) {
    for name in ["sam", "reader", "outsider", "mia", "root"] {
        let mut user = input(name);
        user.role = match name {
            "root" => Role::Admin,
            "mia" => Role::Manager,
            _ => Role::User,
        };
        b.create_user(user, t0()).await.unwrap();
    }
    b.create_team("crew", None, t0()).await.unwrap();
    b.add_to_team("crew", "sam").await.unwrap();
    b.add_to_team("crew", "reader").await.unwrap();
    let falcon = b.create_project("falcon", None, t0()).await.unwrap();
    let osprey = b.create_project("osprey", None, t0()).await.unwrap();
    b.grant(
        falcon,
        &GrantTo::Team("crew".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    for project in [falcon, osprey] {
        b.grant(project, &GrantTo::User("sam".into()), SECRETS, t0())
            .await
            .unwrap();
    }
    (falcon, osprey)
}

async fn a_project_lists_every_token_and_who_may_revoke_each(b: &Backend) {
    let (falcon, osprey) = world(b).await;
    let secrets = mint(b, "sam", "deploy", falcon, SECRETS, Lifetime::Days(30)).await;
    let read_only = mint(
        b,
        "reader",
        "status",
        falcon,
        Permissions::READ,
        Lifetime::Days(30),
    )
    .await;
    mint(b, "sam", "elsewhere", osprey, SECRETS, Lifetime::Days(30)).await;

    // (viewer, the tokens they may revoke, newest first)
    let cases = [
        // Creator of "deploy", and holds the read that "status" carries.
        ("sam", [true, true]),
        // Not the creator of "deploy" and without can_change_secrets; creator of "status".
        ("reader", [true, false]),
        ("mia", [true, true]),
        ("root", [true, true]),
    ];
    for (viewer, may) in cases {
        let user = b.user_named(viewer).await.unwrap();
        let listed = b.project_service_tokens(&user, falcon).await.unwrap();
        let rows: Vec<_> = listed
            .iter()
            .map(|t| {
                (
                    t.token.id,
                    t.token.created_by_username.as_str(),
                    t.can_revoke,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [(read_only, "reader", may[0]), (secrets, "sam", may[1])],
            "{viewer}"
        );
    }
    // Outside the grant the project does not exist, and nor do its tokens.
    let outsider = b.user_named("outsider").await.unwrap();
    assert!(matches!(
        b.project_service_tokens(&outsider, falcon).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        b.project_service_tokens(&outsider, 9999).await,
        Err(Error::NotFound)
    ));
}

async fn a_refused_revocation_changes_nothing(b: &Backend) {
    let (falcon, osprey) = world(b).await;
    let secrets = mint(b, "sam", "deploy", falcon, SECRETS, Lifetime::Days(30)).await;
    let other = mint(b, "sam", "elsewhere", osprey, SECRETS, Lifetime::Days(30)).await;
    let reader = b.user_named("reader").await.unwrap();
    let outsider = b.user_named("outsider").await.unwrap();
    let sam = b.user_named("sam").await.unwrap();
    let now = t0() + TimeDelta::hours(1);

    let refusals = [
        // Visible, but reader lacks can_change_secrets: 403.
        (&reader, falcon, secrets, "403"),
        // A token of another project, through a project reader can see: as if missing.
        (&reader, falcon, other, "404"),
        (&sam, falcon, other, "404"),
        // A project outside the grant, and one that does not exist.
        (&outsider, falcon, secrets, "404"),
        (&reader, 9999, secrets, "404"),
        (&reader, falcon, 9999, "404"),
    ];
    for (user, project, token, expected) in refusals {
        let e = b
            .revoke_project_service_token(user, project, token, now)
            .await
            .unwrap_err();
        let got = match e {
            Error::Forbidden => "403",
            Error::NotFound => "404",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected, "{} on {project}/{token}", user.username);
    }
    for id in [secrets, other] {
        let token = b.repo().service_token(id).await.unwrap().unwrap();
        assert_eq!(token.revoked_at, None, "token {id} still works");
    }

    // Allowed: the creator, even once they no longer hold what the token carries; then it
    // is gone from the list, and a second revoke is 404.
    b.grant(
        falcon,
        &GrantTo::User("sam".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    let listed = b.project_service_tokens(&sam, falcon).await.unwrap();
    assert!(listed[0].can_revoke, "the creator may revoke");
    b.revoke_project_service_token(&sam, falcon, secrets, now)
        .await
        .unwrap();
    let token = b.repo().service_token(secrets).await.unwrap().unwrap();
    assert_eq!(token.revoked_at, Some(now));
    assert!(
        b.project_service_tokens(&sam, falcon)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        b.revoke_project_service_token(&sam, falcon, secrets, now)
            .await,
        Err(Error::NotFound)
    ));
}

async fn live_token_counts_leave_out_revoked_expired_and_suspended(b: &Backend) {
    let (falcon, osprey) = world(b).await;
    let expires = t0() + TimeDelta::days(2);
    mint(b, "sam", "live", falcon, SECRETS, Lifetime::Days(30)).await;
    mint(
        b,
        "sam",
        "expiring",
        falcon,
        SECRETS,
        Lifetime::Until(expires),
    )
    .await;
    let revoked = mint(b, "sam", "revoked", falcon, SECRETS, Lifetime::Days(30)).await;
    b.grant(
        osprey,
        &GrantTo::User("reader".into()),
        Permissions::READ,
        t0(),
    )
    .await
    .unwrap();
    mint(
        b,
        "reader",
        "suspended",
        osprey,
        Permissions::READ,
        Lifetime::Days(30),
    )
    .await;
    let sam = b.user_named("sam").await.unwrap();
    b.revoke_project_service_token(&sam, falcon, revoked, t0())
        .await
        .unwrap();

    let mut counts = b.live_service_token_counts(t0()).await.unwrap();
    counts.sort();
    assert_eq!(counts, [(falcon, 2), (osprey, 1)]);
    // After the expiry, and once reader (answerable for osprey's token) is deactivated.
    b.set_active("reader", false, t0()).await.unwrap();
    let counts = b.live_service_token_counts(expires).await.unwrap();
    assert_eq!(counts, [(falcon, 1)]);
}

async fn only_managers_and_admins_see_who_holds_grants(b: &Backend) {
    let (falcon, _) = world(b).await;
    for (viewer, sees) in [
        ("sam", false),
        ("reader", false),
        ("mia", true),
        ("root", true),
    ] {
        let user = b.user_named(viewer).await.unwrap();
        let grants = b.project_grants(&user, falcon).await.unwrap();
        assert_eq!(grants.is_some(), sees, "{viewer}");
        if let Some(grants) = grants {
            let names: Vec<_> = grants
                .iter()
                .map(|g| (g.to_team, g.name.as_str()))
                .collect();
            assert_eq!(names, [(false, "sam"), (true, "crew")]);
        }
    }
    let outsider = b.user_named("outsider").await.unwrap();
    assert!(matches!(
        b.project_grants(&outsider, falcon).await,
        Err(Error::NotFound)
    ));
}

/// A signed-in person as the services' caller.
fn as_person(user: crate::db::UserRow) -> crate::Principal {
    crate::Principal {
        credential: crate::Credential {
            kind: keyward_core::api::CredentialKind::LoginSession,
            id: 0,
            display_prefix: String::new(),
            expires_at: None,
            replaced_until: None,
            hash: None,
            allowed_ips: Default::default(),
        },
        actor: crate::Actor::User(user),
    }
}

async fn a_projects_logs_come_with_their_latest_entries(b: &Backend) {
    let (falcon, osprey) = world(b).await;
    let ops = b.create_oplog(falcon, "ops", t0()).await.unwrap();
    b.create_oplog(falcon, "quiet", t0()).await.unwrap();
    let deploys = b.create_oplog(falcon, "deploys", t0()).await.unwrap();
    let elsewhere = b.create_oplog(osprey, "ops", t0()).await.unwrap();
    let reader = as_person(b.user_named("reader").await.unwrap());
    let sam = as_person(b.user_named("sam").await.unwrap());
    for (log, command) in [
        (ops, "a"),
        (deploys, "b"),
        (ops, "c"),
        (ops, "d"),
        (elsewhere, "e"),
    ] {
        let input = keyward_core::api::EntryInput {
            command: Some(command.into()),
            ..Default::default()
        };
        b.create_entry(&sam, log, input, t0()).await.unwrap();
    }

    let logs = b.project_oplogs(&reader, falcon, 2).await.unwrap();
    let seen: Vec<_> = logs
        .iter()
        .map(|(log, entries)| {
            let commands: Vec<_> = entries.iter().map(|e| e.fields.command.as_str()).collect();
            (log.name.as_str(), commands)
        })
        .collect();
    // By log id; the 2 newest entries of each, newest first; nothing of osprey's log.
    assert_eq!(
        seen,
        [
            ("ops", vec!["d", "c"]),
            ("quiet", vec![]),
            ("deploys", vec!["b"])
        ]
    );
    let outsider = as_person(b.user_named("outsider").await.unwrap());
    assert!(matches!(
        b.project_oplogs(&outsider, falcon, 2).await,
        Err(Error::NotFound)
    ));
}
