//! A JSON body extractor whose rejections speak the API's error format and name the field.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::ApiError;

/// A JSON body of at most `LIMIT` bytes. The limit is the router's (`DefaultBodyLimit`, set
/// to [`BODY_LIMIT`] for the API and lowered on a few routes); `LIMIT` is what the 413
/// names, so a route with its own limit says it with both.
pub struct ApiJson<T, const LIMIT: usize = BODY_LIMIT>(pub T);

impl<S, T, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejected(&rejection, LIMIT)),
        }
    }
}

fn rejected(rejection: &JsonRejection, limit: usize) -> ApiError {
    let text = rejection.body_text();
    match rejection {
        // Well-formed JSON of the wrong shape: name the field serde complained about.
        JsonRejection::JsonDataError(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            text.clone(),
        )
        .with_field(field_in(&text)),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body is larger than {}.", size(limit)),
            )
        }
        _ => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", text),
    }
}

/// The largest JSON body the API reads (a config of 1 MiB is plenty; a secret is 64 KiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The largest leak report: 100 values fit several times over, and a caller without a
/// credential gets no more of the server's memory than that.
pub const REPORT_BODY_LIMIT: usize = 16 * 1024;

/// `1 MiB`, `16 KiB`.
fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    match bytes {
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b => format!("{} KiB", b / 1024),
    }
}

/// The field named in a serde message ("missing field `value`", "unknown field `x`"), or
/// the path axum puts before a value's error ("...target type: grace_minutes: invalid
/// value: integer `-1`").
fn field_in(message: &str) -> Option<String> {
    if let Some((_, rest)) = message.split_once("field `") {
        return rest.split_once('`').map(|(name, _)| name.to_string());
    }
    let (_, rest) = message.split_once("target type: ")?;
    let (path, _) = rest.split_once(": ")?;
    (!path.contains(' ')).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn limits_read_as_people_write_them() {
        assert_eq!(super::size(super::BODY_LIMIT), "1 MiB");
        assert_eq!(super::size(super::REPORT_BODY_LIMIT), "16 KiB");
    }

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            super::field_in("missing field `value` at line 1").as_deref(),
            Some("value")
        );
        assert_eq!(super::field_in("trailing characters"), None);
        let axum = "Failed to deserialize the JSON body into the target type: ";
        assert_eq!(
            super::field_in(&format!("{axum}grace_minutes: invalid value: integer `-1`"))
                .as_deref(),
            Some("grace_minutes")
        );
        assert_eq!(
            super::field_in(&format!("{axum}invalid type: string, expected u32")),
            None
        );
    }
}
