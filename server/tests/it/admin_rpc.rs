//! Every admin server function, called by a plain user and by a manager (403, nothing
//! changed), then by an administrator with the same arguments (200): the positive control
//! that shows each call would have changed something had the role check been missing.

use chrono::Utc;
use keyward_backend::resources::GrantTo;
use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use keyward_core::{Permissions, Role, Scope};
use reqwest::Client;
use serde_json::Value;

use crate::support::{PASSWORD, Site, TestServer, start};

/// The installation the calls act on; returns the ids they name.
struct Fixture {
    project: i64,
    victim_session: i64,
    to_revoke: i64,
    to_transfer: i64,
}

async fn fixture(s: &TestServer) -> Fixture {
    let b = &s.backend;
    let now = Utc::now();
    for (name, role) in [
        ("root", Role::Admin),
        ("alice", Role::User),
        ("mgr", Role::Manager),
        ("victim", Role::User),
        ("member", Role::User),
        ("leaver", Role::Manager),
        ("heir", Role::Manager),
    ] {
        s.user(name, role).await;
    }
    let project = b.create_project("falcon", None, now).await.unwrap();
    b.create_team("red", None, now).await.unwrap();
    b.add_to_team("red", "member").await.unwrap();
    b.grant(
        project,
        &GrantTo::Team("red".into()),
        Permissions::READ,
        Utc::now(),
    )
    .await
    .unwrap();

    // Two sessions: one for admin_end_session, one for admin_end_user_sessions.
    let victim = s.signed_in("victim").await;
    s.signed_in("victim").await;
    let (_, _, sessions) = s.rpc(&victim, "my_sessions", &[] as &[(&str, &str)]).await;
    let victim_session = sessions[0]["id"].as_i64().unwrap();

    // Two service tokens suspended with their creator: one to revoke, one to transfer.
    let leaver = b.user_named("leaver").await.unwrap();
    let mut suspended = vec![];
    for name in ["to-revoke", "to-transfer"] {
        let request = ServiceTokenRequest {
            principal: PrincipalChoice::New {
                name: name.into(),
                description: String::new(),
            },
            name: name.into(),
            scope: Scope::Project {
                project_id: project,
                org_id: None,
                permissions: Permissions::READ,
            },
            lifetime: Lifetime::Days(30),
            allowed_ips: Default::default(),
        };
        let minted = b
            .mint_service_token(&leaver, &request, now, &mut rand_core::OsRng)
            .await
            .unwrap();
        suspended.push(minted.token.id);
    }
    b.deactivate_user("leaver", now).await.unwrap();
    Fixture {
        project,
        victim_session,
        to_revoke: suspended[0],
        to_transfer: suspended[1],
    }
}

/// Each admin function with arguments that change something when an admin sends them;
/// `me` is the caller, so that the role and grant calls are self-promotion attempts.
fn calls(f: &Fixture, me: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let s = |v: &str| v.to_string();
    let mut calls: Vec<_> = READERS.iter().map(|r| (*r, vec![])).collect();
    calls.extend([
        (
            "admin_end_session",
            vec![("id", f.victim_session.to_string())],
        ),
        ("admin_end_user_sessions", vec![("username", s("victim"))]),
        ("admin_cleanup_sessions", vec![]),
        (
            "admin_create_user",
            vec![
                ("username", s("intruder")),
                ("display_name", s("Intruder")),
                ("email", s("intruder@example.com")),
                ("role", s("admin")),
                ("password", s(PASSWORD)),
            ],
        ),
        (
            "admin_set_role",
            vec![("username", s(me)), ("role", s("admin"))],
        ),
        (
            "admin_set_active",
            vec![("username", s("victim")), ("active", s("false"))],
        ),
        ("admin_create_org", vec![("name", s("shadow"))]),
        (
            "admin_create_team",
            vec![("name", s("shadow-team")), ("org", s(""))],
        ),
        (
            "admin_add_member",
            vec![("team", s("red")), ("username", s(me))],
        ),
        (
            "admin_remove_member",
            vec![("team", s("red")), ("username", s("member"))],
        ),
        (
            "admin_create_project",
            vec![("name", s("shadow-project")), ("org", s(""))],
        ),
        (
            "admin_grant",
            vec![
                ("project", f.project.to_string()),
                ("kind", s("user")),
                ("name", s(me)),
                ("can_change_configs", s("on")),
                ("can_change_secrets", s("on")),
                ("can_delete_project", s("on")),
            ],
        ),
        (
            "admin_revoke_grant",
            vec![
                ("project", f.project.to_string()),
                ("kind", s("team")),
                ("name", s("red")),
            ],
        ),
        (
            "admin_create_oplog",
            vec![
                ("project", f.project.to_string()),
                ("name", s("shadow-log")),
            ],
        ),
        (
            "admin_revoke_service_token",
            vec![("id", f.to_revoke.to_string())],
        ),
        (
            "admin_transfer_service_token",
            vec![("id", f.to_transfer.to_string()), ("username", s("heir"))],
        ),
        (
            // A looser policy and a webhook of the caller's choosing.
            "admin_save_settings",
            vec![
                ("max_token_days", s("3660")),
                ("allow_never_expiring", s("on")),
                ("default_api_token_days", s("3660")),
                ("max_rotation_grace_minutes", s("10080")),
                ("expiry_webhook_url", s("https://attacker.example/hook")),
            ],
        ),
    ]);
    calls
}

