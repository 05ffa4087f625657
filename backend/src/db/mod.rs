//! The repository: every SQL statement of keyward lives behind [`Repository`].
//! Services and handlers see only these methods and the row types, so a second backend
//! (PostgreSQL for scale-out) is one more implementation of the trait.

mod rows;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use rows::{
    ApiTokenRow, EmailRow, EntryFields, EntryRow, OplogRow, ProjectRow, SecretRow,
    ServicePrincipalRow, ServiceTokenRow, SessionRow, TotpState, UserRow,
};
pub use sqlite::SqliteRepository;

use crate::error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A user to insert. `password_hash` is already an Argon2id PHC string.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: keyward_core::Role,
    pub password_hash: String,
}

#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub display_prefix: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub user_id: i64,
    pub secret_hash: String,
    pub kind: SessionKind,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewServiceToken {
    pub principal_id: i64,
    pub name: String,
    pub token_hash: String,
    pub display_prefix: String,
    pub scope: keyward_core::Scope,
    pub created_by: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new secret and expiry for an existing API token (Edit expiration).
#[derive(Clone, Debug)]
pub struct ReplacedSecret {
    pub token_hash: String,
    pub display_prefix: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait Repository: Send + Sync + 'static {
    /// A cheap round trip, for health checks.
    async fn ping(&self) -> Result<()>;

    // users
    async fn count_users(&self) -> Result<i64>;
    /// Fails with a `username` (or `email`) conflict if either is taken.
    async fn create_user(&self, user: &NewUser, now: DateTime<Utc>) -> Result<i64>;
    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>>;

    // the one-time setup link
    /// Forgets every earlier code and stores this one.
    async fn replace_setup_code(&self, code_hash: &str, now: DateTime<Utc>) -> Result<()>;
    /// In one transaction: uses up the code (which must be unused) and creates the first
    /// user, only while there is no user yet. `Ok(None)` if the code is unknown or spent.
    async fn create_first_admin(
        &self,
        code_hash: &str,
        user: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>>;
    /// Whether the code could still create the first admin.
    async fn setup_code_usable(&self, code_hash: &str) -> Result<bool>;

    // API tokens
    async fn insert_api_token(&self, token: &NewApiToken, now: DateTime<Utc>) -> Result<i64>;
    /// The user's tokens that are not revoked, newest first.
    async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiTokenRow>>;
    async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRow>>;
    /// Replaces secret and expiry of the user's unrevoked token and returns it; `None` if
    /// there is no such token.
    async fn replace_api_token_secret(
        &self,
        user_id: i64,
        token_id: i64,
        secret: &ReplacedSecret,
    ) -> Result<Option<ApiTokenRow>>;
    /// Revokes the user's token; `false` if it does not exist, is not theirs or is revoked.
    async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Records use, unless it was already recorded at or after `stale_before` (throttling
    /// keeps verification a read under load).
    async fn touch_api_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;

    // service principals and service tokens
    /// Fails with a `principal_name` conflict if the name is taken.
    async fn create_service_principal(
        &self,
        name: &str,
        description: &str,
        created_by: i64,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    /// Every principal, by name.
    async fn service_principals(&self) -> Result<Vec<ServicePrincipalRow>>;
    async fn service_principal(&self, id: i64) -> Result<Option<ServicePrincipalRow>>;
    async fn service_principal_named(&self, name: &str) -> Result<Option<ServicePrincipalRow>>;
    async fn insert_service_token(&self, t: &NewServiceToken, now: DateTime<Utc>) -> Result<i64>;
    /// Unrevoked tokens the user is answerable for, newest first.
    async fn service_tokens_of(&self, user_id: i64) -> Result<Vec<ServiceTokenRow>>;
    /// Unrevoked tokens whose answerable user is deactivated (suspended), oldest first.
    async fn suspended_service_tokens(&self) -> Result<Vec<ServiceTokenRow>>;
    async fn service_token(&self, token_id: i64) -> Result<Option<ServiceTokenRow>>;
    async fn service_token_by_hash(&self, token_hash: &str) -> Result<Option<ServiceTokenRow>>;
    /// Revokes an unrevoked token, only if `created_by` is answerable for it (`None`: any
    /// token, for admins). `false` if there is no such token.
    async fn revoke_service_token(
        &self,
        token_id: i64,
        created_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Makes `to_user` answerable for an unrevoked token; `false` if there is none.
    async fn transfer_service_token(&self, token_id: i64, to_user: i64) -> Result<bool>;
    async fn touch_service_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;

    // sessions
    async fn insert_session(&self, session: &NewSession, now: DateTime<Utc>) -> Result<i64>;
    async fn session_by_hash(&self, secret_hash: &str) -> Result<Option<SessionRow>>;
    async fn session_by_id(&self, session_id: i64) -> Result<Option<SessionRow>>;
    async fn touch_session(
        &self,
        session_id: i64,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<()>;
    async fn end_session(&self, session_id: i64, now: DateTime<Utc>) -> Result<()>;
    /// Sessions not ended and not past their absolute expiry, newest first, each with its
    /// user's name; only `user_id`'s when given.
    async fn open_sessions(
        &self,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(SessionRow, String)>>;
    async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<()>;
    /// Ends every open session of the user but `keep`.
    async fn end_other_sessions(&self, user_id: i64, keep: i64, now: DateTime<Utc>) -> Result<()>;
    /// Ends every open session of the user; how many.
    async fn end_sessions_of(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64>;
    /// Deletes the sessions that can no longer be used: ended, past their expiry, or (for
    /// browser sessions) idle since before `idle_before`. How many.
    async fn delete_dead_sessions(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
    ) -> Result<u64>;

    // settings
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, key: &str, value: &str) -> Result<()>;
    /// The setting's value; `value` is stored first if there is none (the first of several
    /// racing instances wins, and all read the same value).
    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String>;

    // user administration
    async fn set_role(&self, user_id: i64, role: keyward_core::Role) -> Result<()>;

    /// Every user, by username.
    async fn users(&self) -> Result<Vec<UserRow>>;
    /// Activates or deactivates; deactivating also ends all the user's sessions, in one
    /// transaction.
    async fn set_active(&self, user_id: i64, active: bool, now: DateTime<Utc>) -> Result<()>;

    // organizations and teams
    /// `(id, name)` of every organization, by name.
    async fn organizations(&self) -> Result<Vec<(i64, String)>>;
    /// Every team with its organization and members, by name.
    async fn teams(&self) -> Result<Vec<TeamRow>>;
    async fn create_org(&self, name: &str, now: DateTime<Utc>) -> Result<i64>;
    async fn org_id(&self, name: &str) -> Result<Option<i64>>;
    async fn create_team(&self, name: &str, org_id: Option<i64>, now: DateTime<Utc>)
    -> Result<i64>;
    async fn team_id(&self, name: &str) -> Result<Option<i64>>;
    /// Idempotent: adding a member twice is fine.
    async fn add_team_member(&self, team_id: i64, user_id: i64) -> Result<()>;
    /// `false` if the user was not a member.
    async fn remove_team_member(&self, team_id: i64, user_id: i64) -> Result<bool>;
    /// Names of the user's teams (their "groups"), sorted.
    async fn team_names_of(&self, user_id: i64) -> Result<Vec<String>>;

    // projects, grants and operation logs
    async fn create_project(
        &self,
        name: &str,
        org_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64>;
    async fn project_exists(&self, project_id: i64) -> Result<bool>;
    /// Creates or replaces the grant of `subject` on the project.
    async fn put_grant(
        &self,
        project_id: i64,
        subject: GrantSubject,
        permissions: keyward_core::Permissions,
    ) -> Result<()>;
    /// `false` if `subject` held no grant on the project.
    async fn delete_grant(&self, project_id: i64, subject: GrantSubject) -> Result<bool>;
    /// Every grant on the project: to whom (by name) and what.
    async fn grants_on(&self, project_id: i64) -> Result<Vec<GrantRow>>;
    /// The user's direct grant and their teams' grants on one project.
    async fn grants_of_user(
        &self,
        user_id: i64,
        project_id: i64,
    ) -> Result<Vec<keyward_core::Permissions>>;
    /// How many projects the user holds a grant on, directly or through a team.
    async fn granted_project_count(&self, user_id: i64) -> Result<i64>;
    async fn create_oplog(&self, project_id: i64, name: &str, now: DateTime<Utc>) -> Result<i64>;

    // project data
    /// Every project (`None`), or those the user holds a grant on, directly or via a team.
    async fn projects(&self, granted_to: Option<i64>) -> Result<Vec<ProjectRow>>;
    async fn project(&self, project_id: i64) -> Result<Option<ProjectRow>>;
    async fn delete_project(&self, project_id: i64) -> Result<()>;
    async fn set_project_config(&self, project_id: i64, config: &str) -> Result<()>;
    async fn secrets(&self, project_id: i64) -> Result<Vec<SecretRow>>;
    async fn put_secret(
        &self,
        project_id: i64,
        name: &str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// `false` if there was no such secret.
    async fn delete_secret(&self, project_id: i64, name: &str) -> Result<bool>;

    // operation logs
    /// Every operation log (`None`), or those of projects the user holds a grant on.
    async fn oplogs(&self, granted_to: Option<i64>) -> Result<Vec<OplogRow>>;
    async fn oplogs_of_project(&self, project_id: i64) -> Result<Vec<OplogRow>>;
    async fn oplog(&self, oplog_id: i64) -> Result<Option<OplogRow>>;
    async fn entries(&self, oplog_id: i64) -> Result<Vec<EntryRow>>;
    async fn entry(&self, oplog_id: i64, entry_id: i64) -> Result<Option<EntryRow>>;
    async fn insert_entry(
        &self,
        oplog_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<EntryRow>;
    async fn update_entry(
        &self,
        oplog_id: i64,
        entry_id: i64,
        e: &EntryFields,
        now: DateTime<Utc>,
    ) -> Result<Option<EntryRow>>;
    async fn delete_entry(&self, oplog_id: i64, entry_id: i64) -> Result<bool>;

    // personal information and email addresses
    async fn update_personal_info(
        &self,
        user_id: i64,
        display_name: &str,
        phone: &str,
        timezone: &str,
    ) -> Result<()>;
    /// The user's addresses, primary first.
    async fn emails_of(&self, user_id: i64) -> Result<Vec<EmailRow>>;
    /// Adds an address (primary if it is the user's first). Fails with an `email` conflict
    /// if any account has it (case-insensitive).
    async fn add_email(&self, user_id: i64, email: &str) -> Result<i64>;
    /// Removes one of the user's addresses that is not the primary; `false` if there is none.
    async fn remove_secondary_email(&self, user_id: i64, email_id: i64) -> Result<bool>;
    /// Makes one of the user's addresses the primary (and the others not); `false` if the
    /// address is not theirs.
    async fn make_primary_email(&self, user_id: i64, email_id: i64) -> Result<bool>;

    // avatars
    async fn set_avatar(&self, user_id: i64, png: &[u8], now: DateTime<Utc>) -> Result<()>;
    async fn avatar(&self, user_id: i64) -> Result<Option<Vec<u8>>>;
    async fn delete_avatar(&self, user_id: i64) -> Result<bool>;

    // TOTP MFA
    async fn totp_state(&self, user_id: i64) -> Result<TotpState>;
    async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()>;
    /// Turns MFA on with the pending secret, if it is still `pending` and MFA is off, with
    /// `step` as used and these recovery-code hashes (replacing any). `false` if not.
    async fn enable_totp(
        &self,
        user_id: i64,
        pending: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<bool>;
    /// Turns MFA off and forgets the secret and the recovery codes.
    async fn disable_totp(&self, user_id: i64) -> Result<()>;
    /// Records `step` as used if it is later than the last used one (and clears the
    /// failure count); `false` if it is not, i.e. the code was replayed.
    async fn claim_totp_step(&self, user_id: i64, step: i64) -> Result<bool>;
    /// Uses up an unused recovery code (and clears the failure count); `false` if none.
    async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    async fn recovery_codes_left(&self, user_id: i64) -> Result<i64>;
    async fn record_mfa_failure(&self, user_id: i64, now: DateTime<Utc>) -> Result<()>;
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRow {
    /// `true` for a team, `false` for a user.
    pub to_team: bool,
    /// The team's name or the user's username.
    pub name: String,
    pub permissions: keyward_core::Permissions,
}

/// Who a project grant is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantSubject {
    User(i64),
    Team(i64),
}
