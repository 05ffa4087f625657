//! `kw` run as a process, as a person or a CI job runs it: a home directory of its own (so
//! `~/.keywardrc` starts absent), no `KW_*` or `KEYWARD_AUTH_FILE` unless a test sets them,
//! and every byte it prints kept, so a test can search all of it for a token.
//!
//! Shared by `cli/tests/` and the server's integration tests (`#[path]`), which pass the
//! binary's path: only the cli crate's own tests have `CARGO_BIN_EXE_kw`.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No `kw` command in a test may take longer than this (its own --timeout is 30 s at most).
const WATCHDOG: Duration = Duration::from_secs(60);

pub struct Kw {
    bin: PathBuf,
    pub home: tempfile::TempDir,
    printed: RefCell<String>,
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and gives stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        &self.stdout
    }

    /// Asserts the exit code and that stderr names `words`; gives stderr.
    #[track_caller]
    pub fn fails(&self, code: i32, words: &str) -> &str {
        assert_eq!(self.code, code, "expected exit {code}: {self:#?}");
        assert!(
            self.stderr.contains(words),
            "stderr lacks {words:?}: {self:#?}"
        );
        assert_eq!(
            self.stderr
                .trim_end()
                .lines()
                .last()
                .map(|l| l.starts_with("kw: ")),
            Some(true),
            "the failure is one `kw: ...` line: {self:#?}"
        );
        &self.stderr
    }

    /// Asserts a usage error that clap found in the arguments (exit 2, its `error:` text).
    #[track_caller]
    pub fn misused(&self, words: &str) {
        assert_eq!(self.code, 2, "expected a usage error: {self:#?}");
        assert!(self.stderr.starts_with("error: "), "{self:#?}");
        assert!(
            self.stderr.contains(words),
            "stderr lacks {words:?}: {self:#?}"
        );
        assert!(self.stdout.is_empty(), "{self:#?}");
    }
}

impl Kw {
    pub fn new(bin: impl Into<PathBuf>) -> Kw {
        let bin = bin.into();
        assert!(
            bin.exists(),
            "no kw binary at {} (build it: cargo build --release -p keyward-cli)",
            bin.display()
        );
        Kw {
            bin,
            home: tempfile::tempdir().unwrap(),
            printed: RefCell::new(String::new()),
        }
    }

    /// The default credentials file, `~/.keywardrc`.
    pub fn rc(&self) -> PathBuf {
        self.home.path().join(".keywardrc")
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, "", &[])
    }

    pub fn run_with(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        // Under umask 0, so a file kw creates has exactly the mode kw asked for.
        let mut command = Command::new("sh");
        command
            .args(["-c", "umask 0 && exec \"$0\" \"$@\""])
            .arg(&self.bin)
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KW_TOKEN")
            .env_remove("KW_URL")
            .env_remove("KW_TIMEOUT")
            .env_remove("KEYWARD_AUTH_FILE")
            // A proxy would answer for 127.0.0.1 (reqwest does not bypass loopback), and a
            // test that counts connections must see kw's own.
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        // A command that fails before reading stdin closes it: a broken pipe is expected.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                String::from_utf8(bytes).unwrap()
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + WATCHDOG;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kw {args:?} ran longer than {WATCHDOG:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let run = Run {
            code: status.code().expect("kw exited, not killed by a signal"),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        self.printed
            .borrow_mut()
            .push_str(&format!("{}{}", run.stdout, run.stderr));
        run
    }

    /// Everything every `kw` of this test printed, on stdout or stderr.
    pub fn printed(&self) -> String {
        self.printed.borrow().clone()
    }

    /// Asserts that no token in `tokens` was ever printed whole.
    #[track_caller]
    pub fn assert_never_printed(&self, tokens: &[&str]) {
        let printed = self.printed();
        assert!(!printed.is_empty());
        for token in tokens {
            assert!(
                !printed.contains(token),
                "kw printed the token {}…",
                &token[..12]
            );
        }
    }
}

/// The octal permission bits of a file.
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
