//! What the server functions send to the page. Never a hash; a token value only in
//! [`MintedToken`], the response that creates it.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use keyward_core::page::PageInfo;
use keyward_core::{Permissions, Policy, Role, Secret};
use serde::{Deserialize, Serialize};

/// How the page's wire types carry times: numbers, not RFC 3339 text. Reading a number
/// needs none of chrono's text parser in the WASM, and takes a tenth of the time on a
/// table of 50 tokens (issue 16). Only the page reads these; the API keeps RFC 3339.
mod wire {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A time: microseconds since 1970-01-01 00:00 UTC.
    pub mod time {
        use super::*;

        pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_i64(t.timestamp_micros())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
            let micros = i64::deserialize(d)?;
            DateTime::from_timestamp_micros(micros)
                .ok_or_else(|| D::Error::custom("time out of range"))
        }
    }

    /// A time or nothing (`null`).
    pub mod opt_time {
        use super::*;

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            t.map(|t| t.timestamp_micros()).serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<i64>::deserialize(d)?
                .map(|micros| {
                    DateTime::from_timestamp_micros(micros)
                        .ok_or_else(|| D::Error::custom("time out of range"))
                })
                .transpose()
        }
    }

    /// A date: days since 0001-01-01 (day 1).
    pub mod date {
        use chrono::Datelike;

        use super::*;

        pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_i32(d.num_days_from_ce())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
            let days = i32::deserialize(d)?;
            NaiveDate::from_num_days_from_ce_opt(days)
                .ok_or_else(|| D::Error::custom("date out of range"))
        }
    }
}

/// The signed-in user, for the header and the Profile Overview card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub access_level: String,
    /// Names of the user's teams.
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub display_prefix: String,
    #[serde(with = "wire::time")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "wire::time")]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "wire::opt_time")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Until when a value a rotation replaced still works.
    #[serde(with = "wire::opt_time")]
    pub old_valid_until: Option<DateTime<Utc>>,
    /// Where it may be used from: each range in its canonical text (empty: anywhere). Text,
    /// not `Allowlist`: the page only shows and edits it, and parsing stays on the server.
    pub allowed_ips: Vec<String>,
    /// When a leak report revoked it ("Revoked: reported as exposed").
    #[serde(with = "wire::opt_time")]
    pub reported_at: Option<DateTime<Utc>>,
}

/// The API Tokens card's data. `now` is the server's clock at the time of the query, so
/// the server render and the hydrated page compute the same expiry colours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenList {
    #[serde(with = "wire::time")]
    pub now: DateTime<Utc>,
    /// One page of the tokens, newest first.
    pub tokens: Vec<ApiTokenView>,
    pub page: PageInfo,
    pub notices: TokenNotices,
    /// The date the new-token form proposes (the policy's default lifetime ahead).
    #[serde(with = "wire::date")]
    pub default_expiry: NaiveDate,
    /// The earliest and latest dates the policy allows.
    #[serde(with = "wire::date")]
    pub min_expiry: NaiveDate,
    #[serde(with = "wire::date")]
    pub max_expiry: NaiveDate,
    /// For the rows minted under a looser policy ("Beyond policy").
    pub policy: Policy,
}

/// The lines of the profile's banners, drawn from every token of a card, not only the
/// page shown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenNotices {
    /// Tokens that stop working within 7 days.
    pub expiring: Vec<String>,
    /// Tokens a leak report revoked in the last 30 days.
    pub reported: Vec<String>,
}

/// A token value, shown once (`expires_at` is `None` for a service token that never
/// expires).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedToken {
    pub id: i64,
    pub name: String,
    pub token: Secret,
    #[serde(with = "wire::opt_time")]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTokenView {
    pub id: i64,
    pub name: String,
    pub principal: String,
    pub display_prefix: String,
    /// The preset and its target in words, e.g. `Project “alpha”`.
    pub scope: String,
    /// The project of a project-scoped token (its page is linked from the scope).
    pub project_id: Option<i64>,
    pub permissions: Vec<String>,
    #[serde(with = "wire::time")]
    pub created_at: DateTime<Utc>,
    /// `None`: never expires.
    #[serde(with = "wire::opt_time")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(with = "wire::opt_time")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Until when a value a rotation replaced still works.
    #[serde(with = "wire::opt_time")]
    pub old_valid_until: Option<DateTime<Utc>>,
    /// Where it may be used from: each range in its canonical text (empty: anywhere). Text,
    /// not `Allowlist`: the page only shows and edits it, and parsing stays on the server.
    pub allowed_ips: Vec<String>,
    /// When a leak report revoked it ("Revoked: reported as exposed").
    #[serde(with = "wire::opt_time")]
    pub reported_at: Option<DateTime<Utc>>,
}

