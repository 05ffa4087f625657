//! Service tests with a pinned clock and a seeded RNG, each run against both databases: a
//! SQLite file, and a fresh PostgreSQL database that is dropped afterwards.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use keyward_core::api::CredentialKind;
use keyward_core::{Role, TokenKind, token};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::db::SqlRepository;
use crate::db::testing::{PgTestDatabase, columns};
use crate::sessions::{ClientInfo, Credentials};
use crate::users::UserInput;
use crate::{AuthError, Backend, Config, Constraint, Error};

/// Runs each listed test, an `async fn(&Backend)`, once on each database: as
/// `<module>::sqlite::<test>` and `<module>::postgres::<test>`. A test left out of the list
/// is dead code, which the lint refuses.
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let f = $crate::tests::Fixture::sqlite().await;
                    super::$test(&f.backend).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let f = $crate::tests::Fixture::postgres().await;
                    super::$test(&f.backend).await;
                }
            )*
        }
    };
}

mod account;
mod admin;
mod allowlist;
mod audit;
mod notices;
mod policy;
mod project_page;
mod reports;
mod rotation;
mod sealing;
mod service_tokens;
mod usage;

on_both_databases!(
    users_are_validated_and_unique,
    token_life_cycle_and_every_401,
    expiry_policy_and_edit_replaces_the_secret,
    another_users_tokens_are_not_found,
    sessions_sign_in_time_out_and_sign_out,
    setup_code_creates_one_admin_once,
    setup_code_guesses_are_rate_limited,
    grants_add_up_across_direct_and_team_grants,
    resource_names_are_checked_and_unique,
    deactivation_ends_sessions_and_stops_api_tokens,
    login_jwt_life_cycle,
    concurrent_bearer_checks_each_get_their_own_answer,
);

pub(super) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

pub(super) fn rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(42)
}

/// The services on a database of their own, removed when the fixture is dropped.
pub(super) struct Fixture {
    pub(super) backend: Backend,
    _store: Store,
}

enum Store {
    Sqlite(tempfile::TempDir),
    Postgres(PgTestDatabase),
}

impl Store {
    fn sqlite() -> Self {
        Store::Sqlite(tempfile::tempdir().unwrap())
    }

    /// The URL of this store's database (the SQLite file in a directory still to create).
    fn url(&self) -> String {
        match self {
            Store::Sqlite(dir) => format!("sqlite://{}/nested/k.db", dir.path().display()),
            Store::Postgres(db) => db.url.clone(),
        }
    }
}

impl Fixture {
    async fn on(store: Store) -> Self {
        let backend = Backend::connect(&store.url(), Config::default())
            .await
            .unwrap();
        Fixture {
            backend,
            _store: store,
        }
    }

    pub(super) async fn sqlite() -> Self {
        Fixture::on(Store::sqlite()).await
    }

    pub(super) async fn postgres() -> Self {
        Fixture::on(Store::Postgres(PgTestDatabase::create().await)).await
    }
}

/// A new SQLite database is private to the server's user: its new directory 0700, the
/// file 0600 (and SQLite gives the -wal and -shm files the file's mode).
#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_is_private() {
    use crate::db::SettingsRepo;
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data").join("keyward");
    let url = format!("sqlite://{}/keyward.db", dir.display());
    let repo = SqlRepository::connect(&url).await.unwrap();
    repo.put_setting("probe", "1").await.unwrap();
    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.clone()), 0o700);
    assert_eq!(mode(tmp.path().join("data")), 0o700);
    assert_eq!(mode(dir.join("keyward.db")), 0o600);
    assert_eq!(mode(dir.join("keyward.db-wal")), 0o600);
}

/// Both migration folders make the same tables with the same columns.
#[tokio::test]
async fn both_databases_have_the_same_schema() {
    let sqlite = Store::sqlite();
    let postgres = Store::Postgres(PgTestDatabase::create().await);
    let mut schemas = Vec::new();
    for store in [&sqlite, &postgres] {
        let repo = SqlRepository::connect(&store.url()).await.unwrap();
        let mut schema = columns(&repo).await;
        schema.sort();
        schemas.push(schema);
    }
    assert!(schemas[0].len() > 50, "{:?}", schemas[0]);
    assert_eq!(schemas[0], schemas[1]);
}

