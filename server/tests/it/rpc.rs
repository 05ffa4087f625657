//! The server functions behind the profile page, called as the browser calls them
//! (form-encoded POSTs with the session cookie).

use chrono::{Days, TimeDelta, Utc};
use keyward_core::Role;
use reqwest::Client;

use crate::support::{NO_ARGS, PASSWORD, Site, answer, code, start};

fn in_days(days: u64) -> String {
    (Utc::now().date_naive() + Days::new(days)).to_string()
}

#[tokio::test]
async fn sign_in_failures_do_not_say_which_part_was_wrong() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let client = Client::new();
    let mut messages = vec![];
    for (user, pw) in [("alice", "wrong password!!"), ("nobody", PASSWORD)] {
        let (status, headers, body) = s
            .rpc(&client, "login", &[("username", user), ("password", pw)])
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(headers.get("set-cookie").is_none());
        messages.push(body.to_string());
    }
    assert_eq!(messages[0], messages[1]);
    assert!(messages[0].contains("Incorrect username or password"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let res = Client::new()
        .post(s.url("/rpc/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("kw_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http on localhost");
    assert_eq!(res.headers()["location"], "/profile");

    // Behind a TLS-terminating proxy that says so, the cookie is only sent over https.
    let res = Client::new()
        .post(s.url("/rpc/login"))
        .header("x-forwarded-proto", "https")
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-kw_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn mint_edit_and_revoke_through_the_page_functions() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;

    let (status, headers, minted) = s
        .rpc(
            &browser,
            "create_api_token",
            &[("name", "deploy"), ("expires_on", &in_days(30))],
        )
        .await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(headers["cache-control"], "no-store");
    let first = minted["token"].as_str().unwrap().to_string();
    let id = minted["id"].as_i64().unwrap().to_string();
    assert_eq!(s.whoami(&first).await.0, 200);

    let (status, _, list) = s.rpc(&browser, "api_tokens", NO_ARGS).await;
    assert_eq!(status, 200);
    let rows = list["tokens"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["display_prefix"], &first[..12]);
    assert!(
        !list.to_string().contains(&first),
        "the list never carries a value"
    );

    // Edit expiration: a replacement value, the old one dies at once.
    let (status, headers, edited) = s
        .rpc(
            &browser,
            "edit_api_token_expiry",
            &[("id", &id), ("expires_on", &in_days(90))],
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(headers["cache-control"], "no-store");
    let second = edited["token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    // The replaced value stops at once, and says why.
    let (status, body) = s.whoami(&first).await;
    assert_eq!((status, code(&body)), (401, "token_rotated"));
    let (status, body) = s.whoami(&second).await;
    assert_eq!(status, 200);
    assert!(
        body["credential"]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&in_days(90))
    );

    let (status, _, _) = s.rpc(&browser, "revoke_api_token", &[("id", &id)]).await;
    assert_eq!(status, 200);
    let (status, body) = s.whoami(&second).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
    let (_, _, list) = s.rpc(&browser, "api_tokens", NO_ARGS).await;
    assert!(list["tokens"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_gets_a_field_error_never_a_500() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("name", ""), ("expires_on", &in_days(3))], "name"),
        (
            &[("name", &"x".repeat(101)), ("expires_on", &in_days(3))],
            "name",
        ),
        (&[("name", "a"), ("expires_on", &in_days(0))], "expires_at"),
        (
            &[("name", "a"), ("expires_on", &in_days(367))],
            "expires_at",
        ),
        (&[("name", "a"), ("expires_on", "31/12/2026")], "expires_at"),
    ];
    for (form, field) in cases {
        let (status, _, body) = s.rpc(&browser, "create_api_token", form).await;
        assert_eq!(status, 422, "{form:?}: {body}");
        assert_eq!(body["Field"]["field"], field, "{form:?}: {body}");
    }
    // Missing arguments and a non-numeric id are the caller's fault too.
    let (status, _, _) = s.rpc(&browser, "create_api_token", &[("name", "a")]).await;
    assert_eq!(status, 400);
    let (status, _, _) = s.rpc(&browser, "revoke_api_token", &[("id", "abc")]).await;
    assert_eq!(status, 400);
    assert!(
        s.backend.list_api_tokens(1).await.unwrap().is_empty(),
        "nothing was minted"
    );
}

#[tokio::test]
async fn another_users_token_is_not_found() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    s.user("mallory", Role::Admin).await;
    let t = s.token(alice, TimeDelta::days(5)).await;
    let id = s.backend.list_api_tokens(alice).await.unwrap()[0]
        .id
        .to_string();
    let mallory = s.signed_in("mallory").await;

    let (status, _, body) = s.rpc(&mallory, "revoke_api_token", &[("id", &id)]).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, _) = s
        .rpc(
            &mallory,
            "edit_api_token_expiry",
            &[("id", &id), ("expires_on", &in_days(9))],
        )
        .await;
    assert_eq!(status, 404);
    let (_, _, list) = s.rpc(&mallory, "api_tokens", NO_ARGS).await;
    assert!(list["tokens"].as_array().unwrap().is_empty());
    assert_eq!(s.whoami(&t).await.0, 200, "alice's token is untouched");
}

#[tokio::test]
async fn tokens_cannot_call_the_page_functions() {
    let s = start().await;
    let uid = s.user("alice", Role::Admin).await;
    let t = s.token(uid, TimeDelta::days(5)).await;
    let client = Client::new();
    for (f, form) in [
        ("api_tokens", vec![]),
        (
            "create_api_token",
            vec![("name", "evil".to_string()), ("expires_on", in_days(5))],
        ),
        ("revoke_api_token", vec![("id", "1".to_string())]),
    ] {
        let res = client
            .post(s.url(&format!("/rpc/{f}")))
            .bearer_auth(&t)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{f}");
        assert_eq!(answer(res).await.unwrap(), "NotSignedIn");
    }
    assert_eq!(
        s.backend.list_api_tokens(uid).await.unwrap().len(),
        1,
        "nothing minted or revoked"
    );
    assert_eq!(s.whoami(&t).await.0, 200);
}

#[tokio::test]
async fn cross_site_calls_are_refused_and_sign_out_ends_the_session() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let plain = Client::new();
    let res = plain
        .post(s.url("/rpc/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let with_cookie = |f: &str| {
        plain
            .post(s.url(&format!("/rpc/{f}")))
            .header("cookie", cookie.as_str())
    };

    // Another site, and the opaque origin of a sandboxed frame or a data: URL.
    for origin in [
        "https://evil.example",
        "null",
        &format!("{}.evil.example", s.base),
    ] {
        let res = with_cookie("create_api_token")
            .header("origin", origin)
            .form(&[("name", "x"), ("expires_on", &in_days(5))])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{origin}");
    }
    // No Origin at all: a cookie call must then say it is same-origin.
    for fetch_site in [None, Some("cross-site"), Some("same-site"), Some("none")] {
        let mut req = with_cookie("create_api_token");
        if let Some(v) = fetch_site {
            req = req.header("sec-fetch-site", v);
        }
        let res = req
            .form(&[("name", "x"), ("expires_on", &in_days(5))])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "Sec-Fetch-Site {fetch_site:?}");
    }
    let alice = s.backend.user_named("alice").await.unwrap();
    assert!(
        s.backend
            .list_api_tokens(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
    // The control: the same request from the site itself goes through.
    let res = with_cookie("create_api_token")
        .header("origin", &s.base)
        .form(&[("name", "x"), ("expires_on", &in_days(5))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(s.backend.list_api_tokens(alice.id).await.unwrap().len(), 1);
    let res = with_cookie("api_tokens")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "no Origin, but Sec-Fetch-Site: same-origin"
    );
    // A browser's own form post under `Referrer-Policy: no-referrer` says `Origin: null`.
    let res = with_cookie("api_tokens")
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "Origin: null from the site itself");
    // Sec-Fetch-Site, which pages cannot set, outranks an Origin that looks right.
    let res = with_cookie("api_tokens")
        .header("origin", &s.base)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "Sec-Fetch-Site: cross-site");

    // Login CSRF: another site cannot sign the browser in to an account of its choosing.
    let res = plain
        .post(s.url("/rpc/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
    let res = with_cookie("api_tokens")
        .header("origin", &s.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "same origin is fine");

    let res = with_cookie("logout")
        .header("origin", &s.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie value is dead on the server, not just forgotten by the browser.
    let res = with_cookie("api_tokens")
        .header("origin", &s.base)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn sessions_are_listed_ended_and_cleaned_up() {
    let s = start().await;
    s.user("alice", Role::User).await;
    s.user("root", Role::Admin).await;
    let laptop = s.signed_in("alice").await;
    let phone = s.signed_in("alice").await;
    let admin = s.signed_in("root").await;

    let (status, _, mine) = s.rpc(&laptop, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 200, "{mine}");
    let mine = mine.as_array().unwrap().clone();
    assert_eq!(mine.len(), 2);
    let current: Vec<bool> = mine.iter().map(|s| s["current"] == true).collect();
    assert_eq!(current.iter().filter(|c| **c).count(), 1, "{mine:?}");
    let phone_id = mine.iter().find(|s| s["current"] == false).unwrap()["id"].to_string();

    // Another user's session is not found; alice ends her phone's, which is signed out.
    let (_, _, roots) = s.rpc(&admin, "my_sessions", NO_ARGS).await;
    let root_id = roots[0]["id"].to_string();
    let (status, _, _) = s
        .rpc(&laptop, "end_my_session", &[("id", root_id.as_str())])
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = s
        .rpc(&laptop, "end_my_session", &[("id", phone_id.as_str())])
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = s.rpc(&phone, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 401);

    // Signing in again in the same browser replaces its session.
    let (_, _, before) = s.rpc(&laptop, "my_sessions", NO_ARGS).await;
    let res = laptop
        .post(s.url("/rpc/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let (_, _, after) = s.rpc(&laptop, "my_sessions", NO_ARGS).await;
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_ne!(after[0]["id"], before[0]["id"], "a new session id");

    // Admins see everyone's, revoke one or all of a user's, and clean up.
    let (status, _, _) = s
        .rpc(&laptop, "admin_end_session", &[("id", root_id.as_str())])
        .await;
    assert_eq!(status, 403);
    let (_, _, data) = s.rpc(&admin, "admin_sessions", NO_ARGS).await;
    let users: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["username"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 2, "{users:?}");
    let (status, _, _) = s
        .rpc(&admin, "admin_end_user_sessions", &[("username", "alice")])
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = s.rpc(&laptop, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 401, "the admin signed alice out");
    let (status, _, _) = s.rpc(&admin, "admin_cleanup_sessions", NO_ARGS).await;
    assert_eq!(status, 200);
    let removed = s.backend.cleanup_sessions(Utc::now()).await.unwrap();
    assert_eq!(removed, 0, "the first clean-up removed every dead session");
    let (_, _, data) = s.rpc(&admin, "admin_sessions", NO_ARGS).await;
    assert_eq!(data.as_array().unwrap().len(), 1, "root's own");
}

#[tokio::test]
async fn change_password_checks_the_rules_and_ends_other_sessions() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let here = s.signed_in("alice").await;
    let elsewhere = s.signed_in("alice").await;
    let new = "a much longer passphrase";
    for (current, new_pw, confirm, field) in [
        ("wrong password!", new, new, "current_password"),
        (PASSWORD, "short", "short", "new_password"),
        (PASSWORD, "alice", "alice", "new_password"),
        (PASSWORD, new, "something else", "confirm_password"),
    ] {
        let form = [
            ("current_password", current),
            ("new_password", new_pw),
            ("confirm_password", confirm),
        ];
        let (status, _, body) = s.rpc(&here, "change_password", &form).await;
        assert_eq!(status, 422, "{form:?}: {body}");
        assert_eq!(body["Field"]["field"], field, "{form:?}: {body}");
    }
    let (status, _, _) = s.rpc(&elsewhere, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 200, "refusals changed nothing");

    let form = [
        ("current_password", PASSWORD),
        ("new_password", new),
        ("confirm_password", new),
    ];
    // A login JWT from the API is a session too, and ends with the others.
    let jwt = s.login_jwt("alice").await;
    assert_eq!(s.whoami(&jwt).await.0, 200);
    let (status, _, body) = s.rpc(&here, "change_password", &form).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = s.rpc(&here, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 200, "this session stays");
    let (status, _, _) = s.rpc(&elsewhere, "my_sessions", NO_ARGS).await;
    assert_eq!(status, 401, "the other session ended");
    let (status, body) = s.whoami(&jwt).await;
    assert_eq!((status, code(&body)), (401, "session_revoked"));

    let client = Client::new();
    for (password, ok) in [(PASSWORD, false), (new, true)] {
        let (status, _, _) = s
            .rpc(
                &client,
                "login",
                &[("username", "alice"), ("password", password)],
            )
            .await;
        assert_eq!(status < 400, ok, "{password}: {status}");
    }
}

#[tokio::test]
async fn re_dating_refuses_today_the_past_and_beyond_the_maximum_lifetime() {
    let s = start().await;
    let alice = s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;
    let (_, _, minted) = s
        .rpc(
            &browser,
            "create_api_token",
            &[("name", "deploy"), ("expires_on", &in_days(30))],
        )
        .await;
    let token = minted["token"].as_str().unwrap().to_string();
    let id = minted["id"].as_i64().unwrap().to_string();
    let dates = || async {
        let tokens = s.backend.list_api_tokens(alice).await.unwrap();
        tokens
            .iter()
            .map(|t| (t.id, t.expires_at, t.display_prefix.clone()))
            .collect::<Vec<_>>()
    };
    let before = dates().await;

    let yesterday = (Utc::now().date_naive() - Days::new(1)).to_string();
    for date in [in_days(0), yesterday, "2020-01-01".into(), in_days(367)] {
        let form = [("id", id.as_str()), ("expires_on", date.as_str())];
        let (status, _, body) = s.rpc(&browser, "edit_api_token_expiry", &form).await;
        assert_eq!(status, 422, "{date}: {body}");
        assert_eq!(body["Field"]["field"], "expires_at", "{date}: {body}");
        // Refused: the same token, with the same date, still works.
        assert_eq!(dates().await, before, "{date}");
        assert_eq!(s.whoami(&token).await.0, 200, "{date}");
    }
    // The nearest and the furthest allowed dates are accepted (the controls for the
    // refusals above).
    for date in [in_days(1), in_days(366)] {
        let form = [("id", id.as_str()), ("expires_on", date.as_str())];
        let (status, _, body) = s.rpc(&browser, "edit_api_token_expiry", &form).await;
        assert_eq!(status, 200, "{date}: {body}");
    }
    assert_eq!(s.whoami(&token).await.0, 401, "the replaced value is dead");
}

/// **Sign out** is a plain HTML form (no WASM needed): posted as a browser posts a form, the
/// server ends the session, clears the cookie and sends the browser to `/login`.
#[tokio::test]
async fn sign_out_is_a_plain_form_that_works_without_the_wasm() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;
    let html = browser
        .get(s.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/rpc/logout">"#),
        "the profile's Sign out form"
    );

    let res = browser
        .post(s.url("/rpc/logout"))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/login");
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // Signed out: the profile sends the browser to sign in again.
    let res = browser.get(s.url("/profile")).send().await.unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
}

/// A failed server function posted by a plain `<form>` (the WASM not loaded yet, or off):
/// the browser is sent back to its page with the error in `__err`, which the page reads, not
/// left on an error status with the page's binary wire format as the document.
#[tokio::test]
async fn a_plain_form_post_that_fails_is_sent_back_with_its_error() {
    use app::error::AppError;
    use leptos::server_fn::error::ServerFnUrlError;

    let s = start().await;
    let uid = s.user("alice", Role::User).await;
    let browser = s.signed_in("alice").await;
    let profile = s.url("/profile");
    let res = browser
        .post(s.url("/rpc/create_api_token"))
        .header("accept", "text/html")
        .header("referer", profile.as_str())
        .form(&[("name", ""), ("expires_on", &in_days(5))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap();
    let url = reqwest::Url::parse(location).unwrap();
    assert_eq!(url.path(), "/profile", "{location}");
    let err = url.query_pairs().find(|(k, _)| k == "__err").unwrap().1;
    let err: AppError = ServerFnUrlError::<AppError>::decode_err(&err);
    assert_eq!(
        err.for_field("name").as_deref(),
        Some("Name is required."),
        "{err:?}"
    );
    assert!(s.backend.list_api_tokens(uid).await.unwrap().is_empty());
}

/// The tests read every server function's answer through its own type (`support::reader`):
/// a function added without its reader would be read as nothing.
#[test]
fn every_server_function_has_a_reader() {
    let paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(paths.len() >= 60, "{paths:?}");
    for (path, _) in paths {
        assert!(crate::support::reader(path).is_some(), "{path}");
    }
}
