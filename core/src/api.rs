//! Wire types of the bearer API (`/api/v1`), shared by the server and the `kw` client.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::role::Role;

/// `{"error": {"code": "...", "message": "..."}}`: every non-2xx answer of the API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_token`, `token_expired`, `token_revoked`.
    pub code: String,
    pub message: String,
    /// The request field a 400/422 is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Why a bearer credential was refused: the `code` of a 401 answer. The server sends it,
/// the `kw` client reads it back ([`AuthError::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed, wrong checksum, foreign prefix or unknown.
    #[error("the bearer token is missing, malformed or unknown")]
    InvalidToken,
    #[error("the token has expired")]
    TokenExpired,
    #[error("the token has been revoked")]
    TokenRevoked,
    /// The user answerable for a service token was deactivated; an admin must revoke or
    /// transfer it.
    #[error("the service token is suspended: the user answerable for it was deactivated")]
    TokenSuspended,
    /// The session behind a login JWT was ended (signed out or revoked by an admin).
    #[error("the session of this login token has been revoked")]
    SessionRevoked,
    /// The owner was deactivated.
    #[error("the account that owns this credential is deactivated")]
    AccountDisabled,
    /// The value was replaced by a rotation (or Edit expiration), and its grace is over.
    #[error("this token value was replaced by a rotation: use the new value")]
    TokenRotated,
    /// The token has Allowed IP ranges, and the request came from outside them.
    #[error("the token may not be used from this IP address")]
    IpNotAllowed,
}

impl AuthError {
    pub const ALL: [AuthError; 8] = [
        AuthError::InvalidToken,
        AuthError::TokenExpired,
        AuthError::TokenRevoked,
        AuthError::TokenSuspended,
        AuthError::SessionRevoked,
        AuthError::AccountDisabled,
        AuthError::TokenRotated,
        AuthError::IpNotAllowed,
    ];

    /// The `code` of the JSON error body.
    pub fn code(self) -> &'static str {
        match self {
            AuthError::InvalidToken => "invalid_token",
            AuthError::TokenExpired => "token_expired",
            AuthError::TokenRevoked => "token_revoked",
            AuthError::TokenSuspended => "token_suspended",
            AuthError::SessionRevoked => "session_revoked",
            AuthError::AccountDisabled => "account_disabled",
            AuthError::TokenRotated => "token_rotated",
            AuthError::IpNotAllowed => "ip_not_allowed",
        }
    }

    /// The error a `code` names (`None` for a code this version does not know).
    pub fn parse(code: &str) -> Option<AuthError> {
        AuthError::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// What kind of credential authenticated a request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// `kwat_` token: acts as its owner with the owner's current permissions.
    ApiToken,
    /// `kwst_` token: acts as a service principal with the grant on the token.
    ServiceToken,
    /// A login JWT from `POST /api/v1/login`.
    LoginSession,
}

/// A user as the API shows them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialInfo {
    pub kind: CredentialKind,
    /// The first 12 characters of the token (never the whole value).
    pub display_prefix: String,
    /// `None` for a credential that never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The token's Allowed IP ranges, as CIDR text (empty: any address).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub allowed_ips: crate::allowlist::Allowlist,
}

/// The effective grants of the caller.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    /// Every permission on every project (managers and admins, and their API tokens).
    pub all_projects: bool,
    /// A service token's exact grant: its preset, target and flags (`None` for a person's
    /// credentials, which follow the person's grants at each call).
    pub scope: Option<crate::Scope>,
    /// The permission names the caller holds under `scope` (empty for a person).
    pub permissions: Vec<String>,
}

/// A service principal as the API shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePrincipalRef {
    pub id: i64,
    pub name: String,
    pub description: String,
}

/// `GET /api/v1/whoami`. Exactly one of `user` (API token, login session) and
/// `service_principal` (service token) is set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whoami {
    /// The user the request acts as.
    pub user: Option<UserRef>,
    /// The service principal a service token acts as.
    pub service_principal: Option<ServicePrincipalRef>,
    pub credential: CredentialInfo,
    pub grants: Grants,
    /// Where this token is used: requests per day for the last 30 days and its last 5
    /// client addresses (`null` for a login JWT). Counts from the last few seconds may
    /// still be on another instance.
    #[serde(default)]
    pub usage: Option<crate::usage::Usage>,
}

/// `GET /api/v1/projects` (an array of these) and `GET /api/v1/projects/{id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub organization: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What the caller may do with it (`can_read` is implied).
    pub permissions: crate::Permissions,
}

/// One entry of `GET /api/v1/projects/{id}/secrets`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretValue {
    pub name: String,
    pub value: String,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValue")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Body of `PUT /api/v1/projects/{id}/secrets/{name}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutSecret {
    pub value: String,
}

/// Body of `POST /api/v1/tokens/report`: token values found exposed (at most 100).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub tokens: Vec<String>,
}

/// Answer of `POST /api/v1/tokens/report`: how many live tokens were revoked (never which,
/// or whose).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportResponse {
    pub revoked: u64,
}

/// Body of `POST /api/v1/tokens/current/rotate`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// How long the old value keeps working, in minutes (0, the default: not at all); at
    /// most the installation's maximum rotation grace.
    #[serde(default)]
    pub grace_minutes: u32,
}

/// Answer of `POST /api/v1/tokens/current/rotate`: the new value, in this answer only
/// (sent with `Cache-Control: no-store`). Name, expiry and grants are unchanged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedToken {
    pub token: String,
    pub display_prefix: String,
    pub name: String,
    /// `null`: a service token that never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The display prefix of the value that was replaced.
    pub old_display_prefix: String,
    /// Until when the old value still works (then it gets 401 `token_rotated`).
    pub old_valid_until: DateTime<Utc>,
}

impl std::fmt::Debug for RotatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedToken")
            .field("display_prefix", &self.display_prefix)
            .field("old_valid_until", &self.old_valid_until)
            .finish_non_exhaustive()
    }
}

/// `GET /api/v1/oplogs`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oplog {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
}

/// An operation-log entry as the API shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OplogEntry {
    pub id: i64,
    pub oplog_id: i64,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub source_host: String,
    pub dest_host: String,
    pub tool: String,
    pub user_context: String,
    pub command: String,
    pub description: String,
    pub output: String,
    pub operator: String,
    pub tags: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST .../entries` (absent fields are empty) and `PATCH .../entries/{entry}`
/// (absent fields are left as they are).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub source_host: Option<String>,
    pub dest_host: Option<String>,
    pub tool: Option<String>,
    pub user_context: Option<String>,
    pub command: Option<String>,
    pub description: Option<String>,
    pub output: Option<String>,
    pub operator: Option<String>,
    pub tags: Option<String>,
}

/// Body of `POST /api/v1/login`. `totp` is the authentication code, needed once MFA is on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// The password never appears in `{:?}`.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Answer of `POST /api/v1/login`: a short-lived JWT for `Authorization: Bearer`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