/// A manager "alice" (who may grant anything) and a project "falcon": `(alice's row,
/// the project's id)`, what a service-token test starts from.
pub(super) async fn manager_and_project(b: &Backend) -> (crate::db::UserRow, i64) {
    let manager = UserInput {
        role: Role::Manager,
        ..input("alice")
    };
    b.create_user(manager, t0()).await.unwrap();
    let alice = b.user_named("alice").await.unwrap();
    let project = b.create_project("falcon", None, t0()).await.unwrap();
    (alice, project)
}

/// A read-only token "deploy" on `project` for a new principal "ci".
pub(super) fn read_token_request(
    project: i64,
    lifetime: crate::service_tokens::Lifetime,
    allowed_ips: keyward_core::allowlist::Allowlist,
) -> crate::service_tokens::ServiceTokenRequest {
    crate::service_tokens::ServiceTokenRequest {
        principal: crate::service_tokens::PrincipalChoice::New {
            name: "ci".into(),
            description: String::new(),
        },
        name: "deploy".into(),
        scope: keyward_core::Scope::Project {
            project_id: project,
            org_id: None,
            permissions: keyward_core::Permissions::READ,
        },
        lifetime,
        allowed_ips,
    }
}

pub(super) fn input(username: &str) -> UserInput {
    UserInput {
        username: username.into(),
        display_name: String::new(),
        email: Some(format!("{username}@example.com")),
        role: Role::User,
        password: "correct horse battery".into(),
    }
}

fn date(days: u64) -> NaiveDate {
    t0().date_naive() + Days::new(days)
}

/// Username and password, without a TOTP code.
pub(super) fn creds<'a>(username: &'a str, password: &'a str) -> Credentials<'a> {
    Credentials {
        username,
        password,
        code: None,
    }
}

pub(super) fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

/// Bearer lookups that arrive together share statements (db/lookup.rs): each still gets the
/// answer for its own token, a revoked or unknown one among them too.
async fn concurrent_bearer_checks_each_get_their_own_answer(b: &Backend) {
    let mut rng = rng();
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let bob = b.create_user(input("bob"), t0()).await.unwrap();
    let mut expected = Vec::new();
    for (owner, n) in [(alice, 4), (bob, 3)] {
        for i in 0..n {
            let minted = b
                .mint_api_token(
                    owner,
                    &format!("t{i}"),
                    date(30),
                    &Default::default(),
                    t0(),
                    &mut rng,
                )
                .await
                .unwrap();
            expected.push((minted.secret.expose().to_string(), Ok((owner, minted.id))));
        }
    }
    let revoked = expected[5].1;
    b.revoke_api_token(bob, revoked.unwrap().1, t0())
        .await
        .unwrap();
    expected[5].1 = Err(AuthError::TokenRevoked);
    let unknown = token::generate(TokenKind::ApiToken, &mut rng);
    expected.push((unknown.expose().to_string(), Err(AuthError::InvalidToken)));

    // Each token several times over, all in flight at once.
    let mut checks = tokio::task::JoinSet::new();
    for round in 0..8 {
        for (i, (value, want)) in expected.iter().enumerate() {
            let (b, value, want) = (b.clone(), value.clone(), *want);
            let now = t0() + TimeDelta::seconds(round * 10 + i as i64);
            checks.spawn(async move {
                let got = b
                    .authenticate_bearer(Some(&bearer(&value)), None, now)
                    .await;
                match (got, want) {
                    (Ok(p), Ok((user, id))) => {
                        assert_eq!((p.user().unwrap().id, p.credential.id), (user, id));
                    }
                    (Err(Error::Auth(got)), Err(want)) => assert_eq!(got, want),
                    (got, want) => panic!("{value:.12}: {got:?}, expected {want:?}"),
                }
            });
        }
    }
    assert_eq!(checks.join_all().await.len(), 8 * expected.len());
}

