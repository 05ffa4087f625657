//! `kw` against the real server: `keyward serve` and `keyward admin` as their own processes
//! (as an operator runs them), `kw` as a process (as a CI job runs it), on SQLite and on
//! PostgreSQL. Every byte `kw` prints, and the server's log, are searched for the tokens.

#[path = "../../../cli/tests/support/mod.rs"]
mod process;

use std::path::PathBuf;

use keyward_core::api::{Project, SecretValue};
use process::{Kw, mode};
use serde_json::Value;

use crate::admin_cli::{keyward_with_key, stderr, stdout};
use crate::support::{PASSWORD, ServeProcess, Site, TestDatabase, code};

/// `kw` beside `keyward`: `cargo test` builds it with the workspace (`make test-rust`
/// names keyward-cli). Refused when older than the sources it is built from, so a test run
/// that rebuilt only the server does not test last week's client.
fn kw_binary() -> PathBuf {
    let kw = std::path::Path::new(env!("CARGO_BIN_EXE_keyward")).with_file_name("kw");
    let built = std::fs::metadata(&kw).and_then(|m| m.modified());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let newest = ["cli/src", "cli/Cargo.toml", "core/src", "core/Cargo.toml"]
        .iter()
        .filter_map(|p| newest_change(&root.join(p)))
        .max();
    if let (Ok(built), Some(newest)) = (built, newest) {
        assert!(
            built >= newest,
            "{} is older than the cli/ and core/ sources: cargo build --release -p keyward-cli",
            kw.display()
        );
    }
    kw
}

/// The latest modification time of a file, or of anything under a directory.
fn newest_change(path: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| newest_change(&e.ok()?.path()))
        .max()
}

struct World {
    server: ServeProcess,
    db: TestDatabase,
    dir: tempfile::TempDir,
    kw: Kw,
}

impl World {
    async fn start() -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::for_this_run(dir.path()).await;
        let server = ServeProcess::start(&db.url, dir.path()).await;
        World {
            server,
            db,
            dir,
            kw: Kw::new(kw_binary()),
        }
    }

    /// `keyward admin <args>` with the server's database and key; its stdout.
    fn admin(&self, args: &[&str]) -> String {
        let key = self.dir.path().join("keyward.key");
        let o = keyward_with_key(&self.db.url, &key, &[&["admin"], args].concat(), PASSWORD);
        assert!(o.status.success(), "keyward admin {args:?}: {}", stderr(&o));
        stdout(&o)
    }

    fn user(&self, username: &str, role: &str) {
        self.admin(&[
            "create-user",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
        ]);
    }

    fn token(&self, username: &str, expiry: &[&str]) -> String {
        self.admin(
            &[
                &["mint-token", "--username", username, "--name", "kw test"],
                expiry,
            ]
            .concat(),
        )
    }

    fn base(&self) -> &str {
        &self.server.base
    }

    /// Neither `kw` nor the server ever showed any of `tokens` whole.
    fn assert_tokens_kept(&self, tokens: &[&str]) {
        self.kw.assert_never_printed(tokens);
        let log = self.server.log();
        assert!(log.contains("/api/v1/whoami"), "the log holds the requests");
        for token in tokens {
            assert!(!log.contains(token), "the server logged {}…", &token[..12]);
        }
    }
}

