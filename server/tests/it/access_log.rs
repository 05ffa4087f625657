//! The request log of `keyward serve`: one line per request that names the credential by its
//! display prefix at most, never by its value.

use chrono::TimeDelta;
use keyward_core::Role;

use crate::support::{PASSWORD, ServeProcess, Site, start};

#[tokio::test]
async fn each_request_is_logged_without_its_credential() {
    let s = start().await;
    let uid = s.user("alice", Role::User).await;
    let token = s.token(uid, TimeDelta::days(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let served = ServeProcess::start(&s.database_url, dir.path()).await;
    let client = reqwest::Client::new();

    let whoami = |t: &str| {
        client
            .get(served.url("/api/v1/whoami"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(whoami(&token).await.unwrap().status(), 200);
    let password_pasted = "hunter2-hunter2";
    assert_eq!(whoami(password_pasted).await.unwrap().status(), 401);
    let login = client
        .post(served.url("/rpc/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie_value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let jwt = &served.login_jwt("alice").await;
    assert_eq!(whoami(jwt).await.unwrap().status(), 200);

    let log = served.log();
    let requests: Vec<&str> = log.lines().filter(|l| l.contains(" request ")).collect();
    // Each request is one line that says all of it.
    let by_prefix = format!("credential={}", &token[..12]);
    let expected: [&[&str]; 4] = [
        &[
            "method=GET path=/api/v1/whoami status=200 latency_ms=",
            &by_prefix,
        ],
        &["path=/api/v1/whoami status=401", "credential=unrecognised"],
        &["method=POST path=/rpc/login status="],
        &["path=/api/v1/whoami status=200", "credential=jwt"],
    ];
    for want in expected {
        assert!(
            requests.iter().any(|l| want.iter().all(|w| l.contains(w))),
            "no request line with all of {want:?} in:\n{log}"
        );
    }
    // Nor any part of a token past its display prefix, nor a JWT's signature.
    let signature = jwt.rsplit('.').next().unwrap();
    assert!(
        !log.contains(&token[12..]) && !log.contains(signature),
        "{log}"
    );
    for secret in [token.as_str(), password_pasted, cookie_value, jwt, PASSWORD] {
        assert!(!log.contains(secret), "the log holds a secret:\n{log}");
    }
}
