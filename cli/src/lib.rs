//! `kw`, the keyward command-line client: `kw login` checks a token and saves it, then every
//! other command calls the bearer API (`/api/v1`) with it, using the server's own wire types
//! from `keyward-core`. The full token is never printed: messages name its display prefix.

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

use crate::args::{Cli, Command};
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
/// usage error on stderr (exit 2). clap quotes what it did not expect, which may be a token
/// or a secret value put where it does not belong (`kw login kwat_...`,
/// `kw secrets set 3 KEY value`): no word the person typed is repeated, except flags.
fn misused(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue};
    let mut text = e.render().to_string();
    let typed = |word: &str| {
        std::env::args_os()
            .skip(1)
            .any(|a| a.to_str() == Some(word))
    };
    for kind in [
        ContextKind::InvalidArg,
        ContextKind::InvalidValue,
        ContextKind::InvalidSubcommand,
    ] {
        if let Some(ContextValue::String(word)) = e.get(kind)
            && !word.starts_with('-')
            && typed(word)
        {
            text = text.replace(&format!("'{word}'"), "'…' (not repeated: it may be secret)");
        }
    }
    if e.use_stderr() {
        failure::say_raw(&text);
    } else {
        let _ = output::print(&text);
    }
    ExitCode::from(e.exit_code() as u8)
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Login { token } => auth::login(global, token),
        Command::Status => auth::status(global),
        Command::Logout { revoke } => auth::logout(global, revoke),
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
