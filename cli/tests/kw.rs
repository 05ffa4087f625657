//! `kw` as a process, where no server is needed: help, completions, usage errors, the
//! offline token check (nothing is sent for a mistyped token), the credentials file's
//! permissions, and unreachable or silent servers. The server's integration tests
//! (`server/tests/it/kw.rs`) cover every command against a real server.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

use keyward_core::TokenKind;
use keyward_core::token::generate;
use support::{Kw, mode};

fn kw() -> Kw {
    Kw::new(env!("CARGO_BIN_EXE_kw"))
}

fn token(kind: TokenKind) -> String {
    generate(kind, &mut rand_core::OsRng).expose().to_string()
}

/// A listener nothing answers on; `connections()` counts who knocked.
struct Silent(TcpListener);

impl Silent {
    fn new() -> Silent {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Silent(l)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    fn connections(&self) -> usize {
        let mut n = 0;
        loop {
            match self.0.accept() {
                Ok(_) => n += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return n,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

#[test]
fn help_explains_every_command_with_an_example() {
    let kw = kw();
    let help = kw.run(&["--help"]);
    let text = help.ok();
    for words in [
        "login",
        "status",
        "logout",
        "projects",
        "config",
        "secrets",
        "oplog",
        "completions",
        "Examples:",
        "Exit codes: 0 ok, 2 usage",
    ] {
        assert!(text.contains(words), "kw --help lacks {words:?}:\n{text}");
    }
    for path in [
        "login",
        "status",
        "logout",
        "projects list",
        "projects show",
        "projects delete",
        "config get",
        "config set",
        "secrets list",
        "secrets set",
        "secrets delete",
        "oplog list",
        "oplog entries",
        "oplog add",
        "oplog edit",
        "oplog delete",
        "completions",
    ] {
        let mut args: Vec<&str> = path.split(' ').collect();
        args.push("--help");
        let run = kw.run(&args);
        assert!(
            run.ok().contains("Examples:\n  "),
            "kw {path} --help:\n{}",
            run.stdout
        );
    }
    // No command: the help, as a usage error.
    let run = kw.run(&[]);
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("Usage: kw"), "{run:#?}");
    assert!(kw.run(&["--version"]).ok().starts_with("kw "));
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let kw = kw();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef kw"),
        ("fish", "complete -c kw"),
    ] {
        let run = kw.run(&["completions", shell]);
        assert!(run.ok().contains(marker), "{shell}: {}", run.stdout);
        assert!(
            run.stdout.contains("secrets"),
            "{shell} completes the subcommands"
        );
    }
    kw.run(&["completions", "tcsh"])
        .misused("invalid value '…' (not repeated: it may be secret) for '<SHELL>'");
}

#[test]
fn usage_errors_exit_2() {
    let kw = kw();
    // No word typed is repeated (whatever its error: it may be a secret in the wrong place);
    // the error says which argument it was.
    for (args, words) in [
        (
            &["projects", "frobnicate"][..],
            "unrecognized subcommand '…'",
        ),
        (
            &["oplog", "entries", "five"],
            "invalid value '…' (not repeated: it may be secret) for '<OPLOG>'",
        ),
        (
            &["status", "--timeout", "s3cret-word"],
            "for '--timeout <SECONDS>'",
        ),
    ] {
        let run = kw.run(args);
        run.misused(words);
        assert!(!run.stderr.contains(args[args.len() - 1]), "{run:#?}");
    }
    // A secret's value never comes from the command line (ps and shell history show it).
    // ... and a word put where none belongs is not repeated: it may be that value.
    let run = kw.run(&["secrets", "set", "3", "API_KEY", "the-value"]);
    run.misused("unexpected argument '…' (not repeated: it may be secret)");
    assert!(!run.stderr.contains("the-value"), "{run:#?}");
    let stray = token(TokenKind::ApiToken);
    kw.run(&["login", &stray]).misused("unexpected argument");
    kw.run(&["status", "--timeout", &stray])
        .misused("invalid value");
    kw.assert_never_printed(&[&stray]);
    kw.run(&["status", "--timeout", "0"]).misused("--timeout");
    // Nor a value written into its flag, or given to a flag kw does not have.
    for args in [
        &["status", "--timeout=s3cret-word"][..],
        &["status", "--tokn=s3cret-word"],
        &["secrets", "set", "3", "KEY", "--", "-s3cret-word"],
    ] {
        let run = kw.run(args);
        assert_eq!(run.code, 2, "{run:#?}");
        assert!(!run.stderr.contains("s3cret"), "{run:#?}");
    }
    kw.run(&[
        "login",
        "--url",
        "keyward.example.com",
        "--token",
        &token(TokenKind::ApiToken),
    ])
    .fails(2, "must start with https://");
    let url = ["--url", "https://keyward.example.com"];
    kw.run_with(&["login", "--token", "-", url[0], url[1]], "", &[])
        .fails(2, "no token: standard input is empty");
    // Without a terminal, login must be told where the token is.
    kw.run(&["login", url[0], url[1]]).fails(2, "no token");
}

#[test]
fn a_mistyped_token_is_refused_before_anything_is_sent() {
    let kw = kw();
    let server = Silent::new();
    let good = token(TokenKind::ApiToken);
    let mut typo = good.clone();
    let last = if typo.ends_with('A') { "B" } else { "A" };
    typo.replace_range(40..41, last);
    let cases = [
        (typo.as_str(), "checksum does not match"),
        (&good[..40], "wrong length"),
        ("ghp_0123456789abcdefghijABCDEFGHIJ123456", "unknown prefix"),
        ("correct horse battery staple", "unknown prefix"),
    ];
    for (token, words) in cases {
        let stderr = kw
            .run_with(
                &["login", "--token", "-", "--url", &server.url()],
                &format!("{token}\n"),
                &[],
            )
            .fails(3, words)
            .to_string();
        // The refusal does not repeat what was typed (it may be a password pasted by mistake).
        assert!(!stderr.contains(token), "{stderr}");
        kw.run_with(
            &["status", "--url", &server.url()],
            "",
            &[("KW_TOKEN", token)],
        )
        .fails(3, words);
    }
    assert_eq!(
        server.connections(),
        0,
        "a mistyped token reached the network"
    );
    assert!(!kw.rc().exists());
}

#[test]
fn without_credentials_commands_say_how_to_log_in() {
    let kw = kw();
    let server = Silent::new();
    let url = server.url();
    for args in [
        &["status"][..],
        &["projects", "list"],
        &["logout", "--revoke"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--url", &url]);
        kw.run(&args).fails(3, "not logged in: run `kw login");
    }
    // Logging out when logged out is not an error (a CI cleanup step may run twice).
    let run = kw.run(&["logout"]);
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stderr.contains("not logged in"));
    assert_eq!(server.connections(), 0);
}

#[test]
fn an_open_credentials_file_is_refused_like_an_ssh_key() {
    let kw = kw();
    let server = Silent::new();
    let token = token(TokenKind::ServiceToken);
    let rc = kw.rc();
    let saved = format!(
        "{{\"url\": \"{}\", \"token\": \"{token}\"}}\n",
        server.url()
    );
    std::fs::write(&rc, &saved).unwrap();
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o644)).unwrap();
    let words = format!("permissions 0644 for {} are too open", rc.display());
    kw.run(&["status"]).fails(2, &words);
    kw.run(&["projects", "list"]).fails(2, "chmod 600");
    let other = self::token(TokenKind::ApiToken);
    kw.run_with(&["login", "--token", "-"], &other, &[])
        .fails(2, &words);
    kw.run(&["logout"]).fails(2, &words);
    // Refused before anything was sent, and the file is as it was.
    assert_eq!(server.connections(), 0);
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), saved);
    assert_eq!(mode(&rc), 0o644);
    kw.assert_never_printed(&[&token, &other]);
}

