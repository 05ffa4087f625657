//! Warnings before breakage. A response to a credential that expires within 7 days says
//! so, in `Keyward-Token-Expires` (RFC 3339) and in words (`Keyward-Token-Warning`, and a
//! `Warning: 299` header for generic HTTP tooling), so scripts and `kw` can tell their
//! people before the credential stops working. A response to a value a rotation replaced
//! (in its grace window) says `Keyward-Token-Replaced: true`, and the warning says until
//! when it works: that comes first, being the sooner breakage.

use std::sync::{Arc, OnceLock};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, SecondsFormat, Utc};
use keyward_core::expiry::expiry_warning;

pub const EXPIRES: HeaderName = HeaderName::from_static("keyward-token-expires");
pub const WARNING: HeaderName = HeaderName::from_static("keyward-token-warning");
pub const REPLACED: HeaderName = HeaderName::from_static("keyward-token-replaced");

/// What the bearer extractor learnt of the credential it accepted: when it expires, and
/// until when it works if a rotation replaced it.
#[derive(Clone, Default)]
pub struct CredentialNotes(Arc<OnceLock<Notes>>);

#[derive(Clone, Copy)]
struct Notes {
    expires_at: Option<DateTime<Utc>>,
    replaced_until: Option<DateTime<Utc>>,
}

impl CredentialNotes {
    pub fn record(&self, expires_at: Option<DateTime<Utc>>, replaced_until: Option<DateTime<Utc>>) {
        let _ = self.0.set(Notes {
            expires_at,
            replaced_until,
        });
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn warn(mut req: Request, next: Next) -> Response {
    let slot = CredentialNotes::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    let Some(&notes) = slot.0.get() else {
        return res;
    };
    let mut headers = vec![];
    let words = match notes.replaced_until {
        Some(until) => {
            headers.push((REPLACED, "true".to_string()));
            Some(format!(
                "This token value was replaced by a rotation and works until {}: use the new value.",
                rfc3339(until)
            ))
        }
        None => expiry_warning(notes.expires_at, Utc::now()),
    };
    let Some(words) = words else {
        return res;
    };
    if let Some(at) = notes.expires_at.filter(|_| notes.replaced_until.is_none()) {
        headers.push((EXPIRES, rfc3339(at)));
    }
    headers.push((WARNING, words.clone()));
    headers.push((header::WARNING, format!("299 keyward \"{words}\"")));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(name, value);
        }
    }
    res
}