/// A project the signed-in user can read, with what they hold on it (the service-token form
/// offers only these flags).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectChoice {
    pub id: i64,
    pub name: String,
    pub org: Option<(i64, String)>,
    pub permissions: Permissions,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OplogChoice {
    pub id: i64,
    pub name: String,
    pub project: String,
}

/// The Service Tokens card's data: the tokens, and what the New service token form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTokenList {
    #[serde(with = "wire::time")]
    pub now: DateTime<Utc>,
    /// One page of the tokens, newest first (none for a project page's form).
    pub tokens: Vec<ServiceTokenView>,
    pub page: PageInfo,
    pub notices: TokenNotices,
    /// Every service principal: `(id, name)`.
    pub principals: Vec<(i64, String)>,
    pub projects: Vec<ProjectChoice>,
    pub oplogs: Vec<OplogChoice>,
    /// What the form allows, and which rows are beyond it.
    pub policy: Policy,
}

/// A profile as the viewer may see it (`/profile` and `/users/{username}`). `email` and
/// `phone` are `None` when hidden from this viewer (`full` is then `false`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub username: String,
    pub display_name: String,
    pub full: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub timezone: String,
    pub role: Role,
    pub access_level: String,
    pub groups: Vec<String>,
    /// The avatar's URL (with its version, so a new one is not served from cache).
    pub avatar_url: Option<String>,
    /// What only the person themselves sees: their addresses and MFA state.
    pub own: Option<OwnAccount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnAccount {
    pub emails: Vec<EmailView>,
    pub mfa_enabled: bool,
    pub recovery_codes_left: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub id: i64,
    pub email: String,
    pub primary: bool,
}

/// The enrolment step of Manage MFA Settings: the secret as text and as a QR code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaEnrolment {
    pub secret: String,
    pub qr_data_uri: String,
}

/// Times as the page shows them: UTC, so that server render and hydration agree. Written
/// out with `format!` rather than chrono's `format`, whose strftime parser would be in the
/// WASM only for these two patterns.
pub fn format_time(t: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02} UTC", format_date(t), t.hour(), t.minute())
}

pub fn format_date(t: DateTime<Utc>) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

/// A `<time datetime>` value, e.g. `2026-12-07T05:00:00Z` (RFC 3339 in UTC, to the second),
/// without chrono's formatting machinery in the WASM.
pub fn datetime_attr(t: DateTime<Utc>) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(t),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_cross_the_wire_as_numbers_and_come_back_the_same() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 5, 6, 7).unwrap()
            + chrono::TimeDelta::microseconds(89);
        let minted = MintedToken {
            id: 1,
            name: "n".into(),
            token: Secret::new("kwat_x".into()),
            expires_at: Some(t),
        };
        let json = serde_json::to_value(&minted).unwrap();
        assert_eq!(json["expires_at"], t.timestamp_micros());
        assert_eq!(serde_json::from_value::<MintedToken>(json).unwrap(), minted);
        let never = MintedToken {
            expires_at: None,
            ..minted
        };
        let json = serde_json::to_value(&never).unwrap();
        assert!(json["expires_at"].is_null());
        assert_eq!(serde_json::from_value::<MintedToken>(json).unwrap(), never);
        // Text, or a number out of chrono's range, is refused with a message.
        let bad = serde_json::json!({"id": 1, "name": "n", "token": "kwat_x", "expires_at": "2026-12-07T05:06:07Z"});
        assert!(serde_json::from_value::<MintedToken>(bad).is_err());
        let far =
            serde_json::json!({"id": 1, "name": "n", "token": "kwat_x", "expires_at": i64::MAX});
        let e = serde_json::from_value::<MintedToken>(far).unwrap_err();
        assert!(e.to_string().contains("time out of range"), "{e}");
    }

    #[test]
    fn dates_cross_the_wire_as_day_numbers() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct D(#[serde(with = "wire::date")] NaiveDate);
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let json = serde_json::to_value(D(d)).unwrap();
        assert_eq!(json, d.num_days_from_ce());
        assert_eq!(serde_json::from_value::<D>(json).unwrap(), D(d));
        assert!(serde_json::from_value::<D>(serde_json::json!(i32::MAX)).is_err());
    }

    #[test]
    fn times_read_the_same_as_chronos_strftime() {
        let times = [
            (2026, 12, 7, 0, 5),
            (999, 1, 2, 3, 4),
            (2027, 10, 31, 23, 59),
        ];
        for (y, mo, d, h, mi) in times {
            let t = Utc.with_ymd_and_hms(y, mo, d, h, mi, 59).unwrap();
            assert_eq!(format_time(t), t.format("%Y-%m-%d %H:%M UTC").to_string());
            assert_eq!(datetime_attr(t), t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(
                DateTime::parse_from_rfc3339(&datetime_attr(t)).unwrap(),
                t.with_nanosecond(0).unwrap()
            );
            assert_eq!(format_date(t), t.format("%Y-%m-%d").to_string());
        }
    }
}