/// The admin pages' readers, one per page.
const READERS: [&str; 8] = [
    "admin_users",
    "admin_organizations",
    "admin_teams",
    "admin_projects",
    "admin_oplogs",
    "admin_suspended_tokens",
    "admin_sessions",
    "admin_settings",
];

/// Everything the admin functions can change, as an administrator's pages show it, by
/// reader (sessions by id only: their last-seen times move with every request).
async fn state(s: &TestServer, admin: &Client) -> Value {
    let mut state = serde_json::Map::new();
    for reader in READERS {
        let (status, _, mut data) = s.rpc(admin, reader, &[] as &[(&str, &str)]).await;
        assert_eq!(status, 200, "{reader}: {data}");
        if reader == "admin_sessions" {
            data = data
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].clone())
                .collect();
        }
        state.insert(reader.into(), data);
    }
    Value::Object(state)
}

#[tokio::test]
async fn admin_functions_refuse_users_and_managers_and_change_nothing() {
    let s = start().await;
    let f = fixture(&s).await;
    let root = s.signed_in("root").await;
    let before = state(&s, &root).await;
    // Every admin server function the app defines is called here: a new one fails this
    // until it is added to `calls`.
    let defined: std::collections::BTreeSet<&str> = include_str!("../../../app/src/rpc/admin.rs")
        .split("endpoint = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let called = calls(&f, "x").iter().map(|c| c.0).collect();
    assert_eq!(defined, called);
    assert_eq!(defined.len(), 25);

    // Without a session, every function is 401 and changes nothing.
    let anonymous = Client::new();
    for (function, form) in calls(&f, "x") {
        let (status, _, body) = s.rpc(&anonymous, function, &form).await;
        assert_eq!(status, 401, "anonymous {function}: {body}");
    }
    assert_eq!(
        state(&s, &root).await,
        before,
        "anonymous calls changed something"
    );

    for caller in ["alice", "mgr"] {
        let client = s.signed_in(caller).await;
        let before = state(&s, &root).await;
        for (function, form) in calls(&f, caller) {
            let (status, _, body) = s.rpc(&client, function, &form).await;
            assert_eq!(status, 403, "{caller} {function}: {body}");
            assert!(
                !body.to_string().contains("victim"),
                "{caller} {function}: nothing leaks in the refusal"
            );
            assert_eq!(
                state(&s, &root).await,
                before,
                "{caller} {function} changed something"
            );
        }
        let me = s.backend.user_named(caller).await.unwrap();
        assert_ne!(me.role, Role::Admin, "{caller} was not promoted");
    }

    // The same calls from an administrator go through, and each one changes the state.
    let mut seen = state(&s, &root).await;
    for (function, form) in calls(&f, "alice") {
        let (status, _, body) = s.rpc(&root, function, &form).await;
        assert_eq!(status, 200, "root {function}: {body}");
        let now = state(&s, &root).await;
        if !READERS.contains(&function) && function != "admin_cleanup_sessions" {
            assert_ne!(now, seen, "root {function} changed nothing");
        }
        seen = now;
    }
    assert_ne!(seen, before);
    let alice = s.backend.user_named("alice").await.unwrap();
    assert_eq!(alice.role, Role::Admin);
}
