//! The bearer extractor: a handler that takes [`Bearer`] runs only for a valid credential.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use keyward_backend::client::ClientAddr;
use keyward_backend::{Backend, Principal};

use super::error::ApiError;
use super::expiry::CredentialNotes;

/// The authenticated caller of an API request.
pub struct Bearer(pub Principal);

impl<S> FromRequestParts<S> for Bearer
where
    Backend: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let client = parts.extensions.get::<ClientAddr>().copied();
        let backend = Backend::from_ref(state);
        let principal = backend
            .authenticate_bearer(header, client, Utc::now())
            .await?;
        if let Some(slot) = parts.extensions.get::<CredentialNotes>() {
            let credential = &principal.credential;
            slot.record(credential.expires_at, credential.replaced_until);
        }
        Ok(Bearer(principal))
    }
}
