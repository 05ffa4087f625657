use chrono::{DateTime, TimeDelta, Utc};
use keyward_backend::db::test_database::PgTestDatabase;
use keyward_backend::users::UserInput;
use keyward_backend::{Backend, Config};
use keyward_core::Role;
use keyward_server::config::KeyConfig;
use keyward_server::{ServeConfig, Server};
use reqwest::header::AUTHORIZATION;
use serde_json::Value;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery";

/// The form of a server function without arguments.
pub const NO_ARGS: &[(&str, &str)] = &[];

/// A running server with its own database; stops when dropped.
pub struct TestServer {
    pub base: String,
    pub database_url: String,
    pub backend: Backend,
    pub setup_code: Option<String>,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
    /// Last: dropped after the server and its handles.
    pub db: TestDatabase,
}

/// The database of a test: a SQLite file in the test's directory, or, when
/// `KEYWARD_TEST_DATABASE=postgres` (the second run of these tests in `make test`), a
/// fresh PostgreSQL database that is dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<PgTestDatabase>,
}

impl TestDatabase {
    pub async fn for_this_run(dir: &std::path::Path) -> TestDatabase {
        match std::env::var("KEYWARD_TEST_DATABASE").as_deref() {
            Ok("postgres") => TestDatabase::postgres().await,
            Ok("sqlite") | Err(_) => TestDatabase {
                url: format!("sqlite://{}/keyward.db", dir.display()),
                postgres: None,
            },
            Ok(other) => panic!("KEYWARD_TEST_DATABASE is sqlite or postgres, not {other:?}"),
        }
    }

    /// A fresh PostgreSQL database, whatever the run (for the scale-out tests).
    pub async fn postgres() -> TestDatabase {
        let db = PgTestDatabase::create().await;
        TestDatabase {
            url: db.url.clone(),
            postgres: Some(db),
        }
    }

    /// PostgreSQL only: ends its connections and refuses new ones (`false`), as an outage
    /// would, or lets them in again.
    pub async fn set_reachable(&self, reachable: bool) {
        let db = self.postgres.as_ref().expect("a PostgreSQL test database");
        db.set_reachable(reachable).await;
    }

    pub async fn end_connections(&self) {
        let db = self.postgres.as_ref().expect("a PostgreSQL test database");
        db.end_connections().await;
    }

    /// Every API token row `(id, display_prefix, revoked)`, read straight from the database.
    pub async fn raw_api_tokens(&self) -> Vec<(i64, String, bool)> {
        let sql = "SELECT id, display_prefix, revoked_at IS NOT NULL FROM api_tokens ORDER BY id";
        if self.postgres.is_some() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
        }
    }

    /// A row of the settings table read straight from the database, as someone holding a
    /// copy of it would.
    pub async fn raw_setting(&self, key: &str) -> Option<String> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        if self.postgres.is_some() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let value = sqlx::query_scalar(sql).bind(key).fetch_optional(&pool);
            value.await.unwrap()
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let value = sqlx::query_scalar(sql).bind(key).fetch_optional(&pool);
            value.await.unwrap()
        }
    }
}

/// The services on a database with the key file of `dir` (as `keyward admin` opens them
/// beside a server using that key file).
pub async fn admin_backend(database_url: &str, dir: &std::path::Path) -> Backend {
    let config = Config {
        sealer: KeyConfig::in_dir(dir).sealer().unwrap(),
        ..Config::default()
    };
    Backend::connect(database_url, config).await.unwrap()
}

