//! Expiry notices against a local receiver (an axum server on 127.0.0.1 that records what
//! it gets and can be told to fail): one signed event per token and threshold, retried with
//! backoff and given up after 12 tries, kept in the database across restarts, sent by one
//! of two instances on PostgreSQL, and the `keyward admin expiring` / `webhook-secret`
//! commands. The rounds are driven with explicit times (the server's own loop runs once an
//! hour here), except in the one test of the `keyward serve` process.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use keyward_backend::Backend;
use keyward_backend::notices::{Deliver, Delivery, Round};
use keyward_core::Role;
use keyward_core::policy::Key;
use keyward_server::webhook::Webhook;
use serde_json::Value;

use crate::admin_cli::{keyward, keyward_with_key, stdout};
use crate::support::{ServeProcess, TestDatabase, TestServer, admin_backend, create_user};

/// What the receiver got: each request's headers and body.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// Requests still to answer 500.
    failing: Arc<AtomicUsize>,
}

impl Receiver {
    /// Listens on 127.0.0.1; the URL to set as the expiry webhook.
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .route("/hooks/expiry", axum::routing::post(receive))
            .route("/moved", axum::routing::post(moved))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/expiry", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn fail_next(&self, n: usize) {
        self.failing.store(n, Ordering::SeqCst);
    }

    fn events(&self) -> Vec<(HeaderMap, Value)> {
        let got = self.got.lock().unwrap();
        (got.iter())
            .map(|(h, body)| (h.clone(), serde_json::from_str(body).unwrap()))
            .collect()
    }

    fn bodies(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    r.got.lock().unwrap().push((headers, body));
    let fail = r
        .failing
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    match fail {
        Ok(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Err(_) => StatusCode::NO_CONTENT,
    }
}

/// A receiver that moved: a redirect to the real one.
async fn moved() -> (StatusCode, [(&'static str, &'static str); 1]) {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [("location", "/hooks/expiry")],
    )
}

