//! Where a token is used, over HTTP: `whoami`'s `usage` (requests per day, the latest client
//! addresses, from real connections leaving from 127.0.0.2 and 127.0.0.3), the page's Usage
//! dialog data (`/rpc/token_usage`, the owner's tokens only), and counts kept across a
//! stop of `keyward serve` (written at shutdown, not only every few seconds).

use std::net::IpAddr;

use chrono::{TimeDelta, Utc};
use keyward_core::Role;
use serde_json::Value;

use crate::support::{ServeProcess, Site, TestDatabase, admin_backend, create_user, start};

fn from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().unwrap();
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .unwrap()
}

async fn whoami_from(site: &impl Site, ip: &str, token: &str) -> Value {
    let res = from(ip)
        .get(site.url("/api/v1/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn today(usage: &Value) -> &Value {
    &usage["days"][29]["requests"]
}

#[tokio::test]
async fn whoami_and_the_page_show_where_a_token_is_used() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let token = s.token(alice, TimeDelta::days(30)).await;
    whoami_from(&s, "127.0.0.2", &token).await;
    whoami_from(&s, "127.0.0.2", &token).await;
    let who = whoami_from(&s, "127.0.0.3", &token).await;
    let usage = &who["usage"];
    assert_eq!(usage["days"].as_array().unwrap().len(), 30);
    assert_eq!(
        usage["days"][29]["date"],
        Utc::now().date_naive().to_string()
    );
    assert_eq!(today(usage), 3, "this request included: {usage}");
    let ips: Vec<&str> = (usage["recent_ips"].as_array().unwrap().iter())
        .map(|s| s["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["127.0.0.3", "127.0.0.2"]);

    // The page: the owner sees the same; anyone else's ask is 404, as for a token that
    // does not exist.
    let browser = s.signed_in("alice").await;
    let (_, _, list) = s.rpc(&browser, "api_tokens", &[] as &[(&str, &str)]).await;
    let id = list["tokens"][0]["id"].to_string();
    let form = [("kind", "api_token"), ("id", id.as_str())];
    let (status, _, seen) = s.rpc(&browser, "token_usage", &form).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(today(&seen), 3);
    assert_eq!(seen["recent_ips"][0]["ip"], "127.0.0.3");
    let bob = s.signed_in("bob").await;
    let (status, _, _) = s.rpc(&bob, "token_usage", &form).await;
    assert_eq!(status, 404);
    let missing = [("kind", "api_token"), ("id", "999999")];
    let (status, _, _) = s.rpc(&browser, "token_usage", &missing).await;
    assert_eq!(status, 404);

    // A login JWT has no usage of its own.
    let jwt = s.login_jwt("alice").await;
    let (status, who) = s.whoami(&jwt).await;
    assert_eq!((status, &who["usage"]), (200, &Value::Null));
}

#[tokio::test]
async fn counts_are_written_when_the_server_stops() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::for_this_run(dir.path()).await;
    let backend = admin_backend(&db.url, dir.path()).await;
    let alice = create_user(&backend, "alice", Role::User).await;
    let expires = Utc::now() + TimeDelta::days(1);
    let mut rng = rand_core::OsRng;
    let minted = backend
        .mint_api_token_at(
            alice,
            "ci",
            expires,
            &Default::default(),
            Utc::now(),
            &mut rng,
        )
        .await
        .unwrap();
    let token = minted.secret.expose();
    // An hour between writes: only the shutdown can write these counts.
    let env = [("KEYWARD_USAGE_FLUSH_SECONDS", "3600")];
    let mut server = ServeProcess::start_with(&db.url, dir.path(), &env).await;
    for _ in 0..4 {
        whoami_from(&server, "127.0.0.2", token).await;
    }
    assert!(server.stop().success());
    let restarted = ServeProcess::start_with(&db.url, dir.path(), &env).await;
    let who = whoami_from(&restarted, "127.0.0.3", token).await;
    assert_eq!(today(&who["usage"]), 5, "{}", who["usage"]);
    assert_eq!(who["usage"]["recent_ips"][1]["ip"], "127.0.0.2");
}
