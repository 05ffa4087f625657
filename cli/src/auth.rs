//! Which token and server a command uses, and the commands about them: `kw login`,
//! `kw status`, `kw logout`.
//!
//! A token is sent only to the server it belongs with: a saved token to the saved URL (a
//! typo in `--url`, or a stray `KW_URL`, must not hand it to another host), and `KW_TOKEN`
//! to `--url`/`KW_URL` only. There is no default server.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use keyward_core::api::{AuthError, CredentialKind, RotateRequest, RotatedToken, Whoami};
use keyward_core::expiry::{expiry_text, expiry_warning};
use keyward_core::{ExpiryStatus, Scope, Secret};
use reqwest::Method;
use serde::Serialize;

use crate::args::Global;
use crate::client::{Api, normalize_server};
use crate::failure::{Failure, exit, hold, say};
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

/// The server and token of a command.
pub struct Credentials {
    pub url: String,
    pub token: Secret,
    pub source: Source,
}

impl Credentials {
    pub fn current(global: &Global) -> Result<Credentials, Failure> {
        let given = global.url.as_deref().map(normalize_server).transpose()?;
        if let Some(token) = env_token() {
            let url = given.ok_or_else(env_token_needs_url)?;
            return Ok(Credentials {
                url,
                token: checked(&token, TOKEN_VARIABLE)?,
                source: Source::Environment,
            });
        }
        let path = rc::path()?;
        let Some(saved) = rc::load(&path)? else {
            return Err(Failure::auth(format!(
                "not logged in: run `kw login --url URL --token -` with a token on standard input, or set {TOKEN_VARIABLE} and KW_URL"
            )));
        };
        let url = normalize_server(&saved.url)?;
        if let Some(other) = given.filter(|g| *g != url) {
            return Err(Failure::usage(format!(
                "the token saved in {} is for {url}, not {other}: run `kw login --url {other}` to use that server, or set {TOKEN_VARIABLE}",
                path.display()
            )));
        }
        let token = checked(saved.token.expose(), &path.display().to_string())?;
        Ok(Credentials {
            url,
            token,
            source: Source::File(path),
        })
    }

    pub fn api(&self, global: &Global) -> Result<Api, Failure> {
        Api::new(&self.url, self.token.clone(), timeout(global))
    }
}

fn no_server() -> Failure {
    Failure::usage("no server: pass --url https://keyward.example.com, or set KW_URL")
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
    if token.trim().is_empty() {
        return Err(Failure::usage(format!("no token: {from} is empty")));
    }
    match keyward_core::token::parse(token) {
        Ok(_) => Ok(Secret::new(token.trim().to_string())),
        Err(e) => Err(Failure::auth(format!(
            "{from} does not hold a valid keyward token: {e}"
        ))),
    }
}

/// `KW_TOKEN`, unless unset or blank (as an unset variable expands in a CI file).
fn env_token() -> Option<String> {
    std::env::var(TOKEN_VARIABLE)
        .ok()
        .filter(|t| !t.trim().is_empty())
}

/// `KW_TOKEN` goes to `--url`/`KW_URL` only, never to the saved login's server: that may be
/// another keyward, which has no business seeing this token.
fn env_token_needs_url() -> Failure {
    Failure::usage(format!(
        "{TOKEN_VARIABLE} needs its server: pass --url https://keyward.example.com, or set KW_URL"
    ))
}

/// The token for `kw login`: `--token`, `--token -` (stdin), `KW_TOKEN`, or a hidden prompt.
fn login_token(token: Option<String>) -> Result<Secret, Failure> {
    let prompt = || input::hidden("Paste your keyward token (it is not shown): ");
    let from_env = env_token();
    match (token.as_deref(), from_env) {
        // Typed at a terminal, a token would be shown on the screen as it is typed.
        (Some("-"), _) if input::stdin_is_terminal() => checked(&prompt()?, "the prompt"),
        (Some("-"), _) => checked(&input::read_stdin("the token")?, "standard input"),
        (Some(token), _) => checked(token, "--token"),
        (None, Some(token)) => checked(&token, TOKEN_VARIABLE),
        (None, None) if input::stdin_is_terminal() => checked(&prompt()?, "the prompt"),
        (None, None) => Err(Failure::usage(
            "no token: pass --token - with the token on standard input, --token TOKEN, or set KW_TOKEN",
        )),
    }
}

pub fn login(global: &Global, token: Option<String>) -> Result<(), Failure> {
    let path = rc::path()?;
    // Refused before the token is asked for or anything is sent: the file we would write
    // over may have leaked, and without a server there is nowhere to check the token.
    let saved = rc::load(&path)?;
    let url = match (&global.url, &saved) {
        (Some(url), _) => url.clone(),
        (None, _) if token.is_none() && env_token().is_some() => {
            return Err(env_token_needs_url());
        }
        (None, Some(saved)) => saved.url.clone(),
        (None, None) => return Err(no_server()),
    };
    let url = normalize_server(&url)?;
    let token = login_token(token)?;
    let api = Api::new(&url, token, timeout(global))?;
    let who: Whoami = api.get(&["whoami"])?;
    if let Some(old) = saved.filter(|s| !s.is_for(&url)) {
        say(&format!(
            "replacing the saved login for {} in {}",
            output::plain(&old.url),
            path.display()
        ));
    }
    rc::save(
        &path,
        &rc::Saved {
            url: url.clone(),
            token: api.token().clone(),
        },
    )?;
    output::print(&format!(
        "Logged in to {url} as {} with {} {}…; saved in {}.\n",
        identity(&who),
        kind_words(who.credential.kind),
        output::plain(&who.credential.display_prefix),
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
        ("Allowed IPs", allowed_ips(&who.credential.allowed_ips)),
        ("Usage", usage_words(who.usage.as_ref())),
    ]))
}

