//! Security headers on every response. Pages get their Content-Security-Policy from the
//! page shell (it carries the render's nonce, see `app::ssr::content_security_policy`);
//! anything else (JSON, images, errors) gets a policy that allows nothing.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// For responses that are not pages: nothing may load, nothing may frame them.
const LOCKED_DOWN: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security(req: Request, next: Next) -> Response {
    let https = app::ssr::is_https(req.headers());
    // The site's own files (WASM, JS, CSS, icons) are the same for everyone; every other
    // answer may be someone's page or data, and is never stored.
    let path = req.uri().path();
    let public = path.starts_with("/pkg/") || path.starts_with("/favicon");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(headers, header::CONTENT_SECURITY_POLICY, LOCKED_DOWN);
    }
    if public {
        // Never used from a cache without asking: the file names carry no hash, and the
        // page's WASM is split into chunks (`--split`) that must all come from one build.
        // (Leptos' file handler does not answer conditional requests, so asking means
        // downloading them again at each full page load; hashed names would end that.)
        set(headers, header::CACHE_CONTROL, "no-cache");
    } else {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if https {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}