async fn users_are_validated_and_unique(b: &Backend) {
    let id = b.create_user(input("alice"), t0()).await.unwrap();
    let alice = b.repo().user_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        alice.display_name, "alice",
        "display name defaults to the username"
    );
    assert_eq!(alice.email.as_deref(), Some("alice@example.com"));

    for bad in ["evil\x1b]0;title\x07", "bidi\u{202e}name", &"x".repeat(101)] {
        let e = b
            .create_user(
                UserInput {
                    display_name: bad.into(),
                    ..input("mallory")
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::Invalid(f) if f.field == "display_name"),
            "{bad:?}: {e:?}"
        );
    }
    assert!(
        b.repo()
            .user_by_username("mallory")
            .await
            .unwrap()
            .is_none()
    );

    let dup = b.create_user(input("alice"), t0()).await.unwrap_err();
    assert!(
        matches!(dup, Error::Conflict(Constraint::Username)),
        "{dup:?}"
    );
    let mut same_email = input("alice2");
    same_email.email = Some("ALICE@example.com".into());
    let dup = b.create_user(same_email, t0()).await.unwrap_err();
    assert!(matches!(dup, Error::Conflict(Constraint::Email)), "{dup:?}");
    // The user row and its email are one transaction: the refused email took the user too.
    assert!(b.find_user("alice2").await.unwrap().is_none());
    let mut weak = input("bob");
    weak.password = "short".into();
    assert!(
        matches!(b.create_user(weak, t0()).await, Err(Error::Invalid(e)) if e.field == "password")
    );
    assert!(
        matches!(b.create_user(input("Bad Name"), t0()).await, Err(Error::Invalid(e)) if e.field == "username")
    );
}

async fn token_life_cycle_and_every_401(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();

    let minted = b
        .mint_api_token(uid, " ci ", date(30), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!(minted.name, "ci");
    let value = minted.secret.expose().to_string();
    assert!(token::parse(&value).is_ok());
    // Only the hash and the display prefix are stored.
    let rows = b.list_api_tokens(uid).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].display_prefix, &value[..12]);
    assert_eq!(rows[0].last_used_at, None);

    let p = b
        .authenticate_bearer(Some(&bearer(&value)), None, t0())
        .await
        .unwrap();
    assert_eq!(p.user().unwrap().id, uid);
    assert_eq!(p.credential.kind, CredentialKind::ApiToken);
    assert_eq!(
        b.list_api_tokens(uid).await.unwrap()[0].last_used_at,
        Some(t0())
    );

    // Last used is throttled: a call 10 s later does not write, one 2 minutes later does.
    b.authenticate_bearer(Some(&bearer(&value)), None, t0() + TimeDelta::seconds(10))
        .await
        .unwrap();
    assert_eq!(
        b.list_api_tokens(uid).await.unwrap()[0].last_used_at,
        Some(t0())
    );
    let later = t0() + TimeDelta::minutes(2);
    b.authenticate_bearer(Some(&bearer(&value)), None, later)
        .await
        .unwrap();
    assert_eq!(
        b.list_api_tokens(uid).await.unwrap()[0].last_used_at,
        Some(later)
    );

    // Expired: at the first instant of the expiration date.
    let at_expiry = minted.expires_at;
    let err = b
        .authenticate_bearer(Some(&bearer(&value)), None, at_expiry)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenExpired)),
        "{err:?}"
    );

    // Malformed, foreign prefix, wrong checksum, unknown, missing: all invalid_token.
    let mut wrong_checksum = value.clone();
    let last = wrong_checksum.pop().unwrap();
    wrong_checksum.push(if last == 'a' { 'b' } else { 'a' });
    let unknown = token::generate(TokenKind::ApiToken, &mut rng);
    let service = token::generate(TokenKind::ServiceToken, &mut rng);
    for header in [
        None,
        Some(String::new()),
        Some(value.clone()), // no scheme
        Some(format!("Basic {value}")),
        Some(bearer("kwat_short")),
        Some(bearer(&format!("ghp_{}", &value[5..]))),
        Some(bearer(&wrong_checksum)),
        Some(bearer(unknown.expose())),
        Some(bearer(service.expose())),
    ] {
        let err = b
            .authenticate_bearer(header.as_deref(), None, t0())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Auth(AuthError::InvalidToken)),
            "{header:?}: {err:?}"
        );
    }

    // Revoked wins over expired, and revoking twice is NotFound.
    b.revoke_api_token(uid, minted.id, t0()).await.unwrap();
    let err = b
        .authenticate_bearer(Some(&bearer(&value)), None, at_expiry)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenRevoked)),
        "{err:?}"
    );
    assert!(matches!(
        b.revoke_api_token(uid, minted.id, t0()).await,
        Err(Error::NotFound)
    ));
    assert!(
        b.list_api_tokens(uid).await.unwrap().is_empty(),
        "revoked tokens leave the list"
    );
}