#[test]
fn logout_removes_a_kw_credentials_file_only() {
    let kw = kw();
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("notes.txt");
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
    writeln!(options.open(&precious).unwrap(), "not a login").unwrap();
    let env = [("KEYWARD_AUTH_FILE", precious.to_str().unwrap())];
    for args in [&["logout"][..], &["logout", "--revoke"]] {
        kw.run_with(args, "", &env)
            .fails(2, "is not a kw credentials file");
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "not a login\n");
    }
}

#[test]
fn unreachable_and_silent_servers_exit_5_naming_the_server() {
    let kw = kw();
    let token = token(TokenKind::ApiToken);
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let run = kw.run_with(&["login", "--token", "-", "--url", &closed], &token, &[]);
    run.fails(5, &format!("cannot reach {closed}: "));
    assert!(
        run.stderr.to_lowercase().contains("connection refused"),
        "{run:#?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");

    // Accepts the connection (the kernel does) and never answers.
    let silent = Silent::new();
    let run = kw.run_with(
        &["projects", "list", "--url", &silent.url(), "--timeout", "1"],
        "",
        &[("KW_TOKEN", &token)],
    );
    run.fails(5, &format!("{} did not answer within 1 s", silent.url()));
    assert!(!kw.rc().exists());
    kw.assert_never_printed(&[&token]);
}

