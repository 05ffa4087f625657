//! Leak reports over HTTP: `POST /api/v1/tokens/report` needs no credential, revokes the
//! live tokens among the values, answers only a count, refuses bad bodies and more than 100
//! values (422, nothing revoked), is rate limited (429 with `Retry-After`), and the owner's
//! page shows the token as reported.

use chrono::TimeDelta;
use keyward_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{NO_ARGS, Site, TestServer, code, start, start_with};

async fn report(s: &TestServer, body: Value) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let res = reqwest::Client::new()
        .post(s.url("/api/v1/tokens/report"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_report_revokes_live_tokens_and_says_only_how_many() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let leaked = s.token(alice, TimeDelta::days(30)).await;
    let kept = s.token(alice, TimeDelta::days(30)).await;

    // Bad bodies: 422 naming the field; nothing revoked.
    for bad in [
        json!({}),
        json!({"tokens": "x"}),
        json!({"tokens": [1]}),
        json!({"tokens": [], "x": 1}),
    ] {
        let (status, _, body) = report(&s, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let many = vec![leaked.clone(); 101];
    let (status, _, body) = report(&s, json!({ "tokens": many })).await;
    assert_eq!(
        (status.as_u16(), &body["error"]["field"]),
        (422, &json!("tokens")),
        "{body}"
    );
    assert_eq!(s.whoami(&leaked).await.0, 200);

    let (status, headers, body) =
        report(&s, json!({"tokens": [leaked, "kwat_nope", "hello"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"revoked": 1}), "a count, nothing else");
    let text = body.to_string();
    assert!(!text.contains(&leaked[..12]) && !text.contains("alice"));
    assert!(headers.get("www-authenticate").is_none());
    let (status, who) = s.whoami(&leaked).await;
    assert_eq!((status, code(&who)), (401, "token_revoked"));
    assert_eq!(s.whoami(&kept).await.0, 200);

    // The owner's page marks it.
    let browser = s.signed_in("alice").await;
    let (_, _, list) = s.rpc(&browser, "api_tokens", NO_ARGS).await;
    let rows = list["tokens"].as_array().unwrap();
    let marked: Vec<bool> = rows.iter().map(|t| !t["reported_at"].is_null()).collect();
    assert_eq!(marked, [false, true], "{list}");

    // Documented, without a credential.
    let doc: Value = reqwest::get(s.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/api/v1/tokens/report"]["post"];
    assert_eq!(op["operationId"], "report_exposed_tokens");
    assert_eq!(op["security"], json!([{}]));
    assert!(op["responses"]["429"].is_object());
    assert!(op["responses"]["401"].is_null(), "no credential to refuse");
}

/// A report sent by `proxy`'s connection, for the client `forwarded` names (if any).
async fn report_via(
    s: &TestServer,
    proxy: &str,
    forwarded: Option<&str>,
    body: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::builder()
        .local_address(proxy.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut req = (client.post(s.url("/api/v1/tokens/report")))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(ip) = forwarded {
        req = req.header("x-forwarded-for", ip);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn reports_are_rate_limited_per_address_malformed_ones_too() {
    let s = start_with(|config| {
        config.trusted_proxies = keyward_server::config::trusted_proxies("127.0.0.4").unwrap();
    })
    .await;
    let alice = s.user("alice", Role::User).await;
    let token = s.token(alice, TimeDelta::days(30)).await;
    let good = json!({ "tokens": [token] }).to_string();
    // Ten reports from 127.0.0.2, most of them not even JSON: each is counted.
    let bodies = ["{", "[]", "{\"tokens\": 1}", "null", "x"];
    for body in bodies.iter().chain(&[r#"{"tokens": ["kwat_nothing"]}"#; 5]) {
        let (status, _, answer) = report_via(&s, "127.0.0.2", None, body).await;
        assert!(
            matches!(status.as_u16(), 200 | 400 | 422),
            "{body}: {answer}"
        );
    }
    let (status, headers, body) = report_via(&s, "127.0.0.2", None, &good).await;
    assert_eq!(
        (status.as_u16(), code(&body)),
        (429, "rate_limited"),
        "{body}"
    );
    assert!(headers.contains_key("retry-after"));
    let (status, _, body) = report_via(&s, "127.0.0.2", None, "{").await;
    assert_eq!(status, 429, "limited before the body is read: {body}");
    assert_eq!(
        s.whoami(&token).await.0,
        200,
        "a refused report revokes nothing"
    );

    // Behind the trusted proxy, each forwarded client has its own allowance; the proxy's
    // own address is not the one counted.
    for _ in 0..10 {
        let (status, _, _) = report_via(&s, "127.0.0.4", Some("192.0.2.1"), "{").await;
        assert_eq!(status, 400);
    }
    let (status, _, _) = report_via(&s, "127.0.0.4", Some("192.0.2.1"), "{").await;
    assert_eq!(status, 429);
    let (status, _, body) = report_via(&s, "127.0.0.4", Some("192.0.2.2"), &good).await;
    assert_eq!((status.as_u16(), &body), (200, &json!({"revoked": 1})));
    let (status, who) = s.whoami(&token).await;
    assert_eq!((status, code(&who)), (401, "token_revoked"));
}

/// A body over 16 KiB is refused unread (413 naming the limit) and counted like any other
/// report from its address.
#[tokio::test]
async fn a_report_larger_than_16_kib_is_refused_and_counted() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let token = s.token(alice, TimeDelta::days(30)).await;
    let big = json!({ "tokens": [token, "x".repeat(17 * 1024)] }).to_string();
    for _ in 0..10 {
        let (status, _, body) = report_via(&s, "127.0.0.3", None, &big).await;
        assert_eq!(
            (status.as_u16(), code(&body)),
            (413, "payload_too_large"),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("16 KiB"), "{body}");
    }
    assert_eq!(s.whoami(&token).await.0, 200, "nothing revoked");
    let good = json!({ "tokens": [token] }).to_string();
    let (status, _, body) = report_via(&s, "127.0.0.3", None, &good).await;
    assert_eq!(status, 429, "the refused reports were counted: {body}");
}