async fn expiry_policy_and_edit_replaces_the_secret(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();

    for (d, why) in [(0, "today"), (367, "past the maximum")] {
        let err = b
            .mint_api_token(uid, "x", date(d), &Default::default(), t0(), &mut rng)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Invalid(ref e) if e.field == "expires_at"),
            "{why}: {err:?}"
        );
    }
    let err = b
        .mint_api_token(uid, "", date(3), &Default::default(), t0(), &mut rng)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(ref e) if e.field == "name"));
    assert!(
        b.mint_api_token(uid, "max", date(366), &Default::default(), t0(), &mut rng)
            .await
            .is_ok()
    );

    let old = b
        .mint_api_token(uid, "deploy", date(3), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();
    let new = b
        .edit_api_token_expiry(uid, old.id, date(90), t0(), &mut rng)
        .await
        .unwrap();
    assert_eq!((new.id, new.name.as_str()), (old.id, "deploy"));
    assert_ne!(new.secret, old.secret);
    assert_eq!(new.expires_at.date_naive(), date(90));
    // The old value stops at once, and says why.
    let err = b
        .authenticate_bearer(Some(&bearer(old.secret.expose())), None, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenRotated)),
        "{err:?}"
    );
    let p = b
        .authenticate_bearer(Some(&bearer(new.secret.expose())), None, t0())
        .await
        .unwrap();
    assert_eq!(p.credential.expires_at, Some(new.expires_at));
    assert_eq!(p.credential.display_prefix, new.secret.display_prefix());

    // An expired token can be re-dated too; a revoked one cannot.
    let gone = b
        .mint_api_token_at(
            uid,
            "old",
            t0() - TimeDelta::days(1),
            &Default::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    assert!(
        b.edit_api_token_expiry(uid, gone.id, date(5), t0(), &mut rng)
            .await
            .is_ok()
    );
    b.revoke_api_token(uid, gone.id, t0()).await.unwrap();
    let err = b
        .edit_api_token_expiry(uid, gone.id, date(5), t0(), &mut rng)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound));
}

async fn another_users_tokens_are_not_found(b: &Backend) {
    let alice = b.create_user(input("alice"), t0()).await.unwrap();
    let mallory = b.create_user(input("mallory"), t0()).await.unwrap();
    let mut rng = rng();
    let t = b
        .mint_api_token(alice, "a", date(5), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();

    assert!(b.list_api_tokens(mallory).await.unwrap().is_empty());
    let err = b.revoke_api_token(mallory, t.id, t0()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound));
    let err = b
        .edit_api_token_expiry(mallory, t.id, date(9), t0(), &mut rng)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound));
    // Alice's token is untouched.
    assert!(
        b.authenticate_bearer(Some(&bearer(t.secret.expose())), None, t0())
            .await
            .is_ok()
    );
}