#[tokio::test]
async fn a_ci_job_logs_in_from_stdin_and_uses_every_resource_command() {
    let w = World::start().await;
    w.user("ci-bot", "user");
    let web = w.admin(&["create-project", "--name", "web"]);
    let other = w.admin(&["create-project", "--name", "other"]);
    w.admin(&[
        "grant",
        "--project",
        &web,
        "--username",
        "ci-bot",
        "--can-change-configs",
        "--can-change-secrets",
        "--can-delete-project",
    ]);
    let ops = w.admin(&["create-oplog", "--project", &web, "--name", "ops"]);
    let token = w.token("ci-bot", &["--expires-in-days", "30"]);
    let auth_file = w.kw.home.path().join("workspace-auth");
    let auth = auth_file.to_str().unwrap();
    let env = [("KEYWARD_AUTH_FILE", auth)];
    let kw = |args: &[&str]| w.kw.run_with(args, "", &env);
    let kw_in = |args: &[&str], stdin: &str| w.kw.run_with(args, stdin, &env);

    // echo "$TOKEN" | kw login --token - --url ...
    let login = kw_in(
        &["login", "--token", "-", "--url", w.base()],
        &format!("{token}\n"),
    );
    let said = login.ok();
    assert!(
        said.contains(&format!(
            "Logged in to {} as ci-bot (role user) with API token {}…",
            w.base(),
            &token[..12]
        )),
        "{said}"
    );
    assert_eq!(mode(&auth_file), 0o600);
    assert!(
        !w.kw.rc().exists(),
        "KEYWARD_AUTH_FILE replaces ~/.keywardrc"
    );

    // status: the URL was remembered.
    let status = kw(&["status"]);
    let text = status.ok();
    for words in [
        format!("Server:       {}", w.base()),
        "Identity:     ci-bot (role user)".into(),
        format!("Credential:   API token {}… (from {auth})", &token[..12]),
        "Permissions:  the user's own project grants".into(),
        "Expires:      20".into(),
        "Allowed IPs:  any address".into(),
        // login's whoami and this one at least, all from this machine.
        "requests in the last 30 days".into(),
        "Last from 127.0.0.1 at ".into(),
    ] {
        assert!(text.contains(&words), "{words:?} not in:\n{text}");
    }
    let status: Value = serde_json::from_str(kw(&["status", "--json"]).ok()).unwrap();
    assert_eq!(status["server"], w.base());
    assert_eq!(status["user"]["username"], "ci-bot");
    assert_eq!(status["credential"]["kind"], "api_token");
    assert_eq!(status["credential"]["display_prefix"], &token[..12]);
    assert_eq!(status["expiry_status"], "active");
    assert_eq!(status["warning"], Value::Null);

    // projects: only the granted one, by id or by name.
    let list = kw(&["projects", "list"]);
    let table = list.ok();
    assert!(
        table.starts_with("ID  NAME  ORGANIZATION  PERMISSIONS\n"),
        "{table}"
    );
    assert!(table.contains(&format!("{web:<2}  web   -             can_read, can_change_configs, can_change_secrets, can_delete_project")), "{table}");
    assert!(!table.contains("other"));
    let projects: Vec<Project> =
        serde_json::from_str(kw(&["projects", "list", "--json"]).ok()).unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].id.to_string(), web);
    assert!(
        kw(&["projects", "show", "web"])
            .ok()
            .contains(&format!("ID:            {web}\nName:          web\n"))
    );
    let shown: Project =
        serde_json::from_str(kw(&["projects", "show", &web, "--json"]).ok()).unwrap();
    assert_eq!(shown, projects[0]);
    kw(&["projects", "show", &other]).fails(4, &format!("not found: /api/v1/projects/{other}"));
    kw(&["projects", "show", "nope"]).fails(4, "no project named \"nope\"");

    // config: from stdin, from a file; invalid JSON refused locally with its position.
    kw_in(&["config", "set", "web"], r#"{"replicas": 2}"#).ok();
    let config: Value = serde_json::from_str(kw(&["config", "get", &web]).ok()).unwrap();
    assert_eq!(config, serde_json::json!({"replicas": 2}));
    let file = w.dir.path().join("config.json");
    std::fs::write(&file, r#"{"replicas": 3, "region": "eu"}"#).unwrap();
    let saved = kw(&["config", "set", &web, "--file", file.to_str().unwrap()]);
    assert_eq!(saved.ok(), format!("Saved the config of project {web}.\n"));
    kw_in(&["config", "set", &web], "{\n  \"replicas\": 4,\n}").fails(
        2,
        "standard input: Not valid JSON: trailing comma (line 3, column 1).",
    );
    // Refused here, not by the server (which says the same words without the source).
    kw_in(&["config", "set", &web], "[1]")
        .fails(2, "standard input: The config must be a JSON object.");
    kw(&["config", "set", &web, "--file", "/no/such/file.json"])
        .fails(2, "cannot read /no/such/file.json");
    let config: Value = serde_json::from_str(kw(&["config", "get", "web"]).ok()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({"replicas": 3, "region": "eu"}),
        "refused writes changed nothing"
    );

    // secrets: the value from stdin, shown only in --json.
    let set = kw_in(&["secrets", "set", &web, "DB_PASSWORD"], "hunter2-horse\n");
    assert_eq!(
        set.ok(),
        format!("Set secret DB_PASSWORD of project {web}.\n")
    );
    let table = kw(&["secrets", "list", "web"]);
    assert!(
        table
            .ok()
            .starts_with("NAME         UPDATED\nDB_PASSWORD  20"),
        "{table:#?}"
    );
    assert!(!table.stdout.contains("hunter2"));
    let secrets: Vec<SecretValue> =
        serde_json::from_str(kw(&["secrets", "list", &web, "--json"]).ok()).unwrap();
    assert_eq!(
        (secrets[0].name.as_str(), secrets[0].value.as_str()),
        ("DB_PASSWORD", "hunter2-horse"),
        "one final newline dropped"
    );
    // The server's rule, applied before the value is read.
    kw_in(&["secrets", "set", &web, "no spaces"], "x").fails(2, "the secret name is refused");
    // An unset variable in `printf %s "$X" |` must not blank the secret.
    kw_in(&["secrets", "set", &web, "DB_PASSWORD"], "").fails(2, "--allow-empty");
    let secrets: Vec<SecretValue> =
        serde_json::from_str(kw(&["secrets", "list", &web, "--json"]).ok()).unwrap();
    assert_eq!(
        secrets[0].value, "hunter2-horse",
        "the refused write changed nothing"
    );
    // A secret that is itself a token (another job's) comes back exactly as stored: only
    // the credential kw uses is ever masked on stdout.
    let stored =
        keyward_core::token::generate(keyward_core::TokenKind::ServiceToken, &mut rand_core::OsRng);
    let stored = stored.expose().to_string();
    kw_in(&["secrets", "set", &web, "DB_PASSWORD"], &stored).ok();
    let secrets: Vec<SecretValue> =
        serde_json::from_str(kw(&["secrets", "list", &web, "--json"]).ok()).unwrap();
    assert_eq!(secrets[0].value, stored);
    kw(&["secrets", "delete", &web, "DB_PASSWORD"]).ok();
    let empty = kw(&["secrets", "list", &web]);
    assert_eq!(
        (empty.ok(), empty.stderr.trim()),
        ("", &*format!("Project {web} has no secrets."))
    );

    // operation logs and entries.
    assert!(
        kw(&["oplog", "list"])
            .ok()
            .contains(&format!("{ops:<2}  {web:<7}  ops"))
    );
    let added = kw(&[
        "oplog",
        "add",
        &ops,
        "--command",
        "nmap -sV 10.0.0.0/24",
        "--description",
        "Service scan",
        "--tool",
        "nmap",
        "--operator",
        "ci",
        "--start",
        "2026-12-03T10:00:00Z",
    ]);
    let entry = added
        .ok()
        .trim()
        .strip_prefix("Added entry ")
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .to_string();
    let entries = kw(&["oplog", "entries", &ops]);
    assert!(
        entries.ok().contains("2026-12-03 10:00 UTC  ci"),
        "{}",
        entries.stdout
    );
    assert!(
        entries
            .stdout
            .contains("nmap  nmap -sV 10.0.0.0/24  Service scan"),
        "{}",
        entries.stdout
    );
    kw(&["oplog", "edit", &ops, &entry, "--output", "3 hosts up"]).ok();
    kw(&["oplog", "edit", &ops, &entry]).fails(2, "nothing to change");
    let entries: Value =
        serde_json::from_str(kw(&["oplog", "entries", &ops, "--json"]).ok()).unwrap();
    assert_eq!(entries[0]["output"], "3 hosts up");
    assert_eq!(
        entries[0]["command"], "nmap -sV 10.0.0.0/24",
        "the other fields stay"
    );
    kw(&["oplog", "delete", &ops, &entry]).ok();
    assert_eq!(kw(&["oplog", "entries", &ops]).ok(), "");
    kw(&["oplog", "entries", "999999"]).fails(4, "not found");

    // Deleting a project takes --yes when nobody is at a terminal.
    kw(&["projects", "delete", "web"]).fails(2, "without --yes");
    assert_eq!(
        kw(&["projects", "show", &web, "--json"]).code,
        0,
        "still there"
    );
    assert_eq!(
        kw(&["projects", "delete", "web", "--yes"]).ok(),
        format!("Deleted project {web}.\n")
    );
    kw(&["projects", "show", &web]).fails(4, "not found");

    // logout --revoke: the token stops working everywhere, and the file is gone.
    let out = kw(&["logout", "--revoke"]);
    assert!(out.ok().contains(&format!("Revoked {}…", &token[..12])));
    assert!(!auth_file.exists());
    let (status, body) = w.server.whoami(&token).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
    kw(&["status"]).fails(3, "not logged in");
    w.assert_tokens_kept(&[&token]);
}

#[tokio::test]
async fn the_home_file_is_private_remembers_the_url_and_refuses_open_permissions() {
    let w = World::start().await;
    w.user("dev", "manager");
    let token = w.token("dev", &["--expires-in-days", "10"]);
    // --token on the command line works too (the help prefers stdin).
    w.kw.run(&["login", "--token", &token, "--url", w.base()])
        .ok();
    let rc = w.kw.rc();
    assert_eq!(mode(&rc), 0o600);
    let saved = std::fs::read_to_string(&rc).unwrap();
    let saved_json: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved_json["url"], w.base());
    let status = w.kw.run(&["status"]);
    assert!(
        status
            .ok()
            .contains("Permissions:  every permission on every project"),
        "{status:#?}"
    );

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o644)).unwrap();
    w.kw.run(&["status"]).fails(2, "permissions 0644");
    let other = w.token("dev", &["--expires-in-days", "5"]);
    w.kw.run_with(&["login", "--token", "-"], &other, &[])
        .fails(2, "too open");
    assert_eq!(
        std::fs::read_to_string(&rc).unwrap(),
        saved,
        "the refused login wrote nothing"
    );
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A second login replaces the file atomically, still private.
    w.kw.run_with(&["login", "--token", "-"], &other, &[]).ok();
    assert_eq!(mode(&rc), 0o600);
    assert!(w.kw.run(&["status"]).ok().contains(&other[..12]));

    // A number that is also another project's name is not guessed at.
    let alpha = w.admin(&["create-project", "--name", "alpha"]);
    let named = w.admin(&["create-project", "--name", &alpha]);
    w.kw.run(&["projects", "delete", &alpha, "--yes"]).fails(
        2,
        &format!("\"{alpha}\" is both a project id and the name of project {named}"),
    );
    assert!(
        w.kw.run(&["projects", "show", "alpha"])
            .ok()
            .contains(&format!("ID:            {alpha}\n"))
    );

    // KW_TOKEN is a source for login too; a login for another server (here the same one
    // by another name) says which login it replaces.
    let third = w.token("dev", &["--expires-in-days", "5"]);
    let localhost = w.base().replace("127.0.0.1", "localhost");
    let replaced =
        w.kw.run_with(&["login", "--url", &localhost], "", &[("KW_TOKEN", &third)]);
    replaced.ok();
    assert!(
        replaced
            .stderr
            .contains(&format!("replacing the saved login for {}", w.base())),
        "{replaced:#?}"
    );
    assert!(std::fs::read_to_string(&rc).unwrap().contains(&third));
    w.assert_tokens_kept(&[&token, &other, &third]);
}

