//! Server-side helpers of the server functions: the services from context, the session
//! cookie, and the signed-in user of the current request.

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{DateTime, Utc};
use keyward_backend::Backend;
use keyward_backend::sessions::SessionUser;
use leptos::prelude::*;

use crate::error::AppError;

/// The session cookie. Its value is 256 random bits; the database holds only their hash.
pub const SESSION_COOKIE: &str = "kw_session";

/// The services, provided to every server function and page render by the server.
pub fn backend() -> Result<Backend, AppError> {
    use_context::<Backend>().ok_or_else(|| {
        tracing::error!("the Backend is missing from the Leptos context");
        AppError::Internal
    })
}

/// The clock, read at the edge: everything below takes `now` as a parameter.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The value of the session cookie in a request's `Cookie` headers.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Whether the request arrived over https (directly or through a proxy that says so);
/// the cookie is then marked `Secure`.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session (`Some`) or for removing it (`None`).
pub fn session_set_cookie(
    headers: &HeaderMap,
    value: Option<&str>,
    max_age_secs: i64,
) -> HeaderValue {
    let secure = if is_https(headers) { "; Secure" } else { "" };
    let (value, max_age) = match value {
        Some(v) => (v, max_age_secs),
        None => ("", 0),
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kw_session=; Path=/; Max-Age=0"))
}

/// The request headers of the current server function call or page render.
pub fn request_headers() -> Result<HeaderMap, AppError> {
    use_context::<axum::http::request::Parts>()
        .map(|p| p.headers)
        .ok_or(AppError::Internal)
}

/// The live session of this request. Only the cookie counts: an `Authorization` header is
/// ignored, so API tokens cannot call server functions.
pub async fn current_session() -> Result<SessionUser, AppError> {
    let headers = request_headers()?;
    let cookie = session_cookie(&headers).ok_or(AppError::NotSignedIn)?;
    Ok(backend()?.session_user(cookie, now()).await?)
}

/// The live session of an administrator; anyone else gets 403.
pub async fn current_admin() -> Result<SessionUser, AppError> {
    let session = current_session().await?;
    if session.user.role == keyward_core::Role::Admin {
        Ok(session)
    } else {
        Err(AppError::Forbidden(
            "Only administrators may do this.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; kw_session=abc; b=2"),
        );
        assert_eq!(session_cookie(&h), Some("abc"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("kw_session_x=1"));
        assert_eq!(session_cookie(&h), None);
    }
}