async fn sessions_sign_in_time_out_and_sign_out(b: &Backend) {
    b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let client = ClientInfo::default();

    for (user, pw) in [
        ("alice", "wrong password!"),
        ("nobody", "correct horse battery"),
    ] {
        let err = b
            .sign_in(creds(user, pw), client.clone(), t0(), &mut rng)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BadCredentials), "{err:?}");
    }
    let s = b
        .sign_in(
            creds("alice", "correct horse battery"),
            client.clone(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    assert_eq!(s.cookie.expose().len(), 64);
    let cookie = s.cookie.expose();
    assert_eq!(
        b.session_user(cookie, t0()).await.unwrap().user.username,
        "alice"
    );
    assert!(matches!(
        b.session_user("nope", t0()).await,
        Err(Error::NotSignedIn)
    ));

    // Idle timeout: activity every 11 hours keeps it alive, 12 idle hours end it.
    let idle = b.config().session_idle;
    let mut now = t0();
    for _ in 0..3 {
        now += idle - TimeDelta::hours(1);
        b.session_user(cookie, now).await.unwrap();
    }
    assert!(matches!(
        b.session_user(cookie, now + idle).await,
        Err(Error::NotSignedIn)
    ));
    // Absolute timeout, however active.
    assert!(matches!(
        b.session_user(cookie, t0() + b.config().session_absolute)
            .await,
        Err(Error::NotSignedIn)
    ));

    let row = b.session_user(cookie, now).await.unwrap().session;
    b.sign_out(&row, now).await.unwrap();
    assert!(matches!(
        b.session_user(cookie, now).await,
        Err(Error::NotSignedIn)
    ));
}

async fn setup_code_guesses_are_rate_limited(b: &Backend) {
    let code = b
        .setup_code_if_needed(t0(), &mut rng())
        .await
        .unwrap()
        .unwrap();
    let attacker = Some("10.3.0.1");
    for i in 0..b.config().limits.sign_in_ip.burst {
        let guess = format!("{i:048x}");
        assert!(!b.setup_code_usable(&guess, attacker, t0()).await.unwrap());
    }
    let r = b.setup_code_usable(code.expose(), attacker, t0()).await;
    assert!(matches!(r, Err(Error::RateLimited(_))), "{r:?}");
    let r = b
        .complete_setup(code.expose(), input("root"), attacker, t0())
        .await;
    assert!(matches!(r, Err(Error::RateLimited(_))), "{r:?}");
    // The operator, from elsewhere, still sets up.
    b.complete_setup(code.expose(), input("root"), Some("192.0.2.1"), t0())
        .await
        .unwrap();
}

async fn setup_code_creates_one_admin_once(b: &Backend) {
    let mut rng = rng();
    let first = b
        .setup_code_if_needed(t0(), &mut rng)
        .await
        .unwrap()
        .unwrap();
    // A restart before anyone used it prints a new code; the old one stops working.
    let code = b
        .setup_code_if_needed(t0(), &mut rng)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !b.setup_code_usable(first.expose(), None, t0())
            .await
            .unwrap()
    );
    assert!(
        b.setup_code_usable(code.expose(), None, t0())
            .await
            .unwrap()
    );

    // The link works for an hour after the start that printed it.
    let hour = crate::setup::SETUP_CODE_LIFETIME;
    let late = t0() + hour + TimeDelta::seconds(1);
    assert!(
        !b.setup_code_usable(code.expose(), None, late)
            .await
            .unwrap()
    );
    let e = b
        .complete_setup(code.expose(), input("late"), None, late)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Invalid(ref f) if f.field == "code"),
        "{e:?}"
    );
    assert!(
        b.setup_code_usable(code.expose(), None, t0() + hour - TimeDelta::seconds(1))
            .await
            .unwrap()
    );

    // Invalid input does not spend the code.
    let mut bad = input("root");
    bad.password = "short".into();
    assert!(
        b.complete_setup(code.expose(), bad, None, t0())
            .await
            .is_err()
    );
    assert!(
        b.setup_code_usable(code.expose(), None, t0())
            .await
            .unwrap()
    );

    let id = b
        .complete_setup(code.expose(), input("root"), None, t0())
        .await
        .unwrap();
    assert_eq!(
        b.repo().user_by_id(id).await.unwrap().unwrap().role,
        Role::Admin
    );
    let err = b
        .complete_setup(code.expose(), input("root2"), None, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref e) if e.field == "code"),
        "{err:?}"
    );
    assert!(
        !b.setup_code_usable(code.expose(), None, t0())
            .await
            .unwrap()
    );
    assert!(
        b.setup_code_if_needed(t0(), &mut rng)
            .await
            .unwrap()
            .is_none()
    );
}

