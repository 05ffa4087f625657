//! Rotation over HTTP: `POST /api/v1/tokens/current/rotate` (a token renews itself), the old
//! value's answers during its grace (`Keyward-Token-Replaced`), `token_rotated` after it, the
//! grace cap (422 naming `grace_minutes`), and the page's Rotate (`/rpc/rotate_token`).

use chrono::TimeDelta;
use keyward_core::Role;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::support::{Site, TestServer, code, start};

async fn rotate(s: &TestServer, token: &str, body: Value) -> (u16, HeaderMap, Value) {
    let res = reqwest::Client::new()
        .post(s.url("/api/v1/tokens/current/rotate"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_token_rotates_itself_and_its_old_value_says_so_until_it_stops() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let old = s.token(alice, TimeDelta::days(30)).await;
    let (_, before) = s.whoami(&old).await;

    let (status, headers, body) = rotate(&s, &old, json!({"grace_minutes": 60})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    let new = body["token"].as_str().unwrap().to_string();
    assert!(
        keyward_core::token::parse(&new).is_ok(),
        "a well-formed value"
    );
    assert_eq!(body["display_prefix"], new[..12]);
    assert_eq!(body["old_display_prefix"], old[..12]);
    assert_eq!(
        body["expires_at"], before["credential"]["expires_at"],
        "the expiry stays"
    );

    // The old value works, and every answer to it says it was replaced and until when.
    let (status, headers, who) = s.whoami_raw(Some(&format!("Bearer {old}"))).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "keyward-token-replaced"), Some("true"));
    let warning = header(&headers, "keyward-token-warning").unwrap();
    assert!(
        warning.contains("replaced by a rotation and works until"),
        "{warning}"
    );
    assert!(
        header(&headers, "warning")
            .unwrap()
            .starts_with("299 keyward ")
    );
    assert_eq!(who["credential"]["display_prefix"], old[..12]);
    let (status, headers, _) = s.whoami_raw(Some(&format!("Bearer {new}"))).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "keyward-token-replaced"), None);

    // Only the current value makes the next one; a grace above the maximum is refused by
    // its field; neither changes anything.
    let (status, _, body) = rotate(&s, &old, json!({})).await;
    assert_eq!((status, code(&body)), (400, "refused"), "{body}");
    for (bad, field) in [
        (json!({"grace_minutes": 1441}), "grace_minutes"),
        (json!({"grace_minutes": -1}), "grace_minutes"),
        (json!({"grace_minutes": "1h"}), "grace_minutes"),
        (json!({"grace": 5}), "grace"),
    ] {
        let (status, _, body) = rotate(&s, &new, bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["error"]["field"], field, "{bad}: {body}");
    }
    assert_eq!(s.whoami(&new).await.0, 200);
    assert_eq!(s.whoami(&old).await.0, 200);

    // No grace: the value it replaces stops at once, with a code that says why.
    let (status, _, body) = rotate(&s, &new, json!({"grace_minutes": 0})).await;
    assert_eq!(status, 200, "{body}");
    let newest = body["token"].as_str().unwrap();
    let (status, headers, body) = s.whoami_raw(Some(&format!("Bearer {new}"))).await;
    assert_eq!((status, code(&body)), (401, "token_rotated"), "{body}");
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(s.whoami(newest).await.0, 200);
    // ...and so does every value replaced before it, whatever grace it had.
    let (status, body) = s.whoami(&old).await;
    assert_eq!((status, code(&body)), (401, "token_rotated"));

    // A login JWT renews by signing in again.
    let jwt = s.login_jwt("alice").await;
    let (status, _, body) = rotate(&s, &jwt, json!({})).await;
    assert_eq!((status, code(&body)), (400, "refused"), "{body}");

    // The route is in the API's own description.
    let doc: Value = reqwest::get(s.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let op = &doc["paths"]["/api/v1/tokens/current/rotate"]["post"];
    assert_eq!(op["operationId"], "rotate_current_token");
    assert!(op["responses"]["422"].is_object());
}

#[tokio::test]
async fn the_page_rotates_its_own_tokens_only_within_the_cap() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let token = s.token(alice, TimeDelta::days(30)).await;
    let (_, who) = s.whoami(&token).await;
    let browser = s.signed_in("alice").await;
    let (_, _, list) = s.rpc(&browser, "api_tokens", &[] as &[(&str, &str)]).await;
    let id = list["tokens"][0]["id"].to_string();
    assert_eq!(list["tokens"][0]["old_valid_until"], Value::Null);
    assert_eq!(list["policy"]["max_rotation_grace_minutes"], 1440);

    // Someone else's token is not found, and stays as it was.
    let bob = s.signed_in("bob").await;
    let form = [("kind", "api_token"), ("id", &id), ("grace_minutes", "60")];
    let (status, _, _) = s.rpc(&bob, "rotate_token", &form).await;
    assert_eq!(status, 404);
    let over = [
        ("kind", "api_token"),
        ("id", &id),
        ("grace_minutes", "1441"),
    ];
    let (status, _, body) = s.rpc(&browser, "rotate_token", &over).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Field"]["field"], "grace_minutes");
    // The token as it was (its usage aside, which counts these calls).
    let (status, mut after) = s.whoami(&token).await;
    after["usage"] = who["usage"].clone();
    assert_eq!((status, after), (200, who));

    let (status, headers, body) = s.rpc(&browser, "rotate_token", &form).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    let (_, _, list) = s.rpc(&browser, "api_tokens", &[] as &[(&str, &str)]).await;
    // The page gets the time as microseconds since the epoch: 60 minutes ahead.
    let micros = list["tokens"][0]["old_valid_until"].as_i64().unwrap();
    let until = chrono::DateTime::from_timestamp_micros(micros).unwrap();
    let off = until - (chrono::Utc::now() + TimeDelta::minutes(60));
    assert!(off.num_seconds().abs() < 60, "{until}");
    let (_, headers, _) = s.whoami_raw(Some(&format!("Bearer {token}"))).await;
    let warning = header(&headers, "keyward-token-warning").unwrap();
    assert!(warning.contains("works until"), "{warning}");
}
