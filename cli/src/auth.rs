//! Which token and server a command uses, and the commands about them: `kw login`,
//! `kw status`, `kw logout`.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use keyward_core::api::{CredentialKind, Whoami};
use keyward_core::expiry::{expiry_text, expiry_warning};
use keyward_core::{ExpiryStatus, Scope, Secret};
use reqwest::Method;
use serde::Serialize;

use crate::args::{DEFAULT_URL, Global};
use crate::client::{Api, parse_server};
use crate::failure::{Failure, exit, hold};
use crate::{input, output, rc};

pub const TOKEN_VARIABLE: &str = "KW_TOKEN";

/// Where a command's token came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Environment,
    File(PathBuf),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Environment => TOKEN_VARIABLE.into(),
            Source::File(path) => path.display().to_string(),
        }
    }
}

/// The server and token of a command: `KW_TOKEN` over the file's token, `--url`/`KW_URL`
/// over the file's URL. The file is read only when one of them is needed from it.
pub struct Credentials {
    pub url: String,
    pub token: Secret,
    pub source: Source,
}

impl Credentials {
    pub fn current(global: &Global) -> Result<Credentials, Failure> {
        let from_env = std::env::var(TOKEN_VARIABLE)
            .ok()
            .filter(|t| !t.trim().is_empty());
        let file = if from_env.is_none() || global.url.is_none() {
            let path = rc::path()?;
            rc::load(&path)?.map(|saved| (path, saved))
        } else {
            None
        };
        let url = global
            .url
            .clone()
            .or_else(|| file.as_ref().map(|(_, saved)| saved.url.clone()))
            .unwrap_or_else(|| DEFAULT_URL.into());
        let (token, source) = match (from_env, file) {
            (Some(token), _) => (checked(&token, TOKEN_VARIABLE)?, Source::Environment),
            (None, Some((path, saved))) => {
                let token = checked(saved.token.expose(), &path.display().to_string())?;
                (token, Source::File(path))
            }
            (None, None) => {
                return Err(Failure::auth(format!(
                    "not logged in: run `kw login --token -` with a token on standard input, or set {TOKEN_VARIABLE}"
                )));
            }
        };
        Ok(Credentials { url, token, source })
    }

    pub fn api(&self, global: &Global) -> Result<Api, Failure> {
        Api::new(&self.url, self.token.clone(), timeout(global))
    }
}

/// For the commands that call the API with the current credentials.
pub fn connect(global: &Global) -> Result<Api, Failure> {
    Credentials::current(global)?.api(global)
}

fn timeout(global: &Global) -> Duration {
    Duration::from_secs(global.timeout)
}

/// The offline check (prefix, length, alphabet, checksum): a mistyped or foreign string is
/// refused before it is sent anywhere. The message never repeats the string, which may be a
/// password pasted by mistake.
fn checked(token: &str, from: &str) -> Result<Secret, Failure> {
    hold(token);
    match keyward_core::token::parse(token) {
        Ok(_) => Ok(Secret::new(token.trim().to_string())),
        Err(e) => Err(Failure::auth(format!(
            "{from} does not hold a valid keyward token: {e}"
        ))),
    }
}

pub fn login(global: &Global, token: Option<String>) -> Result<(), Failure> {
    let token = match token.as_deref() {
        Some("-") => input::read_stdin("the token")?,
        Some(token) => token.to_string(),
        None if input::stdin_is_terminal() => input::hidden("Paste your keyward token: ")?,
        None => {
            return Err(Failure::usage(
                "no token: pass --token - with the token on standard input, --token TOKEN, or set KW_TOKEN",
            ));
        }
    };
    if token.trim().is_empty() {
        return Err(Failure::usage("no token: standard input was empty"));
    }
    let token = checked(&token, "--token")?;
    let path = rc::path()?;
    // Refused before anything is sent: the file we would write over may have leaked.
    rc::check_private(&path)?;
    let url = match &global.url {
        Some(url) => url.clone(),
        None => rc::load(&path)?.map_or_else(|| DEFAULT_URL.into(), |saved| saved.url),
    };
    let url = parse_server(&url)?
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let api = Api::new(&url, token, timeout(global))?;
    let who: Whoami = api.get(&["whoami"])?;
    let token = api.token().clone();
    rc::save(
        &path,
        &rc::Saved {
            url: url.clone(),
            token,
        },
    )?;
    output::print(&format!(
        "Logged in to {url} as {} with {} {}…; saved in {}.\n",
        identity(&who),
        kind_words(who.credential.kind),
        who.credential.display_prefix,
        path.display()
    ))
}

