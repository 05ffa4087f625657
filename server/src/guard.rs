//! Request guards in front of the pages and the server functions.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use keyward_backend::sessions::SessionUser;
use keyward_backend::{Backend, Error};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// The live session a request's cookie names, if any (for the handlers outside the
/// server functions: page guards and the avatar routes). While the database is out of
/// reach the answer is the plain "unavailable" page, not "signed out".
pub async fn session_of(
    backend: &Backend,
    headers: &HeaderMap,
) -> Result<Option<SessionUser>, Response> {
    let Some(cookie) = app::ssr::session_cookie(headers) else {
        return Ok(None);
    };
    match backend.session_user(cookie, Utc::now()).await {
        Ok(session) => Ok(Some(session)),
        Err(Error::Unavailable(_)) => Err(unavailable_page()),
        Err(_) => Ok(None),
    }
}

/// The plain page shown while the database cannot be reached (no script, no styles: they
/// would need nothing from the database, but the message must not depend on them).
pub fn unavailable_page() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "5")],
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>keyward is unavailable</title></head><body><main>\
             <h1>keyward is unavailable</h1>\
             <p>keyward cannot reach its database right now. Try again in a moment.</p>\
             </main></body></html>",
        ),
    )
        .into_response()
}

/// Pages that need a signed-in user redirect to `/login` when there is none (before any
/// rendering), and `/login` sends a signed-in user on to their profile.
pub async fn pages(State(backend): State<Backend>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/" {
        return Redirect::to("/profile").into_response();
    }
    let protected = path == "/profile"
        || path.starts_with("/profile/")
        || path.starts_with("/users/")
        || path == "/projects"
        || path.starts_with("/projects/")
        || path.starts_with("/admin");
    let login = path == "/login";
    if req.method() == Method::GET && (protected || login) {
        let signed_in = match session_of(&backend, req.headers()).await {
            Ok(session) => session.is_some(),
            Err(unavailable) => return unavailable,
        };
        if protected && !signed_in {
            return Redirect::to("/login").into_response();
        }
        if login && signed_in {
            return Redirect::to("/profile").into_response();
        }
    }
    next.run(req).await
}

/// Server functions (`/rpc/...`) and the avatar upload refuse cross-site calls (a second
/// line behind the SameSite=Lax cookie) and their answers are never cached.
pub async fn server_functions(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !(path.starts_with("/rpc/") || path == crate::avatar::UPLOAD_PATH) {
        return next.run(req).await;
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, rest)| rest.trim_end_matches('/'));
        if host.is_none() || origin_host != host {
            return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
        }
    }
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        res = with_error_status(res).await;
    }
    res
}

/// Gives a failed server function the status its error deserves (the page decodes any
/// 4xx/5xx the same way; the status matters to logs, proxies and scripts).
async fn with_error_status(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