/// A user with the test password, `<username>@example.com` and a display name.
pub async fn create_user(backend: &Backend, username: &str, role: Role) -> i64 {
    let input = UserInput {
        username: username.into(),
        display_name: format!("{username} test"),
        email: Some(format!("{username}@example.com")),
        role,
        password: PASSWORD.into(),
    };
    backend.create_user(input, Utc::now()).await.unwrap()
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

/// The authorization matrices make hundreds of refused calls and tokens from one address
/// and one admin: limits and quotas out of their way (both are tested on their own).
pub async fn start_unlimited() -> TestServer {
    start_with(|config| {
        let unlimited = keyward_backend::throttle::Rate::new(1_000_000, 1);
        config.limits = keyward_backend::throttle::Limits {
            sign_in_pair: unlimited,
            sign_in_account: unlimited,
            sign_in_ip: unlimited,
            bearer_ip: unlimited,
            report_ip: unlimited,
        };
        config.quotas = keyward_backend::quota::Quotas {
            api_tokens: i64::MAX,
            service_tokens: i64::MAX,
            emails: i64::MAX,
            principals: i64::MAX,
        };
    })
    .await
}

pub async fn start_with(adjust: impl FnOnce(&mut ServeConfig)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::for_this_run(dir.path()).await;
    let database_url = db.url.clone();
    let mut config = ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.clone(),
        site_root: dir.path().join("site").display().to_string(),
        login_jwt_minutes: 15,
        keys: KeyConfig::in_dir(dir.path()),
        limits: Default::default(),
        quotas: Default::default(),
        audit_retention_days: 365,
        trusted_proxies: Vec::new(),
        count_usage: true,
        usage_flush_seconds: 10,
        expiry_notice_seconds: 60,
    };
    adjust(&mut config);
    let server = Server::bind(&config).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let setup_code = server.setup_code.as_ref().map(|s| s.expose().to_string());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    // A second handle on the same database, key, limits and quotas, as `keyward admin`
    // would open it.
    let services = Config {
        sealer: config.keys.sealer().unwrap(),
        limits: config.limits.clone(),
        quotas: config.quotas,
        ..Config::default()
    };
    let backend = Backend::connect(&database_url, services).await.unwrap();
    TestServer {
        base,
        database_url,
        backend,
        setup_code,
        _stop: stop,
        _dir: dir,
        db,
    }
}

impl TestServer {
    pub async fn user(&self, username: &str, role: Role) -> i64 {
        create_user(&self.backend, username, role).await
    }

    /// Mints like `keyward admin mint-token`: any expiry, even a past one.
    pub async fn token(&self, user_id: i64, expires_in: TimeDelta) -> String {
        self.token_at(user_id, Utc::now() + expires_in).await
    }

    pub async fn token_at(&self, user_id: i64, expires_at: DateTime<Utc>) -> String {
        self.backend
            .mint_api_token_at(
                user_id,
                "test",
                expires_at,
                &Default::default(),
                Utc::now(),
                &mut rand_core::OsRng,
            )
            .await
            .unwrap()
            .secret
            .expose()
            .to_string()
    }
}

