//! Server-side helpers of the server functions: the services from context, the session
//! cookie, and the signed-in user of the current request.

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{DateTime, Utc};
use keyward_backend::Backend;
use keyward_backend::sessions::SessionUser;
use leptos::prelude::*;

use crate::error::AppError;

/// The session cookie. Its value is 256 random bits; the database holds only their hash.
/// Over https it is [`SECURE_SESSION_COOKIE`] instead.
pub const SESSION_COOKIE: &str = "kw_session";
/// The name over https: the `__Host-` prefix makes browsers refuse it unless it is Secure,
/// for the whole site and set by this host (no subdomain can plant or overwrite it).
pub const SECURE_SESSION_COOKIE: &str = "__Host-kw_session";

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

/// The value of the session cookie in a request's `Cookie` headers. Over https only the
/// `__Host-` one counts: a plain `kw_session` there could have been planted by a sibling
/// subdomain or over http (session fixation).
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let wanted = if is_https(headers) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
}

/// Whether the request arrived over https (through a TLS-terminating proxy that says so);
/// the cookie is then `__Host-` and `Secure`, and responses carry HSTS.
pub fn is_https(headers: &HeaderMap) -> bool {
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
    let (name, secure) = if is_https(headers) {
        (SECURE_SESSION_COOKIE, "; Secure")
    } else {
        (SESSION_COOKIE, "")
    };
    let (value, max_age) = match value {
        Some(v) => (v, max_age_secs),
        None => ("", 0),
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kw_session=; Path=/; Max-Age=0"))
}

/// Provides this render's nonce and sends the Content-Security-Policy that lets only the
/// site's own files and the scripts carrying that nonce (Leptos' hydration script) run.
pub fn content_security_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The request headers of the current server function call or page render.
pub fn request_headers() -> Result<HeaderMap, AppError> {
    use_context::<axum::http::request::Parts>()
        .map(|p| p.headers)
        .ok_or(AppError::Internal)
}

/// The address the request came from (the socket peer, or the client a trusted proxy
/// names: see `keyward_backend::client`).
pub async fn client_ip() -> Option<String> {
    use keyward_backend::client::ClientAddr;
    leptos_axum::extract::<axum::Extension<ClientAddr>>()
        .await
        .ok()
        .map(|axum::Extension(c)| c.ip.to_string())
}

/// Where a sign-in comes from, as kept on its session.
pub async fn client_info() -> Result<keyward_backend::sessions::ClientInfo, AppError> {
    let headers = request_headers()?;
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    Ok(keyward_backend::sessions::ClientInfo::new(
        client_ip().await,
        agent,
    ))
}

/// The live session of this request. Only the cookie counts: an `Authorization` header is
/// ignored, so API tokens cannot call server functions.
pub async fn current_session() -> Result<SessionUser, AppError> {
    let headers = request_headers()?;
    let cookie = session_cookie(&headers).ok_or(AppError::NotSignedIn)?;
    let session = backend()?.session_user(cookie, now()).await?;
    keyward_backend::audit::set_actor(&session.user.username);
    Ok(session)
}

/// The live session, for a sensitive change (sudo mode): its password entry must be recent,
/// else `ReauthRequired` and the page asks for the password (see `confirm_access`).
pub async fn sudo_session() -> Result<SessionUser, AppError> {
    let session = current_session().await?;
    backend()?.require_recent_sign_in(&session.session, now())?;
    Ok(session)
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
        // Over https, only the __Host- cookie counts (a planted plain one does not).
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("kw_session=planted"),
        );
        h.append("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(session_cookie(&h), None);
        h.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-kw_session=mine"),
        );
        assert_eq!(session_cookie(&h), Some("mine"));
    }
}
