//! `keyward admin ...`: administration for scripts. Each command prints only its result
//! (an id or a token value) on stdout, so `$(keyward admin ...)` captures exactly that;
//! warnings and errors go to stderr.

use std::io::BufRead;

use chrono::{DateTime, TimeDelta, Utc};
use clap::{Args, Subcommand};
use keyward_backend::resources::GrantTo;
use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
use keyward_backend::users::UserInput;
use keyward_backend::{Backend, Config};
use keyward_core::allowlist::Allowlist;
use keyward_core::policy::Key;
use keyward_core::{Permissions, Role, Scope, validate};

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
        /// Allowed IP ranges, e.g. "10.0.0.0/8,2001:db8::/32" (default: any address).
        #[arg(long, value_parser = parse_allowlist, default_value = "")]
        allowed_ips: Allowlist,
        /// Mint this many, named NAME-1 … NAME-N, and print one value a line (to seed a
        /// test or a benchmark).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        count: u32,
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
        #[command(flatten)]
        flags: PermissionFlags,
    },
    /// Create an operation log in a project; prints its id.
    CreateOplog {
        #[arg(long)]
        project: i64,
        #[arg(long)]
        name: String,
    },
    /// Mint a service token and print only its value. The creator must hold what the token
    /// gets (the same no-escalation rule as the page); the principal is created if new.
    MintServiceToken {
        /// The user answerable for the token.
        #[arg(long)]
        created_by: String,
        /// The service principal's name (an existing one, or a new one to create).
        #[arg(long)]
        principal: String,
        #[arg(long)]
        name: String,
        /// Project preset: the project the token may use.
        #[arg(long, required_unless_present = "oplog", conflicts_with = "oplog")]
        project: Option<i64>,
        /// Project preset: the organization context (the project must belong to it).
        #[arg(long, requires = "project")]
        org: Option<String>,
        #[command(flatten)]
        flags: PermissionFlags,
        /// Operation log read/write preset: the log the token may read and write.
        #[arg(long)]
        oplog: Option<i64>,
        /// 0: never expires.
        #[arg(long, default_value_t = validate::DEFAULT_SERVICE_TOKEN_DAYS)]
        expires_in_days: u32,
        /// An exact RFC 3339 expiry instead; a past one yields an already expired token
        /// (with a warning), as for mint-token.
        #[arg(long, conflicts_with = "expires_in_days", value_parser = parse_time)]
        expires_at: Option<DateTime<Utc>>,
        /// Allowed IP ranges, e.g. "10.0.0.0/8,2001:db8::/32" (default: any address).
        #[arg(long, value_parser = parse_allowlist, default_value = "")]
        allowed_ips: Allowlist,
        /// Mint this many, named NAME-1 … NAME-N, and print one value a line (to seed a
        /// test or a benchmark).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        count: u32,
    },
    /// Delete the sessions that can no longer be used (ended, expired or idle too long);
    /// prints how many.
    CleanupSessions,
    /// End every session of a user (browser and API logins); prints how many were open.
    EndSessions {
        #[arg(long)]
        username: String,
    },
    /// Print the audit log, newest first: one event a line (time, actor, action, target,
    /// outcome, address), or one JSON object a line with --json.
    Audit {
        /// Only this user's events (their Security log).
        #[arg(long)]
        user: Option<String>,
        /// Only events at or after this RFC 3339 time, e.g. 2026-11-01T00:00:00Z.
        #[arg(long, value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
        /// Only this action, e.g. api_token.minted.
        #[arg(long)]
        action: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Make every open session of a user confirm their password before their next sensitive
    /// change (sudo mode), e.g. when a device may have been left unlocked; prints how many.
    RequireReauth {
        #[arg(long)]
        username: String,
    },
    /// Turn a user's MFA off (they lost their authenticator app and their recovery codes):
    /// their next sign-in takes the password alone, and they can enrol again.
    ResetMfa {
        #[arg(long)]
        username: String,
    },
    /// Revoke any service token (for example a suspended one).
    RevokeServiceToken {
        #[arg(long)]
        id: i64,
    },
    /// Make another active user answerable for a service token; they must hold its grant.
    TransferServiceToken {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        username: String,
    },
    /// Show or change the token settings (the same as the /admin/settings page); a change
    /// holds from the next request on every instance.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// List the live API and service tokens expiring within a duration (`7d`, `24h`,
    /// `90m`), soonest first: one line each, or one JSON object per line with --json.
    Expiring {
        #[arg(long, value_parser = parse_within)]
        within: TimeDelta,
        #[arg(long)]
        json: bool,
    },
    /// Print the secret that signs the expiry webhook's events (`Keyward-Signature`), for
    /// the receiver to check them with. It follows the server's secret key.
    WebhookSecret,
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Print one setting's value, or every setting as KEY=VALUE lines.
    ///
    /// Keys: max_token_days, allow_never_expiring, default_api_token_days,
    /// max_rotation_grace_minutes, expiry_webhook_url.
    Get {
        #[arg(value_parser = parse_key)]
        key: Option<Key>,
    },
    /// Change one setting, e.g. `keyward admin settings set max_token_days 90`
    /// (`expiry_webhook_url ""` removes the webhook).
    Set {
        #[arg(value_parser = parse_key)]
        key: Key,
        value: String,
    },
}

