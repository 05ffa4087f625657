//! The profile's account actions over HTTP: personal information, email addresses, avatar
//! upload, TOTP MFA on both sign-in paths, and what a peer sees of a profile.

use std::io::Cursor;

use chrono::{TimeDelta, Utc};
use keyward_backend::totp;
use keyward_core::Role;
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::admin_cli::{keyward, stderr};
use crate::support::{NO_ARGS, PASSWORD, Site, TestServer, code, start, with_resources};

fn field(body: &Value) -> &str {
    body["Field"]["field"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn personal_information_and_what_a_peer_sees() {
    let s = start().await;
    s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    s.user("meg", Role::Manager).await;
    let alice = s.signed_in("alice").await;

    for (name, phone, tz, bad) in [
        ("", "", "UTC", "display_name"),
        ("Alice", "call me", "UTC", "phone"),
        ("Alice", "", "Europe/Nowhere", "timezone"),
    ] {
        let form = [("display_name", name), ("phone", phone), ("timezone", tz)];
        let (status, _, body) = s.rpc(&alice, "update_personal_info", &form).await;
        assert_eq!((status, field(&body)), (422, bad), "{body}");
    }
    let form = [
        ("display_name", "Alice Liddell"),
        ("phone", "+41 44 668 18 00"),
        ("timezone", "Europe/Zurich"),
    ];
    assert_eq!(s.rpc(&alice, "update_personal_info", &form).await.0, 200);

    let (status, _, own) = s.rpc(&alice, "profile", NO_ARGS).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["display_name"], "Alice Liddell");
    assert_eq!(own["email"], "alice@example.com");
    assert_eq!(own["phone"], "+41 44 668 18 00");
    assert_eq!(own["timezone"], "Europe/Zurich");
    assert_eq!(own["own"]["emails"][0]["primary"], true);

    let bob = s.signed_in("bob").await;
    let (_, _, peer) = s.rpc(&bob, "profile", &[("username", "alice")]).await;
    assert_eq!(peer["full"], false);
    assert_eq!(
        (&peer["email"], &peer["phone"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(peer["own"], Value::Null, "{peer}");
    assert_eq!(peer["timezone"], "Europe/Zurich");
    let meg = s.signed_in("meg").await;
    let (_, _, managed) = s.rpc(&meg, "profile", &[("username", "alice")]).await;
    assert_eq!(managed["email"], "alice@example.com");
    assert_eq!(managed["phone"], "+41 44 668 18 00");
    assert_eq!(
        s.rpc(&bob, "profile", &[("username", "nobody")]).await.0,
        404
    );

    // The server-rendered page of a peer does not carry the hidden fields either.
    let srv = &s;
    let page = |client: &Client| {
        let req = client.get(srv.url("/users/alice"));
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    // Nor the data it hydrates from (base64'd postcard, read by `with_resources`).
    let html = with_resources(&page(&bob).await);
    assert!(html.contains("Alice Liddell") && html.contains("Europe/Zurich"));
    assert!(!html.contains("alice@example.com") && !html.contains("668 18 00"));
    let html = page(&meg).await;
    assert!(html.contains("alice@example.com") && html.contains("668 18 00"));
    // The control: the manager's hydration data carries them, and is read.
    let data = with_resources(&html)[html.len()..].to_string();
    assert!(data.contains("alice@example.com") && data.contains("668 18 00"));
}

#[tokio::test]
async fn email_addresses_are_unique_and_one_stays_primary() {
    let s = start().await;
    s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let alice = s.signed_in("alice").await;
    let bob = s.signed_in("bob").await;

    let (status, _, body) = s
        .rpc(&alice, "add_email", &[("email", "Bob@Example.com")])
        .await;
    assert_eq!((status, field(&body)), (422, "email"), "{body}");
    assert!(body.to_string().contains("another account"));
    let (status, _, body) = s
        .rpc(&alice, "add_email", &[("email", "not-an-address")])
        .await;
    assert_eq!((status, field(&body)), (422, "email"));
    assert_eq!(
        s.rpc(&alice, "add_email", &[("email", "alice@work.example")])
            .await
            .0,
        200
    );

    let srv = &s;
    let emails = |client: Client| async move {
        let (_, _, p) = srv.rpc(&client, "profile", NO_ARGS).await;
        p["own"]["emails"].as_array().unwrap().clone()
    };
    let list = emails(alice.clone()).await;
    let (home, work) = (list[0]["id"].to_string(), list[1]["id"].to_string());
    let (status, _, body) = s
        .rpc(&alice, "remove_email", &[("id", home.as_str())])
        .await;
    assert_eq!((status, field(&body)), (422, "email"), "the primary stays");
    // Another user's address is not theirs to touch.
    let status = |client: &Client, f: &'static str, id: String| {
        let client = client.clone();
        async move { srv.rpc(&client, f, &[("id", id)]).await.0 }
    };
    assert_eq!(status(&bob, "remove_email", work.clone()).await, 404);
    assert_eq!(status(&bob, "make_primary_email", work.clone()).await, 404);
    assert_eq!(status(&alice, "remove_email", "x".into()).await, 400);

    assert_eq!(
        status(&alice, "make_primary_email", work.clone()).await,
        200
    );
    assert_eq!(status(&alice, "remove_email", home.clone()).await, 200);
    let list = emails(alice.clone()).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (&list[0]["email"], &list[0]["primary"]),
        (&json!("alice@work.example"), &json!(true))
    );
    let (status, _, body) = s
        .rpc(&alice, "remove_email", &[("id", work.as_str())])
        .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("at least one"), "{body}");
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Posts the Update Avatar form; the redirect's target.
async fn upload(s: &TestServer, client: &Client, file_name: &str, bytes: Vec<u8>) -> String {
    let form = Form::new().part(
        "avatar",
        Part::bytes(bytes).file_name(file_name.to_string()),
    );
    let res = client
        .post(s.url("/account/avatar"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{file_name}");
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn avatars_are_checked_by_content_scaled_and_served() {
    let s = start().await;
    s.user("alice", Role::User).await;
    s.user("bob", Role::User).await;
    let alice = s.signed_in("alice").await;

    let refused = "/profile/avatar?error=";
    let fake = b"hello, I am a text file".to_vec();
    assert_eq!(
        upload(&s, &alice, "me.png", fake).await,
        format!("{refused}not_an_image")
    );
    let mut truncated = png(64, 64);
    truncated.truncate(40);
    assert_eq!(
        upload(&s, &alice, "me.png", truncated).await,
        format!("{refused}unreadable")
    );
    let mut big = png(8, 8);
    big.resize(2 * 1024 * 1024 + 1, 0);
    assert_eq!(
        upload(&s, &alice, "big.png", big).await,
        format!("{refused}too_large")
    );
    assert_eq!(
        upload(&s, &alice, "empty.png", vec![]).await,
        format!("{refused}missing")
    );
    assert_eq!(
        s.rpc(&alice, "profile", NO_ARGS).await.2["avatar_url"],
        Value::Null
    );

    // A JPEG named .txt is still a JPEG: the name does not matter, the content does.
    let img = image::RgbImage::from_pixel(900, 500, image::Rgb([10, 120, 200]));
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    assert_eq!(
        upload(&s, &alice, "photo.txt", jpeg).await,
        "/profile?avatar=updated"
    );
    let url = s.rpc(&alice, "profile", NO_ARGS).await.2["avatar_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("/users/alice/avatar?v="), "{url}");

    let bob = s.signed_in("bob").await;
    let res = bob.get(s.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let served = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((served.width(), served.height()), (256, 256));
    assert_eq!(
        bob.get(s.url("/users/bob/avatar"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let anonymous = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anonymous.get(s.url(&url)).send().await.unwrap();
    assert_eq!(
        res.headers()["location"],
        "/login",
        "avatars are not public"
    );

    // A cross-site form post is refused even with the cookie.
    let res = alice
        .post(s.url("/account/avatar"))
        .header("origin", "https://evil.example")
        .multipart(Form::new().part("avatar", Part::bytes(png(4, 4))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    assert_eq!(s.rpc(&alice, "remove_avatar", NO_ARGS).await.0, 200);
    assert_eq!(bob.get(s.url(&url)).send().await.unwrap().status(), 404);
}

/// The code an authenticator app shows `offset` from now.
fn code_in(secret: &str, offset: TimeDelta) -> String {
    totp::code_at(secret, Utc::now() + offset).unwrap()
}

async fn api_login(s: &TestServer, totp: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "username": "alice", "password": PASSWORD });
    if let Some(t) = totp {
        body["totp"] = json!(t);
    }
    let res = Client::new()
        .post(s.url("/api/v1/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn mfa_enrolment_and_both_sign_in_paths() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let alice = s.signed_in("alice").await;

    let (status, headers, enrolment) = s.rpc(&alice, "begin_mfa", NO_ARGS).await;
    assert_eq!(status, 200, "{enrolment}");
    assert_eq!(headers["cache-control"], "no-store");
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32);
    assert!(
        enrolment["qr_data_uri"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,")
    );

    let (status, _, body) = s.rpc(&alice, "enable_mfa", &[("code", "12345")]).await;
    assert_eq!((status, field(&body)), (422, "code"));
    let now_code = code_in(&secret, TimeDelta::zero());
    let (status, _, codes) = s
        .rpc(&alice, "enable_mfa", &[("code", now_code.as_str())])
        .await;
    assert_eq!(status, 200, "{codes}");
    let codes: Vec<String> = serde_json::from_value(codes).unwrap();
    assert_eq!(codes.len(), 10);

    // The sign-in page: the password alone now asks for the code (on the field `code`).
    let page = s.browser();
    let srv = &s;
    let login = |code: Option<String>| {
        let page = page.clone();
        let s = srv;
        async move {
            let mut form = vec![
                ("username", "alice".to_string()),
                ("password", PASSWORD.into()),
            ];
            form.extend(code.map(|c| ("code", c)));
            s.rpc(&page, "login", &form).await
        }
    };
    let (status, headers, body) = login(None).await;
    assert_eq!((status, field(&body)), (422, "code"), "{body}");
    assert!(headers.get("set-cookie").is_none());
    let (status, _, body) = login(Some("000000".into())).await;
    assert_eq!((status, field(&body)), (422, "code"));
    assert!(body.to_string().contains("not valid"));
    // The enrolment code was used up; the next step's code signs in, once.
    let next = code_in(&secret, TimeDelta::seconds(30));
    let (status, headers, _) = login(Some(next.clone())).await;
    assert!(status == 200 || status == 302, "{status}");
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("kw_session=")
    );
    let (status, _, _) = login(Some(next.clone())).await;
    assert_eq!(status, 422, "a replayed code is refused");

    // The API login: `totp` required, replay refused, recovery codes once.
    let (status, body) = api_login(&s, None).await;
    assert_eq!((status, code(&body)), (401, "mfa_required"), "{body}");
    let (status, body) = api_login(&s, Some(&next)).await;
    assert_eq!((status, code(&body)), (401, "invalid_totp"));
    let (status, body) = api_login(&s, Some(&codes[0])).await;
    assert_eq!(status, 200, "{body}");
    let jwt = body["token"].as_str().unwrap().to_string();
    assert_eq!(s.whoami(&jwt).await.0, 200);
    let (status, body) = api_login(&s, Some(&codes[0])).await;
    assert_eq!((status, code(&body)), (401, "invalid_totp"));
    // A wrong password says nothing about MFA.
    let res = Client::new()
        .post(s.url("/api/v1/login"))
        .json(&json!({ "username": "alice", "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code(&body), "invalid_credentials");

    // Turning MFA off takes a code; then the password alone is enough again.
    let (status, _, body) = s.rpc(&alice, "disable_mfa", &[("code", "000000")]).await;
    assert_eq!((status, field(&body)), (422, "code"));
    let (status, _, body) = s
        .rpc(&alice, "disable_mfa", &[("code", codes[1].as_str())])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api_login(&s, None).await.0, 200);
}

#[tokio::test]
async fn an_admin_resets_mfa_for_someone_who_lost_their_app() {
    let s = start().await;
    let id = s.user("alice", Role::User).await;
    let user = s.backend.user_by_id(id).await.unwrap().unwrap();
    let enrolment = s
        .backend
        .begin_mfa(&user, &mut rand_core::OsRng)
        .await
        .unwrap();
    let code = code_in(&enrolment.secret, TimeDelta::zero());
    s.backend
        .enable_mfa(id, &code, Utc::now(), &mut rand_core::OsRng)
        .await
        .unwrap();
    assert_eq!(api_login(&s, None).await.0, 401);

    let db = s.database_url.as_str();
    let o = keyward(db, &["admin", "reset-mfa", "--username", "nobody"], "");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nobody"), "{}", stderr(&o));
    let o = keyward(db, &["admin", "reset-mfa", "--username", "alice"], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(api_login(&s, None).await.0, 200);
}