/// A server that gives every request the same answer, and keeps what it was asked.
struct Responder {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Responder {
    /// Answers at most `count` requests (the test knows how many kw makes).
    fn new(response: String, count: usize) -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let mut stream = stream.unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Responder { url, requests }
    }

    fn json(status: &str, body: &str) -> Responder {
        Responder::new(
            format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ),
            1,
        )
    }
}

#[test]
fn redirects_are_not_followed_with_the_token() {
    let kw = kw();
    let elsewhere = Silent::new();
    let redirect = Responder::new(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {}/api/v1/projects\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            elsewhere.url()
        ),
        1,
    );
    let token = token(TokenKind::ApiToken);
    let run = kw.run_with(
        &["projects", "list", "--url", &redirect.url],
        "",
        &[("KW_TOKEN", &token)],
    );
    run.fails(
        5,
        &format!(
            "{} redirects to {}/api/v1/projects",
            redirect.url,
            elsewhere.url()
        ),
    );
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    let asked = redirect.requests.lock().unwrap().clone();
    assert!(asked[0].starts_with("GET /api/v1/projects "), "{asked:?}");
    assert!(
        asked[0].contains(&format!("authorization: Bearer {token}")),
        "{asked:?}"
    );
}

#[test]
fn a_token_echoed_by_the_server_is_masked() {
    let kw = kw();
    let token = token(TokenKind::ServiceToken);
    for status in [
        "500 Internal Server Error",
        "401 Unauthorized",
        "422 Unprocessable Entity",
    ] {
        let echo = Responder::json(
            status,
            &format!(r#"{{"error": {{"code": "x", "message": "bad token {token}\u001b[2J"}}}}"#),
        );
        // Piped with its newline, as `echo "$TOKEN" |` delivers it.
        let run = kw.run_with(
            &["login", "--token", "-", "--url", &echo.url],
            &format!("{token}\n"),
            &[],
        );
        assert!(
            run.stderr.contains(&format!("bad token {}…", &token[..12])),
            "{run:#?}"
        );
        assert!(!run.stderr.contains('\x1b'), "{run:#?}");
    }
    kw.assert_never_printed(&[&token]);
    assert!(!kw.rc().exists());
}

#[test]
fn a_token_in_what_the_server_answers_is_masked_on_stdout_too() {
    let kw = kw();
    let token = token(TokenKind::ApiToken);
    let whoami = format!(
        r#"{{"user": {{"id": 1, "username": "ann", "display_name": "{token}", "role": "user"}},
            "service_principal": null,
            "credential": {{"kind": "api_token", "display_prefix": "{token}", "expires_at": null}},
            "grants": {{"all_projects": false, "scope": null, "permissions": []}}}}"#
    );
    for json in [false, true] {
        let echo = Responder::json("200 OK", &whoami);
        let mut args = vec!["status", "--url", &echo.url];
        if json {
            args.push("--json");
        }
        let run = kw.run_with(&args, "", &[("KW_TOKEN", &token)]);
        assert!(run.ok().contains(&format!("{}…", &token[..12])), "{run:#?}");
    }
    kw.assert_never_printed(&[&token]);
}

