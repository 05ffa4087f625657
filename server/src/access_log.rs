//! One log line per request (target `keyward::access`, level info): method, path, status,
//! latency and which kind of credential came with it. The credential is named by its
//! display prefix at most, never its value; the query string is left out, and no header or
//! body is logged.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use keyward_core::token;

pub async fn log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let credential = credential(req.headers());
    let res = next.run(req).await;
    tracing::info!(
        target: "keyward::access",
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_millis() as u64,
        credential = %credential,
        "request"
    );
    res
}

/// What the request authenticates with, safe to log: `-` (nothing), a keyward token's
/// display prefix, `jwt`, `cookie`, or `unrecognised` for a bearer value of neither shape
/// (which may be someone's password pasted in the wrong place, so it is not shown).
fn credential(headers: &HeaderMap) -> String {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // Parsed as the authenticator parses it, so the line names what was checked.
        let bearer = keyward_backend::auth::bearer_token(value).unwrap_or_default();
        return match token::parse(bearer) {
            Ok(parsed) => parsed.display_prefix().to_owned(),
            Err(_) if keyward_backend::jwt::looks_like_jwt(bearer) => "jwt".into(),
            Err(_) => "unrecognised".into(),
        };
    }
    if app::ssr::session_cookie(headers).is_some() {
        return "cookie".into();
    }
    "-".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn names_the_credential_without_its_value() {
        let t = token::generate(keyward_core::TokenKind::ApiToken, &mut rand_core::OsRng);
        let t = t.expose();
        let named = credential(&with(header::AUTHORIZATION, &format!("Bearer {t}")));
        assert_eq!(named, &t[..12]);
        let jwt = credential(&with(header::AUTHORIZATION, "Bearer eyJa.eyJb.c2ln"));
        assert_eq!(jwt, "jwt");
        let any_case = credential(&with(header::AUTHORIZATION, &format!("bearer  {t}")));
        assert_eq!(any_case, &t[..12]);
        let pasted = credential(&with(header::AUTHORIZATION, "Bearer hunter2"));
        assert_eq!(pasted, "unrecognised");
        let cookie = credential(&with(header::COOKIE, "kw_session=abcdef"));
        assert_eq!(cookie, "cookie");
        assert_eq!(credential(&HeaderMap::new()), "-");
    }
}