/// The receiver's check of `Keyward-Signature`, with the secret as an admin gives it.
fn signed_by(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = (mac.finalize().into_bytes().iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    headers["keyward-signature"] == format!("sha256={hex}").as_str()
}

async fn set_webhook(b: &Backend, url: &str) {
    let change = [(Key::ExpiryWebhookUrl, url.to_string())];
    b.change_settings(&change, Utc::now()).await.unwrap();
}

async fn round(b: &Backend, at: DateTime<Utc>) -> Round {
    let webhook = Webhook::new().unwrap();
    b.send_expiry_notices(&webhook, &|| at).await.unwrap()
}

fn round_of(queued: u64, sent: usize, failed: usize) -> Round {
    Round {
        queued,
        sent,
        failed,
    }
}

async fn api_token(b: &Backend, user: i64, name: &str, expires_at: DateTime<Utc>) -> i64 {
    let anywhere = Default::default();
    let mut rng = rand_core::OsRng;
    let minted = b.mint_api_token_at(user, name, expires_at, &anywhere, Utc::now(), &mut rng);
    minted.await.unwrap().id
}

/// A project token "deploy" for a new principal "ci-bot", by the manager `username`.
async fn service_token(s: &TestServer, username: &str, days: u32) {
    crate::support::deploy_token(s, username, "ci-bot", days, Default::default()).await;
}

/// The background loop out of the way: rounds run only when a test says.
async fn quiet_server() -> TestServer {
    crate::support::start_with(|config| config.expiry_notice_seconds = 3600).await
}

/// A quiet server where alice has one API token `name` expiring `expires_in` from `now`,
/// and a receiver set as the expiry webhook.
struct OneToken {
    s: TestServer,
    alice: i64,
    now: DateTime<Utc>,
    receiver: Receiver,
    url: String,
}

async fn one_token(name: &str, expires_in: TimeDelta) -> OneToken {
    let s = quiet_server().await;
    let now = Utc::now();
    let alice = s.user("alice", Role::User).await;
    api_token(&s.backend, alice, name, now + expires_in).await;
    let (receiver, url) = Receiver::start().await;
    set_webhook(&s.backend, &url).await;
    OneToken {
        s,
        alice,
        now,
        receiver,
        url,
    }
}

#[tokio::test]
async fn one_signed_notice_per_token_and_threshold() {
    let s = quiet_server().await;
    let b = &s.backend;
    let now = Utc::now();
    let alice = s.user("alice", Role::User).await;
    let soon = api_token(b, alice, "soon", now + TimeDelta::days(3)).await;
    api_token(b, alice, "tomorrow", now + TimeDelta::hours(12)).await;
    api_token(b, alice, "later", now + TimeDelta::days(30)).await;
    api_token(b, alice, "over", now - TimeDelta::hours(1)).await;
    let revoked = api_token(b, alice, "revoked", now + TimeDelta::days(2)).await;
    b.revoke_api_token(alice, revoked, now).await.unwrap();
    let leaver = s.user("leaver", Role::User).await;
    api_token(b, leaver, "leaver's", now + TimeDelta::days(2)).await;
    b.deactivate_user("leaver", now).await.unwrap();
    service_token(&s, "sam", 5).await;
    let (receiver, url) = Receiver::start().await;

    // No webhook set: nothing is queued or sent.
    assert_eq!(round(b, now).await, Round::default());
    set_webhook(b, &url).await;
    assert_eq!(round(b, now).await, round_of(3, 3, 0));
    let events = receiver.events();
    let named = |name: &str| {
        (events.iter())
            .find(|(_, e)| e["name"] == name)
            .unwrap_or_else(|| panic!("no event for {name}: {events:?}"))
            .clone()
    };
    let (headers, event) = named("soon");
    assert_eq!(event["event"], "token.expiring");
    assert_eq!(
        (&event["kind"], &event["owner"], &event["threshold"]),
        (&"api_token".into(), &"alice".into(), &"7d".into())
    );
    assert!(event["principal"].is_null());
    assert!(
        event["display_prefix"]
            .as_str()
            .unwrap()
            .starts_with("kwat_")
    );
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["keyward-event"], "token.expiring");
    assert_eq!(
        headers["keyward-delivery"],
        event["delivery_id"].as_str().unwrap()
    );
    assert_eq!(named("tomorrow").1["threshold"], "1d");
    let (_, deploy) = named("deploy");
    assert_eq!(
        (&deploy["kind"], &deploy["owner"], &deploy["principal"]),
        (&"service_token".into(), &"sam".into(), &"ci-bot".into())
    );
    // Each is signed with the installation's secret; a changed body is not.
    let secret = b.webhook_secret();
    for (headers, body) in receiver.got.lock().unwrap().iter() {
        assert!(signed_by(&secret, headers, body.as_bytes()), "{body}");
        assert!(!signed_by(&secret, headers, format!("{body} ").as_bytes()));
    }

    // Once: the next round, here or two minutes on, sends nothing again.
    assert_eq!(round(b, now).await, round_of(0, 0, 0));
    assert_eq!(
        round(b, now + TimeDelta::minutes(2)).await,
        round_of(0, 0, 0)
    );
    // Two days on, "soon" is within a day: its one-day notice.
    let later = now + TimeDelta::days(2) + TimeDelta::minutes(1);
    assert_eq!(round(b, later).await, round_of(1, 1, 0));
    let (_, last) = receiver.events().pop().unwrap();
    assert_eq!(
        (&last["name"], &last["threshold"]),
        (&"soon".into(), &"1d".into())
    );

    // A new date is a new expiry: noticed again when it comes within 7 days.
    let on = (now + TimeDelta::days(6)).date_naive();
    let mut rng = rand_core::OsRng;
    b.edit_api_token_expiry(alice, soon, on, now, &mut rng)
        .await
        .unwrap();
    assert_eq!(
        round(b, now + TimeDelta::minutes(3)).await,
        round_of(1, 1, 0)
    );
    assert_eq!(receiver.events().len(), 5);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_backoff_then_given_up() {
    let OneToken {
        s,
        alice,
        now,
        receiver,
        ..
    } = one_token("flaky", TimeDelta::days(6)).await;
    let b = &s.backend;

    receiver.fail_next(2);
    assert_eq!(round(b, now).await, round_of(1, 0, 1));
    // Not due again for 30 seconds, then 60 more.
    assert_eq!(
        round(b, now + TimeDelta::seconds(29)).await,
        round_of(0, 0, 0)
    );
    assert_eq!(
        round(b, now + TimeDelta::seconds(30)).await,
        round_of(0, 0, 1)
    );
    assert_eq!(
        round(b, now + TimeDelta::seconds(89)).await,
        round_of(0, 0, 0)
    );
    assert_eq!(
        round(b, now + TimeDelta::seconds(90)).await,
        round_of(0, 1, 0)
    );
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| *b == bodies[0]), "every try the same");

    // A receiver that never takes it: 12 tries in all, then no more.
    api_token(b, alice, "doomed", now + TimeDelta::days(5)).await;
    receiver.fail_next(1000);
    let mut at = now + TimeDelta::minutes(2);
    let mut failures = 0;
    for _ in 0..20 {
        failures += round(b, at).await.failed;
        at += TimeDelta::hours(1);
    }
    assert_eq!(failures, 12);
    assert_eq!(receiver.bodies().len(), 3 + 12);
}

