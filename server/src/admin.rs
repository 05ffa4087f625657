//! `keyward admin ...`: administration for scripts. Each command prints only its result
//! (an id or a token value) on stdout, so `$(keyward admin ...)` captures exactly that;
//! warnings and errors go to stderr.

use std::io::BufRead;

use chrono::{DateTime, TimeDelta, Utc};
use clap::{Args, Subcommand};
use keyward_backend::users::UserInput;
use keyward_backend::{Backend, Config};
use keyward_core::Role;

use crate::config::DEFAULT_DATABASE_URL;

#[derive(Args)]
#[command(arg_required_else_help = true)]
pub struct AdminArgs {
    /// The database to administer (the same as `serve` uses).
    #[arg(long, env = "KEYWARD_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user; the password is read from the first line of standard input.
    /// Prints the new user's id.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "user", value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required: passwords never go in arguments).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Mint an API token for a user and print only its value (for bootstrapping automation).
    /// A past --expires-at is accepted with a warning: it yields an already expired token.
    MintToken {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, conflicts_with = "expires_at", required_unless_present = "expires_at",
              value_parser = clap::value_parser!(u32).range(1..=3660))]
        expires_in_days: Option<u32>,
        /// An RFC 3339 time, e.g. 2027-01-31T00:00:00Z.
        #[arg(long, value_parser = parse_time)]
        expires_at: Option<DateTime<Utc>>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|e: keyward_core::FieldError| e.message)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "expected an RFC 3339 time such as 2027-01-31T00:00:00Z".into())
}

pub async fn run(args: AdminArgs) -> Result<(), String> {
    let backend = Backend::connect(&args.database_url, Config::default())
        .await
        .map_err(|e| e.to_string())?;
    let now = Utc::now();
    match args.command {
        AdminCommand::CreateUser {
            username,
            role,
            display_name,
            email,
            password_stdin: _,
        } => {
            let password = read_password()?;
            let id = backend
                .create_user(
                    UserInput {
                        username,
                        display_name: display_name.unwrap_or_default(),
                        email,
                        role,
                        password,
                    },
                    now,
                )
                .await
                .map_err(describe)?;
            println!("{id}");
        }
        AdminCommand::MintToken {
            username,
            name,
            expires_in_days,
            expires_at,
        } => {
            let user = backend
                .repo()
                .user_by_username(&username)
                .await
                .map_err(describe)?
                .ok_or_else(|| format!("no user named {username}"))?;
            let expires_at = match (expires_in_days, expires_at) {
                (Some(days), _) => now + TimeDelta::days(days.into()),
                (None, Some(at)) => at,
                (None, None) => unreachable!("clap requires one of the two"),
            };
            if expires_at <= now {
                eprintln!("warning: --expires-at is in the past; the token is already expired");
            }
            let minted = backend
                .mint_api_token_at(user.id, &name, expires_at, now, &mut rand_core::OsRng)
                .await
                .map_err(describe)?;
            println!("{}", minted.secret.expose());
        }
    }
    Ok(())
}

/// Errors as one line that names the field.
fn describe(e: keyward_backend::Error) -> String {
    match e {
        keyward_backend::Error::Invalid(f) | keyward_backend::Error::Conflict(f) => {
            format!("--{}: {}", f.field.replace('_', "-"), f.message)
        }
        other => other.to_string(),
    }
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("--password-stdin: no password on standard input".into());
    }
    Ok(password)
}
