//! What the server functions send to the page. Never a hash; a token value only in
//! [`MintedToken`], the response that creates it.

use chrono::{DateTime, NaiveDate, Utc};
use keyward_core::{Role, Secret};
use serde::{Deserialize, Serialize};

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
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The API Tokens card's data. `now` is the server's clock at the time of the query, so
/// the server render and the hydrated page compute the same expiry colours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenList {
    pub now: DateTime<Utc>,
    pub tokens: Vec<ApiTokenView>,
    /// The date the new-token form proposes (30 days ahead).
    pub default_expiry: NaiveDate,
    /// The earliest and latest dates the policy allows.
    pub min_expiry: NaiveDate,
    pub max_expiry: NaiveDate,
}

/// A token value, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedToken {
    pub id: i64,
    pub name: String,
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// Times as the page shows them: UTC, so that server render and hydration agree.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn format_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}
