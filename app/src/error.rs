//! The error every server function returns. It travels to the browser in the answers' wire
//! format (postcard, see `rpc::Wire`), so the page can show a field's message next to that
//! field.

use leptos::server_fn::codec::PostcardEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// One input broke a rule; shown next to the field named `field`.
    #[error("{message}")]
    Field { field: String, message: String },
    /// A form-level failure with a message for a person (e.g. wrong credentials).
    #[error("{0}")]
    Message(String),
    /// No live browser session (tokens cannot call server functions).
    #[error("You are not signed in.")]
    NotSignedIn,
    #[error("That item no longer exists.")]
    NotFound,
    /// Signed in, but not allowed (an admin page for a non-admin, a grant without the flag).
    #[error("{0}")]
    Forbidden(String),
    /// Something failed on the server; details are in the server log only.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    /// The server cannot reach its database; nothing was done, and a retry may work.
    #[error("keyward cannot reach its database right now. Please try again in a moment.")]
    Unavailable,
    /// A sensitive change needs the password again (sudo mode): the page opens the Confirm
    /// access dialog and then sends the change again.
    #[error("Confirm access: enter your password again to make this change.")]
    ReauthRequired,
    /// Too many failed attempts (sign-in, setup link): the message says how long to wait.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// Too many password checks or image decodes at once; nothing was done.
    #[error("keyward is busy right now. Please try again in a moment.")]
    Busy,
    /// Transport-level failure (network, bad request encoding).
    #[error("The request failed: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    /// The message for `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Field { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The message for the form as a whole (errors not tied to one field).
    pub fn form_message(&self) -> Option<String> {
        match self {
            // The Confirm access dialog says it, over the form.
            AppError::Field { .. } | AppError::ReauthRequired => None,
            other => Some(other.to_string()),
        }
    }
}

impl AppError {
    /// The HTTP status that fits this error (server functions otherwise answer every error
    /// with 500, which would blame the server for the caller's bad input).
    pub fn status(&self) -> u16 {
        match self {
            AppError::Field { .. } => 422,
            AppError::Message(_) => 400,
            AppError::NotSignedIn => 401,
            AppError::NotFound => 404,
            AppError::Forbidden(_) | AppError::ReauthRequired => 403,
            AppError::Internal => 500,
            AppError::Unavailable | AppError::Busy => 503,
            AppError::RateLimited { .. } => 429,
            AppError::ServerFn(e) => match e {
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::UnsupportedRequestMethod(_) => 400,
                ServerFnErrorErr::Registration(_) => 404,
                _ => 500,
            },
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

#[cfg(feature = "ssr")]
impl From<keyward_backend::Error> for AppError {
    fn from(e: keyward_backend::Error) -> Self {
        use keyward_backend::Error as E;
        match e {
            E::Invalid(f) => f.into(),
            E::Conflict(c) => c.field_error().into(),
            // The sign-in page shows the second step's message next to its code field.
            E::Mfa(m) => AppError::Field {
                field: "code".into(),
                message: m.to_string(),
            },
            E::Avatar(r) => AppError::Field {
                field: "avatar".into(),
                message: r.to_string(),
            },
            E::NotFound => AppError::NotFound,
            E::Forbidden => AppError::Forbidden(e.to_string()),
            E::NotSignedIn | E::Auth(_) => AppError::NotSignedIn,
            E::BadCredentials | E::Refused(_) => AppError::Message(e.to_string()),
            E::RateLimited(wait) => AppError::RateLimited {
                message: e.to_string(),
                retry_after: wait.seconds(),
            },
            E::Busy => AppError::Busy,
            E::ReauthRequired => AppError::ReauthRequired,
            E::Unavailable(_) => {
                tracing::warn!(error = %e, "server function failed: database unavailable");
                AppError::Unavailable
            }
            E::Config(_) | E::Internal(_) | E::Database(_) => {
                tracing::error!(error = %e, "server function failed");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<keyward_core::FieldError> for AppError {
    fn from(f: keyward_core::FieldError) -> Self {
        AppError::Field {
            field: f.field,
            message: f.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal reaches the page as it left the server (postcard carries no field names,
    /// so a serde attribute that skips a field would shift every field after it).
    #[test]
    fn every_error_crosses_the_wire_unchanged() {
        let errors = [
            AppError::Field {
                field: "name".into(),
                message: "Enter a name.".into(),
            },
            AppError::Message("Wrong username or password.".into()),
            AppError::NotSignedIn,
            AppError::NotFound,
            AppError::Forbidden("Admins only.".into()),
            AppError::Internal,
            AppError::Unavailable,
            AppError::ReauthRequired,
            AppError::RateLimited {
                message: "Try again in 5 minutes.".into(),
                retry_after: 300,
            },
            AppError::Busy,
            AppError::ServerFn(ServerFnErrorErr::Args("bad".into())),
        ];
        for e in errors {
            assert_eq!(
                e.ser(),
                postcard::to_allocvec(&e).unwrap(),
                "{e:?} in postcard"
            );
            assert_eq!(AppError::de(e.ser()), e);
        }
        let garbage = AppError::de(bytes_of(b"\xff\xff\xff"));
        assert!(
            matches!(
                garbage,
                AppError::ServerFn(ServerFnErrorErr::Deserialization(_))
            ),
            "{garbage:?}"
        );
    }

    fn bytes_of(b: &'static [u8]) -> leptos::server_fn::Bytes {
        leptos::server_fn::Bytes::from_static(b)
    }
}
