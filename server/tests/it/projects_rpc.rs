//! The project page's server functions: every caller × function × project against the
//! expected status, and nothing changed by a refusal. A session acts as its user through the
//! API's authorization decision: outside the grant 404, without the flag 403.

use chrono::Utc;
use keyward_backend::resources::GrantTo;
use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use keyward_core::{Permissions, Role, Scope};
use reqwest::Client;
use serde_json::Value;

use crate::support::{Site, TestServer, start_unlimited};

const SECRETS: Permissions = Permissions {
    can_change_secrets: true,
    ..Permissions::READ
};

/// The callers: no session, an admin, a manager, "direct" (can_change_secrets on falcon),
/// "configs" (can_change_configs and can_delete_project on falcon), "teamed" (read on
/// falcon through a team) and "nobody" (no grant).
const CALLERS: [&str; 7] = [
    "anonymous",
    "adm",
    "mgr",
    "direct",
    "configs",
    "teamed",
    "nobody",
];

const CONFIGS: Permissions = Permissions {
    can_change_configs: true,
    can_delete_project: true,
    ..Permissions::READ
};

/// falcon (the callers' grants), osprey (nobody's grant), and a project that does not exist.
struct World {
    falcon: i64,
    osprey: i64,
    /// An operation log of each.
    falcon_log: i64,
    osprey_log: i64,
}

async fn world(s: &TestServer) -> World {
    let b = &s.backend;
    for (name, role) in [
        ("adm", Role::Admin),
        ("mgr", Role::Manager),
        ("direct", Role::User),
        ("configs", Role::User),
        ("teamed", Role::User),
        ("nobody", Role::User),
    ] {
        s.user(name, role).await;
    }
    let falcon = b.create_project("falcon", None, Utc::now()).await.unwrap();
    let osprey = b.create_project("osprey", None, Utc::now()).await.unwrap();
    b.create_team("crew", None, Utc::now()).await.unwrap();
    b.add_to_team("crew", "teamed").await.unwrap();
    b.grant(falcon, &GrantTo::User("direct".into()), SECRETS, Utc::now())
        .await
        .unwrap();
    b.grant(
        falcon,
        &GrantTo::Team("crew".into()),
        Permissions::READ,
        Utc::now(),
    )
    .await
    .unwrap();
    b.grant(
        falcon,
        &GrantTo::User("configs".into()),
        CONFIGS,
        Utc::now(),
    )
    .await
    .unwrap();
    let falcon_log = b.create_oplog(falcon, "ops", Utc::now()).await.unwrap();
    let osprey_log = b.create_oplog(osprey, "ops", Utc::now()).await.unwrap();
    World {
        falcon,
        osprey,
        falcon_log,
        osprey_log,
    }
}

/// Seeds what the writes act on: an empty config, the secret "existing" and a
/// can_change_secrets token minted
/// by the admin, on both projects. Returns the tokens' ids, falcon's first.
async fn seed(s: &TestServer, w: &World) -> (i64, i64) {
    let admin = s.backend.user_named("adm").await.unwrap();
    let mut ids = vec![];
    for project in [w.falcon, w.osprey] {
        let principal = admin_principal(s).await;
        s.backend
            .put_secret(&principal, project, "existing", "s3cret value", Utc::now())
            .await
            .unwrap();
        s.backend
            .set_project_config(&principal, project, &serde_json::json!({}))
            .await
            .unwrap();
        let request = ServiceTokenRequest {
            principal: PrincipalChoice::New {
                name: format!("deployer-{project}-{}", ids.len() + rand_suffix()),
                description: String::new(),
            },
            name: "deploy".into(),
            scope: Scope::Project {
                project_id: project,
                org_id: None,
                permissions: SECRETS,
            },
            lifetime: Lifetime::Days(30),
            allowed_ips: Default::default(),
        };
        let minted = s
            .backend
            .mint_service_token(&admin, &request, Utc::now(), &mut rand_core::OsRng)
            .await
            .unwrap();
        ids.push(minted.token.id);
    }
    (ids[0], ids[1])
}

fn rand_suffix() -> usize {
    use rand_core::RngCore;
    rand_core::OsRng.next_u32() as usize
}

async fn admin_principal(s: &TestServer) -> keyward_backend::Principal {
    let admin = s.backend.user_named("adm").await.unwrap();
    keyward_backend::Principal {
        actor: keyward_backend::Actor::User(admin),
        credential: keyward_backend::Credential {
            kind: keyward_core::api::CredentialKind::LoginSession,
            id: 0,
            display_prefix: String::new(),
            expires_at: None,
            replaced_until: None,
            hash: None,
            allowed_ips: Default::default(),
        },
    }
}

