use axum::extract::FromRef;
use keyward_backend::Backend;
use leptos::config::LeptosOptions;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub backend: Backend,
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