/// The project flags of a grant or a project-scoped service token (read is implied).
#[derive(Args, Clone, Copy)]
struct PermissionFlags {
    #[arg(long)]
    can_change_configs: bool,
    #[arg(long)]
    can_change_secrets: bool,
    #[arg(long)]
    can_delete_project: bool,
}

impl From<PermissionFlags> for Permissions {
    fn from(f: PermissionFlags) -> Self {
        Permissions {
            can_change_configs: f.can_change_configs,
            can_change_secrets: f.can_change_secrets,
            can_delete_project: f.can_delete_project,
        }
    }
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|e: keyward_core::FieldError| e.message)
}

fn parse_key(s: &str) -> Result<Key, String> {
    s.parse().map_err(|e: keyward_core::FieldError| e.message)
}

fn parse_allowlist(s: &str) -> Result<Allowlist, String> {
    Allowlist::parse(s).map_err(|e| e.message)
}

fn parse_within(s: &str) -> Result<TimeDelta, String> {
    keyward_core::notice::parse_within(s)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "expected an RFC 3339 time such as 2027-01-31T00:00:00Z".into())
}

pub async fn run(args: AdminArgs) -> Result<(), String> {
    // The server's key, so what an admin command stores opens in the server and back.
    let keys = crate::config::KeyConfig::from_env(&args.database_url);
    // A secret printed from a key made just now would match no server's signatures.
    if matches!(args.command, AdminCommand::WebhookSecret)
        && keys.key.is_none()
        && !keys.file.exists()
    {
        return Err(format!(
            "webhook-secret: no secret key at {}: run it with the server's \
             KEYWARD_SECRET_KEY or KEYWARD_SECRET_KEY_FILE",
            keys.file.display()
        ));
    }
    // The server's quotas too: a command minting for someone stops where the page would.
    let config = Config {
        sealer: keys.sealer()?,
        quotas: crate::config::quotas_from_env()?,
        ..Config::default()
    };
    let backend = Backend::connect(&args.database_url, config)
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
            allowed_ips,
            count,
        } => {
            let user = backend
                .find_user(&username)
                .await
                .map_err(describe)?
                .ok_or_else(|| format!("no user named {username}"))?;
            let expires_at = match (expires_in_days, expires_at) {
                (Some(days), _) => now + TimeDelta::days(days.into()),
                (None, Some(at)) => at,
                (None, None) => unreachable!("clap requires one of the two"),
            };
            warn_if_past(expires_at, now);
            for (done, name) in numbered(&name, count).into_iter().enumerate() {
                let minted = backend
                    .mint_api_token_at(
                        user.id,
                        &name,
                        expires_at,
                        &allowed_ips,
                        now,
                        &mut rand_core::OsRng,
                    )
                    .await
                    .map_err(|e| partly(describe(e), done, count))?;
                println!("{}", minted.secret.expose());
            }
        }
        AdminCommand::SetRole { username, role } => {
            backend
                .set_role(&username, role, now)
                .await
                .map_err(describe)?;
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
            flags,
        } => {
            let to = match (username, team) {
                (Some(u), _) => GrantTo::User(u),
                (None, Some(t)) => GrantTo::Team(t),
                (None, None) => unreachable!("clap requires one of the two"),
            };
            backend
                .grant(project, &to, flags.into(), now)
                .await
                .map_err(describe)?;
        }
        AdminCommand::CreateOplog { project, name } => {
            let id = backend.create_oplog(project, &name, now).await;
            println!("{}", id.map_err(describe)?);
        }
        AdminCommand::MintServiceToken {
            created_by,
            principal,
            name,
            project,
            org,
            flags,
            oplog,
            expires_in_days,
            expires_at,
            allowed_ips,
            count,
        } => {
            let scope = match (project, oplog) {
                (Some(project_id), _) => Scope::Project {
                    project_id,
                    org_id: match org {
                        Some(org) => Some(backend.org_named(&org).await.map_err(describe)?),
                        None => None,
                    },
                    permissions: flags.into(),
                },
                (None, Some(oplog_id)) if Permissions::from(flags) == Permissions::READ => {
                    Scope::Oplog { oplog_id }
                }
                (None, Some(_)) => {
                    return Err("--can-change-*: the flags apply to --project tokens only".into());
                }
                (None, None) => unreachable!("clap requires one of the two"),
            };
            let renamed = [("username", "created-by"), ("principal-name", "principal")];
            let creator = backend
                .user_named(&created_by)
                .await
                .map_err(|e| describe_as(e, &renamed))?;
            let lifetime = match expires_at {
                Some(at) => {
                    warn_if_past(at, now);
                    Lifetime::Until(at)
                }
                None => Lifetime::Days(expires_in_days),
            };
            for (done, name) in numbered(&name, count).into_iter().enumerate() {
                // Looked up each time: the first token may have created the principal.
                let principal = match backend
                    .service_principal_named(&principal)
                    .await
                    .map_err(describe)?
                {
                    Some(id) => PrincipalChoice::Existing(id),
                    None => PrincipalChoice::New {
                        name: principal.clone(),
                        description: String::new(),
                    },
                };
                let request = ServiceTokenRequest {
                    principal,
                    name,
                    scope,
                    lifetime,
                    allowed_ips: allowed_ips.clone(),
                };
                let minted = backend
                    .mint_service_token(&creator, &request, now, &mut rand_core::OsRng)
                    .await
                    .map_err(|e| partly(describe_as(e, &renamed), done, count))?;
                println!("{}", minted.secret.expose());
            }
        }
        AdminCommand::CleanupSessions => {
            println!("{}", backend.cleanup_sessions(now).await.map_err(describe)?);
        }
        AdminCommand::EndSessions { username } => {
            let ended = backend.end_sessions_of(&username, now).await;
            println!("{}", ended.map_err(describe)?);
        }
        AdminCommand::Audit {
            user,
            since,
            action,
            limit,
            json,
        } => print_audit(&backend, user, since, action, limit, json).await?,
        AdminCommand::RequireReauth { username } => {
            let sessions = backend.require_reauthentication(&username).await;
            println!("{}", sessions.map_err(describe)?);
        }
        AdminCommand::ResetMfa { username } => {
            backend.reset_mfa(&username, now).await.map_err(describe)?;
        }
        AdminCommand::RevokeServiceToken { id } => {
            backend
                .admin_revoke_service_token(id, now)
                .await
                .map_err(describe)?;
        }
        AdminCommand::TransferServiceToken { id, username } => {
            backend
                .transfer_service_token(id, &username, now)
                .await
                .map_err(describe)?;
        }
        AdminCommand::Expiring { within, json } => {
            for t in backend
                .expiring_tokens(within, now)
                .await
                .map_err(describe)?
            {
                if json {
                    let line = serde_json::to_string(&t).map_err(|e| e.to_string())?;
                    println!("{line}");
                } else {
                    let at = t
                        .expires_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let kind = t.kind.short_name();
                    let owner = match &t.principal {
                        Some(p) => format!("{} (principal {p})", t.owner),
                        None => t.owner.clone(),
                    };
                    println!(
                        "{at}  {kind:<7}  {}  {:?}  {owner}",
                        t.display_prefix, t.name
                    );
                }
            }
        }
        AdminCommand::WebhookSecret => println!("{}", backend.webhook_secret()),
        AdminCommand::Settings(SettingsCommand::Get { key }) => {
            let settings = backend.settings().await.map_err(|e| e.to_string())?;
            match key {
                Some(key) => println!("{}", settings.get(key)),
                None => Key::ALL
                    .into_iter()
                    .for_each(|k| println!("{k}={}", settings.get(k))),
            }
        }
        AdminCommand::Settings(SettingsCommand::Set { key, value }) => {
            let change = [(key, value)];
            backend
                .change_settings(&change, now)
                .await
                .map_err(|e| match e {
                    // The setting's name, as typed: it is not a flag here.
                    keyward_backend::Error::Invalid(f) => format!("{}: {}", f.field, f.message),
                    other => other.to_string(),
                })?;
        }
    }
    Ok(())
}

