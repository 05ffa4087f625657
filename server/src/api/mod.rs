//! The bearer REST API under `/api/v1`.

mod auth;
mod error;
mod expiry;
mod json;
mod login;
mod openapi;
mod oplogs;
mod projects;
mod tokens;
mod whoami;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};

pub use auth::Bearer;
pub use error::ApiError;

use crate::state::AppState;

/// A path id that is not a number names nothing: 404, like an unknown id.
fn id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/login", post(login::login))
        .route("/whoami", get(whoami::whoami))
        .route("/tokens/current", delete(tokens::revoke_current))
        .route("/tokens/current/rotate", post(tokens::rotate_current))
        // 100 tokens are about 4.5 KB: no need to read 1 MiB from anyone without a credential.
        .route(
            "/tokens/report",
            post(tokens::report).layer(axum::extract::DefaultBodyLimit::max(
                json::REPORT_BODY_LIMIT,
            )),
        )
        .route("/oplogs", get(oplogs::list))
        .route(
            "/oplogs/{id}/entries",
            get(oplogs::entries).post(oplogs::create),
        )
        .route(
            "/oplogs/{id}/entries/{entry}",
            patch(oplogs::update).delete(oplogs::delete),
        )
        .route("/projects", get(projects::list))
        .route(
            "/projects/{id}",
            get(projects::get).delete(projects::delete),
        )
        .route(
            "/projects/{id}/config",
            get(projects::get_config).put(projects::put_config),
        )
        .route("/projects/{id}/secrets", get(projects::list_secrets))
        .route(
            "/projects/{id}/secrets/{name}",
            put(projects::put_secret).delete(projects::delete_secret),
        )
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API route.")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This route does not accept that method.",
            )
        })
        .layer(axum::middleware::from_fn(expiry::warn))
        .layer(axum::extract::DefaultBodyLimit::max(json::BODY_LIMIT))
}
