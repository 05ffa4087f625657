//! `kw`, the keyward command-line client: `kw login` checks a token and saves it, then every
//! other command calls the bearer API (`/api/v1`) with it, using the server's own wire types
//! from `keyward-core`. The full token is never printed: messages name its display prefix.

// The credentials file is protected by Unix owners and modes (0600, O_NOFOLLOW): elsewhere
// those checks would silently do nothing, so kw does not build there.
#[cfg(not(unix))]
compile_error!("kw keeps its credentials file with Unix permissions: build it on Unix");

pub mod args;
mod auth;
mod client;
mod failure;
mod input;
mod oplog;
mod output;
mod projects;
mod rc;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command, TokenCommand};
pub use crate::failure::{Failure, exit};

/// Parses the command line, runs the command, and says how it ended.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return misused(&e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// clap's answer to arguments it could not take: help and version on stdout (exit 0), a
/// usage error on stderr (exit 2).
fn misused(e: &clap::Error) -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let text = unquoted(e, &args);
    if e.use_stderr() {
        failure::say_raw(&text);
    } else {
        let _ = output::print(&text);
    }
    ExitCode::from(e.exit_code() as u8)
}

/// clap's error without the words it quotes from the command line, which may be a token or
/// a secret value put where it does not belong (`kw login kwat_...`,
/// `kw secrets set 3 KEY value`, `--timeout=value`), even one that looks like a flag. The
/// flag a value was given to stays: it says which argument it was.
fn unquoted(e: &clap::Error, args: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue};
    const WHY: &str = "(not repeated: it may be secret)";
    let mut text = e.render().to_string();
    for kind in [
        ContextKind::InvalidArg,
        ContextKind::InvalidValue,
        ContextKind::InvalidSubcommand,
    ] {
        let Some(ContextValue::String(word)) = e.get(kind) else {
            continue;
        };
        let typed = args.iter().any(|a| {
            a == word
                || a.strip_suffix(word.as_str())
                    .is_some_and(|f| f.ends_with('='))
        });
        let shown = match word.split_once('=') {
            // `--flag=value`: the flag is shown, its value is not.
            Some((flag, _)) if flag.starts_with('-') => format!("{flag}=…"),
            _ if !typed => continue,
            _ => "…".to_string(),
        };
        // clap quotes it in its message and again in a tip ("use '-- value'").
        text = text
            .replace(&format!("'{word}'"), &format!("'{shown}' {WHY}"))
            .replace(&format!("'-- {word}'"), &format!("'-- {shown}'"));
    }
    text
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Login { token } => auth::login(global, token),
        Command::Status => auth::status(global),
        Command::Logout { revoke } => auth::logout(global, revoke),
        Command::Token(TokenCommand::Rotate { grace }) => auth::rotate(global, grace),
        Command::Projects(c) => projects::projects(&auth::connect(global)?, global, c),
        Command::Config(c) => projects::config(&auth::connect(global)?, global, c),
        Command::Secrets(c) => projects::secrets(&auth::connect(global)?, global, c),
        Command::Oplog(c) => oplog::oplog(&auth::connect(global)?, global, c),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kw", &mut script);
            output::print(&String::from_utf8_lossy(&script))
        }
    }
}
