//! What the database holds, decoded straight from a row of either database (`FromRow`):
//! times are stored as unix seconds ([`Timestamp`]) and exposed as `DateTime<Utc>`. Rows are
//! never sent to a client as they are (they hold hashes): the app and the API map them to
//! wire types.

use chrono::{DateTime, Utc};
use keyward_core::allowlist::Allowlist;
use keyward_core::{Permissions, Role, Scope};

use super::SessionKind;
use super::types::{MaybeTimestamp, Text, Timestamp};

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The primary email address, if any.
    pub email: Option<String>,
    #[sqlx(try_from = "Text<Role>")]
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
    /// Empty when not given.
    pub phone: String,
    /// An IANA name (`UTC` by default).
    pub timezone: String,
    /// Whether sign-in asks for a TOTP code.
    pub mfa_enabled: bool,
    /// When the avatar was last set (its cache-busting version); `None`: no avatar.
    #[sqlx(try_from = "MaybeTimestamp")]
    pub avatar_updated_at: Option<DateTime<Utc>>,
}

/// Everything but the password hash.
impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("created_at", &self.created_at)
            .field("phone", &self.phone)
            .field("timezone", &self.timezone)
            .field("mfa_enabled", &self.mfa_enabled)
            .field("avatar_updated_at", &self.avatar_updated_at)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub display_prefix: String,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Where it may be used from (empty: anywhere).
    #[sqlx(try_from = "Text<Allowlist>")]
    pub allowed_ips: Allowlist,
    /// Why it was revoked, when not by a person: `reported` (a leak report).
    pub revoked_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    #[sqlx(try_from = "Text<SessionKind>")]
    pub kind: SessionKind,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Timestamp")]
    pub last_seen_at: DateTime<Utc>,
    #[sqlx(try_from = "Timestamp")]
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub ended_at: Option<DateTime<Utc>>,
    /// When the person last entered their password in this session (sudo mode).
    #[sqlx(try_from = "Timestamp")]
    pub authenticated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub org_id: Option<i64>,
    pub org: Option<String>,
    /// The JSON config document, as stored.
    pub config: String,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SecretRow {
    pub name: String,
    pub value: String,
    #[sqlx(try_from = "Timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// A project secret's value is never printed by `{:?}`.
impl std::fmt::Debug for SecretRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRow")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OplogRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
}

/// The writable fields of an operation-log entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryFields {
    #[sqlx(try_from = "MaybeTimestamp")]
    pub start_date: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeTimestamp")]
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
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub oplog_id: i64,
    #[sqlx(flatten)]
    pub fields: EntryFields,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// Queries name the principal's columns `principal_*`, so the row can be flattened into a
/// [`ServiceTokenRow`] next to the token's own `id`, `name` and `created_by`.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ServicePrincipalRow {
    #[sqlx(rename = "principal_id")]
    pub id: i64,
    #[sqlx(rename = "principal_name")]
    pub name: String,
    #[sqlx(rename = "principal_description")]
    pub description: String,
    #[sqlx(rename = "principal_created_by")]
    pub created_by: i64,
    #[sqlx(rename = "principal_created_at", try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceTokenRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub principal: ServicePrincipalRow,
    pub name: String,
    pub display_prefix: String,
    #[sqlx(flatten, try_from = "StoredScope")]
    pub scope: Scope,
    /// The name of the scope's project or operation log; `None` once it was deleted.
    pub target_name: Option<String>,
    /// The organization of the scope's project, if it has one.
    pub target_org: Option<String>,
    /// The user answerable for the token (its creator, or whoever it was transferred to).
    pub created_by: i64,
    pub created_by_username: String,
    /// Whether the token is not suspended: `created_by` is active and no deactivation has
    /// suspended it since its last transfer (a reactivation alone does not lift it).
    pub owner_active: bool,
    #[sqlx(try_from = "Timestamp")]
    pub created_at: DateTime<Utc>,
    /// `None`: never expires.
    #[sqlx(try_from = "MaybeTimestamp")]
    pub expires_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Where it may be used from (empty: anywhere).
    #[sqlx(try_from = "Text<Allowlist>")]
    pub allowed_ips: Allowlist,
    /// Why it was revoked, when not by a person: `reported` (a leak report).
    pub revoked_reason: Option<String>,
}

/// The three permission flags as their columns hold them.
#[derive(sqlx::FromRow)]
pub(crate) struct Flags {
    can_change_configs: bool,
    can_change_secrets: bool,
    can_delete_project: bool,
}

impl From<Flags> for Permissions {
    fn from(f: Flags) -> Self {
        Permissions {
            can_change_configs: f.can_change_configs,
            can_change_secrets: f.can_change_secrets,
            can_delete_project: f.can_delete_project,
        }
    }
}

/// A service token's grant as its columns hold it: the preset, its target and the flags.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredScope {
    preset: String,
    project_id: Option<i64>,
    org_id: Option<i64>,
    oplog_id: Option<i64>,
    #[sqlx(flatten)]
    flags: Flags,
}

impl TryFrom<StoredScope> for Scope {
    type Error = String;

    fn try_from(s: StoredScope) -> Result<Self, String> {
        match (s.preset.as_str(), s.project_id, s.oplog_id) {
            ("project", Some(project_id), _) => Ok(Scope::Project {
                project_id,
                org_id: s.org_id,
                permissions: s.flags.into(),
            }),
            ("oplog", _, Some(oplog_id)) => Ok(Scope::Oplog { oplog_id }),
            (preset, ..) => Err(format!("unknown service token scope {preset}")),
        }
    }
}

/// One of a user's email addresses.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub email: String,
    pub is_primary: bool,
}

/// A user's TOTP state.
#[derive(Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TotpState {
    /// Base32; set while MFA is on.
    pub secret: Option<String>,
    /// Base32; a secret shown for enrolment and not yet confirmed.
    pub pending: Option<String>,
    /// The last step whose code was accepted.
    pub last_step: i64,
    /// Wrong codes in a row, and when the last came.
    pub failures: i64,
    #[sqlx(try_from = "MaybeTimestamp")]
    pub failed_at: Option<DateTime<Utc>>,
}

/// Whether there is a secret, never the secret.
impl std::fmt::Debug for TotpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpState")
            .field("enabled", &self.secret.is_some())
            .field("pending", &self.pending.is_some())
            .field("last_step", &self.last_step)
            .field("failures", &self.failures)
            .field("failed_at", &self.failed_at)
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub org: Option<String>,
    /// Usernames, sorted.
    pub members: Vec<String>,
}

/// A grant as the admin pages list it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct GrantRow {
    pub project_id: i64,
    /// `true` for a team, `false` for a user.
    pub to_team: bool,
    /// The team's name or the user's username.
    pub name: String,
    #[sqlx(flatten, try_from = "Flags")]
    pub permissions: Permissions,
}

/// A token just revoked: its display prefix and the user it belongs to (for the audit log).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Revoked {
    pub display_prefix: String,
    pub owner: i64,
}
