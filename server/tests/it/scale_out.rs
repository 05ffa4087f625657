//! Several `keyward serve` processes on one PostgreSQL database behave as one (a change made
//! through one instance holds at the next request on the other), and an outage of the
//! database is answered 503 and healed from without a restart.

use chrono::Utc;
use keyward_backend::Backend;
use keyward_backend::users::UserInput;
use keyward_core::Role;

use crate::support::{PASSWORD, ServeProcess, Site, TestDatabase, admin_backend, code};

/// A user made as `keyward admin create-user` would, and an API token of theirs.
async fn user_with_token(b: &Backend, username: &str, role: Role) -> String {
    let input = UserInput {
        username: username.into(),
        display_name: username.into(),
        email: Some(format!("{username}@example.com")),
        role,
        password: PASSWORD.into(),
    };
    let id = b.create_user(input, Utc::now()).await.unwrap();
    let expires = Utc::now() + chrono::TimeDelta::days(1);
    let mut rng = rand_core::OsRng;
    let anywhere = Default::default();
    let minted = b.mint_api_token_at(id, "t", expires, &anywhere, Utc::now(), &mut rng);
    minted.await.unwrap().secret.expose().to_string()
}

/// The status of `GET path` with `token` on `site`.
async fn get(site: &impl Site, path: &str, token: &str) -> u16 {
    let res = reqwest::Client::new()
        .get(site.url(path))
        .bearer_auth(token);
    res.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn two_instances_on_one_postgres_database_behave_as_one() {
    let db = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let a = ServeProcess::start(&db.url, dir.path()).await;
    let b = ServeProcess::start(&db.url, dir.path()).await;
    let backend = admin_backend(&db.url, dir.path()).await;
    let bk = &backend;
    user_with_token(bk, "root", Role::Admin).await;
    let alice = user_with_token(bk, "alice", Role::User).await;
    let bob = user_with_token(bk, "bob", Role::User).await;
    let carol = user_with_token(bk, "carol", Role::User).await;
    let dave = user_with_token(bk, "dave", Role::User).await;
    let project = bk.create_project("falcon", None, Utc::now()).await.unwrap();
    let falcon = format!("/api/v1/projects/{project}");
    let root_on_a = a.signed_in("root").await;

    // A revocation through A.
    assert_eq!(b.whoami(&alice).await.0, 200);
    let res = reqwest::Client::new()
        .delete(a.url("/api/v1/tokens/current"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = b.whoami(&alice).await;
    assert_eq!(
        (status, code(&body)),
        (401, "token_revoked"),
        "revoked on A"
    );

    // A token re-dated through A: the old value dies on B, the new one works there.
    let carol_on_a = a.signed_in("carol").await;
    let in_days = |d| (Utc::now().date_naive() + chrono::Days::new(d)).to_string();
    let form = [("name", "deploy".to_string()), ("expires_on", in_days(30))];
    let (_, _, minted) = a.rpc(&carol_on_a, "create_api_token", &form).await;
    let old = minted["token"].as_str().unwrap().to_string();
    assert_eq!(b.whoami(&old).await.0, 200);
    let id = minted["id"].to_string();
    let form = [("id", id), ("expires_on", in_days(90))];
    let (status, _, edited) = a.rpc(&carol_on_a, "edit_api_token_expiry", &form).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(b.whoami(&old).await.0, 401, "re-dated on A");
    let (status, who) = b.whoami(edited["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        who["credential"]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&in_days(90))
    );

    // A role change through A.
    assert_eq!(get(&b, &falcon, &bob).await, 404);
    let form = [("username", "bob"), ("role", "manager")];
    assert_eq!(a.rpc(&root_on_a, "admin_set_role", &form).await.0, 200);
    assert_eq!(get(&b, &falcon, &bob).await, 200, "promoted on A");

    // A grant given, then taken, through A.
    assert_eq!(get(&b, &falcon, &carol).await, 404);
    let grant = [
        ("project", project.to_string()),
        ("kind", "user".into()),
        ("name", "carol".into()),
    ];
    assert_eq!(a.rpc(&root_on_a, "admin_grant", &grant).await.0, 200);
    assert_eq!(get(&b, &falcon, &carol).await, 200, "granted on A");
    assert_eq!(a.rpc(&root_on_a, "admin_revoke_grant", &grant).await.0, 200);
    assert_eq!(get(&b, &falcon, &carol).await, 404, "revoked on A");

    // Sessions ended through A: a browser session and a login JWT, both made on B.
    let dave_on_b = b.signed_in("dave").await;
    let jwt = &b.login_jwt("dave").await;
    assert_eq!(b.whoami(jwt).await.0, 200);
    let no_args: &[(&str, &str)] = &[];
    assert_eq!(b.rpc(&dave_on_b, "my_sessions", no_args).await.0, 200);
    let form = [("username", "dave")];
    assert_eq!(
        a.rpc(&root_on_a, "admin_end_user_sessions", &form).await.0,
        200
    );
    assert_eq!(
        b.rpc(&dave_on_b, "my_sessions", no_args).await.0,
        401,
        "ended on A"
    );
    let (status, body) = b.whoami(jwt).await;
    assert_eq!((status, code(&body)), (401, "session_revoked"));

    // A deactivation through A.
    assert_eq!(b.whoami(&dave).await.0, 200);
    let form = [("username", "dave"), ("active", "false")];
    assert_eq!(a.rpc(&root_on_a, "admin_set_active", &form).await.0, 200);
    let (status, body) = b.whoami(&dave).await;
    assert_eq!(
        (status, code(&body)),
        (401, "account_disabled"),
        "deactivated on A"
    );

    // `keyward admin` works against the same database while both serve.
    let o = crate::admin_cli::keyward(
        &db.url,
        &[
            "admin",
            "grant",
            "--project",
            &project.to_string(),
            "--username",
            "carol",
        ],
        "",
    );
    assert!(o.status.success(), "{}", crate::admin_cli::stderr(&o));
    assert_eq!(get(&a, &falcon, &carol).await, 200);
    assert_eq!(get(&b, &falcon, &carol).await, 200);
}

/// One server on a fresh PostgreSQL database, and alice with an API token and a browser
/// session, both seen to work.
async fn alice_on_postgres() -> (
    TestDatabase,
    tempfile::TempDir,
    ServeProcess,
    String,
    reqwest::Client,
) {
    let db = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(&db.url, dir.path()).await;
    let backend = admin_backend(&db.url, dir.path()).await;
    let token = user_with_token(&backend, "alice", Role::User).await;
    let browser = server.signed_in("alice").await;
    assert_eq!(server.whoami(&token).await.0, 200);
    (db, dir, server, token, browser)
}

#[tokio::test]
async fn a_database_outage_is_503_everywhere_and_heals_by_itself() {
    let (db, _dir, server, token, browser) = alice_on_postgres().await;
    assert_eq!(get(&server, "/readyz", "").await, 200);

    db.set_reachable(false).await;
    // No credential is accepted, and none is called invalid: the database cannot say.
    let (status, body) = server.whoami(&token).await;
    assert_eq!((status, code(&body)), (503, "unavailable"), "{body}");
    let res = reqwest::Client::new()
        .get(server.url("/api/v1/projects"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    assert_eq!(
        get(&server, "/healthz", "").await,
        200,
        "the process is alive"
    );
    assert_eq!(get(&server, "/readyz", "").await, 503, "but not ready");
    // The page says so in words, rather than signing the person out.
    let page = browser.get(server.url("/profile")).send().await.unwrap();
    assert_eq!(page.status(), 503);
    let text = page.text().await.unwrap();
    assert!(text.contains("cannot reach its database"), "{text}");
    let no_args: &[(&str, &str)] = &[];
    let (status, _, body) = server.rpc(&browser, "api_tokens", no_args).await;
    assert_eq!(status, 503, "{body}");

    db.set_reachable(true).await;
    let mut healed = false;
    for _ in 0..50 {
        if server.whoami(&token).await.0 == 200 {
            healed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        healed,
        "whoami did not recover within 10 s:\n{}",
        server.log()
    );
    assert_eq!(get(&server, "/readyz", "").await, 200);
    let (status, _, _) = server.rpc(&browser, "api_tokens", no_args).await;
    assert_eq!(status, 200, "the session outlived the outage");
    assert!(!server.log().contains(&token));
}

#[tokio::test]
async fn connections_the_database_ended_are_replaced_unseen() {
    let (db, _dir, server, token, browser) = alice_on_postgres().await;
    let no_args: &[(&str, &str)] = &[];
    assert_eq!(server.rpc(&browser, "api_tokens", no_args).await.0, 200);

    // A restart, an idle timeout or a proxy ends every connection while the database stays
    // reachable: the very next requests are answered, not refused with 503.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    db.end_connections().await;
    let (status, body) = server.whoami(&token).await;
    assert_eq!(status, 200, "{body}\n{}", server.log());
    assert_eq!(get(&server, "/readyz", "").await, 200);
    assert_eq!(server.rpc(&browser, "api_tokens", no_args).await.0, 200);
}
