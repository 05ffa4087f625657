//! Allowed IP ranges over real connections: the server sees each request come from its
//! own loopback address (127.0.0.2, 127.0.0.3: Linux routes all of 127/8 to the loopback
//! interface), set and changed from the page's server functions, shown by whoami, and
//! `X-Forwarded-For` believed only from a trusted proxy (`KEYWARD_TRUSTED_PROXIES`).

use std::net::IpAddr;

use chrono::{Days, Utc};
use keyward_backend::db::AuditQuery;
use keyward_core::Role;
use keyward_core::allowlist::Allowlist;
use serde_json::{Value, json};

use crate::support::{NO_ARGS, Site, TestServer, code, start, start_with};

/// A client whose connections leave from `ip`.
fn from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().unwrap();
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .unwrap()
}

/// `GET /api/v1/whoami` with `token` from `ip`, with `X-Forwarded-For` values.
async fn whoami_from(s: &TestServer, ip: &str, token: &str, forwarded: &[&str]) -> (u16, Value) {
    let mut req = from(ip).get(s.url("/api/v1/whoami")).bearer_auth(token);
    for value in forwarded {
        req = req.header("x-forwarded-for", *value);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The status and code of whoami from `ip` with these `X-Forwarded-For` values.
async fn via(s: &TestServer, token: &str, ip: &str, forwarded: &[&str]) -> (u16, String) {
    let (status, body) = whoami_from(s, ip, token, forwarded).await;
    (status, code(&body).to_string())
}

async fn status_from(s: &TestServer, ip: &str, token: &str) -> (u16, String) {
    let (status, body) = whoami_from(s, ip, token, &[]).await;
    (status, code(&body).to_string())
}

fn refused() -> (u16, String) {
    (401, "ip_not_allowed".into())
}

fn ok() -> (u16, String) {
    (200, "<none>".into())
}

#[tokio::test]
async fn a_token_works_only_from_its_ranges_set_and_changed_on_the_page() {
    let s = start().await;
    s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let alice = s.signed_in("alice").await;
    let expires_on = (Utc::now().date_naive() + Days::new(30)).to_string();

    // A bad range is named, and no token is made.
    for (bad, says) in [
        ("10.0.0.1/8", "host bits set"),
        ("127.0.0.2, example.com", "not an IP address"),
    ] {
        let form = [
            ("name", "ci"),
            ("expires_on", &expires_on),
            ("allowed_ips", bad),
        ];
        let (status, _, body) = s.rpc(&alice, "create_api_token", &form).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["Field"]["field"], "allowed_ips", "{body}");
        assert!(body["Field"]["message"].as_str().unwrap().contains(says));
    }
    let (_, _, list) = s.rpc(&alice, "api_tokens", NO_ARGS).await;
    assert_eq!(list["tokens"], json!([]));

    let form = [
        ("name", "ci"),
        ("expires_on", &expires_on),
        ("allowed_ips", "127.0.0.2\n2001:db8::/32"),
    ];
    let (status, _, minted) = s.rpc(&alice, "create_api_token", &form).await;
    assert_eq!(status, 200, "{minted}");
    let token = minted["token"].as_str().unwrap();
    let id = minted["id"].to_string();

    let (status, who) = whoami_from(&s, "127.0.0.2", token, &[]).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(
        who["credential"]["allowed_ips"],
        json!(["127.0.0.2/32", "2001:db8::/32"])
    );
    assert_eq!(status_from(&s, "127.0.0.3", token).await, refused());
    assert_eq!(status_from(&s, "127.0.0.1", token).await, refused());

    // Changed on the page: at once. A bad value, or someone else's token, changes nothing.
    let change = |ranges: &'static str| {
        let id = id.clone();
        move || {
            [
                ("kind", "api_token".to_string()),
                ("id", id),
                ("allowed_ips", ranges.into()),
            ]
        }
    };
    let (status, _, body) = s
        .rpc(&alice, "set_allowed_ips", &change("nonsense")())
        .await;
    assert_eq!(
        (status, &body["Field"]["field"]),
        (422, &json!("allowed_ips"))
    );
    let bob = s.signed_in("bob").await;
    let (status, _, _) = s.rpc(&bob, "set_allowed_ips", &change("")()).await;
    assert_eq!(status, 404);
    assert_eq!(status_from(&s, "127.0.0.2", token).await, ok());
    assert_eq!(status_from(&s, "127.0.0.3", token).await, refused());

    let (status, _, body) = s
        .rpc(&alice, "set_allowed_ips", &change("127.0.0.3")())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(status_from(&s, "127.0.0.3", token).await, ok());
    assert_eq!(status_from(&s, "127.0.0.2", token).await, refused());
    let (_, _, list) = s.rpc(&alice, "api_tokens", NO_ARGS).await;
    assert_eq!(list["tokens"][0]["allowed_ips"], json!(["127.0.0.3/32"]));

    // Emptied: from anywhere.
    let (status, _, _) = s.rpc(&alice, "set_allowed_ips", &change("")()).await;
    assert_eq!(status, 200);
    assert_eq!(status_from(&s, "127.0.0.2", token).await, ok());
    assert_eq!(
        whoami_from(&s, "127.0.0.2", token, &[]).await.1["credential"]["allowed_ips"],
        json!([])
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let s = start_with(|config| {
        config.trusted_proxies = keyward_server::config::trusted_proxies("127.0.0.4").unwrap();
    })
    .await;
    let alice = s.user("alice", Role::User).await;
    let allowed = Allowlist::parse("127.0.0.2").unwrap();
    let expires = Utc::now() + chrono::TimeDelta::days(1);
    let minted = s
        .backend
        .mint_api_token_at(
            alice,
            "ci",
            expires,
            &allowed,
            Utc::now(),
            &mut rand_core::OsRng,
        )
        .await
        .unwrap();
    let token = minted.secret.expose();
    // Through the proxy: the address it saw.
    assert_eq!(via(&s, token, "127.0.0.4", &["127.0.0.2"]).await, ok());
    // What the client wrote itself (left of the proxy's entry) proves nothing.
    assert_eq!(
        via(&s, token, "127.0.0.4", &["127.0.0.2, 127.0.0.3"]).await,
        refused()
    );
    assert_eq!(
        via(&s, token, "127.0.0.4", &["127.0.0.3", "127.0.0.2"]).await,
        ok()
    );
    // Without a forwarded address, the proxy itself; garbage is no address.
    assert_eq!(via(&s, token, "127.0.0.4", &[]).await, refused());
    assert_eq!(
        via(&s, token, "127.0.0.4", &["127.0.0.2, nonsense"]).await,
        refused()
    );
    // Anyone else's header is ignored: the socket peer counts.
    assert_eq!(via(&s, token, "127.0.0.3", &["127.0.0.2"]).await, refused());
    assert_eq!(via(&s, token, "127.0.0.2", &["127.0.0.3"]).await, ok());
    // With a port, as some load balancers write it.
    assert_eq!(via(&s, token, "127.0.0.4", &["127.0.0.2:5555"]).await, ok());

    // A proxy that names no client is no client of its own, even for a token that allows
    // the proxy's address: any request through it would otherwise pass.
    let proxy_allowed = Allowlist::parse("127.0.0.4").unwrap();
    let through = s
        .backend
        .mint_api_token_at(
            alice,
            "lb",
            expires,
            &proxy_allowed,
            Utc::now(),
            &mut rand_core::OsRng,
        )
        .await
        .unwrap();
    let through = through.secret.expose();
    assert_eq!(via(&s, through, "127.0.0.4", &[]).await, refused());
    assert_eq!(via(&s, through, "127.0.0.4", &["bogus"]).await, refused());

    // Each refusal is in the owner's log under the address it came from.
    let query = AuditQuery {
        user_id: Some(alice),
        action: Some("token.refused".into()),
        limit: 10,
        ..AuditQuery::default()
    };
    let events = s.backend.audit_events(&query).await.unwrap();
    let ips: Vec<&str> = events.iter().filter_map(|e| e.ip.as_deref()).collect();
    assert_eq!(
        ips,
        [
            "127.0.0.4",
            "127.0.0.4",
            "127.0.0.3",
            "127.0.0.4",
            "127.0.0.4",
            "127.0.0.3"
        ],
        "newest first"
    );

    // The setting names a bad range.
    let bad = keyward_server::config::trusted_proxies("10.0.0.1/8").unwrap_err();
    assert!(
        bad.contains("KEYWARD_TRUSTED_PROXIES") && bad.contains("host bits"),
        "{bad}"
    );
    let two = keyward_server::config::trusted_proxies("10.0.0.0/8, ::1").unwrap();
    assert_eq!(two.len(), 2);
}

#[tokio::test]
async fn a_service_tokens_ranges_hold_and_change_like_an_api_tokens() {
    let s = start().await;
    let ranges = Allowlist::parse("127.0.0.2").unwrap();
    let minted = crate::support::deploy_token(&s, "sam", "ci", 30, ranges).await;
    let token = minted.secret.expose();
    let (status, who) = whoami_from(&s, "127.0.0.2", token, &[]).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!(who["credential"]["allowed_ips"], json!(["127.0.0.2/32"]));
    assert_eq!(who["usage"]["recent_ips"][0]["ip"], "127.0.0.2");
    assert_eq!(status_from(&s, "127.0.0.3", token).await, refused());

    let browser = s.signed_in("sam").await;
    let id = minted.token.id.to_string();
    let form = |kind: &'static str, ranges: &'static str| {
        [
            ("kind", kind.to_string()),
            ("id", id.clone()),
            ("allowed_ips", ranges.to_string()),
        ]
    };
    // The other kind names a token of another table: not found; an unknown kind: 422.
    let (status, _, _) = s
        .rpc(&browser, "set_allowed_ips", &form("api_token", ""))
        .await;
    assert_eq!(status, 404);
    let (status, _, body) = s
        .rpc(&browser, "set_allowed_ips", &form("session", ""))
        .await;
    assert_eq!((status, &body["Field"]["field"]), (422, &json!("kind")));
    assert_eq!(status_from(&s, "127.0.0.3", token).await, refused());
    let change = form("service_token", "127.0.0.3");
    let (status, _, _) = s.rpc(&browser, "set_allowed_ips", &change).await;
    assert_eq!(status, 200);
    assert_eq!(status_from(&s, "127.0.0.3", token).await, ok());
    assert_eq!(status_from(&s, "127.0.0.2", token).await, refused());
    let (_, _, list) = s.rpc(&browser, "service_tokens", NO_ARGS).await;
    assert_eq!(list["tokens"][0]["allowed_ips"], json!(["127.0.0.3/32"]));
}