/// Everything the functions can change, read through the services as the admin: both
/// projects' configs, secrets (with values) and unrevoked service tokens.
async fn state(s: &TestServer, w: &World) -> String {
    let admin = s.backend.user_named("adm").await.unwrap();
    let principal = admin_principal(s).await;
    let mut out = String::new();
    for project in [w.falcon, w.osprey] {
        let p = s
            .backend
            .authorize_project(&principal, project, keyward_backend::projects::Action::Read)
            .await
            .unwrap();
        let secrets = s
            .backend
            .project_secrets(&principal, project)
            .await
            .unwrap();
        let tokens = s
            .backend
            .project_service_tokens(&admin, project)
            .await
            .unwrap();
        let log = if project == w.falcon {
            w.falcon_log
        } else {
            w.osprey_log
        };
        let entries = s.backend.list_entries(&principal, log).await.unwrap();
        out += &format!("{project}: {} entries; ", entries.len());
        out += &format!(
            "{project}: {} {:?} {:?}\n",
            p.project.config,
            secrets
                .iter()
                .map(|s| (&s.name, &s.value))
                .collect::<Vec<_>>(),
            tokens.iter().map(|t| t.token.id).collect::<Vec<_>>()
        );
    }
    out
}

/// What `caller` holds on falcon (`None`: no grant); nobody but admins and managers holds
/// anything on osprey.
fn held(caller: &str, project: &str) -> Option<Permissions> {
    match (caller, project) {
        ("adm" | "mgr", "falcon" | "osprey") => Some(Permissions::ALL),
        ("direct", "falcon") => Some(SECRETS),
        ("configs", "falcon") => Some(CONFIGS),
        ("teamed", "falcon") => Some(Permissions::READ),
        _ => None,
    }
}

/// The status `caller` gets from `function` on `project` (a log of that project, for
/// add_oplog_entry: anyone who can read a project may write its logs).
fn expected(caller: &str, function: &str, project: &str) -> u16 {
    if caller == "anonymous" {
        return 401;
    }
    let Some(held) = held(caller, project) else {
        return 404;
    };
    let allowed = match function {
        "set_project_config" => held.can_change_configs,
        "set_project_secret" | "delete_project_secret" => held.can_change_secrets,
        // The token carries can_change_secrets: its holders may revoke it.
        "revoke_project_service_token" => held.can_change_secrets,
        _ => true,
    };
    if allowed { 200 } else { 403 }
}

const FUNCTIONS: [&str; 7] = [
    "project",
    "add_oplog_entry",
    "set_project_config",
    "set_project_secret",
    "delete_project_secret",
    "project_service_tokens",
    "revoke_project_service_token",
];

