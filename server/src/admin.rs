//! `keyward admin ...`: administration for scripts. Each command prints only its result
//! (an id or a token value) on stdout, so `$(keyward admin ...)` captures exactly that;
//! warnings and errors go to stderr.

use std::io::BufRead;

use chrono::{DateTime, TimeDelta, Utc};
use clap::{Args, Subcommand};
use keyward_backend::resources::GrantTo;
use keyward_backend::users::UserInput;
use keyward_backend::{Backend, Config};
use keyward_core::{Permissions, Role};

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
    /// Change a user's role (their API tokens see it at the next call).
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Deactivate a user: their sessions end and their API tokens stop at once.
    DeactivateUser {
        #[arg(long)]
        username: String,
    },
    /// Create an organization; prints its id.
    CreateOrg {
        #[arg(long)]
        name: String,
    },
    /// Create a team (a group of users); prints its id.
    CreateTeam {
        #[arg(long)]
        name: String,
        /// The organization the team belongs to.
        #[arg(long)]
        org: Option<String>,
    },
    /// Add a user to a team.
    AddToTeam {
        #[arg(long)]
        team: String,
        #[arg(long)]
        username: String,
    },
    /// Remove a user from a team.
    RemoveFromTeam {
        #[arg(long)]
        team: String,
        #[arg(long)]
        username: String,
    },
    /// Create a project; prints its id.
    CreateProject {
        #[arg(long)]
        name: String,
        /// The organization that owns the project.
        #[arg(long)]
        org: Option<String>,
    },
    /// Grant a user or a team access to a project (read is always included); a second
    /// grant to the same user or team replaces the first.
    Grant {
        #[arg(long)]
        project: i64,
        #[arg(long, required_unless_present = "team", conflicts_with = "team")]
        username: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        can_change_configs: bool,
        #[arg(long)]
        can_change_secrets: bool,
        #[arg(long)]
        can_delete_project: bool,
    },
    /// Create an operation log in a project; prints its id.
    CreateOplog {
        #[arg(long)]
        project: i64,
        #[arg(long)]
        name: String,
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
        AdminCommand::SetRole { username, role } => {
            backend.set_role(&username, role).await.map_err(describe)?;
        }
        AdminCommand::DeactivateUser { username } => {
            backend
                .deactivate_user(&username, now)
                .await
                .map_err(describe)?;
        }
        AdminCommand::CreateOrg { name } => {
            println!(
                "{}",
                backend.create_org(&name, now).await.map_err(describe)?
            );
        }
        AdminCommand::CreateTeam { name, org } => {
            let id = backend.create_team(&name, org.as_deref(), now).await;
            println!("{}", id.map_err(describe)?);
        }
        AdminCommand::AddToTeam { team, username } => {
            backend
                .add_to_team(&team, &username)
                .await
                .map_err(describe)?;
        }
        AdminCommand::RemoveFromTeam { team, username } => {
            backend
                .remove_from_team(&team, &username)
                .await
                .map_err(describe)?;
        }
        AdminCommand::CreateProject { name, org } => {
            let id = backend.create_project(&name, org.as_deref(), now).await;
            println!("{}", id.map_err(describe)?);
        }
        AdminCommand::Grant {
            project,
            username,
            team,
            can_change_configs,
            can_change_secrets,
            can_delete_project,
        } => {
            let to = match (username, team) {
                (Some(u), _) => GrantTo::User(u),
                (None, Some(t)) => GrantTo::Team(t),
                (None, None) => unreachable!("clap requires one of the two"),
            };
            let permissions = Permissions {
                can_change_configs,
                can_change_secrets,
                can_delete_project,
            };
            backend
                .grant(project, &to, permissions)
                .await
                .map_err(describe)?;
        }
        AdminCommand::CreateOplog { project, name } => {
            let id = backend.create_oplog(project, &name, now).await;
            println!("{}", id.map_err(describe)?);
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