/// An unreachable receiver is a failed try (retried), not an error of the round; and what
/// is stored and logged about it names the failure, never the URL (it may carry a secret).
#[tokio::test]
async fn an_unreachable_receiver_is_a_failure_not_an_error() {
    let OneToken { s, now, .. } = one_token("ci", TimeDelta::days(6)).await;
    let b = &s.backend;
    // A port nothing listens on (bound, then closed).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hooks/s3cr3t-path?key=hunter2");
    drop(closed);
    set_webhook(b, &url).await;
    assert_eq!(round(b, now).await, round_of(1, 0, 1));

    let delivery = Delivery {
        url: &url,
        body: "{}",
        delivery_id: "d",
        signature: "sha256=00",
    };
    let why = Webhook::new()
        .unwrap()
        .deliver(&delivery)
        .await
        .unwrap_err();
    assert!(why.contains("onnect"), "{why}");
    for secret in ["s3cr3t", "hunter2", &port.to_string()] {
        assert!(!why.contains(secret), "{why}");
    }
}

/// A redirect is not followed: the event was not taken (and goes nowhere else).
#[tokio::test]
async fn a_redirect_is_a_failed_try() {
    let OneToken {
        s,
        now,
        receiver,
        url,
        ..
    } = one_token("ci", TimeDelta::days(6)).await;
    let b = &s.backend;
    set_webhook(b, &url.replace("/hooks/expiry", "/moved")).await;
    assert_eq!(round(b, now).await, round_of(1, 0, 1));
    assert!(receiver.bodies().is_empty());
}

/// A queued notice is sent only while its event holds: not for a token revoked, suspended
/// (its manager left and came back) or expired since, even when its retry comes due; nor
/// while its owner is deactivated, but once the owner is back.
#[tokio::test]
async fn a_notice_that_no_longer_holds_is_not_sent() {
    let s = quiet_server().await;
    let b = &s.backend;
    let now = Utc::now();
    service_token(&s, "sam", 5).await;
    let alice = s.user("alice", Role::User).await;
    let revoked = api_token(b, alice, "revoked", now + TimeDelta::days(6)).await;
    api_token(b, alice, "brief", now + TimeDelta::hours(1)).await;
    let bob = s.user("bob", Role::User).await;
    api_token(b, bob, "bob's", now + TimeDelta::days(6)).await;
    let (receiver, url) = Receiver::start().await;
    set_webhook(b, &url).await;
    receiver.fail_next(4);
    assert_eq!(round(b, now).await, round_of(4, 0, 4));

    b.deactivate_user("sam", now).await.unwrap();
    b.set_active("sam", true, now).await.unwrap();
    b.revoke_api_token(alice, revoked, now).await.unwrap();
    b.deactivate_user("bob", now).await.unwrap();
    // All four retries are due; "brief" has expired.
    let later = now + TimeDelta::hours(2);
    assert_eq!(round(b, later).await, round_of(0, 0, 0));
    assert_eq!(
        round(b, later + TimeDelta::hours(1)).await,
        round_of(0, 0, 0)
    );
    assert_eq!(receiver.bodies().len(), 4, "only the four failed tries");

    // Bob is back: his token's notice is sent after all.
    b.set_active("bob", true, later).await.unwrap();
    let back = later + TimeDelta::hours(2);
    assert_eq!(round(b, back).await, round_of(1, 1, 0));
    let (_, event) = receiver.events().pop().unwrap();
    assert_eq!(event["name"], "bob's");
}

