//! Avatars over plain HTTP. The Update Avatar form posts `multipart/form-data` here, so a
//! file never passes through a server function and the form works before hydration; the
//! answer is a redirect back to the profile (with a refusal code when the image was
//! refused). `<img>` tags load avatars from `GET /users/{username}/avatar`.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use keyward_backend::avatar::MAX_UPLOAD_BYTES;
use keyward_backend::{Backend, Error};
use keyward_core::profile::AvatarRefusal;

use crate::guard::session_of;

/// Where the form posts.
pub const UPLOAD_PATH: &str = "/account/avatar";
/// Bodies up to this size are read, so a file just over 2 MiB gets the precise message;
/// anything larger is cut off by the body limit.
pub const BODY_LIMIT: usize = 2 * MAX_UPLOAD_BYTES;

/// The bytes of the form's `avatar` file field.
async fn file_field(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Bytes, AvatarRefusal> {
    let mut multipart = multipart.map_err(|_| AvatarRefusal::Missing)?;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AvatarRefusal::TooLarge
        } else {
            AvatarRefusal::Missing
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        if field.name() == Some("avatar") {
            return field.bytes().await.map_err(too_large);
        }
    }
    Err(AvatarRefusal::Missing)
}

pub async fn upload(
    State(backend): State<Backend>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match session_of(&backend, &headers).await {
        Ok(Some(session)) => session.user,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(unavailable) => return unavailable,
    };
    let result = match file_field(multipart).await {
        Ok(bytes) => {
            backend
                .set_avatar(user.id, bytes.to_vec(), Utc::now())
                .await
        }
        Err(refusal) => Err(refusal.into()),
    };
    match result {
        Ok(()) => Redirect::to("/profile?avatar=updated").into_response(),
        Err(Error::Avatar(r)) => {
            Redirect::to(&format!("/profile/avatar?error={}", r.code())).into_response()
        }
        Err(Error::Busy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "keyward is busy right now. Try the upload again in a moment.",
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "avatar upload failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on the server.",
            )
                .into_response()
        }
    }
}

/// A user's avatar, for signed-in people only (profiles are not public).
pub async fn serve(
    State(backend): State<Backend>,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Response {
    match session_of(&backend, &headers).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(unavailable) => return unavailable,
    }
    match backend.avatar_of(&username).await {
        Ok(png) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                // The page's URL carries the avatar's version, so a day of caching is safe.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=86400"),
                ),
            ],
            png,
        )
            .into_response(),
        Err(Error::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "serving an avatar failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
