//! Service tokens end to end: minted through the page's server functions (including crafted
//! escalation attempts), used on the bearer API, revoked; the admin server functions; the
//! `mint-service-token` subcommand; and the OpenAPI document.

use chrono::Utc;
use keyward_backend::resources::GrantTo;
use keyward_core::{Permissions, Role};
use serde_json::Value;

use crate::admin_cli::{keyward, stderr, stdout};
use crate::support::{Site, TestServer, code, start};

const NO_ARGS: &[(&str, &str)] = &[];

const CONFIGS: Permissions = Permissions {
    can_change_configs: true,
    ..Permissions::READ
};

/// alice holds can_change_configs on "falcon" (id returned); "osprey" is not hers.
async fn world(s: &TestServer) -> (i64, i64) {
    let b = &s.backend;
    s.user("alice", Role::User).await;
    let falcon = b.create_project("falcon", None, Utc::now()).await.unwrap();
    let osprey = b.create_project("osprey", None, Utc::now()).await.unwrap();
    b.grant(falcon, &GrantTo::User("alice".into()), CONFIGS, Utc::now())
        .await
        .unwrap();
    (falcon, osprey)
}

fn form<'a>(project: &'a str, extra: &[(&'a str, &'a str)]) -> Form<'a> {
    let mut f = vec![
        ("principal", "new"),
        ("principal_name", "ci-pipeline"),
        ("principal_description", "deploys falcon"),
        ("name", "deploy"),
        ("preset", "project"),
        ("project", project),
        ("expires_in_days", "365"),
    ];
    f.extend_from_slice(extra);
    f
}

/// The New service token form's fields, as the browser posts them.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// The form with one field's value replaced.
fn with<'a>(mut f: Form<'a>, key: &str, value: &'a str) -> Form<'a> {
    for field in f.iter_mut().filter(|(k, _)| *k == key) {
        field.1 = value;
    }
    f
}

#[tokio::test]
async fn mint_use_and_revoke_a_project_token_through_the_page_functions() {
    let s = start().await;
    let (falcon, osprey) = world(&s).await;
    let browser = s.signed_in("alice").await;
    let falcon_id = falcon.to_string();

    let (status, headers, minted) = s
        .rpc(
            &browser,
            "create_service_token",
            &form(&falcon_id, &[("can_change_configs", "on")]),
        )
        .await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(headers["cache-control"], "no-store");
    let value = minted["token"].as_str().unwrap().to_string();
    assert!(value.starts_with("kwst_"), "{value}");

    // whoami names the principal and the exact grant; no user.
    let (status, who) = s.whoami(&value).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["user"], Value::Null);
    assert_eq!(who["service_principal"]["name"], "ci-pipeline");
    assert_eq!(who["credential"]["kind"], "service_token");
    assert_eq!(who["credential"]["display_prefix"], &value[..12]);
    assert_eq!(who["grants"]["scope"]["preset"], "project");
    assert_eq!(who["grants"]["scope"]["project_id"], falcon);
    assert_eq!(
        who["grants"]["permissions"],
        serde_json::json!(["can_read", "can_change_configs"])
    );

    // The flag it has is allowed; the one it lacks is 403; another project is 404.
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Value| {
        client
            .request(method, s.url(&path))
            .bearer_auth(&value)
            .json(&body)
    };
    let status_of =
        |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status().as_u16() };
    let config = format!("/api/v1/projects/{falcon}/config");
    let body = serde_json::json!({"region": "eu"});
    assert_eq!(
        status_of(call(reqwest::Method::PUT, config, body)).await,
        200
    );
    let secret = format!("/api/v1/projects/{falcon}/secrets/K");
    let body = serde_json::json!({"value": "x"});
    assert_eq!(
        status_of(call(reqwest::Method::PUT, secret, body)).await,
        403
    );
    let other = format!("/api/v1/projects/{osprey}");
    assert_eq!(
        status_of(call(reqwest::Method::GET, other, Value::Null)).await,
        404
    );

    // The card lists it with its scope and permissions, never its value.
    let (_, _, list) = s.rpc(&browser, "service_tokens", NO_ARGS).await;
    let row = &list["tokens"][0];
    assert_eq!(row["principal"], "ci-pipeline");
    assert_eq!(row["scope"], "Project “falcon”");
    // Used just now (the page gets microseconds since the epoch).
    let used = chrono::DateTime::from_timestamp_micros(row["last_used_at"].as_i64().unwrap());
    assert!(
        (Utc::now() - used.unwrap()).num_seconds().abs() < 60,
        "{row}"
    );
    assert!(!list.to_string().contains(&value));
    // The form offers falcon with what alice holds there, and not osprey.
    assert_eq!(list["projects"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["projects"][0]["permissions"]["can_change_configs"],
        true
    );
    assert_eq!(list["principals"][0][1], "ci-pipeline");

    // Another user cannot revoke it; alice can, and it stops at once.
    s.user("mallory", Role::User).await;
    let mallory = s.signed_in("mallory").await;
    let id = row["id"].to_string();
    let (status, _, _) = s
        .rpc(&mallory, "revoke_service_token", &[("id", id.as_str())])
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = s
        .rpc(&browser, "revoke_service_token", &[("id", id.as_str())])
        .await;
    assert_eq!(status, 200);
    let (status, body) = s.whoami(&value).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
}