#[tokio::test]
async fn kw_token_overrides_the_file_for_one_command() {
    let w = World::start().await;
    w.user("ann", "user");
    w.user("bob", "user");
    let ann = w.token("ann", &["--expires-in-days", "30"]);
    let bob = w.token("bob", &["--expires-in-days", "30"]);
    w.kw.run_with(&["login", "--token", "-", "--url", w.base()], &ann, &[])
        .ok();

    // The variable's token goes to the server named with it, never to the saved one's.
    w.kw.run_with(&["status"], "", &[("KW_TOKEN", &bob)])
        .fails(2, "KW_TOKEN needs its server");
    let bob_env = [("KW_TOKEN", bob.as_str()), ("KW_URL", w.base())];
    let as_bob = w.kw.run_with(&["status"], "", &bob_env);
    assert!(
        as_bob.ok().contains("Identity:     bob (role user)"),
        "{as_bob:#?}"
    );
    assert!(
        as_bob
            .stdout
            .contains(&format!("{}… (from KW_TOKEN)", &bob[..12]))
    );
    // The file is untouched: without the variable, ann again.
    assert!(
        w.kw.run(&["status"])
            .ok()
            .contains("Identity:     ann (role user)")
    );

    // Revoking the variable's token leaves the file (another token) in place.
    let out = w.kw.run_with(&["logout", "--revoke"], "", &bob_env);
    assert!(out.ok().contains("Revoked"));
    assert!(
        out.stderr.contains("holds another login; left in place"),
        "{out:#?}"
    );
    assert_eq!(w.server.whoami(&bob).await.0, 401);
    assert_eq!(w.server.whoami(&ann).await.0, 200);
    assert!(w.kw.rc().exists());
    w.kw.run_with(&["status"], "", &bob_env)
        .fails(3, "the token has been revoked (token_revoked)");
    w.assert_tokens_kept(&[&ann, &bob]);
}