#[test]
fn a_token_goes_only_to_its_own_server_and_never_over_plain_http_elsewhere() {
    let kw = kw();
    let (home, other) = (Silent::new(), Silent::new());
    let token = token(TokenKind::ApiToken);
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
    let mut file = options.open(kw.rc()).unwrap();
    write!(file, r#"{{"url": "{}", "token": "{token}"}}"#, home.url()).unwrap();
    let is_for = format!("is for {}, not {}", home.url(), other.url());
    kw.run(&["status", "--url", &other.url()]).fails(2, &is_for);
    kw.run_with(&["projects", "list"], "", &[("KW_URL", &other.url())])
        .fails(2, &is_for);
    // KW_TOKEN goes to the server named with it, not to the saved login's.
    let variable = self::token(TokenKind::ServiceToken);
    for args in [&["status"][..], &["logout", "--revoke"], &["login"]] {
        kw.run_with(args, "", &[("KW_TOKEN", &variable)])
            .fails(2, "KW_TOKEN needs its server: pass --url");
    }
    // Plain http leaves this machine for nobody, whichever token.
    kw.run_with(
        &["status", "--url", "http://keyward.example.com"],
        "",
        &[("KW_TOKEN", &token)],
    )
    .fails(2, "uses plain http");
    kw.run_with(
        &["login", "--token", "-", "--url", "http://10.1.2.3:3000"],
        &token,
        &[],
    )
    .fails(2, "uses plain http");
    assert_eq!((home.connections(), other.connections()), (0, 0));
    // No server named anywhere: no guess.
    std::fs::remove_file(kw.rc()).unwrap();
    kw.run_with(&["status"], "", &[("KW_TOKEN", &token)])
        .fails(2, "KW_TOKEN needs its server: pass --url");
    kw.run_with(&["login", "--token", "-"], &token, &[])
        .fails(2, "no server");
    kw.assert_never_printed(&[&token, &variable]);
}

#[test]
fn kw_url_and_kw_timeout_come_from_the_environment() {
    let kw = kw();
    let silent = Silent::new();
    let token = token(TokenKind::ApiToken);
    let env = [
        ("KW_TOKEN", token.as_str()),
        ("KW_URL", &silent.url()),
        ("KW_TIMEOUT", "1"),
    ];
    kw.run_with(&["projects", "list"], "", &env)
        .fails(5, &format!("{} did not answer within 1 s", silent.url()));
    assert_eq!(silent.connections(), 1);
}

#[test]
fn no_proxy_sees_a_token_sent_to_this_machine() {
    let kw = kw();
    let (proxy, server) = (Silent::new(), Silent::new());
    let token = token(TokenKind::ApiToken);
    let env = [
        ("KW_TOKEN", token.as_str()),
        ("HTTP_PROXY", &proxy.url()),
        ("http_proxy", &proxy.url()),
        ("ALL_PROXY", &proxy.url()),
        ("all_proxy", &proxy.url()),
    ];
    kw.run_with(
        &["projects", "list", "--url", &server.url(), "--timeout", "1"],
        "",
        &env,
    )
    .fails(5, &format!("{} did not answer", server.url()));
    // Over plain http, a proxy would have read the token.
    assert_eq!((proxy.connections(), server.connections()), (0, 1));
}

#[test]
fn a_secret_name_is_checked_before_its_value_is_read() {
    let kw = kw();
    let server = Silent::new();
    let token = token(TokenKind::ApiToken);
    let env = [("KW_TOKEN", token.as_str()), ("KW_URL", &server.url())];
    // `KEY=value` is the likeliest mistake, and the name then holds the value.
    for name in ["API_KEY=s3cret-value", "..", ".", "a/b"] {
        let run = kw.run_with(&["secrets", "set", "3", name], "other-value\n", &env);
        run.fails(
            2,
            "the secret name is refused: Secret names are 1-100 characters",
        );
        assert!(!run.stderr.contains("s3cret"), "{run:#?}");
        assert!(name.len() < 3 || !run.stderr.contains(name), "{run:#?}");
        kw.run_with(&["secrets", "delete", "3", name], "", &env)
            .fails(2, "the secret name is refused");
    }
    assert_eq!(
        server.connections(),
        0,
        "a refused name reached the network"
    );
    assert!(!kw.printed().contains("other-value"));
}

#[test]
fn odd_answers_are_bounded_and_never_quoted() {
    let kw = kw();
    let token = token(TokenKind::ApiToken);
    let env = |url: &str| [("KW_TOKEN", token.clone()), ("KW_URL", url.to_string())];
    let run = |responder: &Responder| {
        let env = env(&responder.url);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        kw.run_with(&["projects", "list"], "", &env)
    };
    // An error page far larger than any JSON error: read in part, not shown.
    let huge = format!(
        r#"{{"error": {{"code": "x", "message": "{}"}}}}"#,
        "A".repeat(1 << 20)
    );
    let run_huge = run(&Responder::json("500 Internal Server Error", &huge));
    run_huge.fails(5, "failed: HTTP 500");
    assert!(
        run_huge.stderr.len() < 200,
        "{} bytes",
        run_huge.stderr.len()
    );
    // A long message that fits the bound: shown cut to one line's worth.
    let long = format!(
        r#"{{"error": {{"code": "x", "message": "{}"}}}}"#,
        "B".repeat(10_000)
    );
    let run_long = run(&Responder::json("400 Bad Request", &long));
    run_long.fails(2, "BBB…");
    assert!(
        run_long.stderr.len() < 600,
        "{} bytes",
        run_long.stderr.len()
    );
    // A success larger than any answer of the API is not read to its end.
    let endless = format!("[{}]", "0,".repeat(33 << 20));
    let run_endless = run(&Responder::json("200 OK", &endless));
    run_endless.fails(5, "with more than 64 MiB, or broke off");
    // A success that is not the expected JSON: the decoder's words (which quote what came,
    // here a secret value) are not repeated.
    let odd = Responder::json("200 OK", r#"[{"hunter2-secret": 1}]"#);
    let run_odd = run(&odd);
    run_odd.fails(
        5,
        "answered /api/v1/projects with something that is not the expected JSON",
    );
    assert!(!run_odd.stderr.contains("hunter2"), "{run_odd:#?}");
}