#[tokio::test]
async fn crafted_escalation_attempts_are_refused_and_mint_nothing() {
    let s = start().await;
    let (falcon, osprey) = world(&s).await;
    let log = s
        .backend
        .create_oplog(osprey, "ops", Utc::now())
        .await
        .unwrap()
        .to_string();
    let browser = s.signed_in("alice").await;
    let (falcon, osprey) = (falcon.to_string(), osprey.to_string());

    let cases: Vec<(Form, u16, &str)> = vec![
        // Flags alice does not hold, each alone and with one she does hold.
        (
            form(&falcon, &[("can_change_secrets", "on")]),
            422,
            "can_change_secrets",
        ),
        (
            form(
                &falcon,
                &[("can_change_configs", "on"), ("can_delete_project", "on")],
            ),
            422,
            "can_delete_project",
        ),
        // A project she cannot see, and one that does not exist.
        (form(&osprey, &[]), 422, "project"),
        (form("424242", &[]), 422, "project"),
        // An operation log of a project she cannot see; flags on a log token.
        (
            with(form("", &[("oplog", &log)]), "preset", "oplog"),
            422,
            "oplog",
        ),
        (
            with(
                form("", &[("oplog", &log), ("can_change_secrets", "on")]),
                "preset",
                "oplog",
            ),
            422,
            "preset",
        ),
        (with(form(&falcon, &[]), "preset", "admin"), 422, "preset"),
        (
            with(form(&falcon, &[]), "expires_in_days", "4000"),
            422,
            "expires_in_days",
        ),
        (
            with(form(&falcon, &[]), "expires_in_days", "-1"),
            422,
            "expires_in_days",
        ),
        (
            with(form(&falcon, &[]), "principal", "99"),
            422,
            "principal",
        ),
    ];
    for (f, want, field) in cases {
        let (status, _, body) = s.rpc(&browser, "create_service_token", &f).await;
        assert_eq!(status, want, "{f:?}: {body}");
        if !field.is_empty() {
            assert_eq!(body["Field"]["field"], field, "{f:?}: {body}");
        }
    }
    let alice = s.backend.user_named("alice").await.unwrap();
    assert!(
        s.backend
            .list_service_tokens(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.backend.service_principals().await.unwrap().is_empty());

    // A never-expiring token is allowed (the page warns about it).
    let never = with(form(&falcon, &[]), "expires_in_days", "0");
    let (status, _, minted) = s.rpc(&browser, "create_service_token", &never).await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(minted["expires_at"], Value::Null);
}

#[tokio::test]
async fn administrators_set_up_teams_and_grants_through_the_admin_functions() {
    let s = start().await;
    s.user("root", Role::Admin).await;
    s.user("carol", Role::User).await;
    let admin = s.signed_in("root").await;
    let carol = s.signed_in("carol").await;

    // Not for non-admins.
    let (status, _, _) = s.rpc(&carol, "admin_create_team", &[("name", "x")]).await;
    assert_eq!(status, 403);
    let (status, _, _) = s.rpc(&carol, "admin_projects", NO_ARGS).await;
    assert_eq!(status, 403);

    for (f, args) in [
        ("admin_create_org", vec![("name", "Acme")]),
        ("admin_create_team", vec![("name", "blue"), ("org", "Acme")]),
        (
            "admin_add_member",
            vec![("team", "blue"), ("username", "carol")],
        ),
        (
            "admin_create_project",
            vec![("name", "heron"), ("org", "Acme")],
        ),
    ] {
        let (status, _, body) = s.rpc(&admin, f, &args).await;
        assert_eq!(status, 200, "{f}: {body}");
    }
    let (_, _, data) = s.rpc(&admin, "admin_projects", NO_ARGS).await;
    let project = data["projects"][0]["id"].to_string();
    let (status, _, body) = s
        .rpc(
            &admin,
            "admin_grant",
            &[
                ("project", project.as_str()),
                ("kind", "team"),
                ("name", "blue"),
                ("can_change_secrets", "on"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = s
        .rpc(
            &admin,
            "admin_grant",
            &[
                ("project", project.as_str()),
                ("kind", "team"),
                ("name", "nope"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["Field"]["field"].as_str()),
        (422, Some("team"))
    );
    let (status, _, _) = s
        .rpc(
            &admin,
            "admin_create_oplog",
            &[("project", project.as_str()), ("name", "ops")],
        )
        .await;
    assert_eq!(status, 200);

    let (_, _, teams) = s.rpc(&admin, "admin_teams", NO_ARGS).await;
    assert_eq!(teams["teams"][0]["members"], serde_json::json!(["carol"]));
    assert_eq!(teams["orgs"][0][1], "Acme");
    let (_, _, data) = s.rpc(&admin, "admin_projects", NO_ARGS).await;
    assert_eq!(data["projects"][0]["grants"][0]["name"], "blue");
    assert_eq!(data["projects"][0]["oplogs"][0][1], "ops");
    let (_, _, logs) = s.rpc(&admin, "admin_oplogs", NO_ARGS).await;
    assert_eq!(logs["oplogs"][0]["name"], "ops");
    assert_eq!(logs["oplogs"][0]["project"], data["projects"][0]["name"]);

    // The granted user sees the project, with the team's permission.
    let (_, _, carols) = s.rpc(&carol, "service_tokens", NO_ARGS).await;
    assert_eq!(carols["projects"][0]["name"], "heron");
    assert_eq!(
        carols["projects"][0]["permissions"]["can_change_secrets"],
        true
    );
    assert_eq!(carols["oplogs"][0]["name"], "ops");

    // Roles and deactivation; an admin cannot lock themselves out.
    for (f, args, want) in [
        (
            "admin_set_role",
            [("username", "carol"), ("role", "manager")],
            200,
        ),
        (
            "admin_set_role",
            [("username", "root"), ("role", "user")],
            400,
        ),
        (
            "admin_set_active",
            [("username", "root"), ("active", "false")],
            400,
        ),
        (
            "admin_set_active",
            [("username", "carol"), ("active", "false")],
            200,
        ),
    ] {
        let (status, _, body) = s.rpc(&admin, f, &args).await;
        assert_eq!(status, want, "{f} {args:?}: {body}");
    }
    let (status, _, _) = s.rpc(&carol, "service_tokens", NO_ARGS).await;
    assert_eq!(status, 401, "deactivation ended carol's session");
}

#[tokio::test]
async fn suspended_tokens_are_listed_and_transferred_by_an_admin() {
    let s = start().await;
    let (falcon, _) = world(&s).await;
    s.user("root", Role::Admin).await;
    s.user("bob", Role::User).await;
    let alice = s.signed_in("alice").await;
    let (_, _, minted) = s
        .rpc(
            &alice,
            "create_service_token",
            &form(&falcon.to_string(), &[("can_change_configs", "on")]),
        )
        .await;
    let value = minted["token"].as_str().unwrap().to_string();
    let id = minted["id"].to_string();

    let admin = s.signed_in("root").await;
    s.rpc(
        &admin,
        "admin_set_active",
        &[("username", "alice"), ("active", "false")],
    )
    .await;
    let (status, body) = s.whoami(&value).await;
    assert_eq!((status, code(&body)), (401, "token_suspended"));
    let (_, _, suspended) = s.rpc(&admin, "admin_suspended_tokens", NO_ARGS).await;
    assert_eq!(suspended[0]["owner"], "alice");

    // bob holds nothing on falcon: refused, until he holds can_change_configs.
    let transfer = [("id", id.as_str()), ("username", "bob")];
    let (status, _, body) = s
        .rpc(&admin, "admin_transfer_service_token", &transfer)
        .await;
    assert_eq!(
        (status, body["Field"]["field"].as_str()),
        (422, Some("project"))
    );
    s.backend
        .grant(falcon, &GrantTo::User("bob".into()), CONFIGS, Utc::now())
        .await
        .unwrap();
    let (status, _, _) = s
        .rpc(&admin, "admin_transfer_service_token", &transfer)
        .await;
    assert_eq!(status, 200);
    assert_eq!(s.whoami(&value).await.0, 200);

    // A token revokes itself (leak response).
    let res = reqwest::Client::new()
        .delete(s.url("/api/v1/tokens/current"))
        .bearer_auth(&value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = s.whoami(&value).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
}

#[tokio::test]
async fn mint_service_token_from_the_command_line() {
    let s = start().await;
    let (falcon, osprey) = world(&s).await;
    let db = s.database_url.as_str();
    let falcon = falcon.to_string();
    let base = [
        "admin",
        "mint-service-token",
        "--created-by",
        "alice",
        "--principal",
        "nightly",
        "--name",
        "backup",
    ];
    let run = |extra: &[&str]| keyward(db, &[&base[..], extra].concat(), "");

    let o = run(&[
        "--project",
        &falcon,
        "--can-change-configs",
        "--expires-in-days",
        "30",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let value = stdout(&o);
    assert!(value.starts_with("kwst_") && value.len() == 41, "{value}");
    assert_eq!(
        s.whoami(&value).await.1["service_principal"]["name"],
        "nightly"
    );

    for (extra, needle) in [
        (
            vec!["--project", falcon.as_str(), "--can-change-secrets"],
            "--can-change-secrets:",
        ),
        (vec!["--project", &osprey.to_string()], "--project:"),
        (
            vec!["--project", falcon.as_str(), "--org", "Nope"],
            "--org:",
        ),
        (vec![], "--project"),
    ] {
        let o = run(&extra.iter().map(|s| s.as_ref()).collect::<Vec<&str>>());
        assert!(!o.status.success(), "{extra:?}");
        assert!(stdout(&o).is_empty());
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
    }
    let o = keyward(
        db,
        &[
            "admin",
            "mint-service-token",
            "--created-by",
            "nobody",
            "--principal",
            "p",
            "--name",
            "n",
            "--project",
            &falcon,
        ],
        "",
    );
    assert!(stderr(&o).contains("--created-by:"), "{}", stderr(&o));
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = start().await;
    let res = reqwest::get(s.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let routes = [
        ("post", "/api/v1/login"),
        ("get", "/api/v1/whoami"),
        ("delete", "/api/v1/tokens/current"),
        ("post", "/api/v1/tokens/current/rotate"),
        ("get", "/api/v1/projects"),
        ("get", "/api/v1/projects/{id}"),
        ("delete", "/api/v1/projects/{id}"),
        ("get", "/api/v1/projects/{id}/config"),
        ("put", "/api/v1/projects/{id}/config"),
        ("get", "/api/v1/projects/{id}/secrets"),
        ("put", "/api/v1/projects/{id}/secrets/{name}"),
        ("delete", "/api/v1/projects/{id}/secrets/{name}"),
        ("post", "/api/v1/tokens/report"),
        ("get", "/api/v1/oplogs"),
        ("get", "/api/v1/oplogs/{id}/entries"),
        ("post", "/api/v1/oplogs/{id}/entries"),
        ("patch", "/api/v1/oplogs/{id}/entries/{entry}"),
        ("delete", "/api/v1/oplogs/{id}/entries/{entry}"),
    ];
    // Client generators and validators need one distinct operationId per operation.
    let mut operation_ids = std::collections::BTreeSet::new();
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is missing");
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            id.contains('_') || matches!(id, "login" | "whoami"),
            "{method} {path}: operationId {id:?} names no resource"
        );
        assert!(operation_ids.insert(id), "{method} {path}: {id} repeats");
        // A leak report is the one call without a credential to refuse.
        let credential = path != "/api/v1/tokens/report";
        assert_eq!(
            op["responses"]["401"].is_object(),
            credential,
            "{method} {path}: 401"
        );
        if path.contains('{') {
            assert!(op["responses"]["404"].is_object(), "{method} {path}: 404");
        }
        if op["requestBody"].is_object() {
            assert!(op["responses"]["422"].is_object(), "{method} {path}: 422");
            assert!(op["responses"]["415"].is_object(), "{method} {path}: 415");
        }
    }
    let login = &doc["paths"]["/api/v1/login"]["post"]["responses"];
    assert!(login["403"].is_null(), "signing in touches no row: no 403");
    let too_large = |path: &str| {
        let answer = &doc["paths"][path]["post"]["responses"]["413"]["description"];
        answer.as_str().unwrap_or_default().to_string()
    };
    assert!(too_large("/api/v1/tokens/report").contains("16 KiB"));
    assert!(too_large("/api/v1/login").contains("1 MiB"));
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, routes.len(), "no undocumented extras");
    for schema in [
        "Whoami",
        "Scope",
        "Permissions",
        "ErrorBody",
        "EntryInput",
        "Project",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}
