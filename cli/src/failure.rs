//! Why a `kw` command failed, as one line on stderr and an exit code a script can branch on;
//! and the one way `kw` writes to stderr, which never shows a token whole.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

use keyward_core::token::{DISPLAY_PREFIX_LEN, TokenKind};

/// Exit codes, part of the CLI's contract (README, `kw --help`).
pub mod exit {
    pub const OK: u8 = 0;
    /// Bad arguments, bad input (a file, JSON, a refused field) or local configuration.
    pub const USAGE: u8 = 2;
    /// No credentials, a token that fails the local format check, or a 401 from the server.
    pub const AUTH: u8 = 3;
    /// 403 (the grant does not allow it) or 404 (not there, or outside the grant).
    pub const DENIED: u8 = 4;
    /// The server could not be reached, timed out, or failed (5xx, 429, an unexpected answer).
    pub const SERVER: u8 = 5;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    /// The API's error code (`token_revoked`, `forbidden`, ...) when the server gave one.
    pub reason: Option<String>,
    /// What to do about it, said after the message when the failure ends the command (a
    /// command that handles the failure words it its own way).
    pub hint: Option<&'static str>,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(exit::USAGE, message)
    }
    pub fn auth(message: impl Into<String>) -> Self {
        Failure::new(exit::AUTH, message)
    }
    pub fn denied(message: impl Into<String>) -> Self {
        Failure::new(exit::DENIED, message)
    }
    pub fn server(message: impl Into<String>) -> Self {
        Failure::new(exit::SERVER, message)
    }

    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            reason: None,
            hint: None,
        }
    }

    pub fn with_hint(self, hint: &'static str) -> Self {
        Failure {
            hint: Some(hint),
            ..self
        }
    }

    /// Prints `kw: <message>` as one line (tokens masked) and gives the exit code.
    pub fn report(&self) -> ExitCode {
        if !self.message.is_empty() {
            say(&format!(
                "{}{}",
                self.message,
                self.hint.unwrap_or_default()
            ));
        }
        ExitCode::from(self.code)
    }
}

impl From<std::io::Error> for Failure {
    /// Reading stdin or writing stdout failed: a local problem, not the server's. A closed
    /// pipe on stdout (`kw projects list | head -1`) is how the reader says it has enough.
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure::new(exit::OK, "");
        }
        Failure::usage(format!("input/output error: {e}"))
    }
}

/// `kw: <text>` on stderr, one line, tokens masked. A closed stderr is ignored rather than
/// a panic: the exit code still tells what happened.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "kw: {}", one_line(text));
}

/// A line for the person on stderr that is not a failure ("No projects ..."), made safe.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{}", one_line(text));
}

/// Text for stderr as it is (clap's usage errors), tokens masked.
pub fn say_raw(text: &str) {
    let _ = write!(std::io::stderr(), "{}", mask(text));
}

/// Token values this process has held, trimmed as they are sent. Anything token-shaped is
/// masked by [`mask`] anyway; this also covers a held value that is not (a mistyped one).
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn hold(token: &str) {
    let token = token.trim();
    // A shorter value would hide innocent words in every message ("[hidden]" for each "ok");
    // messages never quote what was typed anyway.
    if let Ok(mut held) = HELD.lock()
        && token.len() >= 8
        && !held.iter().any(|t| t == token)
    {
        held.push(token.to_string());
    }
}

/// Text from anywhere (the server, the network stack) made safe for a terminal line: see
/// [`crate::output::plain`]; and tokens shown as their prefix.
pub fn one_line(text: &str) -> String {
    mask(crate::output::plain(text).trim())
}

/// Every held value, and every string that starts like a keyward token and goes on past its
/// display prefix (whole, cut short or run on: checksum or not), replaced by that prefix and
/// `…`. For stderr: what `kw` says itself.
pub fn mask(text: &str) -> String {
    let mut out = hide_held(text);
    for kind in TokenKind::ALL {
        let shown = DISPLAY_PREFIX_LEN - kind.prefix().len();
        let mut from = 0;
        while let Some(at) = out[from..].find(kind.prefix()).map(|i| i + from) {
            let start = at + kind.prefix().len();
            let run = out[start..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            if run > shown {
                out.replace_range(start + shown..start + run, "…");
            }
            from = start;
        }
    }
    out
}

/// Every held value (the credential `kw` uses) replaced by its display prefix and `…`. For
/// stdout, which carries data asked for (a secret's value may well be another token, and
/// must come out as stored), so only the credential itself is hidden there.
pub fn hide_held(text: &str) -> String {
    let mut out = text.to_string();
    if let Ok(held) = HELD.lock() {
        for token in held.iter() {
            // A value that is not a token may be a password pasted by mistake: none of it.
            let shown = match keyward_core::token::parse(token) {
                Ok(t) => format!("{}…", t.display_prefix()),
                Err(_) => "[hidden]".into(),
            };
            out = out.replace(token.as_str(), &shown);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use keyward_core::token::generate;

    use super::*;

    #[test]
    fn messages_are_one_line_without_held_tokens() {
        // As `echo "$TOKEN" | kw login --token -` delivers it: with a newline.
        let piped = format!(
            "{}\n",
            generate(TokenKind::ApiToken, &mut rand_core::OsRng).expose()
        );
        let token = piped.trim();
        hold(&piped);
        let shown = one_line(&format!("bad\ntoken {token}\x1b[31m here"));
        assert_eq!(shown, format!("bad token {}… [31m here", &token[..12]));
        // A held value that is not a token (mistyped, or a password) is hidden whole.
        hold("kwst_short-one");
        assert_eq!(one_line("got kwst_short-one"), "got [hidden]");
        // Not a token at all, piped with its newline: hidden as it is sent, trimmed.
        hold("hunter2-password\n");
        assert_eq!(one_line("bad hunter2-password"), "bad [hidden]");
        // Too short to hide without hiding ordinary words.
        hold("ok");
        assert_eq!(one_line("ok"), "ok");
    }

    #[test]
    fn anything_token_shaped_is_masked() {
        let a = "kwat_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
        let b = "kwst_YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY";
        // Cut short by a copy or a terminal's width, a token still gives most of itself away.
        let cut = &a[..20];
        let text = format!(
            "error: unexpected argument '{a}' found; also {b}x, {cut}, kwat_ and kwat_short"
        );
        let shown = mask(&text);
        assert!(!shown.contains(a) && !shown.contains(&b[..20]), "{shown}");
        assert_eq!(
            shown,
            "error: unexpected argument 'kwat_ZZZZZZZ…' found; also kwst_YYYYYYY…, kwat_ZZZZZZZ…, kwat_ and kwat_short"
        );
        // Seven characters after the prefix are the display prefix itself: shown.
        assert_eq!(
            mask("kwat_ABCDEFG and kwat_ABCDEFGH"),
            "kwat_ABCDEFG and kwat_ABCDEFG…"
        );
    }
}
