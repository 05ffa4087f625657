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
    // clap exits 2 on a usage error and 0 for --help and --version.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
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
