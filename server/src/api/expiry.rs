//! Warnings before breakage: a response to a credential that expires within 7 days says
//! so, in `Keyward-Token-Expires` (RFC 3339) and in words (`Keyward-Token-Warning`, and a
//! `Warning: 299` header for generic HTTP tooling), so scripts and `kw` can tell their
//! people before the credential stops working.

use std::sync::{Arc, OnceLock};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, Utc};
use keyward_core::expiry::expiry_warning;

pub const EXPIRES: HeaderName = HeaderName::from_static("keyward-token-expires");
pub const WARNING: HeaderName = HeaderName::from_static("keyward-token-warning");

/// Where the bearer extractor leaves the expiry of the credential it accepted.
#[derive(Clone, Default)]
pub struct CredentialExpiry(Arc<OnceLock<DateTime<Utc>>>);

impl CredentialExpiry {
    pub fn record(&self, expires_at: DateTime<Utc>) {
        let _ = self.0.set(expires_at);
    }
}

pub async fn warn(mut req: Request, next: Next) -> Response {
    let slot = CredentialExpiry::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    let Some(&expires_at) = slot.0.get() else {
        return res;
    };
    let Some(words) = expiry_warning(Some(expires_at), Utc::now()) else {
        return res;
    };
    let at = expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let headers = res.headers_mut();
    for (name, value) in [
        (EXPIRES, at),
        (WARNING, words.clone()),
        (header::WARNING, format!("299 keyward \"{words}\"")),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    res
}
