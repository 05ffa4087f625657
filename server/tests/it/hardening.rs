//! Issue 13 over HTTP: rate limits (429, `Retry-After`, `rate_limited`), security headers,
//! the Content-Security-Policy nonce, expiry warnings, body limits, and what a copy of the
//! database and its directory give away.

use chrono::{TimeDelta, Utc};
use keyward_backend::resources::GrantTo;
use keyward_core::{Permissions, Role};
use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{NO_ARGS, PASSWORD, Site, TestServer, answer, code, start, start_with};

async fn api_login(s: &TestServer, username: &str, password: &str) -> reqwest::Response {
    Client::new()
        .post(s.url("/api/v1/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_on_both_paths() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let limits = s.backend.config().limits.clone();
    for _ in 0..limits.sign_in_pair.burst {
        let res = api_login(&s, "alice", "wrong password!").await;
        assert_eq!(res.status(), 401);
    }
    let res = api_login(&s, "alice", "wrong password!").await;
    assert_eq!(res.status(), 429);
    let wait = retry_after(&res);
    assert!(
        (1..=limits.sign_in_pair.every.num_seconds() as u64).contains(&wait),
        "{wait}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Try again in")
    );
    // The right password waits too: the limit is checked before the password.
    let res = api_login(&s, "alice", PASSWORD).await;
    assert_eq!(res.status(), 429);

    // The sign-in form: the same limit (this address, this account), the wait in words.
    let res = Client::new()
        .post(s.url("/rpc/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(retry_after(&res) >= 1);
    let body = answer(res).await.unwrap();
    let message = body["RateLimited"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Too many failed attempts. Try again in "),
        "{message}"
    );
    assert!(
        message.ends_with("minute.") || message.ends_with("seconds."),
        "{message}"
    );
    // Another account from the same address is not limited by alice's failures.
    s.user("bob", Role::User).await;
    assert_eq!(api_login(&s, "bob", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn failed_bearer_authentications_are_rate_limited() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let token = s.token(alice, TimeDelta::days(30)).await;
    assert_eq!(s.whoami(&token).await.0, 200);
    let burst = s.backend.config().limits.bearer_ip.burst;
    // Successes do not count.
    for _ in 0..burst {
        assert_eq!(s.whoami(&token).await.0, 200);
    }
    // One character off (never the same as the token, whatever its last character).
    let last = if token.ends_with('x') { "y" } else { "x" };
    let guess = format!("{}{last}", &token[..token.len() - 1]);
    for _ in 0..burst {
        assert_eq!(s.whoami(&guess).await.0, 401);
    }
    let (status, headers, body) = s.whoami_raw(Some(&format!("Bearer {guess}"))).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
    assert!(headers.contains_key("retry-after"));
    // The address is refused whatever it sends, so a guess cannot tell a hit by the answer.
    assert_eq!(s.whoami(&token).await.0, 429);
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_every_answer_the_security_headers() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let res = reqwest::get(s.url("/login")).await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 22, "{nonce}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script has it"
    );
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "'wasm-unsafe-eval'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // A new render, a new nonce.
    let again = reqwest::get(s.url("/login")).await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"],
        h["content-security-policy"]
    );

    let browser = s.signed_in("alice").await;
    for path in ["/login", "/profile", "/api/v1/openapi.json", "/healthz"] {
        let res = browser.get(s.url(path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "plain http: {path}"
        );
    }
}

/// The page's WASM, split into a main module and chunks under names without a hash, must
/// come from one build: every use revalidates (`no-cache`), nothing is kept unasked.
#[tokio::test]
async fn the_sites_own_files_are_revalidated_on_every_use() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/keyward.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let root = site.path().display().to_string();
    let s = start_with(move |c| c.site_root = root).await;
    let res = reqwest::get(s.url("/pkg/keyward.wasm")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn soon_expiring_credentials_are_warned_about_in_every_answer() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let soon = s.token(alice, TimeDelta::days(3)).await;
    let later = s.token(alice, TimeDelta::days(30)).await;
    let (status, h, _) = s.whoami_raw(Some(&format!("Bearer {soon}"))).await;
    assert_eq!(status, 200);
    let expires = h["keyward-token-expires"].to_str().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    assert!(
        (at.with_timezone(&Utc) - Utc::now() - TimeDelta::days(3))
            .num_seconds()
            .abs()
            < 60
    );
    let words = h["keyward-token-warning"].to_str().unwrap();
    assert!(
        words.starts_with("This credential expires in 3 days"),
        "{words}"
    );
    assert!(h["warning"].to_str().unwrap().starts_with("299 keyward \""));
    // Any route, not only whoami.
    let res = Client::new()
        .get(s.url("/api/v1/projects"))
        .bearer_auth(&soon)
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("keyward-token-expires"));
    let (status, h, _) = s.whoami_raw(Some(&format!("Bearer {later}"))).await;
    assert_eq!(status, 200);
    assert!(!h.contains_key("keyward-token-expires"));
    assert!(!h.contains_key("warning"));
}

#[tokio::test]
async fn oversized_bodies_get_413_in_each_paths_format() {
    let s = start().await;
    let big = json!({ "username": "a".repeat(1024 * 1024), "password": "x" });
    let res = Client::new()
        .post(s.url("/api/v1/login"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "payload_too_large", "{body}");

    let res = Client::new()
        .post(s.url("/rpc/login"))
        .form(&[
            ("username", "a".repeat(1024 * 1024 + 1)),
            ("password", "x".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // In the page's wire format, so the sign-in form can say it.
    assert_eq!(res.headers()["content-type"], "application/x-postcard");
    let body = answer(res).await.unwrap();
    assert_eq!(
        body["Message"], "The request is larger than 1 MiB.",
        "{body}"
    );
}

/// Every file of the database directory (the SQLite file and its -wal and -shm), as one
/// byte string: what a thief of the data directory, without the key, would search.
fn database_bytes(url: &str) -> Vec<u8> {
    let path = url.trim_start_matches("sqlite://");
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_stolen_database_holds_no_seed_secret_or_signing_key() {
    let s = start().await;
    if !s.database_url.starts_with("sqlite:") {
        return; // The file-level check is about the SQLite file; PostgreSQL runs the rest.
    }
    let alice = s.user("alice", Role::User).await;
    let user = s.backend.user_by_id(alice).await.unwrap().unwrap();
    let enrolment = s
        .backend
        .begin_mfa(&user, &mut rand_core::OsRng)
        .await
        .unwrap();
    let project = s
        .backend
        .create_project("falcon", None, Utc::now())
        .await
        .unwrap();
    let secrets = Permissions {
        can_change_secrets: true,
        ..Permissions::READ
    };
    s.backend
        .grant(project, &GrantTo::User("alice".into()), secrets, Utc::now())
        .await
        .unwrap();
    let token = s.token(alice, TimeDelta::days(5)).await;
    let value = "hunter2-a-project-secret-value";
    let res = Client::new()
        .put(s.url(&format!("/api/v1/projects/{project}/secrets/DB_PASSWORD")))
        .bearer_auth(&token)
        .json(&json!({ "value": value }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // The API gives the value back to whoever may read it: sealed is not lost.
    let res = Client::new()
        .get(s.url(&format!("/api/v1/projects/{project}/secrets")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(value));
    let jwt = s.login_jwt("alice").await;
    let bytes = database_bytes(&s.database_url);
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, &enrolment.secret),
        "the TOTP seed is in the database"
    );
    assert!(
        !contains(&bytes, value),
        "the project secret is in the database"
    );
    assert!(!contains(&bytes, "login_jwt_key"));
    let sealer = s.backend.config().sealer.clone();
    let key: String = sealer
        .jwt_key()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!contains(&bytes, &key));
    assert_eq!(s.whoami(&jwt).await.0, 200);

    // The directory and the file are private to the server's user; so is the key file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = std::path::PathBuf::from(s.database_url.trim_start_matches("sqlite://"));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600, "database file");
        let key_file = path.parent().unwrap().join("keyward.key");
        assert_eq!(mode(&key_file), 0o600, "key file");
    }
}

fn in_days(days: u64) -> String {
    (Utc::now().date_naive() + chrono::Days::new(days)).to_string()
}

#[tokio::test]
async fn sensitive_page_changes_ask_for_the_password_again() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;
    let mint = [("name", "fresh".to_string()), ("expires_on", in_days(5))];
    // A fresh sign-in counts.
    let (status, _, body) = s.rpc(&browser, "create_api_token", &mint).await;
    assert_eq!(status, 200, "{body}");

    // Ten minutes later (made so by the operator's command), every sensitive change asks.
    assert_eq!(
        s.backend.require_reauthentication("alice").await.unwrap(),
        1
    );
    let token_id = body["id"].to_string();
    let service = [
        ("principal", "new"),
        ("principal_name", "ci"),
        ("principal_description", ""),
        ("name", "ci"),
        ("preset", "project"),
        ("project", "1"),
        ("org", ""),
        ("expires_in_days", "5"),
    ];
    let expiry = in_days(9);
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "create_api_token",
            vec![("name", "x"), ("expires_on", &expiry)],
        ),
        (
            "edit_api_token_expiry",
            vec![("id", &token_id), ("expires_on", &expiry)],
        ),
        ("create_service_token", service.to_vec()),
        (
            "set_allowed_ips",
            vec![
                ("kind", "api_token"),
                ("id", &token_id),
                ("allowed_ips", ""),
            ],
        ),
        ("begin_mfa", vec![]),
        ("enable_mfa", vec![("code", "123456")]),
        ("disable_mfa", vec![("code", "123456")]),
        ("add_email", vec![("email", "alice@work.example")]),
        ("remove_email", vec![("id", "1")]),
        ("make_primary_email", vec![("id", "1")]),
        (
            "change_password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        ),
    ];
    for (f, form) in &calls {
        let (status, _, body) = s.rpc(&browser, f, form).await;
        assert_eq!((status, &body), (403, &json!("ReauthRequired")), "{f}");
    }
    // Nothing changed.
    assert_eq!(s.backend.list_api_tokens(alice).await.unwrap().len(), 1);
    assert_eq!(s.backend.emails(alice).await.unwrap().len(), 1);
    assert_eq!(api_login(&s, "alice", PASSWORD).await.status(), 200);
    // Revoking and reading need no password.
    let (status, _, _) = s.rpc(&browser, "api_tokens", NO_ARGS).await;
    assert_eq!(status, 200);

    let (status, _, body) = s
        .rpc(
            &browser,
            "confirm_access",
            &[("password", "wrong password!")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Field"]["field"], "password");
    let (status, _, _) = s.rpc(&browser, "create_api_token", &mint).await;
    assert_eq!(status, 403, "a wrong password confirms nothing");
    let (status, _, body) = s
        .rpc(&browser, "confirm_access", &[("password", PASSWORD)])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = s.rpc(&browser, "create_api_token", &mint).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_security_log_and_the_audit_page_show_events_with_their_origin() {
    let s = start().await;
    s.user("root", Role::Admin).await;
    s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let alice = s.signed_in("alice").await;
    let bob = s.signed_in("bob").await;
    let root = s.signed_in("root").await;
    let mint = [("name", "deploy".to_string()), ("expires_on", in_days(5))];
    let (status, _, minted) = s.rpc(&alice, "create_api_token", &mint).await;
    assert_eq!(status, 200, "{minted}");
    let value = minted["token"].as_str().unwrap().to_string();

    let own = [("all", "false")];
    let (status, _, log) = s.rpc(&alice, "audit_log", &own).await;
    assert_eq!(status, 200, "{log}");
    let events = log["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["api_token.minted", "sign_in"], "newest first");
    assert_eq!(events[0]["target"], value[..12]);
    assert_eq!(events[0]["ip"], "127.0.0.1");
    assert_eq!(events[0]["actor"], "alice");
    assert!(
        !log.to_string().contains(&value),
        "no token value in the log"
    );
    // Bob's log is his; everyone's is for admins only.
    let (_, _, log) = s.rpc(&bob, "audit_log", &own).await;
    assert_eq!(log["events"].as_array().unwrap().len(), 1);
    assert_eq!(log["events"][0]["action"], "sign_in");
    let (status, _, _) = s.rpc(&bob, "audit_log", &[("all", "true")]).await;
    assert_eq!(status, 403);
    let filtered = [
        ("all", "true"),
        ("user", "alice"),
        ("action", "api_token.minted"),
        ("since", &Utc::now().date_naive().to_string()),
    ];
    let (status, _, log) = s.rpc(&root, "audit_log", &filtered).await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["events"].as_array().unwrap().len(), 1);
    for (field, bad) in [
        ("user", "nobody"),
        ("action", "drop table"),
        ("since", "yesterday"),
    ] {
        let (status, _, body) = s
            .rpc(&root, "audit_log", &[("all", "true"), (field, bad)])
            .await;
        assert_eq!(
            (status, &body["Field"]["field"]),
            (422, &json!(field)),
            "{body}"
        );
    }

    // The same from the command line.
    let db = s.database_url.as_str();
    let o = crate::admin_cli::keyward(db, &["admin", "audit", "--user", "alice", "--json"], "");
    let out = crate::admin_cli::stdout(&o);
    assert!(o.status.success(), "{}", crate::admin_cli::stderr(&o));
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["action"], "api_token.minted");
    assert!(!out.contains(&value));
    let o = crate::admin_cli::keyward(db, &["admin", "audit", "--action", "nope"], "");
    assert!(!o.status.success());
    assert!(crate::admin_cli::stderr(&o).contains("unknown --action nope"));
}
