//! The authorization matrix of the project routes: each credential × route × project,
//! against the expected status. Generated from the tables below.

use chrono::{TimeDelta, Utc};
use keyward_backend::resources::GrantTo;
use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use keyward_core::{Permissions, Role, Scope};
use reqwest::Method;
use serde_json::json;

use keyward_backend::db::{EntryRow, ProjectRow, SecretRow};
use keyward_backend::projects::Action;
use keyward_backend::{Error, Principal};
use keyward_core::api::EntryInput;

use crate::support::{Site, TestServer, start_unlimited};

/// The callers of the matrices, by name: an admin, a manager, "direct" and "team" (users
/// who hold no grant until a test gives them one), "none", an expired and a revoked admin
/// token, and the login JWTs "jwt-admin", "jwt-direct" and "jwt-ended" (its session over).
async fn credentials(s: &TestServer) -> Vec<(String, String)> {
    let mut creds = vec![];
    for (name, username, role, days) in [
        ("admin", "adm", Role::Admin, 1),
        ("manager", "mgr", Role::Manager, 1),
        ("direct", "direct", Role::User, 1),
        ("team", "teamed", Role::User, 1),
        ("none", "nobody", Role::User, 1),
        ("expired", "late", Role::Admin, -1),
        ("revoked", "gone", Role::Admin, 1),
    ] {
        creds.push((
            name.to_string(),
            token_for(s, username, role, TimeDelta::days(days)).await,
        ));
    }
    let gone = s.backend.user_named("gone").await.unwrap();
    let id = s.backend.list_api_tokens(gone.id).await.unwrap()[0].id;
    s.backend
        .revoke_api_token(gone.id, id, Utc::now())
        .await
        .unwrap();
    for (name, username) in [
        ("jwt-admin", "adm"),
        ("jwt-direct", "direct"),
        ("jwt-ended", "nobody"),
    ] {
        creds.push((name.to_string(), s.login_jwt(username).await));
    }
    // The JWT ends its own session, as after a sign-out.
    let ended = token_of(&creds, "jwt-ended");
    let res = reqwest::Client::new()
        .delete(s.url("/api/v1/tokens/current"))
        .bearer_auth(ended)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    creds
}

/// Service tokens minted by the admin "adm" (who holds everything), named by their scope:
/// `st-` and the flags for each of the 8 flag combinations on `project`, `st-oplog` for
/// `oplog`, and `st-expired`, `st-revoked` and `st-suspended` (read-only on `project`).
async fn service_credentials(s: &TestServer, project: i64, oplog: i64) -> Vec<(String, String)> {
    let b = &s.backend;
    let on_project = |permissions| Scope::Project {
        project_id: project,
        org_id: None,
        permissions,
    };
    let mut creds = vec![];
    for mask in 0..8u8 {
        let flags = flags(mask);
        let name = format!("st-{}", flags.names().join("+"));
        creds.push((
            name.clone(),
            mint(s, "adm", &name, on_project(flags), 0).await,
        ));
    }
    let oplog_scope = Scope::Oplog { oplog_id: oplog };
    creds.push((
        "st-oplog".into(),
        mint(s, "adm", "st-oplog", oplog_scope, 0).await,
    ));
    let read = on_project(Permissions::READ);
    creds.push((
        "st-expired".into(),
        mint(s, "adm", "st-expired", read, -2).await,
    ));
    let revoked = mint(s, "adm", "st-revoked", read, 0).await;
    b.revoke_current(
        &b.authenticate_bearer(Some(&format!("Bearer {revoked}")), None, Utc::now())
            .await
            .unwrap(),
        Utc::now(),
    )
    .await
    .unwrap();
    creds.push(("st-revoked".into(), revoked));
    s.user("leaver", Role::Manager).await;
    creds.push((
        "st-suspended".into(),
        mint(s, "leaver", "st-suspended", read, 0).await,
    ));
    b.deactivate_user("leaver", Utc::now()).await.unwrap();
    creds
}

/// The flag combination numbered `mask` (bit 0 configs, bit 1 secrets, bit 2 delete).
fn flags(mask: u8) -> Permissions {
    Permissions {
        can_change_configs: mask & 1 != 0,
        can_change_secrets: mask & 2 != 0,
        can_delete_project: mask & 4 != 0,
    }
}