/// The names of `count` tokens: `name` alone, or NAME-1 … NAME-N.
fn numbered(name: &str, count: u32) -> Vec<String> {
    match count {
        1 => vec![name.to_string()],
        n => (1..=n).map(|i| format!("{name}-{i}")).collect(),
    }
}

/// An error of a `--count` run says how many were minted before it (their values are on
/// stdout already).
fn partly(message: String, done: usize, count: u32) -> String {
    match count {
        1 => message,
        _ => format!("{message} ({done} of {count} minted)"),
    }
}

fn warn_if_past(at: DateTime<Utc>, now: DateTime<Utc>) {
    if at <= now {
        eprintln!("warning: --expires-at is in the past; the token is already expired");
    }
}

/// Errors as one line that names the flag.
async fn print_audit(
    backend: &Backend,
    user: Option<String>,
    since: Option<DateTime<Utc>>,
    action: Option<String>,
    limit: i64,
    json: bool,
) -> Result<(), String> {
    if let Some(a) = &action
        && keyward_backend::audit::Action::parse(a).is_none()
    {
        let known: Vec<&str> = keyward_backend::audit::Action::ALL
            .iter()
            .map(|a| a.as_str())
            .collect();
        return Err(format!("unknown --action {a}: one of {}", known.join(", ")));
    }
    if limit < 1 {
        return Err("--limit must be at least 1".into());
    }
    let user_id = match user {
        Some(name) => Some(backend.user_named(&name).await.map_err(describe)?.id),
        None => None,
    };
    let query = keyward_backend::db::AuditQuery {
        user_id,
        action,
        since,
        until: None,
        before: None,
        limit,
    };
    for e in backend.audit_events(&query).await.map_err(describe)? {
        let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if json {
            let line = serde_json::json!({
                "id": e.id, "at": at, "user_id": e.user_id, "actor": e.actor,
                "action": e.action, "target": e.target, "outcome": e.outcome,
                "ip": e.ip, "user_agent": e.user_agent,
            });
            println!("{line}");
        } else {
            let ip = e.ip.as_deref().unwrap_or("-");
            println!(
                "{at}  {}  {}  {}  {}  {ip}",
                e.actor, e.action, e.target, e.outcome
            );
        }
    }
    Ok(())
}

fn describe(e: keyward_backend::Error) -> String {
    describe_as(e, &[])
}

/// Like [`describe`], where some fields have a flag of another name (`(field, flag)`).
fn describe_as(e: keyward_backend::Error, renamed: &[(&str, &str)]) -> String {
    match e {
        keyward_backend::Error::Invalid(f) => flag_error(f, renamed),
        keyward_backend::Error::Conflict(c) => flag_error(c.field_error(), renamed),
        // Only the commands that take a service token `--id` look rows up by id.
        keyward_backend::Error::NotFound => "--id: no unrevoked service token has that id".into(),
        other => other.to_string(),
    }
}

/// A field error as the flag it is about: `--flag: message`.
fn flag_error(f: keyward_core::FieldError, renamed: &[(&str, &str)]) -> String {
    let field = f.field.replace('_', "-");
    let flag = renamed
        .iter()
        .find(|(from, _)| *from == field)
        .map_or(field.as_str(), |(_, to)| to);
    format!("--{flag}: {}", f.message)
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
