//! `keyward serve` configuration, from the environment with defaults that work from the
//! repository root with nothing set.

use std::net::SocketAddr;

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/keyward.db";
pub const DEFAULT_SITE_ROOT: &str = "target/site";

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
}

impl ServeConfig {
    pub fn from_env() -> Result<Self, String> {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        let addr = var("KEYWARD_ADDR", DEFAULT_ADDR);
        Ok(ServeConfig {
            addr: addr.parse().map_err(|_| {
                format!("KEYWARD_ADDR is not an address like 127.0.0.1:3000: {addr}")
            })?,
            database_url: var("KEYWARD_DATABASE_URL", DEFAULT_DATABASE_URL),
            site_root: var("KEYWARD_SITE_ROOT", DEFAULT_SITE_ROOT),
            login_jwt_minutes: {
                let raw = var("KEYWARD_LOGIN_JWT_MINUTES", "15");
                raw.parse()
                    .ok()
                    .filter(|m| (1..=24 * 60).contains(m))
                    .ok_or_else(|| {
                        format!("KEYWARD_LOGIN_JWT_MINUTES must be 1 to 1440 minutes: {raw}")
                    })?
            },
        })
    }
}
