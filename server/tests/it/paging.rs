//! The token tables of the profile, one page at a time (issue 16 §2): the server cuts the
//! page, applies Hide expired before paging, and draws the banners from every token.

use chrono::{TimeDelta, Utc};
use keyward_core::Role;
use serde_json::Value;

use crate::admin_cli::{keyward, keyward_env, stderr, stdout};
use crate::support::{Site, TestServer, start};

/// Mints `count` API tokens named `{name}-1`… for `user`, expiring `in_days` from now; their
/// values.
async fn mint(s: &TestServer, user: i64, name: &str, count: usize, in_days: i64) -> Vec<String> {
    let now = Utc::now();
    let mut values = Vec::new();
    for i in 1..=count {
        let minted = s
            .backend
            .mint_api_token_at(
                user,
                &format!("{name}-{i}"),
                now + TimeDelta::days(in_days),
                &Default::default(),
                now,
                &mut rand_core::OsRng,
            )
            .await
            .unwrap();
        values.push(minted.secret.expose().to_string());
    }
    values
}

async fn page(s: &TestServer, browser: &reqwest::Client, args: &[(&str, &str)]) -> Value {
    let (status, _, list) = s.rpc(browser, "api_tokens", args).await;
    assert_eq!(status, 200, "{list}");
    list
}

fn names(list: &Value) -> Vec<String> {
    let rows = list["tokens"].as_array().unwrap();
    rows.iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_api_token_table_comes_fifty_rows_a_page_newest_first() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let bob = s.user("bob", Role::User).await;
    // Oldest first: 5 expired, 12 expiring within 7 days, 60 that expire in 60 days.
    mint(&s, alice, "expired", 5, -1).await;
    mint(&s, alice, "soon", 12, 3).await;
    mint(&s, alice, "later", 60, 60).await;
    mint(&s, bob, "bobs", 3, 60).await;
    let browser = s.signed_in("alice").await;

    let first = page(&s, &browser, &[]).await;
    assert_eq!(first["tokens"].as_array().unwrap().len(), 50);
    assert_eq!(names(&first)[0], "later-60", "newest first");
    let info = &first["page"];
    assert_eq!(
        (&info["page"], &info["total"], &info["all"]),
        (&1.into(), &77.into(), &77.into())
    );
    assert_eq!(info["hidden"], 0);

    let second = page(&s, &browser, &[("page", "2"), ("hide_expired", "false")]).await;
    let rows = names(&second);
    assert_eq!(rows.len(), 27);
    assert_eq!(
        (rows[0].as_str(), rows[26].as_str()),
        ("later-10", "expired-1")
    );
    // A page past the end is the last one (after a revocation emptied it, say).
    let past = page(&s, &browser, &[("page", "9")]).await;
    assert_eq!(
        (names(&past), &past["page"]["page"]),
        (rows.clone(), &2.into())
    );

    // Hide expired applies before the pages are cut, and says how many it hid.
    let hiding = page(&s, &browser, &[("page", "2"), ("hide_expired", "true")]).await;
    let rows = names(&hiding);
    assert_eq!(rows.len(), 22);
    assert!(rows.iter().all(|n| !n.starts_with("expired")), "{rows:?}");
    let info = &hiding["page"];
    assert_eq!(
        (&info["total"], &info["all"], &info["hidden"]),
        (&72.into(), &77.into(), &5.into())
    );

    // The banner names tokens of every page, ten at most and the count of the rest; bob's
    // tokens are nowhere.
    let expiring: Vec<&str> = (first["notices"]["expiring"].as_array().unwrap().iter())
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(expiring.len(), 11, "{expiring:?}");
    assert!(expiring[0].starts_with("API token “soon-"), "{expiring:?}");
    assert_eq!(expiring[10], "and 2 more API tokens");
    assert!(!first.to_string().contains("bobs"));

    // Not a number: refused with the field named, not a 500.
    let (status, _, body) = s.rpc(&browser, "api_tokens", &[("page", "two")]).await;
    assert_eq!(status, 400, "{body}");

    // The server-rendered profile holds the first page only.
    let html = browser
        .get(s.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<tr class=\"expiry-").count(), 50);
    assert!(html.contains("1–50 of 77"), "the count under the table");
}

