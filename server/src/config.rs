//! `keyward serve` configuration, from the environment with defaults that work from the
//! repository root with nothing set.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyward_backend::sealing::{Sealer, SecretKey};
use keyward_core::allowlist::IpRange;

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/keyward.db";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_KEY_FILE: &str = "data/keyward.key";

#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// `KEYWARD_ADDR`.
    pub addr: SocketAddr,
    /// `KEYWARD_DATABASE_URL`.
    pub database_url: String,
    /// `KEYWARD_SITE_ROOT`: the directory holding `pkg/` (the WASM, JS and CSS).
    pub site_root: String,
    /// `KEYWARD_LOGIN_JWT_MINUTES`: lifetime of a login JWT (default 15).
    pub login_jwt_minutes: u32,
    /// Where the sealing key comes from.
    pub keys: KeyConfig,
    /// `KEYWARD_LIMIT_*`: the rate limits.
    pub limits: keyward_backend::throttle::Limits,
    /// `KEYWARD_QUOTA_*`: the per-user quotas.
    pub quotas: keyward_backend::quota::Quotas,
    /// `KEYWARD_AUDIT_RETENTION_DAYS`: how long audit events are kept (default 365).
    pub audit_retention_days: u32,
    /// `KEYWARD_TRUSTED_PROXIES`: addresses or CIDR ranges of the reverse proxies in front
    /// of keyward (comma- or space-separated; default none). Only a request from one of
    /// them is taken to come from the address its `X-Forwarded-For` names.
    pub trusted_proxies: Vec<IpRange>,
    /// `KEYWARD_USAGE_COUNTING`: `on` (default) or `off`, which stops counting token usage
    /// (for measuring what it costs).
    pub count_usage: bool,
    /// `KEYWARD_USAGE_FLUSH_SECONDS`: how often the counted usage is written (default 10;
    /// also at shutdown).
    pub usage_flush_seconds: u32,
    /// `KEYWARD_EXPIRY_NOTICE_SECONDS`: how often expiry notices are queued and sent to
    /// the expiry webhook (default 60).
    pub expiry_notice_seconds: u32,
}

/// The sealing key (see `keyward_backend::sealing`): `KEYWARD_SECRET_KEY` (64 hex digits)
/// if set, else the file `KEYWARD_SECRET_KEY_FILE`, which is created with a new random key,
/// mode 0600, when it does not exist. Its default is `keyward.key` beside a SQLite database
/// (a file of its own, not in the database), or `data/keyward.key` with PostgreSQL.
/// `KEYWARD_SECRET_KEY_PREVIOUS`: earlier keys (comma-separated) during a rotation.
#[derive(Clone, Debug)]
pub struct KeyConfig {
    pub key: Option<String>,
    pub file: PathBuf,
    pub previous: Vec<String>,
}

impl KeyConfig {
    pub fn from_env(database_url: &str) -> KeyConfig {
        KeyConfig {
            key: std::env::var("KEYWARD_SECRET_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty()),
            file: std::env::var("KEYWARD_SECRET_KEY_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|_| default_key_file(database_url)),
            previous: std::env::var("KEYWARD_SECRET_KEY_PREVIOUS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect(),
        }
    }

    /// The key file of `dir` (tests and tools that keep their files in one place).
    pub fn in_dir(dir: &Path) -> KeyConfig {
        KeyConfig {
            key: None,
            file: dir.join("keyward.key"),
            previous: Vec::new(),
        }
    }

    /// Loads (or, for a missing key file, creates) the key.
    pub fn sealer(&self) -> Result<Arc<Sealer>, String> {
        let current = match &self.key {
            Some(key) => SecretKey::parse(key).map_err(|e| format!("KEYWARD_SECRET_KEY: {e}"))?,
            None => key_file(&self.file)?,
        };
        let previous = self
            .previous
            .iter()
            .map(|k| SecretKey::parse(k).map_err(|e| format!("KEYWARD_SECRET_KEY_PREVIOUS: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(Sealer::new(&current, &previous)))
    }
}

/// `keyward.key` in the directory of a SQLite database, else [`DEFAULT_KEY_FILE`].
fn default_key_file(database_url: &str) -> PathBuf {
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.contains(":memory:"));
    match sqlite_file.map(Path::new).and_then(Path::parent) {
        Some(dir) => dir.join("keyward.key"),
        None => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

/// The key in `path`, made there on first use. A file that others may read is refused, as
/// ssh refuses a private key that is not private.
fn key_file(path: &Path) -> Result<SecretKey, String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)
                    .map_err(|e| format!("cannot read the key file {shown}: {e}"))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(format!(
                        "the key file {shown} may be read by other users (mode {:o}): run chmod 600 {shown}",
                        mode & 0o777
                    ));
                }
            }
            SecretKey::parse(&text).map_err(|e| format!("the key file {shown}: {e}"))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(path),
        Err(e) => Err(format!("cannot read the key file {shown}: {e}")),
    }
}

fn create_key_file(path: &Path) -> Result<SecretKey, String> {
    use std::io::Write;
    let shown = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| format!("cannot create the directory of the key file {shown}: {e}"))?;
    }
    let key = SecretKey::generate(&mut rand_core::OsRng);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", key.to_hex()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write the key file {shown}: {e}"))?;
            tracing::info!(file = %shown, "created a new secret key; keep a copy apart from the database");
            Ok(key)
        }
        // Another process (a second instance, `keyward admin`) made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => key_file(path),
        Err(e) => Err(format!("cannot create the key file {shown}: {e}")),
    }
}

