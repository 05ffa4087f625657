use std::sync::Arc;

use axum::extract::FromRef;
use keyward_backend::Backend;
use keyward_core::allowlist::IpRange;
use leptos::config::LeptosOptions;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub backend: Backend,
    /// `KEYWARD_TRUSTED_PROXIES`: the peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Arc<[IpRange]>);

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(s: &AppState) -> Self {
        s.trusted_proxies.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

impl FromRef<AppState> for Backend {
    fn from_ref(s: &AppState) -> Self {
        s.backend.clone()
    }
}