/// Printed from a key it would have to make, the secret would match no server's
/// signatures: refused, and no key file is left behind.
#[tokio::test]
async fn webhook_secret_needs_the_servers_key() {
    let s = quiet_server().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.key");
    let refused = keyward_with_key(&s.database_url, &missing, &["admin", "webhook-secret"], "");
    assert!(!refused.status.success());
    let err = crate::admin_cli::stderr(&refused);
    assert!(err.contains("KEYWARD_SECRET_KEY"), "{err}");
    assert!(stdout(&refused).is_empty());
    assert!(!missing.exists());
}

/// A slow round: a backoff counts from when the try failed, not from the round's start, and
/// a round stops after half a lease (what is left waits for the next).
#[tokio::test]
async fn a_long_round_reads_the_clock_and_stops_after_half_a_lease() {
    let OneToken {
        s, now, receiver, ..
    } = one_token("ci", TimeDelta::days(6)).await;
    let b = &s.backend;
    receiver.fail_next(1000);
    // Each reading of this clock is a minute after the one before.
    let reads = AtomicI64::new(0);
    let clock = || now + TimeDelta::minutes(reads.fetch_add(1, Ordering::SeqCst));
    let webhook = Webhook::new().unwrap();
    let slow = b.send_expiry_notices(&webhook, &clock).await.unwrap();
    assert_eq!(
        slow,
        round_of(1, 0, 1),
        "one try, then half a lease was over"
    );
    // It failed when the clock read 3 minutes (after the claim and the lease's renewal):
    // tried again 30 s after that.
    let after = |s| now + TimeDelta::minutes(3) + TimeDelta::seconds(s);
    assert_eq!(round(b, after(29)).await, round_of(0, 0, 0));
    assert_eq!(round(b, after(30)).await, round_of(0, 0, 1));
}

#[tokio::test]
async fn admin_expiring_lists_for_cron_jobs() {
    let s = quiet_server().await;
    let b = &s.backend;
    let now = Utc::now();
    let alice = s.user("alice", Role::User).await;
    api_token(b, alice, "in-two-days", now + TimeDelta::days(2)).await;
    api_token(b, alice, "in-an-hour", now + TimeDelta::hours(1)).await;
    api_token(b, alice, "next-month", now + TimeDelta::days(30)).await;
    service_token(&s, "sam", 5).await;

    let json = keyward(
        &s.database_url,
        &["admin", "expiring", "--within", "7d", "--json"],
        "",
    );
    assert!(json.status.success(), "{json:?}");
    let lines: Vec<Value> = (stdout(&json).lines())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["in-an-hour", "in-two-days", "deploy"],
        "soonest first"
    );
    assert_eq!(lines[2]["principal"], "ci-bot");
    assert_eq!(lines[0]["owner"], "alice");

    let text = keyward(
        &s.database_url,
        &["admin", "expiring", "--within", "24h"],
        "",
    );
    let out = stdout(&text);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("\"in-an-hour\"") && out.contains("alice"),
        "{out}"
    );

    for bad in ["7", "7w", "0d", ""] {
        let refused = keyward(&s.database_url, &["admin", "expiring", "--within", bad], "");
        assert!(!refused.status.success());
        let err = crate::admin_cli::stderr(&refused);
        assert!(
            err.contains("--within") && err.contains("7d"),
            "{bad}: {err}"
        );
    }
}

/// The webhook, with each instance's first delivery held until the other instance's first
/// delivery has begun too (or failed after 10 s: one of them claimed nothing).
struct Gated {
    webhook: Webhook,
    barrier: Arc<tokio::sync::Barrier>,
    waited: AtomicBool,
}

impl Gated {
    fn new(barrier: &Arc<tokio::sync::Barrier>) -> Gated {
        Gated {
            webhook: Webhook::new().unwrap(),
            barrier: barrier.clone(),
            waited: AtomicBool::new(false),
        }
    }
}