/// Mints a one-day service token for a new principal named `name`, `days_ago` days back.
async fn mint(s: &TestServer, creator: &str, name: &str, scope: Scope, days_ago: i64) -> String {
    let creator = s.backend.user_named(creator).await.unwrap();
    let request = ServiceTokenRequest {
        principal: PrincipalChoice::New {
            name: name.into(),
            description: String::new(),
        },
        name: name.into(),
        scope,
        lifetime: Lifetime::Days(1),
        allowed_ips: Default::default(),
    };
    let minted_at = Utc::now() + TimeDelta::days(days_ago);
    let minted = s
        .backend
        .mint_service_token(&creator, &request, minted_at, &mut rand_core::OsRng)
        .await
        .unwrap();
    minted.secret.expose().to_string()
}

fn token_of<'a>(creds: &'a [(String, String)], name: &str) -> &'a str {
    &creds.iter().find(|c| c.0 == name).unwrap().1
}

async fn token_for(s: &TestServer, username: &str, role: Role, expires: TimeDelta) -> String {
    let id = s.user(username, role).await;
    s.token(id, expires).await
}

/// An id no row has.
const MISSING: i64 = 999_999;

/// Routes of the project matrix, relative to /api/v1/projects/{id}.
const PROJECT_ROUTES: [(Method, &str); 7] = [
    (Method::GET, ""),
    (Method::GET, "/config"),
    (Method::PUT, "/config"),
    (Method::GET, "/secrets"),
    (Method::PUT, "/secrets/API_KEY"),
    (Method::DELETE, "/secrets/OLD_KEY"),
    (Method::DELETE, ""),
];

/// The body of a write, unique to `tag` so that a write that lands always shows.
fn project_body(suffix: &str, tag: &str) -> Option<serde_json::Value> {
    match suffix {
        "/config" => Some(json!({ "region": tag })),
        "/secrets/API_KEY" => Some(json!({ "value": tag })),
        _ => None,
    }
}

/// Everything the project routes can change on each of `ids`, as an administrator sees it:
/// a write through one project's URL must not land on another.
async fn project_state(s: &TestServer, admin: &Principal, ids: &[i64]) -> Vec<ProjectState> {
    let b = &s.backend;
    let mut state = vec![];
    for &id in ids {
        state.push(match b.authorize_project(admin, id, Action::Read).await {
            Ok(visible) => {
                let secrets = b.project_secrets(admin, id).await.unwrap();
                Some((visible.project, secrets))
            }
            Err(Error::NotFound) => None,
            Err(e) => panic!("{e}"),
        });
    }
    state
}

type ProjectState = Option<(ProjectRow, Vec<SecretRow>)>;

/// A write must change the state exactly when it answers 2xx: a refused write that still
/// wrote, or a success that did nothing, is a failure.
fn check_effect(what: &str, got: u16, changed: bool, failures: &mut Vec<String>) {
    let succeeded = (200..300).contains(&got);
    if changed != succeeded {
        let effect = if changed { "changed" } else { "left unchanged" };
        failures.push(format!("{what}: answered {got} but {effect} the data"));
    }
}

