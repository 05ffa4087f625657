//! One error type for every service. The edges (the JSON API, the server functions, the admin
//! CLI) map it once to what their callers see; `Internal` details are logged, never shown.

use keyward_core::FieldError;

/// Why a bearer credential was refused: in `keyward-core`, as the `kw` client reads the
/// codes back with the same type.
pub use keyward_core::api::AuthError;

/// Why a sign-in's TOTP step failed (after the password was right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MfaError {
    #[error("Enter the 6-digit code from your authenticator app, or a recovery code.")]
    Required,
    /// Wrong, too old, already used, or an unknown recovery code.
    #[error("That code is not valid. Use the current code from your app: each code works once.")]
    WrongCode,
    #[error("Too many wrong codes. Wait 15 minutes, then try again.")]
    Locked,
}

impl MfaError {
    /// The `code` of the JSON error body of `POST /api/v1/login`.
    pub fn code(self) -> &'static str {
        match self {
            MfaError::Required => "mfa_required",
            MfaError::WrongCode => "invalid_totp",
            MfaError::Locked => "mfa_locked",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input broke a rule; the field error says which and why.
    #[error("{}", .0.message)]
    Invalid(FieldError),
    /// Input collides with an existing row (a taken username or email): which unique rule.
    #[error("{}", .0.message())]
    Conflict(Constraint),
    /// An avatar upload was refused (the page maps the reason to its message).
    #[error("{0}")]
    Avatar(#[from] keyward_core::profile::AvatarRefusal),
    /// The row does not exist or belongs to someone else (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The row is visible to the caller, but their grant lacks the permission.
    #[error("Your grant does not allow this.")]
    Forbidden,
    /// A rule not tied to one field refused the request; the text says which.
    #[error("{0}")]
    Refused(&'static str),
    /// Sign-in failed. The message never says which of username and password was wrong.
    #[error("Incorrect username or password.")]
    BadCredentials,
    /// No live session: the browser must sign in.
    #[error("You are not signed in.")]
    NotSignedIn,
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// The password was right, but the account's second factor was missing or wrong.
    #[error("{0}")]
    Mfa(#[from] MfaError),
    /// A sensitive change, and the session's password entry is older than the sudo window.
    #[error("Confirm access: enter your password again to make this change.")]
    ReauthRequired,
    /// Too many failed attempts from this client or on this account: wait this long.
    #[error("Too many failed attempts. Try again in {}.", crate::error::in_words(*.0))]
    RateLimited(crate::throttle::Wait),
    /// Too many password hashes or image decodes are running: try again in a moment.
    #[error("keyward is busy right now. Try again in a moment.")]
    Busy,
    /// Bad configuration (database URL, unwritable directory): reported at start-up.
    #[error("{0}")]
    Config(String),
    /// A failure that is not the caller's fault. The text is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be reached right now (down, refusing connections, out of
    /// connections): a retry may succeed. Callers see "unavailable"; the cause is logged.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database failed (a broken statement, a row that does not decode).
    /// The cause is kept for the log; callers see a generic error, as for `Internal`.
    #[error("internal error: database: {0}")]
    Database(#[source] sqlx::Error),
}

/// A wait as a person says it: "12 seconds", "1 minute", "3 minutes" (rounded up).
pub fn in_words(wait: crate::throttle::Wait) -> String {
    let secs = wait.seconds();
    let (n, unit) = if secs < 60 {
        (secs, "second")
    } else {
        (secs.div_ceil(60), "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The unique rules a person can run into, each with the field and the words the edges show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Constraint {
    Username,
    Email,
    PrincipalName,
    OrgName,
    TeamName,
    /// Unique within the project's organization (or among projects without one).
    ProjectName,
    /// Unique within its project.
    OplogName,
}

impl Constraint {
    /// The form field the collision is about.
    pub fn field(self) -> &'static str {
        match self {
            Constraint::Username => "username",
            Constraint::Email => "email",
            Constraint::PrincipalName => "principal_name",
            Constraint::OrgName
            | Constraint::TeamName
            | Constraint::ProjectName
            | Constraint::OplogName => "name",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Constraint::Username => "That username is taken.",
            Constraint::Email => "That email address belongs to another account.",
            Constraint::PrincipalName => {
                "A service principal with that name exists: pick it from the list."
            }
            Constraint::OrgName
            | Constraint::TeamName
            | Constraint::ProjectName
            | Constraint::OplogName => "That name is already taken.",
        }
    }

    /// The collision as a field error, the form the edges show it in.
    pub fn field_error(self) -> FieldError {
        FieldError::new(self.field(), self.message())
    }
}

/// A unique violation the schema names becomes a [`Constraint`]; anything else keeps its
/// cause as [`Error::Database`].
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::dialect::is_unavailable(&e) {
            return Error::Unavailable(e);
        }
        if crate::db::dialect::is_unstorable_text(&e) {
            return Error::Invalid(FieldError::new(
                "text",
                "Text may not contain the NUL character.",
            ));
        }
        match crate::db::dialect::constraint_of(&e) {
            Some(c) => Error::Conflict(c),
            None => Error::Database(e),
        }
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(e)
    }
}
