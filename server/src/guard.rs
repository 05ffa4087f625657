//! Request guards in front of the pages and the server functions.

use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use keyward_backend::sessions::SessionUser;
use keyward_backend::{Backend, Error};
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};
use leptos::server_fn::{ContentType, Decodes};

/// How server functions' errors travel (`AppError`'s encoder: the page's wire format).
type ErrorWire = <AppError as FromServerFnError>::Encoder;

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

/// The largest body a server function reads (its forms are small; 1 MiB, as for the API).
const RPC_BODY_LIMIT: usize = 1024 * 1024;

/// Server functions (`/rpc/...`) and the avatar upload refuse cross-site calls (a second
/// line behind the SameSite=Lax cookie) and their answers are never cached.
pub async fn server_functions(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let rpc = path.starts_with("/rpc/");
    if !(rpc || path == crate::avatar::UPLOAD_PATH) {
        return next.run(req).await;
    }
    if let Err(refusal) = same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, refusal).into_response();
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if rpc && declared.is_some_and(|n| n > RPC_BODY_LIMIT as u64) {
        let refusal = AppError::Message("The request is larger than 1 MiB.".into());
        return refusal_response(StatusCode::PAYLOAD_TOO_LARGE, &refusal);
    }
    // A body sent without a length is cut off at the limit too.
    let req = if rpc {
        req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, RPC_BODY_LIMIT)))
    } else {
        req
    };
    let mut res = next.run(req).await;
    // A plain `<form>` post (no WASM, `Accept: text/html`) is answered with a redirect back
    // to its page, the error in the URL's `__err`, for the page to show: it keeps its 302.
    if res.headers().contains_key(SERVER_FN_ERROR_HEADER) && !res.status().is_redirection() {
        res = with_error_status(res).await;
    }
    res
}

/// Cross-site request forgery: a call must show it comes from this site. Browsers that send
/// `Sec-Fetch-Site` (which a page cannot forge) are believed: it must be `same-origin`.
/// Otherwise an `Origin` header must name this host; and a call with neither may not carry
/// the session cookie. (`Origin` alone is not enough: under `Referrer-Policy: no-referrer`
/// a browser's own form posts say `Origin: null`.)
fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    const CROSS_SITE: &str = "cross-origin request refused";
    if let Some(site) = headers.get("sec-fetch-site") {
        return if site.as_bytes() == b"same-origin" {
            Ok(())
        } else {
            Err(CROSS_SITE)
        };
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match headers.get(header::ORIGIN) {
        Some(origin) => {
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| rest.trim_end_matches('/'));
            if host.is_some() && origin_host == host {
                Ok(())
            } else {
                Err(CROSS_SITE)
            }
        }
        None if app::ssr::session_cookie(headers).is_none() => Ok(()),
        None => {
            Err("request refused: it does not show that it comes from this site (no Origin header)")
        }
    }
}

/// A server function's refusal, written as the page reads every server function's error
/// (`AppError` in its encoder's format, see `app::rpc::Wire`).
fn refusal_response(status: StatusCode, refusal: &AppError) -> Response {
    let content_type = [(header::CONTENT_TYPE, ErrorWire::CONTENT_TYPE)];
    (status, content_type, refusal.ser()).into_response()
}

/// Gives a failed server function the status its error deserves (the page decodes any
/// 4xx/5xx the same way; the status matters to logs, proxies and scripts).
async fn with_error_status(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    if let Ok(err) = <ErrorWire as Decodes<AppError>>::decode(bytes.clone()) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = match err {
            AppError::RateLimited { retry_after, .. } => Some(retry_after),
            AppError::Busy | AppError::Unavailable => Some(5),
            _ => None,
        };
        if let Some(secs) = retry_after {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