fn report(failures: &[String], cases: usize) {
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn project_routes_honour_exactly_the_callers_grant() {
    let s = start_unlimited().await;
    let b = &s.backend;
    let owned = b.create_project("owned", None, Utc::now()).await.unwrap();
    let foreign = b.create_project("foreign", None, Utc::now()).await.unwrap();
    b.create_team("red", None, Utc::now()).await.unwrap();

    let mut creds = credentials(&s).await;
    let configs = Permissions {
        can_change_configs: true,
        ..Permissions::READ
    };
    let secrets = Permissions {
        can_change_secrets: true,
        ..Permissions::READ
    };
    b.grant(owned, &GrantTo::User("direct".into()), configs, Utc::now())
        .await
        .unwrap();
    b.grant(owned, &GrantTo::Team("red".into()), secrets, Utc::now())
        .await
        .unwrap();
    b.add_to_team("red", "teamed").await.unwrap();
    let log = b.create_oplog(owned, "ops", Utc::now()).await.unwrap();
    creds.extend(service_credentials(&s, owned, log).await);
    let admin = principal(&s, token_of(&creds, "admin")).await;

    // Expected status per credential, in route order; 0 = not run here (it would delete
    // the project the other rows need: `a_project_is_deleted_by_exactly_those_who_may`).
    let hidden = [404; 7];
    let refused = [401; 7];
    let everything = [200, 200, 200, 200, 204, 204, 0];
    let direct = [200, 200, 200, 200, 403, 403, 403];
    // (credential, on the owned project, on the foreign one).
    let mut expected: Vec<(String, [u16; 7], [u16; 7])> = [
        ("admin", everything, everything),
        ("manager", everything, everything),
        ("direct", direct, hidden),
        ("team", [200, 200, 403, 200, 204, 204, 403], hidden),
        ("none", hidden, hidden),
        ("expired", refused, refused),
        ("revoked", refused, refused),
        ("jwt-admin", everything, everything),
        ("jwt-direct", direct, hidden),
        ("jwt-ended", refused, refused),
        ("st-oplog", hidden, hidden),
        ("st-expired", refused, refused),
        ("st-revoked", refused, refused),
        ("st-suspended", refused, refused),
    ]
    .map(|(name, owned, foreign)| (name.to_string(), owned, foreign))
    .to_vec();
    // A project service token: read, plus exactly the flags ticked on it.
    for mask in 0..8 {
        let p = flags(mask);
        let allow = |flag: bool, ok: u16| if flag { ok } else { 403 };
        let owned = [
            200,
            200,
            allow(p.can_change_configs, 200),
            200,
            allow(p.can_change_secrets, 204),
            allow(p.can_change_secrets, 204),
            allow(p.can_delete_project, 0),
        ];
        expected.push((format!("st-{}", p.names().join("+")), owned, hidden));
    }

    let client = reqwest::Client::new();
    let mut failures = vec![];
    let mut cases = 0;
    for (cred_name, want_owned, want_foreign) in &expected {
        let token = token_of(&creds, cred_name);
        // A missing project is 404 for every credential that authenticates at all.
        let want_missing = if *want_owned == refused {
            refused
        } else {
            hidden
        };
        for (project, statuses) in [
            (owned, want_owned),
            (foreign, want_foreign),
            (MISSING, &want_missing),
        ] {
            for ((method, suffix), want) in PROJECT_ROUTES.iter().zip(statuses) {
                if *want == 0 {
                    continue;
                }
                cases += 1;
                if *suffix == "/secrets/OLD_KEY" && project != MISSING {
                    // The secret the DELETE names exists before every such case.
                    b.put_secret(&admin, project, "OLD_KEY", "old", Utc::now())
                        .await
                        .unwrap();
                }
                let before = project_state(&s, &admin, &[owned, foreign, MISSING]).await;
                let url = s.url(&format!("/api/v1/projects/{project}{suffix}"));
                let mut req = client.request(method.clone(), &url).bearer_auth(token);
                if let Some(body) = project_body(suffix, &format!("{cred_name}@{project}")) {
                    req = req.json(&body);
                }
                let got = req.send().await.unwrap().status().as_u16();
                let what = format!("{cred_name} {method} {url}");
                if got != *want {
                    failures.push(format!("{what}: want {want}, got {got}"));
                }
                if *method != Method::GET {
                    let changed =
                        project_state(&s, &admin, &[owned, foreign, MISSING]).await != before;
                    check_effect(&what, got, changed, &mut failures);
                }
            }
        }
    }
    report(&failures, cases);
    assert!(cases > 400, "{cases}");

    // The list shows exactly the readable projects, with the caller's permissions.
    for (cred_name, ids) in [
        ("admin", vec![owned, foreign]),
        ("direct", vec![owned]),
        ("jwt-direct", vec![owned]),
        ("none", vec![]),
        ("st-can_read", vec![owned]),
        ("st-oplog", vec![]),
    ] {
        let token = token_of(&creds, cred_name);
        let got = listed_ids(&s, "/api/v1/projects", token).await;
        assert_eq!(got, ids, "{cred_name}");
    }
}

#[tokio::test]
async fn a_project_is_deleted_by_exactly_those_who_may() {
    let s = start_unlimited().await;
    let b = &s.backend;
    let creds = credentials(&s).await;
    let now = Utc::now();
    // (who, their credential, a project of their own to delete).
    let mut doomed = vec![];
    for name in ["admin", "manager", "jwt-admin", "direct"] {
        let p = b.create_project(&format!("doomed-{name}"), None, now).await;
        doomed.push((
            name.to_string(),
            token_of(&creds, name).to_string(),
            p.unwrap(),
        ));
    }
    let direct = doomed[3].2;
    b.grant(
        direct,
        &GrantTo::User("direct".into()),
        flags(4),
        Utc::now(),
    )
    .await
    .unwrap();
    // A project service token with the delete flag, for each combination of the others.
    for mask in 4..8 {
        let name = format!("st-deleter-{mask}");
        let p = b.create_project(&name, None, now).await.unwrap();
        let scope = Scope::Project {
            project_id: p,
            org_id: None,
            permissions: flags(mask),
        };
        doomed.push((name.clone(), mint(&s, "adm", &name, scope, 0).await, p));
    }
    let client = reqwest::Client::new();
    let admin = principal(&s, token_of(&creds, "admin")).await;
    for (who, token, p) in doomed {
        b.put_secret(&admin, p, "K", "v", now).await.unwrap();
        let log = b.create_oplog(p, "ops", now).await.unwrap();
        let url = s.url(&format!("/api/v1/projects/{p}"));
        assert_eq!(status(client.delete(&url), &token).await, 204, "{who}");
        assert_eq!(project_state(&s, &admin, &[p]).await, [None], "{who}");
        let entries = b.list_entries(&admin, log).await;
        assert!(
            matches!(entries, Err(Error::NotFound)),
            "{who}: its logs go"
        );
        let again = status(client.delete(&url), &token).await;
        assert!(again == 404 || again == 401, "{who}: {again}");
    }
}

#[tokio::test]
async fn config_secrets_and_deletion_work_and_bad_bodies_name_the_field() {
    let s = start_unlimited().await;
    let b = &s.backend;
    let p = b.create_project("falcon", None, Utc::now()).await.unwrap();
    s.user("owner", Role::User).await;
    b.grant(
        p,
        &GrantTo::User("owner".into()),
        Permissions::ALL,
        Utc::now(),
    )
    .await
    .unwrap();
    let owner = b.user_named("owner").await.unwrap();
    let t = s.token(owner.id, TimeDelta::days(1)).await;
    let client = reqwest::Client::new();
    let url = |path: &str| s.url(&format!("/api/v1/projects/{p}{path}"));

    let res = client
        .put(url("/config"))
        .bearer_auth(&t)
        .json(&json!({"a": [1, 2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let config: serde_json::Value = client
        .get(url("/config"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config, json!({"a": [1, 2]}));

    for (path, body, status, field) in [
        ("/config", "[1, 2]", 422, "config"),
        ("/config", "{not json", 400, ""),
        ("/secrets/K", r#"{"valu": "x"}"#, 422, "valu"),
        ("/secrets/K", r#"{}"#, 422, "value"),
        ("/secrets/bad%20name", r#"{"value": "x"}"#, 422, "name"),
    ] {
        let res = client
            .put(url(path))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{path} {body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err["error"]["code"].is_string(), "{err}");
        if !field.is_empty() {
            assert_eq!(err["error"]["field"], field, "{path} {body}: {err}");
        }
    }

    // `.` and `..` cannot reach the route over HTTP (clients resolve them as a path), but
    // the rule is the backend's, not the transport's.
    let caller = principal(&s, &t).await;
    for name in [".", ".."] {
        let refused = b.put_secret(&caller, p, name, "x", Utc::now()).await;
        assert!(
            matches!(&refused, Err(Error::Invalid(e)) if e.field == "name"),
            "{name}: {refused:?}"
        );
    }
    assert!(b.project_secrets(&caller, p).await.unwrap().is_empty());

    let res = client
        .put(url("/secrets/API_KEY"))
        .bearer_auth(&t)
        .json(&json!({"value": "v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let secrets: serde_json::Value = client
        .get(url("/secrets"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(secrets[0]["name"], "API_KEY");
    assert_eq!(secrets[0]["value"], "v1");
    assert_eq!(
        status(client.delete(url("/secrets/API_KEY")), &t).await,
        204
    );
    assert_eq!(
        status(client.delete(url("/secrets/API_KEY")), &t).await,
        404
    );

    assert_eq!(
        status(client.get(s.url("/api/v1/projects/abc")), &t).await,
        404
    );
    assert_eq!(status(client.delete(url("")), &t).await, 204);
    assert_eq!(status(client.get(url("")), &t).await, 404);
}

async fn status(req: reqwest::RequestBuilder, token: &str) -> u16 {
    req.bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// What the operation-log routes can change: the entries of every log a case names.
async fn entries_state(
    s: &TestServer,
    admin: &Principal,
    logs: [i64; 3],
) -> Vec<Option<Vec<EntryRow>>> {
    let mut state = vec![];
    for log in logs {
        state.push(match s.backend.list_entries(admin, log).await {
            Ok(entries) => Some(entries),
            Err(Error::NotFound) => None,
            Err(e) => panic!("{e}"),
        });
    }
    state
}

/// The caller a token authenticates as, for setting up and inspecting through the services.
async fn principal(s: &TestServer, token: &str) -> Principal {
    let header = format!("Bearer {token}");
    s.backend
        .authenticate_bearer(Some(&header), None, Utc::now())
        .await
        .unwrap()
}

/// Another log's entry through this log's URL: answered as the same call on this log's own
/// entry would be, except that what would succeed is not found.
fn through_the_wrong_log(status: u16) -> u16 {
    if (200..300).contains(&status) {
        404
    } else {
        status
    }
}

#[tokio::test]
async fn oplog_routes_follow_project_read_access() {
    let s = start_unlimited().await;
    let b = &s.backend;
    let now = Utc::now();
    let owned_project = b.create_project("owned", None, now).await.unwrap();
    let foreign_project = b.create_project("foreign", None, now).await.unwrap();
    let owned = b.create_oplog(owned_project, "ops", now).await.unwrap();
    let foreign = b.create_oplog(foreign_project, "ops", now).await.unwrap();
    b.create_team("red", None, now).await.unwrap();

    let mut creds = credentials(&s).await;
    creds.extend(service_credentials(&s, owned_project, owned).await);
    let admin = principal(&s, token_of(&creds, "admin")).await;
    // Read-only grants are enough to read and write a project's operation logs.
    for to in [GrantTo::User("direct".into()), GrantTo::Team("red".into())] {
        b.grant(owned_project, &to, Permissions::READ, Utc::now())
            .await
            .unwrap();
    }
    b.add_to_team("red", "teamed").await.unwrap();

    let allowed = [200, 201, 200, 204];
    let hidden = [404; 4];
    let refused = [401; 4];
    // A project token reads its project's logs and writes none; an operation-log token
    // reads and writes its one log's entries but does not delete them.
    let mut table: Vec<(String, [u16; 4], [u16; 4])> = [
        ("admin", allowed, allowed),
        ("manager", allowed, allowed),
        ("direct", allowed, hidden),
        ("team", allowed, hidden),
        ("none", hidden, hidden),
        ("expired", refused, refused),
        ("revoked", refused, refused),
        ("jwt-admin", allowed, allowed),
        ("jwt-direct", allowed, hidden),
        ("jwt-ended", refused, refused),
        ("st-oplog", [200, 201, 200, 403], hidden),
        ("st-expired", refused, refused),
        ("st-revoked", refused, refused),
        ("st-suspended", refused, refused),
    ]
    .map(|(name, owned, foreign)| (name.to_string(), owned, foreign))
    .to_vec();
    for mask in 0..8 {
        let name = format!("st-{}", flags(mask).names().join("+"));
        table.push((name, [200, 403, 403, 403], hidden));
    }

    let client = reqwest::Client::new();
    let mut failures = vec![];
    let mut cases = 0;
    for (name, want_owned, want_foreign) in &table {
        let token = token_of(&creds, name);
        let want_missing = if *want_owned == refused {
            refused
        } else {
            hidden
        };
        for (oplog, other, want) in [
            (owned, foreign, want_owned),
            (foreign, owned, want_foreign),
            (MISSING, owned, &want_missing),
        ] {
            // Fresh entries for the PATCH and DELETE of this case: one in this log, and
            // one in the other log (reached through this log's URL).
            let insert = |log| {
                let admin = &admin;
                async move {
                    let entry = b.create_entry(admin, log, EntryInput::default(), now);
                    entry.await.unwrap().id
                }
            };
            let stranger = insert(other).await;
            let entry = if oplog == MISSING {
                stranger
            } else {
                insert(oplog).await
            };
            let base = s.url(&format!("/api/v1/oplogs/{oplog}/entries"));
            let patch = json!({"output": "root"});
            let calls = [
                (client.get(&base), want[0]),
                (
                    client.post(&base).json(&json!({"command": "whoami"})),
                    want[1],
                ),
                (
                    client.patch(format!("{base}/{entry}")).json(&patch),
                    want[2],
                ),
                (client.delete(format!("{base}/{entry}")), want[3]),
                (
                    client.patch(format!("{base}/{stranger}")).json(&patch),
                    through_the_wrong_log(want[2]),
                ),
                (
                    client.delete(format!("{base}/{stranger}")),
                    through_the_wrong_log(want[3]),
                ),
            ];
            for (call, want) in calls {
                cases += 1;
                let req = call.bearer_auth(token).build().unwrap();
                let what = format!("{name} {} {}", req.method(), req.url());
                let reads = req.method() == Method::GET;
                let before = entries_state(&s, &admin, [owned, foreign, MISSING]).await;
                let got = client.execute(req).await.unwrap().status().as_u16();
                if got != want {
                    failures.push(format!("{what}: want {want}, got {got}"));
                }
                if !reads {
                    let changed =
                        entries_state(&s, &admin, [owned, foreign, MISSING]).await != before;
                    check_effect(&what, got, changed, &mut failures);
                }
            }
        }
    }
    report(&failures, cases);
    assert_eq!(cases, table.len() * 3 * 6, "every credential, log and call");

    for (name, ids) in [
        ("admin", vec![owned, foreign]),
        ("team", vec![owned]),
        ("jwt-direct", vec![owned]),
        ("none", vec![]),
        ("st-oplog", vec![owned]),
        ("st-can_read", vec![owned]),
    ] {
        let token = token_of(&creds, name);
        let got = listed_ids(&s, "/api/v1/oplogs", token).await;
        assert_eq!(got, ids, "{name}");
    }
}

#[tokio::test]
async fn entries_are_created_patched_and_validated() {
    let s = start_unlimited().await;
    let b = &s.backend;
    let now = Utc::now();
    let p = b.create_project("p", None, now).await.unwrap();
    let log = b.create_oplog(p, "ops", now).await.unwrap();
    let t = token_for(&s, "operator", Role::Manager, TimeDelta::days(1)).await;
    let client = reqwest::Client::new();
    let base = s.url(&format!("/api/v1/oplogs/{log}/entries"));

    let res = client
        .post(&base)
        .bearer_auth(&t)
        .json(&json!({
            "start_date": "2026-11-23T10:00:00Z", "command": "nmap -sV 10.0.0.5", "tool": "nmap",
            "source_host": "kali", "dest_host": "10.0.0.5", "operator": "op", "tags": "recon"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let entry = created["id"].as_i64().unwrap();
    assert_eq!(created["command"], "nmap -sV 10.0.0.5");
    assert_eq!(created["description"], "");

    let res = client
        .patch(format!("{base}/{entry}"))
        .bearer_auth(&t)
        .json(&json!({"output": "22/tcp open ssh", "end_date": "2026-11-23T10:05:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let patched: serde_json::Value = res.json().await.unwrap();
    assert_eq!(patched["output"], "22/tcp open ssh");
    assert_eq!(
        patched["command"], "nmap -sV 10.0.0.5",
        "absent fields are kept"
    );

    for (body, code, field) in [
        (json!({"end_date": "2026-11-23T09:00:00Z"}), 422, "end_date"),
        (json!({"comand": "typo"}), 422, "comand"),
        (json!({"start_date": "yesterday"}), 422, ""),
    ] {
        let res = client
            .patch(format!("{base}/{entry}"))
            .bearer_auth(&t)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), code, "{body}");
        let err: serde_json::Value = res.json().await.unwrap();
        if !field.is_empty() {
            assert_eq!(err["error"]["field"], field, "{body}: {err}");
        }
    }
    let entries: serde_json::Value = client
        .get(&base)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 1);
    assert_eq!(
        entries[0]["output"], "22/tcp open ssh",
        "refused patches changed nothing"
    );
    assert_eq!(
        status(client.patch(format!("{base}/999")).json(&json!({})), &t).await,
        404
    );
    assert_eq!(
        status(client.get(s.url("/api/v1/oplogs/999/entries")), &t).await,
        404
    );
}

/// The ids a token sees in a list route (`/api/v1/projects`, `/api/v1/oplogs`).
async fn listed_ids(s: &TestServer, path: &str, token: &str) -> Vec<i64> {
    let list: Vec<serde_json::Value> = reqwest::Client::new()
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}
