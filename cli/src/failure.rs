//! Why a `kw` command failed, as one line on stderr and an exit code a script can branch on.

use std::process::ExitCode;
use std::sync::Mutex;

use keyward_core::token::display_prefix;

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

    fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// Prints `kw: <message>` as one line (tokens masked) and gives the exit code.
    pub fn report(&self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("kw: {}", one_line(&self.message));
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

/// Token values this process has held. Nothing `kw` prints should contain one (messages
/// are built from display prefixes), but a server or library message might echo one back:
/// [`one_line`] masks them as a last line of defence.
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn hold(token: &str) {
    if let Ok(mut held) = HELD.lock()
        && !held.iter().any(|t| t == token)
    {
        held.push(token.to_string());
    }
}

/// Text from anywhere (the server, the network stack) made safe for a terminal line: control
/// characters (a newline, an escape sequence) become spaces and held tokens their prefix.
pub fn one_line(text: &str) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if let Ok(held) = HELD.lock() {
        for token in held.iter().filter(|t| !t.is_empty()) {
            line = line.replace(token.as_str(), &format!("{}…", display_prefix(token)));
        }
    }
    line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_without_held_tokens() {
        let token = "kwat_0123456789abcdefghijABCDEFGHIJ123456";
        hold(token);
        let shown = one_line(&format!("bad\ntoken {token}\x1b[31m here"));
        assert_eq!(shown, "bad token kwat_0123456… [31m here");
        assert!(!shown.contains(token));
    }
}