/// The token's Allowed IP ranges in one line.
fn allowed_ips(allowed: &keyward_core::allowlist::Allowlist) -> String {
    if allowed.is_empty() {
        return "any address".into();
    }
    allowed.to_string().replace('\n', ", ")
}

/// The usage summary: the 30-day total and today, and where it was last used from.
fn usage_words(usage: Option<&keyward_core::usage::Usage>) -> String {
    let Some(usage) = usage else {
        return "not counted for a login session".into();
    };
    match usage.recent_ips.first() {
        Some(last) => format!(
            "{} Last from {} at {}.",
            usage.summary(),
            last.ip,
            output::time(last.last_seen)
        ),
        None => usage.summary(),
    }
}

/// 401 codes after which the token works nowhere, so forgetting it without a revocation is
/// safe. A suspended token or a deactivated account can come back; `invalid_token` says only
/// that this server does not know the token (the wrong server, or a proxy that dropped the
/// header): none of those is "gone".
fn gone(reason: Option<&str>) -> bool {
    matches!(
        reason.and_then(AuthError::parse),
        Some(AuthError::TokenRevoked | AuthError::TokenExpired)
    )
}

pub fn logout(global: &Global, revoke: bool) -> Result<(), Failure> {
    let path = rc::path()?;
    // Read and checked first: only a kw credentials file of this user's is ever removed
    // (KEYWARD_AUTH_FILE may name any file), and nothing is revoked when it is not one.
    let saved = rc::load(&path)?;
    if revoke {
        let credentials = Credentials::current(global)?;
        let api = credentials.api(global)?;
        let prefix = credentials.token.display_prefix().to_string();
        match api.call(Method::DELETE, &["tokens", "current"], None::<&()>) {
            Ok(()) => output::print(&format!("Revoked {prefix}… on {}.\n", api.server))?,
            Err(f) if f.code == exit::AUTH && gone(f.reason.as_deref()) => say(&format!(
                "{prefix}… no longer works on {} ({}); forgetting it",
                api.server,
                f.reason.unwrap_or_default()
            )),
            Err(f) if f.code == exit::AUTH => {
                return Err(Failure::auth(format!(
                    "{prefix}… was NOT revoked, and is kept: {}",
                    f.message
                )));
            }
            Err(f) => return Err(f),
        }
        // KW_TOKEN was revoked: the file is removed only if it held that token for that server.
        let other = saved
            .as_ref()
            .is_some_and(|s| s.token != credentials.token || !s.is_for(&credentials.url));
        if credentials.source == Source::Environment && other {
            say(&format!(
                "{} holds another login; left in place",
                path.display()
            ));
            return Ok(());
        }
    }
    if saved.is_some() && rc::remove(&path)? {
        output::print(&format!("Removed {}.\n", path.display()))
    } else {
        say(&format!("not logged in (no {})", path.display()));
        Ok(())
    }
}

/// `kw token rotate`: a new value from the server, then saved in place of the old one (a
/// saved login) or printed alone on stdout (KW_TOKEN: there is no file to update). The file
/// is checked and its temporary file made before the server is asked, so the new value has
/// somewhere to go; should writing it still fail, the value is printed rather than lost.
pub fn rotate(global: &Global, grace_minutes: u32) -> Result<(), Failure> {
    let credentials = Credentials::current(global)?;
    let api = credentials.api(global)?;
    let pending = match &credentials.source {
        Source::File(path) => Some(rc::Pending::open(path)?),
        Source::Environment => None,
    };
    let body = RotateRequest { grace_minutes };
    let rotated: RotatedToken =
        match api.send(Method::POST, &["tokens", "current", "rotate"], &body) {
            Ok(rotated) => rotated,
            Err(e) => {
                pending.into_iter().for_each(rc::Pending::abandon);
                return Err(e);
            }
        };
    // Not held (which would mask it on stdout): printing it may be the point.
    let token = match keyward_core::token::parse(&rotated.token) {
        Ok(_) => Secret::new(rotated.token),
        Err(_) => {
            pending.into_iter().for_each(rc::Pending::abandon);
            let odd = format!("{} answered the rotation without a valid token", api.server);
            return Err(Failure::server(odd));
        }
    };
    let until = output::time(rotated.old_valid_until);
    let (old, new) = (&rotated.old_display_prefix, &rotated.display_prefix);
    let words = format!("{old}… was replaced by {new}… on {}", api.server);
    let print_value = |why: &str| {
        say(&format!(
            "{words}; {why}; the old value works until {until}"
        ));
        output::print(&format!("{}\n", token.expose()))
    };
    let (Source::File(path), Some(pending)) = (&credentials.source, pending) else {
        return print_value("the new value is on stdout");
    };
    let saved = rc::Saved {
        url: credentials.url.clone(),
        token: token.clone(),
    };
    if let Err(e) = pending.commit(&saved) {
        print_value(&format!(
            "it could NOT be saved ({}), so it is on stdout",
            e.message
        ))?;
        return Err(e);
    }
    output::print(&format!(
        "Rotated: {words}; saved in {}. The old value works until {until}.\n",
        path.display()
    ))
}

/// Who the token acts as. Names come from the server: shown without control characters.
fn identity(who: &Whoami) -> String {
    let text = match (&who.user, &who.service_principal) {
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
    };
    output::plain(&text)
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
