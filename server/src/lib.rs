//! The keyward server: the axum router (pages, server functions, bearer API), start-up, and
//! the `keyward admin` subcommands.

// Leptos views are deeply nested types; their layout queries need more depth than the default.
#![recursion_limit = "256"]

mod access_log;
pub mod admin;
pub mod api;
mod avatar;
mod client;
pub mod config;
mod guard;
mod headers;
pub mod state;
pub mod webhook;

use std::net::SocketAddr;

use app::{App, shell};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use chrono::Utc;
use keyward_backend::{Backend, Config};
use keyward_core::Secret;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;

pub use config::ServeConfig;
use state::AppState;

/// The whole HTTP surface of keyward.
pub fn router(state: AppState) -> Router {
    let backend = state.backend.clone();
    let leptos = state.leptos.clone();
    let routes = generate_route_list(App);
    Router::new()
        .nest("/api/v1", api::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            avatar::UPLOAD_PATH,
            post(avatar::upload).layer(DefaultBodyLimit::max(avatar::BODY_LIMIT)),
        )
        .route("/users/{username}/avatar", get(avatar::serve))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard::pages))
        .layer(middleware::from_fn(guard::server_functions))
        .layer(middleware::from_fn(headers::security))
        .layer(middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            client::context,
        ))
        .layer(middleware::from_fn(access_log::log))
        .with_state(state)
}

async fn flush_usage(backend: &Backend) {
    if let Err(e) = backend.flush_usage().await {
        tracing::warn!(error = %e, "cannot write token usage; it is kept for the next try");
    }
}

/// Liveness: the process answers. It touches no database, so it stays up while the
/// database is down (a load balancer should not restart instances for that).
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers (503 `unavailable` while it does not).
async fn readyz(
    axum::extract::State(backend): axum::extract::State<Backend>,
) -> Result<Json<serde_json::Value>, api::ApiError> {
    backend.ping().await?;
    Ok(Json(serde_json::json!({ "status": "ready" })))
}

/// Leptos' options built in code, so `keyward serve` needs no cargo-leptos environment.
fn leptos_options(config: &ServeConfig) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("keyward")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .env(Env::PROD)
        .build()
}

/// A server bound to its address, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    /// How often the counted token usage is written.
    usage_flush: std::time::Duration,
    /// How often expiry notices are queued and sent.
    notice_every: std::time::Duration,
    /// The one-time code of the setup link, when the database has no users yet.
    pub setup_code: Option<Secret>,
}

impl Server {
    /// Opens (and migrates) the database and binds the address (port 0 picks a free one).
    pub async fn bind(config: &ServeConfig) -> Result<Server, String> {
        let services = Config {
            login_jwt: chrono::TimeDelta::minutes(config.login_jwt_minutes.into()),
            limits: config.limits.clone(),
            quotas: config.quotas,
            audit_retention_days: config.audit_retention_days,
            sealer: config.keys.sealer()?,
            count_usage: config.count_usage,
            ..Config::default()
        };
        let backend = Backend::connect(&config.database_url, services)
            .await
            .map_err(|e| e.to_string())?;
        // Values stored before sealing, or sealed with a previous key, are sealed with the
        // current one; a value no configured key opens stops the start here.
        backend.reseal().await.map_err(|e| e.to_string())?;
        backend
            .prune_audit(Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        backend
            .prune_usage(Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        let setup_code = backend
            .setup_code_if_needed(Utc::now(), &mut rand_core::OsRng)
            .await
            .map_err(|e| e.to_string())?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let mut config = config.clone();
        config.addr = listener.local_addr().map_err(|e| e.to_string())?;
        Ok(Server {
            listener,
            state: AppState {
                leptos: leptos_options(&config),
                backend,
                trusted_proxies: state::TrustedProxies(config.trusted_proxies.clone().into()),
            },
            usage_flush: std::time::Duration::from_secs(config.usage_flush_seconds.into()),
            notice_every: std::time::Duration::from_secs(config.expiry_notice_seconds.into()),
            setup_code,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.state.leptos.site_addr
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Audit events past their retention, and usage older than it shows, are deleted once
        // an hour (and at every start: see `bind`).
        let backend = self.state.backend.clone();
        let pruning = tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            hourly.tick().await;
            loop {
                hourly.tick().await;
                if let Err(e) = backend.prune_usage(Utc::now()).await {
                    tracing::warn!(error = %e, "cannot delete old token usage");
                }
                if let Err(e) = backend.prune_audit(Utc::now()).await {
                    tracing::warn!(error = %e, "cannot delete old audit events");
                }
                if let Err(e) = backend.prune_notices(Utc::now()).await {
                    tracing::warn!(error = %e, "cannot delete old expiry notices");
                }
            }
        });
        // What was counted is written every few seconds (see keyward_backend::usage). The
        // writer is stopped between writes, never during one (a write cut off would lose
        // the counts it had taken).
        let backend = self.state.backend.clone();
        let every = self.usage_flush;
        let (stop_flushing, mut stop) = tokio::sync::oneshot::channel::<()>();
        let flushing = tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.tick().await;
            loop {
                tokio::select! {
                    _ = interval.tick() => flush_usage(&backend).await,
                    _ = &mut stop => break,
                }
            }
        });
        // Expiry notices: each instance queues and sends; the database decides who sends
        // which (see keyward_backend::notices). A delivery cut off by shutdown is sent again.
        let backend = self.state.backend.clone();
        let webhook = webhook::Webhook::new().map_err(std::io::Error::other)?;
        let every = self.notice_every;
        let notices = tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.tick().await;
            loop {
                interval.tick().await;
                if let Err(e) = backend.send_expiry_notices(&webhook, &Utc::now).await {
                    tracing::warn!(error = %e, "cannot send expiry notices; trying again later");
                }
            }
        });
        let backend = self.state.backend.clone();
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        pruning.abort();
        notices.abort();
        let _ = stop_flushing.send(());
        let _ = flushing.await;
        // And once more at the end, so a restart loses no count.
        flush_usage(&backend).await;
        served
    }
}