/// `kw status --json`: whoami as the server sent it, with where the token came from.
#[derive(Serialize)]
struct Status<'a> {
    server: &'a str,
    source: String,
    #[serde(flatten)]
    whoami: &'a Whoami,
    expiry_status: ExpiryStatus,
    warning: Option<String>,
}

pub fn status(global: &Global) -> Result<(), Failure> {
    let credentials = Credentials::current(global)?;
    let api = credentials.api(global)?;
    let who: Whoami = api.get(&["whoami"])?;
    let now = Utc::now();
    let expires_at = who.credential.expires_at;
    if global.json {
        return output::json(&Status {
            server: &api.server,
            source: credentials.source.describe(),
            whoami: &who,
            expiry_status: ExpiryStatus::of(expires_at, now),
            warning: expiry_warning(expires_at, now),
        });
    }
    let expires = match (expires_at, expiry_text(expires_at, now)) {
        (None, _) => "never".to_string(),
        (Some(at), None) => output::time(at),
        (Some(at), Some(text)) => format!("{} ({text})", output::time(at)),
    };
    output::print(&output::fields(&[
        ("Server", api.server.clone()),
        ("Identity", identity(&who)),
        (
            "Credential",
            format!(
                "{} {}… (from {})",
                kind_words(who.credential.kind),
                who.credential.display_prefix,
                credentials.source.describe()
            ),
        ),
        ("Permissions", permissions(&who)),
        ("Expires", expires),
    ]))
}

pub fn logout(global: &Global, revoke: bool) -> Result<(), Failure> {
    if revoke {
        let credentials = Credentials::current(global)?;
        let api = credentials.api(global)?;
        let prefix = credentials.token.display_prefix().to_string();
        match api.call(Method::DELETE, &["tokens", "current"], None::<&()>) {
            Ok(()) => output::print(&format!("Revoked {prefix}… on {}.\n", api.server))?,
            // Expired, revoked or unknown: it works nowhere already, so forgetting it is safe.
            Err(f) if f.code == exit::AUTH => eprintln!(
                "kw: {prefix}… was not accepted by {} (already revoked, expired or invalid); forgetting it",
                api.server
            ),
            Err(f) => return Err(f),
        }
        if credentials.source == Source::Environment {
            let path = rc::path()?;
            let saved = rc::load(&path)?;
            if saved.is_some_and(|s| s.token != credentials.token) {
                eprintln!("kw: {} holds another token; left in place", path.display());
                return Ok(());
            }
        }
    }
    let path = rc::path()?;
    if rc::remove(&path)? {
        output::print(&format!("Removed {}.\n", path.display()))
    } else {
        eprintln!("kw: not logged in (no {})", path.display());
        Ok(())
    }
}

fn identity(who: &Whoami) -> String {
    match (&who.user, &who.service_principal) {
        (Some(user), _) if user.display_name.is_empty() || user.display_name == user.username => {
            format!("{} (role {})", user.username, user.role.as_str())
        }
        (Some(user), _) => format!(
            "{} ({}, role {})",
            user.username,
            user.display_name,
            user.role.as_str()
        ),
        (None, Some(principal)) => format!("service principal {}", principal.name),
        (None, None) => "unknown".into(),
    }
}

fn kind_words(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ApiToken => "API token",
        CredentialKind::ServiceToken => "service token",
        CredentialKind::LoginSession => "login session",
    }
}

fn permissions(who: &Whoami) -> String {
    let names = who.grants.permissions.join(", ");
    match who.grants.scope {
        Some(Scope::Project { project_id, .. }) => format!("project {project_id}: {names}"),
        Some(Scope::Oplog { oplog_id }) => format!("operation log {oplog_id}: {names}"),
        None if who.grants.all_projects => "every permission on every project".into(),
        None => {
            "the user's own project grants, at each call (`kw projects list` shows them)".into()
        }
    }
}