#[async_trait::async_trait]
impl Deliver for Gated {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), String> {
        if !self.waited.swap(true, Ordering::SeqCst) {
            let both = self.barrier.wait();
            let waited = tokio::time::timeout(std::time::Duration::from_secs(10), both).await;
            waited.map_err(|_| "the other instance delivered nothing".to_string())?;
        }
        self.webhook.deliver(delivery).await
    }
}

/// Kept in the database: a notice that failed on one instance is sent by another started
/// later; and two instances running rounds at once send each notice once.
#[tokio::test]
async fn one_instance_sends_each_notice_and_a_restart_loses_none() {
    let db = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let a = admin_backend(&db.url, dir.path()).await;
    let b = admin_backend(&db.url, dir.path()).await;
    let now = Utc::now();
    let alice = create_user(&a, "alice", Role::User).await;
    for i in 0..30 {
        let at = now + TimeDelta::hours(2) + TimeDelta::minutes(i);
        api_token(&a, alice, &format!("t{i}"), at).await;
    }
    let (receiver, url) = Receiver::start().await;
    set_webhook(&a, &url).await;

    // Each instance's first delivery waits for the other's: both hold claims at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let (gate_a, gate_b) = (Gated::new(&barrier), Gated::new(&barrier));
    let at = || now;
    let (on_a, on_b) = tokio::join!(
        a.send_expiry_notices(&gate_a, &at),
        b.send_expiry_notices(&gate_b, &at)
    );
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    assert_eq!((on_a.failed, on_b.failed), (0, 0), "{on_a:?} {on_b:?}");
    assert_eq!(on_a.queued + on_b.queued, 30, "{on_a:?} {on_b:?}");
    assert_eq!(on_a.sent + on_b.sent, 30, "{on_a:?} {on_b:?}");
    assert!(on_a.sent > 0 && on_b.sent > 0, "{on_a:?} {on_b:?}");
    let mut ids: Vec<String> = (receiver.events().iter())
        .map(|(h, _)| h["keyward-delivery"].to_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((ids.len(), receiver.bodies().len()), (30, 30));

    // A failed try on A; A goes away; C, started afterwards, sends it when it is due.
    api_token(&a, alice, "late", now + TimeDelta::days(3)).await;
    receiver.fail_next(1);
    assert_eq!(round(&a, now).await, round_of(1, 0, 1));
    drop(a);
    let c = admin_backend(&db.url, dir.path()).await;
    assert_eq!(
        round(&c, now + TimeDelta::seconds(30)).await,
        round_of(0, 1, 0)
    );
    assert_eq!(receiver.bodies().len(), 32);
}

/// `keyward serve` runs the rounds itself (here every second).
#[tokio::test]
async fn the_server_sends_notices_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::for_this_run(dir.path()).await;
    let admin = admin_backend(&db.url, dir.path()).await;
    let alice = create_user(&admin, "alice", Role::User).await;
    api_token(&admin, alice, "ci", Utc::now() + TimeDelta::days(3)).await;
    let (receiver, url) = Receiver::start().await;
    set_webhook(&admin, &url).await;
    let every_second = [("KEYWARD_EXPIRY_NOTICE_SECONDS", "1")];
    let server = ServeProcess::start_with(&db.url, dir.path(), &every_second).await;
    for _ in 0..100 {
        if !receiver.bodies().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let events = receiver.events();
    assert_eq!(events.len(), 1, "{}", server.log());
    // The secret as `keyward admin webhook-secret` prints it, with the server's key.
    let key_file = dir.path().join("keyward.key");
    let printed = keyward_with_key(&db.url, &key_file, &["admin", "webhook-secret"], "");
    let secret = stdout(&printed);
    assert_eq!(secret.len(), 64, "{printed:?}");
    assert_eq!(secret, admin.webhook_secret());
    let (headers, body) = receiver.got.lock().unwrap()[0].clone();
    assert!(signed_by(&secret, &headers, body.as_bytes()));
    assert!(
        server.log().contains("expiry notice sent"),
        "{}",
        server.log()
    );
    assert!(!server.log().contains(&url), "the URL is not logged");
}