impl ServeConfig {
    pub fn from_env() -> Result<Self, String> {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        let addr = var("KEYWARD_ADDR", DEFAULT_ADDR);
        let database_url = var("KEYWARD_DATABASE_URL", DEFAULT_DATABASE_URL);
        Ok(ServeConfig {
            addr: addr.parse().map_err(|_| {
                format!("KEYWARD_ADDR is not an address like 127.0.0.1:3000: {addr}")
            })?,
            keys: KeyConfig::from_env(&database_url),
            database_url,
            site_root: var("KEYWARD_SITE_ROOT", DEFAULT_SITE_ROOT),
            login_jwt_minutes: bounded("KEYWARD_LOGIN_JWT_MINUTES", 15, 24 * 60, "minutes")?,
            limits: limits_from_env()?,
            quotas: quotas_from_env()?,
            audit_retention_days: bounded(
                "KEYWARD_AUDIT_RETENTION_DAYS",
                keyward_backend::audit::DEFAULT_RETENTION_DAYS,
                36_500,
                "days",
            )?,
            trusted_proxies: trusted_proxies(&var("KEYWARD_TRUSTED_PROXIES", ""))?,
            count_usage: match var("KEYWARD_USAGE_COUNTING", "on").trim() {
                "on" => true,
                "off" => false,
                other => return Err(format!("KEYWARD_USAGE_COUNTING is on or off: {other}")),
            },
            usage_flush_seconds: bounded("KEYWARD_USAGE_FLUSH_SECONDS", 10, 3600, "seconds")?,
            expiry_notice_seconds: bounded("KEYWARD_EXPIRY_NOTICE_SECONDS", 60, 3600, "seconds")?,
        })
    }
}

/// A whole number from the environment, 1 to `max` (`unit` names it in the error).
fn bounded(name: &str, default: u32, max: u32, unit: &str) -> Result<u32, String> {
    let Ok(raw) = std::env::var(name) else {
        return Ok(default);
    };
    (raw.trim().parse().ok())
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("{name} must be 1 to {max} {unit}: {raw}"))
}

/// `KEYWARD_TRUSTED_PROXIES`: ranges separated by commas or white space.
pub fn trusted_proxies(text: &str) -> Result<Vec<IpRange>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse()
                .map_err(|e| format!("KEYWARD_TRUSTED_PROXIES: {e}"))
        })
        .collect()
}

/// The rate limits, each `BURST/SECONDS` (see `keyward_backend::throttle`).
fn limits_from_env() -> Result<keyward_backend::throttle::Limits, String> {
    use keyward_backend::throttle::{Limits, Rate};
    let mut limits = Limits::default();
    for (name, rate) in [
        ("KEYWARD_LIMIT_SIGN_IN_PAIR", &mut limits.sign_in_pair),
        ("KEYWARD_LIMIT_SIGN_IN_ACCOUNT", &mut limits.sign_in_account),
        ("KEYWARD_LIMIT_SIGN_IN_IP", &mut limits.sign_in_ip),
        ("KEYWARD_LIMIT_BEARER_IP", &mut limits.bearer_ip),
        ("KEYWARD_LIMIT_REPORT_IP", &mut limits.report_ip),
    ] {
        if let Ok(text) = std::env::var(name) {
            *rate = Rate::parse(&text).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(limits)
}

/// The per-user quotas, each a count of at least 1 (`keyward admin` reads the same ones).
pub fn quotas_from_env() -> Result<keyward_backend::quota::Quotas, String> {
    let mut quotas = keyward_backend::quota::Quotas::default();
    for (name, quota) in [
        ("KEYWARD_QUOTA_API_TOKENS", &mut quotas.api_tokens),
        ("KEYWARD_QUOTA_SERVICE_TOKENS", &mut quotas.service_tokens),
        ("KEYWARD_QUOTA_EMAILS", &mut quotas.emails),
        ("KEYWARD_QUOTA_PRINCIPALS", &mut quotas.principals),
    ] {
        if let Ok(text) = std::env::var(name) {
            *quota = text
                .trim()
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("{name} must be a count of at least 1: {text}"))?;
        }
    }
    Ok(quotas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_sits_beside_a_sqlite_database() {
        let file = |url| default_key_file(url);
        assert_eq!(
            file("sqlite://data/keyward.db"),
            PathBuf::from("data/keyward.key")
        );
        assert_eq!(
            file("sqlite:///var/lib/kw/k.db?mode=rwc"),
            PathBuf::from("/var/lib/kw/keyward.key")
        );
        assert_eq!(file("sqlite:k.db"), PathBuf::from("keyward.key"));
        assert_eq!(
            file("postgres://db/keyward"),
            PathBuf::from(DEFAULT_KEY_FILE)
        );
        assert_eq!(file("sqlite::memory:"), PathBuf::from(DEFAULT_KEY_FILE));
    }
}