/// A keyward server reached over HTTP (in this process or as its own): the calls a browser
/// or a script makes.
pub trait Site {
    fn base(&self) -> &str;

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// `GET /api/v1/whoami` with `Authorization: <header>`; status, headers and body.
    async fn whoami_raw(&self, header: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = reqwest::Client::new().get(self.url("/api/v1/whoami"));
        if let Some(h) = header {
            req = req.header(AUTHORIZATION, h);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    async fn whoami(&self, token: &str) -> (u16, Value) {
        let (status, _, body) = self.whoami_raw(Some(&format!("Bearer {token}"))).await;
        (status, body)
    }

    /// Calls the server function `/rpc/<f>` as the page does (a form-encoded POST).
    async fn rpc(
        &self,
        client: &reqwest::Client,
        f: &str,
        form: &(impl serde::Serialize + ?Sized),
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let res = client
            .post(self.url(&format!("/rpc/{f}")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, answer(res).await.unwrap_or(Value::Null))
    }

    /// A login JWT from `POST /api/v1/login`.
    async fn login_jwt(&self, username: &str) -> String {
        let body: Value = reqwest::Client::new()
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["token"].as_str().expect("a login JWT").to_string()
    }

    /// A browser: it keeps cookies, does not follow redirects and, as browsers do, sends
    /// `Origin` with every call (without it, cookie calls are refused as cross-site).
    fn browser(&self) -> reqwest::Client {
        let mut origin = reqwest::header::HeaderMap::new();
        origin.insert(
            reqwest::header::ORIGIN,
            self.base().parse().expect("the base URL is a header value"),
        );
        reqwest::Client::builder()
            .default_headers(origin)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A browser signed in as `username`.
    async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = self.browser();
        let res = client
            .post(self.url("/rpc/login"))
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{}",
            res.status()
        );
        client
    }
}

impl Site for TestServer {
    fn base(&self) -> &str {
        &self.base
    }
}

/// The `error.code` of an API error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// `keyward serve` as its own process (the real binary, as an operator runs it) on a free
/// port of 127.0.0.1; killed when dropped. Its stderr (the log) goes to a file.
pub struct ServeProcess {
    pub base: String,
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl ServeProcess {
    pub async fn start(database_url: &str, dir: &std::path::Path) -> ServeProcess {
        ServeProcess::start_with(database_url, dir, &[]).await
    }

    /// With these environment variables set as well.
    pub async fn start_with(
        database_url: &str,
        dir: &std::path::Path,
        env: &[(&str, &str)],
    ) -> ServeProcess {
        // A port the OS says is free; the tiny window before the server binds it is fine
        // on a test machine.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("serve-{port}.log"));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_keyward"))
            .arg("serve")
            .env("KEYWARD_ADDR", format!("127.0.0.1:{port}"))
            .env("KEYWARD_DATABASE_URL", database_url)
            .env("KEYWARD_SITE_ROOT", dir.join("site"))
            .env("KEYWARD_SECRET_KEY_FILE", dir.join("keyward.key"))
            .env_remove("KEYWARD_SECRET_KEY")
            .env_remove("KEYWARD_LOG")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let server = ServeProcess {
            base: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/healthz", server.base))
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("keyward serve did not answer in 10 s:\n{}", server.log());
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Site for ServeProcess {
    fn base(&self) -> &str {
        &self.base
    }
}

impl ServeProcess {
    /// SIGTERM, as an operator or a service manager stops it, and waits for it to exit:
    /// it stops taking requests and finishes its shutdown work.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let term = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        self.child.wait().unwrap()
    }

    /// SIGKILL, as a crash or the OOM killer would end it: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// "deploy": a read-only service token on a new project "falcon" for a new principal
/// `principal`, minted by `manager` (made a manager here), living `days` days.
pub async fn deploy_token(
    s: &TestServer,
    manager: &str,
    principal: &str,
    days: u32,
    allowed_ips: keyward_core::allowlist::Allowlist,
) -> keyward_backend::service_tokens::MintedServiceToken {
    use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
    s.user(manager, Role::Manager).await;
    let creator = s.backend.user_named(manager).await.unwrap();
    let project = (s.backend.create_project("falcon", None, Utc::now()).await).unwrap();
    let request = ServiceTokenRequest {
        principal: PrincipalChoice::New {
            name: principal.into(),
            description: String::new(),
        },
        name: "deploy".into(),
        scope: keyward_core::Scope::Project {
            project_id: project,
            org_id: None,
            permissions: keyward_core::Permissions::READ,
        },
        lifetime: Lifetime::Days(days),
        allowed_ips,
    };
    let mut rng = rand_core::OsRng;
    let minted = s
        .backend
        .mint_service_token(&creator, &request, Utc::now(), &mut rng);
    minted.await.unwrap()
}

/// A server function's answer as the JSON serde would write for it, for assertions. The page's
/// functions answer in postcard (`app::rpc::Wire`), which names no fields, so the answer is
/// read with its function's own output type, or as `AppError` when it is a refusal. `Null`
/// for a redirect or an answer not in that format (a guard's plain-text 403); `Err` only when
/// the body was cut off. An answer in that format that does not read back as its type fails
/// the test.
pub async fn answer(res: reqwest::Response) -> Result<Value, String> {
    let path = res.url().path().to_string();
    let (status, redirect) = (res.status(), res.status().is_redirection());
    let refused = status.is_client_error() || status.is_server_error();
    let postcard = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|t| t == "application/x-postcard");
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    if !postcard || redirect {
        return Ok(Value::Null);
    }
    let read = if refused {
        wire::<app::error::AppError>
    } else {
        reader(&path).unwrap_or_else(|| panic!("support::reader: add {path} to the table"))
    };
    Ok(read(&bytes).unwrap_or_else(|e| panic!("{path}: the answer does not read back: {e}")))
}

/// `T` from exactly `bytes`, as JSON.
fn wire<T: serde::de::DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> Result<Value, String> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the answer", rest.len()));
    }
    Ok(serde_json::to_value(value).unwrap())
}

type Reader = fn(&[u8]) -> Result<Value, String>;

/// The reader of every server function's answer, by its path (`every_server_function_has_a_reader`
/// checks that none is missing).
pub fn reader(path: &str) -> Option<Reader> {
    use app::rpc::*;
    use leptos::server_fn::ServerFn;
    macro_rules! by_path {
        ($($f:ty),* $(,)?) => {
            $(if path == <$f as ServerFn>::PATH {
                return Some(wire::<<$f as ServerFn>::Output>);
            })*
        };
    }
    by_path![
        GetMe,
        Login,
        Logout,
        SetupCodeUsable,
        CompleteSetup,
        ListApiTokens,
        CreateApiToken,
        EditApiTokenExpiry,
        RevokeApiToken,
    ];
    by_path![
        account::GetProfile,
        account::UpdatePersonalInfo,
        account::AddEmail,
        account::RemoveEmail,
        account::MakePrimaryEmail,
        account::RemoveAvatar,
        account::BeginMfa,
        account::EnableMfa,
        account::DisableMfa,
    ];
    by_path![
        admin::AdminUsers,
        admin::AdminSettings,
        admin::AdminSaveSettings,
        admin::AdminOrganizations,
        admin::AdminTeams,
        admin::AdminProjects,
        admin::AdminOplogs,
        admin::AdminSuspendedTokens,
        admin::AdminSessions,
        admin::AdminEndSession,
        admin::AdminEndUserSessions,
        admin::AdminCleanupSessions,
        admin::AdminCreateUser,
        admin::AdminSetRole,
        admin::AdminSetActive,
        admin::AdminCreateOrg,
        admin::AdminCreateTeam,
        admin::AdminAddMember,
        admin::AdminRemoveMember,
        admin::AdminCreateProject,
        admin::AdminGrant,
        admin::AdminRevokeGrant,
        admin::AdminCreateOplog,
        admin::AdminRevokeServiceToken,
        admin::AdminTransferServiceToken,
    ];
    by_path![
        allowlist::SetAllowedIps,
        audit::AuditLog,
        rotation::RotateToken,
        usage::TokenUsage,
        projects::MyProjects,
        projects::GetProject,
        projects::AddOplogEntry,
        projects::SetProjectConfig,
        projects::SetProjectSecret,
        projects::DeleteProjectSecret,
        projects::ProjectServiceTokens,
        projects::RevokeProjectServiceToken,
        service_tokens::ListServiceTokens,
        service_tokens::CreateServiceToken,
        service_tokens::RevokeServiceToken,
        sessions::MySessions,
        sessions::EndMySession,
        sessions::ChangePassword,
        sessions::ConfirmAccess,
    ];
    None
}

/// `html` followed by what its hydration scripts carry: the resources the page hydrates are
/// postcard, base64'd into `__RESOLVED_RESOURCES` (`app::resource::Wire`), where a text search
/// for a leaked value would not see it. Strings stay plain UTF-8 in postcard, so decoding each
/// base64 literal is enough.
pub fn with_resources(html: &str) -> String {
    use base64::Engine;
    let mut text = html.to_string();
    let literals = html.split('"').skip(1).step_by(2);
    for literal in literals {
        let base64ish = literal
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if literal.len() < 8 || !base64ish {
            continue;
        }
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(literal) {
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text
}