#[tokio::test]
async fn mint_token_count_seeds_numbered_tokens() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let db = s.database_url.as_str();
    let args = [
        "admin",
        "mint-token",
        "--username",
        "alice",
        "--name",
        "seed",
    ];
    let out = keyward(
        db,
        &[&args[..], &["--expires-in-days", "5", "--count", "3"]].concat(),
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let values: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(values.len(), 3);
    for v in &values {
        assert_eq!(s.whoami(v).await.0, 200);
    }
    let mut listed: Vec<String> = (s.backend.list_api_tokens(alice).await.unwrap())
        .into_iter()
        .map(|t| t.name)
        .collect();
    listed.sort();
    assert_eq!(listed, ["seed-1", "seed-2", "seed-3"]);

    // Out of range: one line naming the flag, and nothing minted.
    for bad in ["0", "10001", "many"] {
        let out = keyward(
            db,
            &[&args[..], &["--expires-in-days", "5", "--count", bad]].concat(),
            "",
        );
        assert!(!out.status.success());
        assert!(stderr(&out).contains("--count"), "{}", stderr(&out));
    }
    assert_eq!(s.backend.list_api_tokens(alice).await.unwrap().len(), 3);
}

#[tokio::test]
async fn mint_service_token_count_stops_at_the_servers_quota() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let db = s.database_url.as_str();
    let project = stdout(&keyward(
        db,
        &["admin", "create-project", "--name", "seeded"],
        "",
    ));
    let grant = [
        "admin",
        "grant",
        "--project",
        &project,
        "--username",
        "alice",
    ];
    assert!(keyward(db, &grant, "").status.success());
    let mint = [
        "admin",
        "mint-service-token",
        "--created-by",
        "alice",
        "--principal",
        "ci",
        "--name",
        "svc",
        "--project",
        &project,
        "--count",
        "4",
    ];
    // The same KEYWARD_QUOTA_* as `keyward serve`: the third token is one too many.
    let out = keyward_env(db, &[("KEYWARD_QUOTA_SERVICE_TOKENS", "2")], &mint, "");
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("2 live service tokens"), "{said}");
    assert!(said.contains("(2 of 4 minted)"), "{said}");
    assert_eq!(
        stdout(&out).lines().count(),
        2,
        "the two minted are printed"
    );
    assert_eq!(s.backend.list_service_tokens(alice).await.unwrap().len(), 2);
    // A wider quota lets the seed through.
    let out = keyward_env(db, &[("KEYWARD_QUOTA_SERVICE_TOKENS", "10")], &mint, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.backend.list_service_tokens(alice).await.unwrap().len(), 6);
}

#[tokio::test]
async fn hide_expired_keeps_a_reported_token_in_view() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    mint(&s, alice, "expired", 1, -1).await;
    // Reported while it worked, then past its date: revoked and expired both.
    let short = s.token_at(alice, Utc::now() + TimeDelta::seconds(2)).await;
    let res = reqwest::Client::new()
        .post(s.url("/api/v1/tokens/report"))
        .json(&serde_json::json!({ "tokens": [short] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), r#"{"revoked":1}"#);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let browser = s.signed_in("alice").await;
    // A reported token is revoked, not expired: Hide expired leaves it (and its banner line).
    let list = page(&s, &browser, &[("hide_expired", "true")]).await;
    assert_eq!(names(&list), ["test"], "{list}");
    assert!(!list["tokens"][0]["reported_at"].is_null());
    assert_eq!(list["page"]["hidden"], 1);
    let reported = list["notices"]["reported"][0].as_str().unwrap();
    assert!(reported.starts_with("API token “test”"), "{reported}");
}