async fn grants_add_up_across_direct_and_team_grants(b: &Backend) {
    use crate::resources::GrantTo;
    use keyward_core::Permissions;

    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let alice = || async { b.repo().user_by_id(uid).await.unwrap().unwrap() };
    let org = b.create_org("Acme", t0()).await.unwrap();
    assert!(org > 0);
    b.create_team("red", Some("Acme"), t0()).await.unwrap();
    let p = b
        .create_project("falcon", Some("Acme"), t0())
        .await
        .unwrap();
    let other = b.create_project("osprey", None, t0()).await.unwrap();

    assert_eq!(
        b.project_permissions(&alice().await, p).await.unwrap(),
        None
    );
    assert_eq!(
        b.access_level(&alice().await).await.unwrap(),
        "Assigned projects (0)"
    );

    let configs = Permissions {
        can_change_configs: true,
        ..Permissions::READ
    };
    let secrets = Permissions {
        can_change_secrets: true,
        ..Permissions::READ
    };
    b.grant(p, &GrantTo::User("alice".into()), configs, t0())
        .await
        .unwrap();
    b.grant(p, &GrantTo::Team("red".into()), secrets, t0())
        .await
        .unwrap();
    assert_eq!(
        b.project_permissions(&alice().await, p).await.unwrap(),
        Some(configs)
    );
    b.add_to_team("red", "alice").await.unwrap();
    b.add_to_team("red", "alice").await.unwrap(); // idempotent
    assert_eq!(
        b.project_permissions(&alice().await, p).await.unwrap(),
        Some(configs.union(secrets))
    );
    // The list agrees with the one-project decision.
    let visible = b.visible_projects(&alice().await).await.unwrap();
    let visible: Vec<_> = visible
        .iter()
        .map(|v| (v.project.id, v.project.org.as_deref(), v.permissions))
        .collect();
    assert_eq!(visible, [(p, Some("Acme"), configs.union(secrets))]);
    assert_eq!(
        b.project_permissions(&alice().await, other).await.unwrap(),
        None
    );
    assert_eq!(
        b.access_level(&alice().await).await.unwrap(),
        "Assigned projects (1)"
    );
    assert_eq!(b.groups(&alice().await).await.unwrap(), ["red"]);

    // A second grant to the same subject replaces the first.
    b.grant(p, &GrantTo::User("alice".into()), Permissions::READ, t0())
        .await
        .unwrap();
    assert_eq!(
        b.project_permissions(&alice().await, p).await.unwrap(),
        Some(secrets)
    );
    b.remove_from_team("red", "alice").await.unwrap();
    assert_eq!(
        b.project_permissions(&alice().await, p).await.unwrap(),
        Some(Permissions::READ)
    );
    assert!(
        b.remove_from_team("red", "alice").await.is_err(),
        "no longer a member"
    );

    // A role change applies at once.
    b.set_role("alice", Role::Manager, t0()).await.unwrap();
    assert_eq!(
        b.project_permissions(&alice().await, other).await.unwrap(),
        Some(Permissions::ALL)
    );
    assert_eq!(
        b.access_level(&alice().await).await.unwrap(),
        "All projects"
    );
}