/// A session that still works, for the Sessions card and `/admin/sessions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    pub username: String,
    /// `browser` or `api`.
    pub kind: String,
    #[serde(with = "wire::time")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "wire::time")]
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this page was loaded with.
    pub current: bool,
}

/// `/admin/teams`: the teams and the organizations the new-team form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsPage {
    pub teams: Vec<AdminTeam>,
    /// `(id, name)`.
    pub orgs: Vec<(i64, String)>,
}

/// `/admin/projects`: the projects and the organizations the new-project form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsPage {
    pub projects: Vec<AdminProject>,
    /// `(id, name)`.
    pub orgs: Vec<(i64, String)>,
}

/// `/admin/oplogs`: every operation log, and the projects the new-log form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OplogsPage {
    /// `(id, name)`.
    pub projects: Vec<(i64, String)>,
    pub oplogs: Vec<AdminOplog>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOplog {
    pub id: i64,
    pub name: String,
    pub project: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTeam {
    pub name: String,
    pub org: Option<String>,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminGrant {
    pub to_team: bool,
    pub name: String,
    pub permissions: Permissions,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProject {
    pub id: i64,
    pub name: String,
    pub org: Option<String>,
    pub grants: Vec<AdminGrant>,
    /// `(id, name)` of its operation logs.
    pub oplogs: Vec<(i64, String)>,
}

/// A service token whose answerable user was deactivated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspendedToken {
    pub id: i64,
    pub name: String,
    pub principal: String,
    pub owner: String,
    pub display_prefix: String,
    pub scope: String,
    pub permissions: Vec<String>,
}

/// A project on `/projects`: what the signed-in person holds on it, and how many service
/// tokens work on it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub org: Option<String>,
    pub permissions: Permissions,
    pub live_service_tokens: i64,
}

/// `/projects/{id}` apart from its Service Tokens tab: the project, what the person holds on
/// it, who holds grants (managers and admins only), the config, and the secrets' names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: i64,
    pub name: String,
    pub org: Option<String>,
    pub permissions: Permissions,
    /// `None` when the person may not see who holds grants.
    pub grants: Option<Vec<AdminGrant>>,
    /// The JSON config, formatted.
    pub config: String,
    /// Names and last-changed times only: values never reach the page.
    pub secrets: Vec<SecretName>,
    /// The project's operation logs, each with its latest entries.
    pub oplogs: Vec<OplogView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OplogView {
    pub id: i64,
    pub name: String,
    /// The latest entries, newest first.
    pub entries: Vec<EntryView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    pub id: i64,
    pub source_host: String,
    pub dest_host: String,
    pub tool: String,
    pub command: String,
    pub description: String,
    pub operator: String,
    #[serde(with = "wire::time")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretName {
    pub name: String,
    #[serde(with = "wire::time")]
    pub updated_at: DateTime<Utc>,
}

/// The Service Tokens tab: every service token on the project, whoever minted it, and what
/// the New token form offers (the project fixed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectTokens {
    #[serde(with = "wire::time")]
    pub now: DateTime<Utc>,
    /// One page of the tokens, newest first.
    pub tokens: Vec<ProjectTokenView>,
    pub page: PageInfo,
    pub form: ServiceTokenList,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectTokenView {
    pub token: ServiceTokenView,
    pub org: Option<String>,
    pub project: String,
    pub created_by: String,
    /// Whether the person viewing may revoke it (the server decides again on revoke).
    pub can_revoke: bool,
    /// Its answerable user is deactivated: it answers 401 `token_suspended`.
    pub suspended: bool,
}

/// One audit event as the Security log and `/admin/audit` show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "wire::time")]
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// A display prefix, a username or a project: never a secret.
    pub target: String,
    pub ok: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A page of events, newest first; `older` is the cursor of the next page, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEntry>,
    pub older: Option<i64>,
}
