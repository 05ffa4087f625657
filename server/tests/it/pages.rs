//! Server-rendered pages: sign-in redirects and the one-time setup link.

use keyward_core::Role;
use reqwest::Client;
use reqwest::redirect::Policy;

use crate::support::{PASSWORD, Site, start};

fn no_redirects() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

#[tokio::test]
async fn profile_needs_a_session_and_login_skips_when_signed_in() {
    let s = start().await;
    s.user("alice", Role::User).await;
    let res = no_redirects().get(s.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/profile");
    for page in [
        "/profile",
        "/projects",
        "/projects/1",
        "/admin/users",
        "/users/alice",
    ] {
        let res = no_redirects().get(s.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{page}");
        assert_eq!(res.headers()["location"], "/login", "{page}");
    }
    let res = no_redirects()
        .get(s.url("/profile"))
        .header("cookie", "kw_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login");

    let browser = s.signed_in("alice").await;
    let res = browser.get(s.url("/login")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/profile");
    let res = browser.get(s.url("/profile")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for expected in [
        "Profile Overview",
        "API Tokens",
        "alice test",
        "alice@example.com",
        "Assigned projects (0)",
        "Sign out",
        "New API token",
    ] {
        assert!(
            html.contains(expected),
            "{expected} missing from the profile page"
        );
    }
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let s = start().await;
    let code = s
        .setup_code
        .clone()
        .expect("no users: a setup code is issued");
    let html = reqwest::get(s.url(&format!("/setup?code={code}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Create administrator"), "{html}");
    let html = reqwest::get(s.url("/setup?code=wrong"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("not valid"));

    let client = no_redirects();
    let form = |username: &'static str, password: &'static str| {
        [
            ("code", code.clone()),
            ("username", username.into()),
            ("display_name", "Root".into()),
            ("email", "root@example.com".into()),
            ("password", password.into()),
        ]
    };
    // A weak password is refused next to its field and does not spend the link.
    let (status, _, body) = s.rpc(&client, "setup", &form("root", "short")).await;
    assert_eq!((status, &body["Field"]["field"]), (422, &"password".into()));

    let (status, _, _) = s.rpc(&client, "setup", &form("root", PASSWORD)).await;
    assert_eq!(status, 200);
    let root = s.backend.find_user("root").await.unwrap();
    assert_eq!(root.unwrap().role, Role::Admin);

    let (status, _, body) = s.rpc(&client, "setup", &form("root2", PASSWORD)).await;
    assert_eq!((status, &body["Field"]["field"]), (422, &"code".into()));
    let html = reqwest::get(s.url(&format!("/setup?code={code}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("not valid"));
    s.signed_in("root").await;
}
