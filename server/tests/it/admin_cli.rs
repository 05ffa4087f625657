//! `keyward admin ...` as scripts run it: the real binary against the server's database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::{Site, code, start};

pub fn keyward(database_url: &str, args: &[&str], stdin: &str) -> Output {
    keyward_env(database_url, &[], args, stdin)
}

/// `keyward ...` with these environment variables set as well.
pub fn keyward_env(database_url: &str, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    // Beside a SQLite test database by default; PostgreSQL tests share one in /tmp.
    let key_file = match database_url.strip_prefix("sqlite://") {
        Some(db) => std::path::Path::new(db).with_file_name("keyward.key"),
        None => std::env::temp_dir().join("keyward-it.key"),
    };
    run(database_url, &key_file, env, args, stdin)
}

/// `keyward ...` with the sealing key in `key_file` (the one of the server it administers).
pub fn keyward_with_key(
    database_url: &str,
    key_file: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> Output {
    run(database_url, key_file, &[], args, stdin)
}

fn run(
    database_url: &str,
    key_file: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .envs(env.iter().copied())
        .env("KEYWARD_DATABASE_URL", database_url)
        .env("KEYWARD_SECRET_KEY_FILE", key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails on its arguments exits without reading stdin: a broken pipe
    // here is expected, and the exit status checked by the caller tells what happened.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[tokio::test]
async fn create_user_and_mint_tokens_for_scripts() {
    let s = start().await;
    let db = s.database_url.as_str();
    let o = keyward(
        db,
        &[
            "admin",
            "create-user",
            "--username",
            "ci-bot",
            "--role",
            "manager",
            "--email",
            "ci@example.com",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).parse::<i64>().is_ok(),
        "prints only the id: {}",
        stdout(&o)
    );

    let o = keyward(
        db,
        &[
            "admin",
            "mint-token",
            "--username",
            "ci-bot",
            "--name",
            "deploy",
            "--expires-in-days",
            "60",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        keyward_core::token::parse(&t).is_ok(),
        "prints only the token: {t}"
    );
    assert!(!stderr(&o).contains(&t), "the value appears on stdout only");
    let (status, body) = s.whoami(&t).await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["username"], "ci-bot");

    let o = keyward(
        db,
        &[
            "admin",
            "mint-token",
            "--username",
            "ci-bot",
            "--name",
            "old",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ],
        "",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    let (status, body) = s.whoami(&stdout(&o)).await;
    assert_eq!((status, code(&body)), (401, "token_expired"));

    // With Allowed IP ranges: this test's requests come from 127.0.0.1, outside them.
    let fenced = [
        "admin",
        "mint-token",
        "--username",
        "ci-bot",
        "--name",
        "fenced",
        "--expires-in-days",
        "5",
        "--allowed-ips",
        "192.0.2.0/24,2001:db8::/32",
    ];
    let o = keyward(db, &fenced, "");
    assert!(o.status.success(), "{}", stderr(&o));
    let (status, body) = s.whoami(&stdout(&o)).await;
    assert_eq!((status, code(&body)), (401, "ip_not_allowed"));
}

#[tokio::test]
async fn bad_admin_input_is_one_clear_line_and_a_failure_code() {
    let s = start().await;
    let db = s.database_url.as_str();
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["admin", "create-user", "--username", "bob"],
            "",
            "--password-stdin",
        ),
        (
            &[
                "admin",
                "create-user",
                "--username",
                "Bob!",
                "--password-stdin",
            ],
            "correct horse battery\n",
            "--username",
        ),
        (
            &[
                "admin",
                "create-user",
                "--username",
                "bob",
                "--password-stdin",
            ],
            "short\n",
            "--password",
        ),
        (
            &[
                "admin",
                "create-user",
                "--username",
                "bob",
                "--role",
                "root",
                "--password-stdin",
            ],
            "correct horse battery\n",
            "role",
        ),
        (
            &[
                "admin",
                "mint-token",
                "--username",
                "nobody",
                "--name",
                "x",
                "--expires-in-days",
                "5",
            ],
            "",
            "no user named nobody",
        ),
        (
            &["admin", "mint-token", "--username", "nobody", "--name", "x"],
            "",
            "--expires-in-days",
        ),
        (
            &[
                "admin",
                "mint-token",
                "--username",
                "ci-bot",
                "--name",
                "x",
                "--expires-in-days",
                "5",
                "--allowed-ips",
                "10.0.0.1/8",
            ],
            "",
            "host bits set: the range is 10.0.0.0/8",
        ),
    ];
    for (args, stdin, expected) in cases {
        let o = keyward(db, args, stdin);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
    let o = keyward(db, &["admin", "--help"], "");
    let help = stdout(&o);
    assert!(
        help.contains("create-user") && help.contains("mint-token"),
        "{help}"
    );
}

#[tokio::test]
async fn resources_are_set_up_from_the_command_line() {
    let s = start().await;
    let db = s.database_url.as_str();
    let run = |args: &[&str]| {
        let o = keyward(db, args, "correct horse battery\n");
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    run(&[
        "admin",
        "create-user",
        "--username",
        "dana",
        "--password-stdin",
    ]);
    let org: i64 = run(&["admin", "create-org", "--name", "Acme"])
        .parse()
        .unwrap();
    let team: i64 = run(&["admin", "create-team", "--name", "red", "--org", "Acme"])
        .parse()
        .unwrap();
    assert!(org > 0 && team > 0);
    let project = run(&[
        "admin",
        "create-project",
        "--name",
        "falcon",
        "--org",
        "Acme",
    ]);
    let oplog: i64 = run(&[
        "admin",
        "create-oplog",
        "--project",
        &project,
        "--name",
        "ops",
    ])
    .parse()
    .unwrap();
    assert!(oplog > 0);
    assert_eq!(
        run(&[
            "admin",
            "add-to-team",
            "--team",
            "red",
            "--username",
            "dana"
        ]),
        ""
    );
    assert_eq!(
        run(&[
            "admin",
            "grant",
            "--project",
            &project,
            "--team",
            "red",
            "--can-change-secrets"
        ]),
        ""
    );

    let dana = s.backend.user_named("dana").await.unwrap();
    let p = s
        .backend
        .project_permissions(&dana, project.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(p.can_change_secrets && !p.can_change_configs && !p.can_delete_project);
    assert_eq!(
        s.backend.access_level(&dana).await.unwrap(),
        "Assigned projects (1)"
    );

    run(&[
        "admin",
        "remove-from-team",
        "--team",
        "red",
        "--username",
        "dana",
    ]);
    assert_eq!(
        s.backend
            .project_permissions(&dana, project.parse().unwrap())
            .await
            .unwrap(),
        None
    );
    run(&[
        "admin",
        "set-role",
        "--username",
        "dana",
        "--role",
        "manager",
    ]);
    let t = run(&[
        "admin",
        "mint-token",
        "--username",
        "dana",
        "--name",
        "t",
        "--expires-in-days",
        "1",
    ]);
    let (_, body) = s.whoami(&t).await;
    assert_eq!(body["user"]["role"], "manager");
    run(&["admin", "deactivate-user", "--username", "dana"]);
    let (status, body) = s.whoami(&t).await;
    assert_eq!((status, code(&body)), (401, "account_disabled"));

    // Bad references are one line naming the flag.
    for (args, expected) in [
        (
            &["admin", "grant", "--project", "999", "--username", "dana"][..],
            "--project",
        ),
        (&["admin", "grant", "--project", &project][..], "--username"),
        (
            &["admin", "create-team", "--name", "blue", "--org", "Nope"][..],
            "--org",
        ),
        (&["admin", "create-org", "--name", "Acme"][..], "--name"),
    ] {
        let o = keyward(db, args, "");
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
    let o = keyward(db, &["admin", "--help"], "");
    for sub in [
        "create-org",
        "create-team",
        "add-to-team",
        "remove-from-team",
        "set-role",
        "deactivate-user",
        "create-project",
        "grant",
        "create-oplog",
    ] {
        assert!(stdout(&o).contains(sub), "{sub} missing from admin --help");
    }
}
