//! The API's one error type: every failure becomes `{"error": {"code", "message"}}` with the
//! right status, here and nowhere else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyward_backend::{AuthError, Error, MfaError};
use keyward_core::api::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    /// `Retry-After` seconds (5 for any other 503).
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn with_field(mut self, field: Option<String>) -> Self {
        self.field = field;
        self
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Auth(a) => ApiError::new(StatusCode::UNAUTHORIZED, a.code(), a.to_string()),
            Error::Invalid(f) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message: f.message,
                field: Some(f.field),
                retry_after: None,
            },
            Error::Conflict(c) => ApiError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message: c.message().into(),
                field: Some(c.field().into()),
                retry_after: None,
            },
            Error::Refused(_) => ApiError::new(StatusCode::BAD_REQUEST, "refused", e.to_string()),
            Error::Avatar(r) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message: r.to_string(),
                field: Some("avatar".into()),
                retry_after: None,
            },
            Error::NotFound => ApiError::not_found(),
            Error::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            Error::ReauthRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "reauthentication_required",
                e.to_string(),
            ),
            Error::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                e.to_string(),
            ),
            Error::Mfa(m) => ApiError {
                status: if m == MfaError::Locked {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::UNAUTHORIZED
                },
                code: m.code(),
                message: m.to_string(),
                field: Some("totp".into()),
                retry_after: None,
            },
            Error::NotSignedIn => ApiError::new(
                StatusCode::UNAUTHORIZED,
                AuthError::InvalidToken.code(),
                AuthError::InvalidToken.to_string(),
            ),
            Error::RateLimited(wait) => ApiError {
                retry_after: Some(wait.seconds()),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            },
            Error::Busy => ApiError {
                retry_after: Some(1),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
            },
            Error::Unavailable(_) => {
                tracing::warn!(error = %e, "API request failed: database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "keyward cannot reach its database right now. Try again in a moment.",
                )
            }
            Error::Config(_) | Error::Internal(_) | Error::Database(_) => {
                tracing::error!(error = %e, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on the server.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        let retry_after = match self.retry_after {
            Some(secs) => Some(secs),
            None if self.status == StatusCode::SERVICE_UNAVAILABLE => Some(5),
            None => None,
        };
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme, and the error for a bad token.
            let challenge = format!(
                "Bearer realm=\"keyward\", error=\"invalid_token\", error_description=\"{}\"",
                self.code
            );
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        res
    }
}
