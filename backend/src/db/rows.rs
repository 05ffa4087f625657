//! What the database holds. Times are stored as unix seconds; the raw structs read them as
//! such and the public rows carry `DateTime<Utc>`. Rows are never sent to a client as they
//! are (they hold hashes): the app and the API map them to wire types.

use chrono::{DateTime, Utc};
use keyward_core::{Permissions, Role, Scope};

use crate::error::Error;

pub(crate) fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The primary email address, if any.
    pub email: Option<String>,
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// Empty when not given.
    pub phone: String,
    /// An IANA name (`UTC` by default).
    pub timezone: String,
    /// Whether sign-in asks for a TOTP code.
    pub mfa_enabled: bool,
    /// When the avatar was last set (its cache-busting version); `None`: no avatar.
    pub avatar_updated_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawUser {
    id: i64,
    username: String,
    display_name: String,
    email: Option<String>,
    role: String,
    active: bool,
    password_hash: String,
    created_at: i64,
    phone: String,
    timezone: String,
    mfa_enabled: bool,
    avatar_updated_at: Option<i64>,
}

impl TryFrom<RawUser> for UserRow {
    type Error = Error;

    fn try_from(r: RawUser) -> Result<Self, Error> {
        Ok(UserRow {
            role: r.role.parse().map_err(|_| {
                Error::Internal(format!("user {} has unknown role {}", r.id, r.role))
            })?,
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            active: r.active,
            password_hash: r.password_hash,
            created_at: from_unix(r.created_at),
            phone: r.phone,
            timezone: r.timezone,
            mfa_enabled: r.mfa_enabled,
            avatar_updated_at: r.avatar_updated_at.map(from_unix),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawApiToken {
    id: i64,
    user_id: i64,
    name: String,
    display_prefix: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<RawApiToken> for ApiTokenRow {
    fn from(r: RawApiToken) -> Self {
        ApiTokenRow {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            display_prefix: r.display_prefix,
            created_at: from_unix(r.created_at),
            expires_at: from_unix(r.expires_at),
            last_used_at: r.last_used_at.map(from_unix),
            revoked_at: r.revoked_at.map(from_unix),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawSession {
    id: i64,
    user_id: i64,
    kind: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    ip: Option<String>,
    user_agent: Option<String>,
    ended_at: Option<i64>,
}

impl From<RawSession> for SessionRow {
    fn from(r: RawSession) -> Self {
        SessionRow {
            id: r.id,
            user_id: r.user_id,
            kind: r.kind,
            created_at: from_unix(r.created_at),
            last_seen_at: from_unix(r.last_seen_at),
            expires_at: from_unix(r.expires_at),
            ip: r.ip,
            user_agent: r.user_agent,
            ended_at: r.ended_at.map(from_unix),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub org_id: Option<i64>,
    pub org: Option<String>,
    /// The JSON config document, as stored.
    pub config: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawProject {
    id: i64,
    name: String,
    org_id: Option<i64>,
    org: Option<String>,
    config: String,
    created_at: i64,
}

impl From<RawProject> for ProjectRow {
    fn from(r: RawProject) -> Self {
        ProjectRow {
            id: r.id,
            name: r.name,
            org_id: r.org_id,
            org: r.org,
            config: r.config,
            created_at: from_unix(r.created_at),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct SecretRow {
    pub name: String,
    pub value: String,
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

#[derive(sqlx::FromRow)]
pub(crate) struct RawSecret {
    name: String,
    value: String,
    updated_at: i64,
}

impl From<RawSecret> for SecretRow {
    fn from(r: RawSecret) -> Self {
        SecretRow {
            name: r.name,
            value: r.value,
            updated_at: from_unix(r.updated_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OplogRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
}

/// The writable fields of an operation-log entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryFields {
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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    pub id: i64,
    pub oplog_id: i64,
    pub fields: EntryFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawEntry {
    id: i64,
    oplog_id: i64,
    start_date: Option<i64>,
    end_date: Option<i64>,
    source_host: String,
    dest_host: String,
    tool: String,
    user_context: String,
    command: String,
    description: String,
    output: String,
    operator: String,
    tags: String,
    created_at: i64,
    updated_at: i64,
}

impl From<RawEntry> for EntryRow {
    fn from(r: RawEntry) -> Self {
        EntryRow {
            id: r.id,
            oplog_id: r.oplog_id,
            fields: EntryFields {
                start_date: r.start_date.map(from_unix),
                end_date: r.end_date.map(from_unix),
                source_host: r.source_host,
                dest_host: r.dest_host,
                tool: r.tool,
                user_context: r.user_context,
                command: r.command,
                description: r.description,
                output: r.output,
                operator: r.operator,
                tags: r.tags,
            },
            created_at: from_unix(r.created_at),
            updated_at: from_unix(r.updated_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePrincipalRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawServicePrincipal {
    id: i64,
    name: String,
    description: String,
    created_by: i64,
    created_at: i64,
}

impl From<RawServicePrincipal> for ServicePrincipalRow {
    fn from(r: RawServicePrincipal) -> Self {
        ServicePrincipalRow {
            id: r.id,
            name: r.name,
            description: r.description,
            created_by: r.created_by,
            created_at: from_unix(r.created_at),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTokenRow {
    pub id: i64,
    pub principal: ServicePrincipalRow,
    pub name: String,
    pub display_prefix: String,
    pub scope: Scope,
    /// The user answerable for the token (its creator, or whoever it was transferred to).
    pub created_by: i64,
    pub created_by_username: String,
    /// Whether `created_by` is active; a token of a deactivated user is suspended.
    pub owner_active: bool,
    pub created_at: DateTime<Utc>,
    /// `None`: never expires.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawServiceToken {
    id: i64,
    principal_id: i64,
    principal_name: String,
    principal_description: String,
    principal_created_by: i64,
    principal_created_at: i64,
    name: String,
    display_prefix: String,
    preset: String,
    project_id: Option<i64>,
    org_id: Option<i64>,
    oplog_id: Option<i64>,
    can_change_configs: bool,
    can_change_secrets: bool,
    can_delete_project: bool,
    created_by: i64,
    created_by_username: String,
    owner_active: bool,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<RawServiceToken> for ServiceTokenRow {
    type Error = Error;

    fn try_from(r: RawServiceToken) -> Result<Self, Error> {
        let scope = match (r.preset.as_str(), r.project_id, r.oplog_id) {
            ("project", Some(project_id), _) => Scope::Project {
                project_id,
                org_id: r.org_id,
                permissions: Permissions {
                    can_change_configs: r.can_change_configs,
                    can_change_secrets: r.can_change_secrets,
                    can_delete_project: r.can_delete_project,
                },
            },
            ("oplog", _, Some(oplog_id)) => Scope::Oplog { oplog_id },
            _ => {
                return Err(Error::Internal(format!(
                    "service token {} has an unknown scope {}",
                    r.id, r.preset
                )));
            }
        };
        Ok(ServiceTokenRow {
            id: r.id,
            principal: ServicePrincipalRow {
                id: r.principal_id,
                name: r.principal_name,
                description: r.principal_description,
                created_by: r.principal_created_by,
                created_at: from_unix(r.principal_created_at),
            },
            name: r.name,
            display_prefix: r.display_prefix,
            scope,
            created_by: r.created_by,
            created_by_username: r.created_by_username,
            owner_active: r.owner_active,
            created_at: from_unix(r.created_at),
            expires_at: r.expires_at.map(from_unix),
            last_used_at: r.last_used_at.map(from_unix),
            revoked_at: r.revoked_at.map(from_unix),
        })
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpState {
    /// Base32; set while MFA is on.
    pub secret: Option<String>,
    /// Base32; a secret shown for enrolment and not yet confirmed.
    pub pending: Option<String>,
    /// The last step whose code was accepted.
    pub last_step: i64,
    /// Wrong codes in a row, and when the last came.
    pub failures: i64,
    pub failed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawTotp {
    totp_secret: Option<String>,
    totp_pending: Option<String>,
    totp_last_step: i64,
    mfa_failures: i64,
    mfa_failed_at: Option<i64>,
}

impl From<RawTotp> for TotpState {
    fn from(r: RawTotp) -> Self {
        TotpState {
            secret: r.totp_secret,
            pending: r.totp_pending,
            last_step: r.totp_last_step,
            failures: r.mfa_failures,
            failed_at: r.mfa_failed_at.map(from_unix),
        }
    }
}