async fn resource_names_are_checked_and_unique(b: &Backend) {
    use crate::resources::GrantTo;
    use keyward_core::Permissions;

    b.create_user(input("alice"), t0()).await.unwrap();
    b.create_org("Acme", t0()).await.unwrap();
    let p = b.create_project("falcon", None, t0()).await.unwrap();
    b.create_project("falcon", Some("Acme"), t0())
        .await
        .unwrap(); // another scope

    let field = |r: Result<i64, Error>| match r {
        Err(Error::Invalid(e)) => e.field,
        Err(Error::Conflict(c)) => c.field().to_string(),
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(field(b.create_org("Acme", t0()).await), "name");
    assert_eq!(field(b.create_org("  ", t0()).await), "name");
    assert_eq!(field(b.create_project("falcon", None, t0()).await), "name");
    assert_eq!(field(b.create_team("red", Some("Nope"), t0()).await), "org");
    assert_eq!(field(b.create_oplog(999, "ops", t0()).await), "project");
    b.create_oplog(p, "ops", t0()).await.unwrap();
    assert_eq!(field(b.create_oplog(p, "ops", t0()).await), "name");

    let unit = |r: Result<(), Error>| field(r.map(|_| 0));
    assert_eq!(
        unit(
            b.grant(999, &GrantTo::User("alice".into()), Permissions::READ, t0())
                .await
        ),
        "project"
    );
    assert_eq!(
        unit(
            b.grant(p, &GrantTo::User("bob".into()), Permissions::READ, t0())
                .await
        ),
        "username"
    );
    assert_eq!(
        unit(
            b.grant(p, &GrantTo::Team("blue".into()), Permissions::READ, t0())
                .await
        ),
        "team"
    );
    assert_eq!(unit(b.add_to_team("blue", "alice").await), "team");
    assert_eq!(unit(b.set_role("bob", Role::Admin, t0()).await), "username");
}

async fn deactivation_ends_sessions_and_stops_api_tokens(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let s = b
        .sign_in(
            creds("alice", "correct horse battery"),
            ClientInfo::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap();
    let t = b
        .mint_api_token(uid, "ci", date(5), &Default::default(), t0(), &mut rng)
        .await
        .unwrap();

    b.deactivate_user("alice", t0()).await.unwrap();
    assert!(matches!(
        b.session_user(s.cookie.expose(), t0()).await,
        Err(Error::NotSignedIn)
    ));
    let err = b
        .authenticate_bearer(Some(&bearer(t.secret.expose())), None, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::AccountDisabled)),
        "{err:?}"
    );
    let err = b
        .sign_in(
            creds("alice", "correct horse battery"),
            ClientInfo::default(),
            t0(),
            &mut rng,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadCredentials));
}

async fn login_jwt_life_cycle(b: &Backend) {
    let uid = b.create_user(input("alice"), t0()).await.unwrap();
    let mut rng = rng();
    let login = |rng: &mut ChaCha8Rng| {
        let mut rng = rng.clone();
        async move {
            b.api_login(
                creds("alice", "correct horse battery"),
                ClientInfo::default(),
                t0(),
                &mut rng,
            )
            .await
        }
    };
    assert!(matches!(
        b.api_login(
            creds("alice", "wrong"),
            ClientInfo::default(),
            t0(),
            &mut rng
        )
        .await,
        Err(Error::BadCredentials)
    ));
    let jwt = login(&mut rng).await.unwrap();
    assert_eq!(jwt.expires_at, t0() + TimeDelta::minutes(15));
    let value = jwt.token.expose().to_string();
    let auth = |at: DateTime<Utc>| {
        let value = value.clone();
        async move { b.authenticate_bearer(Some(&bearer(&value)), None, at).await }
    };
    let p = auth(t0()).await.unwrap();
    assert_eq!(p.user().unwrap().id, uid);
    assert_eq!(p.credential.kind, CredentialKind::LoginSession);
    assert_eq!(p.credential.id, jwt.session_id);

    // Expired after 15 minutes; a forged signature is unknown.
    let err = auth(t0() + TimeDelta::minutes(15)).await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::TokenExpired)),
        "{err:?}"
    );
    // One signature character changed (not the last, whose low bits may be padding).
    let at = value.len() - 5;
    let other = if &value[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{other}{}", &value[..at], &value[at + 1..]);
    let err = b
        .authenticate_bearer(Some(&bearer(&forged)), None, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidToken)),
        "{err:?}"
    );

    // Ending its session revokes it at the next call.
    b.revoke_current(&p, t0()).await.unwrap();
    let err = auth(t0()).await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::SessionRevoked)),
        "{err:?}"
    );

    // Deactivation ends the sessions too.
    let second = login(&mut ChaCha8Rng::seed_from_u64(7)).await.unwrap();
    b.deactivate_user("alice", t0()).await.unwrap();
    let err = b
        .authenticate_bearer(Some(&bearer(second.token.expose())), None, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::SessionRevoked)),
        "{err:?}"
    );
}