#[tokio::test]
async fn expired_revoked_and_mistyped_tokens_exit_3_in_words() {
    let w = World::start().await;
    w.user("eve", "user");
    let expired = w.token("eve", &["--expires-at", "2020-01-01T00:00:00Z"]);
    let login = |token: &str| {
        w.kw.run_with(&["login", "--token", "-", "--url", w.base()], token, &[])
    };
    login(&expired).fails(
        3,
        "authentication failed: the token has expired (token_expired)",
    );
    assert!(!w.kw.rc().exists(), "a refused token is not saved");

    let live = w.token("eve", &["--expires-in-days", "30"]);
    login(&live).ok();
    let revoked = reqwest::Client::new()
        .delete(w.server.url("/api/v1/tokens/current"))
        .bearer_auth(&live)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    w.kw.run(&["projects", "list"])
        .fails(3, "the token has been revoked (token_revoked)");
    // A dead token can still be forgotten.
    let out = w.kw.run(&["logout", "--revoke"]);
    assert!(out.stderr.contains("no longer works on"), "{out:#?}");
    assert!(
        out.stderr.contains("(token_revoked); forgetting it"),
        "{out:#?}"
    );
    assert!(!w.kw.rc().exists());

    // A suspended token can come back (an admin may transfer it): logout --revoke must not
    // report success and forget it.
    w.user("sam", "manager");
    let web = w.admin(&["create-project", "--name", "web"]);
    let suspended = w.admin(&[
        "mint-service-token",
        "--created-by",
        "sam",
        "--principal",
        "nightly",
        "--name",
        "backup",
        "--project",
        &web,
    ]);
    login(&suspended).ok();
    w.admin(&["deactivate-user", "--username", "sam"]);
    let kept = w.kw.run(&["logout", "--revoke"]);
    kept.fails(
        3,
        "was NOT revoked, and is kept: authentication failed: the token is suspended",
    );
    // Not "run kw login": that would replace a token that still needs revoking.
    assert!(!kept.stderr.contains("kw login"), "{kept:#?}");
    assert!(w.kw.rc().exists());

    // Well formed, but unknown here (another installation's, say): refused in words, and
    // logout --revoke does not claim it is gone, since it may work on its own server.
    let unknown =
        keyward_core::token::generate(keyward_core::TokenKind::ApiToken, &mut rand_core::OsRng);
    let unknown = unknown.expose().to_string();
    login(&unknown).fails(3, "the token is not valid (invalid_token)");
    let env = [("KW_TOKEN", unknown.as_str()), ("KW_URL", w.base())];
    let out = w.kw.run_with(&["logout", "--revoke"], "", &env);
    out.fails(
        3,
        "was NOT revoked, and is kept: authentication failed: the token is not valid",
    );
    assert!(w.kw.rc().exists(), "the saved login is not touched");

    let mut typo = w.token("eve", &["--expires-in-days", "30"]);
    let swapped = if typo.ends_with('0') { "1" } else { "0" };
    typo.replace_range(40..41, swapped);
    login(&typo).fails(3, "checksum does not match");
    w.assert_tokens_kept(&[&expired, &live, &typo, &suspended, &unknown]);
}