fn form(function: &str, project: i64, token: i64, log: i64) -> Vec<(&'static str, String)> {
    let project = ("project", project.to_string());
    match function {
        "add_oplog_entry" => vec![
            project,
            ("oplog", log.to_string()),
            ("command", "ls -la".into()),
            ("description", String::new()),
            ("source_host", String::new()),
            ("dest_host", String::new()),
            ("tool", String::new()),
        ],
        "project" => vec![("id", project.1)],
        "set_project_config" => vec![project, ("config", r#"{"changed": true}"#.into())],
        "set_project_secret" => vec![
            project,
            ("name", "existing".into()),
            ("value", "overwritten".into()),
        ],
        "delete_project_secret" => vec![project, ("name", "existing".into())],
        "revoke_project_service_token" => vec![project, ("id", token.to_string())],
        _ => vec![project],
    }
}

#[tokio::test]
async fn project_functions_follow_the_authorization_matrix_and_refusals_change_nothing() {
    let s = start_unlimited().await;
    let w = world(&s).await;
    // Every server function of the project page is in the matrix: a new one fails this
    // until it is added.
    let defined: std::collections::BTreeSet<&str> =
        include_str!("../../../app/src/rpc/projects.rs")
            .split("endpoint = \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
    let mut listed: std::collections::BTreeSet<&str> = FUNCTIONS.into_iter().collect();
    listed.insert("my_projects");
    assert_eq!(defined, listed);

    let (mut falcon_token, mut osprey_token) = seed(&s, &w).await;
    let mut checked = 0;
    for caller in CALLERS {
        let client = if caller == "anonymous" {
            Client::new()
        } else {
            s.signed_in(caller).await
        };
        for function in FUNCTIONS {
            for (name, project) in [
                ("falcon", w.falcon),
                ("osprey", w.osprey),
                ("missing", 9999),
            ] {
                let (token, log) = if project == w.osprey {
                    (osprey_token, w.osprey_log)
                } else {
                    (falcon_token, w.falcon_log)
                };
                let before = state(&s, &w).await;
                let (status, _, body) = s
                    .rpc(&client, function, &form(function, project, token, log))
                    .await;
                let want = expected(caller, function, name);
                assert_eq!(status, want, "{caller} {function} {name}: {body}");
                checked += 1;
                if status != 200 {
                    assert_eq!(
                        state(&s, &w).await,
                        before,
                        "{caller} {function} {name} changed something"
                    );
                    assert!(
                        !body.to_string().contains("s3cret"),
                        "no value in a refusal"
                    );
                } else if function != "project" && function != "project_service_tokens" {
                    // A write: it changed something; put back what it changed, for the next
                    // caller.
                    assert_ne!(state(&s, &w).await, before, "{caller} {function} {name}");
                    let (f, o) = seed(&s, &w).await;
                    (falcon_token, osprey_token) = (f, o);
                }
            }
        }
    }
    assert_eq!(checked, CALLERS.len() * FUNCTIONS.len() * 3);
}

#[tokio::test]
async fn the_project_list_the_page_and_the_tokens_tab_show_what_each_person_may_see() {
    let s = start_unlimited().await;
    let w = world(&s).await;
    let (falcon_token, _) = seed(&s, &w).await;

    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let none: &[(&str, &str)] = &[];
    for (caller, projects) in [
        ("adm", vec!["falcon", "osprey"]),
        ("mgr", vec!["falcon", "osprey"]),
        ("direct", vec!["falcon"]),
        ("teamed", vec!["falcon"]),
        ("nobody", vec![]),
    ] {
        let client = s.signed_in(caller).await;
        let (status, _, list) = s.rpc(&client, "my_projects", none).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(names(&list), projects, "{caller}");
        if let Some(falcon) = list.as_array().unwrap().first() {
            assert_eq!(falcon["live_service_tokens"], 1, "{caller}");
        }
    }
    let (status, _, _) = s.rpc(&Client::new(), "my_projects", none).await;
    assert_eq!(status, 401);

    // The page: secrets by name only; who holds grants only for managers and admins.
    let id = w.falcon.to_string();
    let direct = s.signed_in("direct").await;
    let (_, _, page) = s.rpc(&direct, "project", &[("id", id.as_str())]).await;
    assert_eq!(page["secrets"][0]["name"], "existing");
    assert!(!page.to_string().contains("s3cret"), "{page}");
    assert_eq!(page["grants"], Value::Null);
    assert_eq!(page["permissions"]["can_change_secrets"], true);
    let manager = s.signed_in("mgr").await;
    let (_, _, page) = s.rpc(&manager, "project", &[("id", id.as_str())]).await;
    assert_eq!(page["grants"].as_array().unwrap().len(), 3, "{page}");

    // Invalid JSON is refused with the parser's line and column, and nothing changes.
    let before = state(&s, &w).await;
    let (status, _, body) = s
        .rpc(
            &manager,
            "set_project_config",
            &[("project", id.as_str()), ("config", "{\n  \"a\": 1,\n}")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body.to_string();
    assert!(message.contains("line 3, column 1"), "{message}");
    let (status, _, body) = s
        .rpc(
            &manager,
            "set_project_config",
            &[("project", id.as_str()), ("config", "[1]")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(state(&s, &w).await, before);

    // Ids of another project's token or log, through a project the caller can see: as if
    // missing, and nothing changes. Bad input is a 400 or 422, never a 500.
    let admin = s.signed_in("adm").await;
    let before = state(&s, &w).await;
    let osprey_log = w.osprey_log.to_string();
    let falcon_log = w.falcon_log.to_string();
    let (_, osprey_token) = {
        let tab = s
            .rpc(
                &admin,
                "project_service_tokens",
                &[("project", w.osprey.to_string().as_str())],
            )
            .await
            .2;
        ((), tab["tokens"][0]["token"]["id"].to_string())
    };
    let cases = [
        (
            "add_oplog_entry",
            vec![
                ("project", id.as_str()),
                ("oplog", osprey_log.as_str()),
                ("command", "ls"),
                ("description", ""),
                ("source_host", ""),
                ("dest_host", ""),
                ("tool", ""),
            ],
            404,
        ),
        (
            "revoke_project_service_token",
            vec![("project", id.as_str()), ("id", osprey_token.as_str())],
            404,
        ),
        ("project", vec![("id", "not-a-number")], 400),
        (
            "set_project_secret",
            vec![
                ("project", id.as_str()),
                ("name", "no spaces!"),
                ("value", "x"),
            ],
            422,
        ),
        (
            "add_oplog_entry",
            vec![
                ("project", id.as_str()),
                ("oplog", falcon_log.as_str()),
                ("command", " "),
                ("description", ""),
                ("source_host", ""),
                ("dest_host", ""),
                ("tool", ""),
            ],
            422,
        ),
        (
            "set_project_config",
            vec![("project", "99999999999999999999999"), ("config", "{}")],
            400,
        ),
    ];
    for (function, form, want) in cases {
        let (status, _, body) = s.rpc(&admin, function, &form).await;
        assert_eq!(status, want, "{function} {form:?}: {body}");
    }
    assert_eq!(state(&s, &w).await, before, "a refusal changed something");

    // The tokens tab: the admin's token, with its creator, and who may revoke it.
    for (caller, can_revoke) in [("direct", true), ("teamed", false), ("mgr", true)] {
        let client = s.signed_in(caller).await;
        let (_, _, tab) = s
            .rpc(
                &client,
                "project_service_tokens",
                &[("project", id.as_str())],
            )
            .await;
        let row = &tab["tokens"][0];
        assert_eq!(row["token"]["id"], falcon_token, "{tab}");
        assert_eq!(row["created_by"], "adm");
        assert_eq!(row["project"], "falcon");
        assert_eq!(row["can_revoke"], can_revoke, "{caller}");
        // The form offers this project only, with the caller's own flags.
        let offered = tab["form"]["projects"].as_array().unwrap();
        assert_eq!(offered.len(), 1);
        assert_eq!(offered[0]["name"], "falcon");
    }
}
