//! keyward's services and storage. The edges (server functions, the JSON API, the admin CLI)
//! call [`Backend`], the only door to storage: it validates with `keyward-core`, decides, and
//! reaches the database only through the [`db::Repository`] trait. Every method that depends on time takes `now`, and
//! every method that mints a secret takes the random number generator.

pub mod account;
pub mod admin;
pub mod allowlist;
pub mod audit;
pub mod auth;
pub mod avatar;
pub mod client;
pub mod db;
pub mod error;
pub mod jwt;
pub mod login;
pub mod mfa;
pub mod notices;
pub mod oplogs;
pub mod password;
pub mod policy;
pub mod projects;
pub mod quota;
pub mod reports;
pub mod resources;
pub mod rotation;
pub mod sealing;
pub mod service_tokens;
pub mod sessions;
pub mod setup;
pub mod sudo;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod usage;
pub mod users;
pub mod work;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

pub use auth::{Actor, Credential, Principal};
pub use error::{AuthError, Constraint, Error, MfaError};
pub use tokens::Minted;

use db::Repository;

/// Tunables of the services; [`Config::default`] is what `keyward serve` uses.
#[derive(Clone, Debug)]
pub struct Config {
    /// A browser session ends after this long without a request.
    pub session_idle: TimeDelta,
    /// ...and after this long in any case.
    pub session_absolute: TimeDelta,
    /// Last-used and last-seen times are written at most this often per credential, so
    /// verifying a credential stays a read.
    pub touch_interval: TimeDelta,
    /// Lifetime of a login JWT from `POST /api/v1/login` (and of its session).
    pub login_jwt: TimeDelta,
    /// Rate limits on failed sign-ins, setup-link tries and bearer authentications.
    pub limits: throttle::Limits,
    /// Password hashes (Argon2id, 19 MiB each) run at once; more wait.
    pub hashes_at_once: usize,
    /// Avatar decodes (up to 64 MiB each) run at once; more wait.
    pub decodes_at_once: usize,
    /// How long a hash or decode waits for its turn before the request is refused as busy.
    pub heavy_wait: Duration,
    /// How long audit events are kept.
    pub audit_retention_days: u32,
    /// Per-user quotas on tokens, addresses and principals.
    pub quotas: quota::Quotas,
    /// The key that seals TOTP seeds and project secrets and signs login JWTs (never in
    /// the database). The default is a key of its own per process, for tests: `keyward
    /// serve` loads its key from the environment or the key file.
    pub sealer: Arc<sealing::Sealer>,
    /// Whether authenticated requests are counted per token (see [`usage`]); off only to
    /// measure what counting costs (`KEYWARD_USAGE_COUNTING=off`, for `make bench`).
    pub count_usage: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_idle: TimeDelta::hours(12),
            session_absolute: TimeDelta::days(7),
            touch_interval: TimeDelta::minutes(1),
            login_jwt: TimeDelta::minutes(15),
            limits: throttle::Limits::default(),
            hashes_at_once: work::cores(),
            decodes_at_once: 2,
            heavy_wait: Duration::from_secs(3),
            audit_retention_days: audit::DEFAULT_RETENTION_DAYS,
            quotas: quota::Quotas::default(),
            sealer: Arc::new(sealing::Sealer::ephemeral()),
            count_usage: true,
        }
    }
}

/// The services, cheap to clone (shared state behind `Arc`s).
#[derive(Clone)]
pub struct Backend {
    repo: Arc<dyn Repository>,
    config: Arc<Config>,
    throttle: Arc<throttle::Throttle>,
    hashing: Arc<work::Bounded>,
    decoding: Arc<work::Bounded>,
    usage: Arc<usage::Counter>,
}

impl Backend {
    pub fn new(repo: Arc<dyn Repository>, config: Config) -> Self {
        Backend {
            repo,
            throttle: Arc::new(throttle::Throttle::new(config.limits.clone())),
            hashing: Arc::new(work::Bounded::new(
                "hash",
                config.hashes_at_once,
                config.heavy_wait,
            )),
            decoding: Arc::new(work::Bounded::new(
                "decode",
                config.decodes_at_once,
                config.heavy_wait,
            )),
            usage: Arc::default(),
            config: Arc::new(config),
        }
    }

    /// Opens the database named by `url` (`sqlite:...` or `postgres://...`), creating and
    /// migrating it, and builds the services.
    pub async fn connect(url: &str, config: Config) -> Result<Self, Error> {
        let repo = db::SqlRepository::connect(url).await?;
        Ok(Backend::new(Arc::new(repo), config))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Storage, for the services only: the edges call services.
    pub(crate) fn repo(&self) -> &dyn Repository {
        &*self.repo
    }

    /// Whether the database answers (the health check).
    pub async fn ping(&self) -> Result<(), Error> {
        self.repo.ping().await
    }
}

#[cfg(test)]
mod tests;