#[tokio::test]
async fn a_service_token_sees_403_and_404_and_warnings_before_expiry() {
    let w = World::start().await;
    w.user("root", "admin");
    let web = w.admin(&["create-project", "--name", "web"]);
    let other = w.admin(&["create-project", "--name", "other"]);
    let ro = w.admin(&[
        "mint-service-token",
        "--created-by",
        "root",
        "--principal",
        "deployer",
        "--name",
        "read only",
        "--project",
        &web,
        "--expires-in-days",
        "3",
    ]);
    w.kw.run_with(&["login", "--token", "-", "--url", w.base()], &ro, &[])
        .ok();

    let status = w.kw.run(&["status"]);
    let text = status.ok();
    assert!(
        text.contains("Identity:     service principal deployer"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Credential:   service token {}…", &ro[..12])),
        "{text}"
    );
    assert!(
        text.contains(&format!("Permissions:  project {web}: can_read\n")),
        "{text}"
    );
    assert!(text.contains("(Expires in 3 days)"), "{text}");
    // The server's warning header, on stderr.
    assert!(
        status
            .stderr
            .contains("kw: warning: This credential expires in 3 days"),
        "{status:#?}"
    );
    let json: Value = serde_json::from_str(w.kw.run(&["status", "--json"]).ok()).unwrap();
    assert_eq!(json["expiry_status"], "expiring_soon");
    assert!(
        json["warning"]
            .as_str()
            .unwrap()
            .contains("expires in 3 days")
    );
    let list = w.kw.run(&["projects", "list"]);
    assert!(list.ok().contains("web"));
    assert!(
        list.stderr
            .contains("kw: warning: This credential expires in 3 days")
    );
    // Two requests (the name is looked up first), one warning.
    let show = w.kw.run(&["projects", "show", "web"]);
    show.ok();
    assert_eq!(show.stderr.matches("kw: warning:").count(), 1, "{show:#?}");

    // Visible without the flag: 403, with the server's words; nothing changed.
    w.kw.run_with(&["config", "set", &web], r#"{"a": 1}"#, &[])
        .fails(
            4,
            "permission denied (forbidden): Your grant does not allow this.",
        );
    w.kw.run_with(&["secrets", "set", &web, "KEY"], "value", &[])
        .fails(4, "permission denied");
    w.kw.run(&["projects", "delete", &web, "--yes"])
        .fails(4, "permission denied");
    let config: Value = serde_json::from_str(w.kw.run(&["config", "get", &web]).ok()).unwrap();
    assert_eq!(config, serde_json::json!({}));
    // Outside the grant, or missing: 404.
    w.kw.run(&["config", "get", &other]).fails(4, "not found");
    w.kw.run(&["projects", "show", "999999"])
        .fails(4, "not found: /api/v1/projects/999999");
    w.assert_tokens_kept(&[&ro]);
}

#[tokio::test]
async fn kw_token_rotate_replaces_the_saved_value_and_keeps_the_old_for_its_grace() {
    let w = World::start().await;
    w.user("ann", "user");
    let old = w.token("ann", &["--expires-in-days", "30"]);
    w.kw.run_with(&["login", "--token", "-", "--url", w.base()], &old, &[])
        .ok();

    let out = w.kw.run(&["token", "rotate", "--grace", "1h"]);
    let text = out.ok();
    assert!(
        text.starts_with(&format!("Rotated: {}… was replaced by kwat_", &old[..12])),
        "{text}"
    );
    assert!(text.contains("The old value works until 20"), "{text}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(w.kw.rc()).unwrap()).unwrap();
    let new = saved["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(saved["url"], w.base());
    assert_eq!(mode(&w.kw.rc()), 0o600, "rewritten private");
    // The saved value is the new one; the old one works for its hour, and says so.
    w.kw.run(&["status"]).ok();
    let (status, headers, _) = w.server.whoami_raw(Some(&format!("Bearer {old}"))).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("keyward-token-replaced").unwrap(), "true");

    // Above the server's maximum: refused by the server, naming the field; nothing changes.
    w.kw.run(&["token", "rotate", "--grace", "2d"])
        .fails(2, "field `grace_minutes`");
    let typo = w.kw.run(&["token", "rotate", "--grace", "soon"]);
    assert_eq!(typo.code, 2, "{typo:#?}");
    assert!(
        typo.stderr
            .contains("expected minutes, or a number with m, h or d")
    );
    // A file it could not write is found before the server is asked for a new value.
    set_mode(&w.kw.rc(), 0o644);
    w.kw.run(&["token", "rotate"]).fails(2, "too open");
    set_mode(&w.kw.rc(), 0o600);
    let (_, headers, _) = w.server.whoami_raw(Some(&format!("Bearer {new}"))).await;
    assert!(
        headers.get("keyward-token-replaced").is_none(),
        "not rotated"
    );
    let again: Value = serde_json::from_str(&std::fs::read_to_string(w.kw.rc()).unwrap()).unwrap();
    assert_eq!(again["token"], new.as_str());
    assert_eq!(w.server.whoami(&new).await.0, 200);

    // KW_TOKEN: no file to update, so the new value alone goes to stdout.
    let env = [("KW_TOKEN", new.as_str()), ("KW_URL", w.base())];
    let out = w.kw.run_with(&["token", "rotate"], "", &env);
    let printed = out.ok().trim().to_string();
    assert!(keyward_core::token::parse(&printed).is_ok(), "{out:#?}");
    assert_eq!(w.server.whoami(&printed).await.0, 200);
    let (status, body) = w.server.whoami(&new).await;
    assert_eq!(
        (status, code(&body)),
        (401, "token_rotated"),
        "no grace asked"
    );
    w.kw.run(&["status"]).fails(
        3,
        "the token value was replaced by a rotation (token_rotated)",
    );
    w.assert_tokens_kept(&[&old, &new]);
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
