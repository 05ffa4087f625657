//! Column types shared by both databases. Each delegates to a type both sqlx drivers already
//! know (`i64`, `String`), so one row struct decodes from a SQLite row and a PostgreSQL row
//! alike, and a time or a hash cannot be bound where the other is expected.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use keyward_core::token::sha256_hex;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// Implements `Type`, `Encode` and `Decode` for a newtype by delegating to its inner type,
/// for every database whose driver handles that type.
macro_rules! delegate_sqlx {
    ($outer:ty => $inner:ty) => {
        impl<DB: Database> Type<DB> for $outer
        where
            $inner: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$inner as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$inner as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $outer
        where
            $inner: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                self.0.encode_by_ref(buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $outer
        where
            $inner: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <$inner as Decode<'r, DB>>::decode(value).map(Self)
            }
        }
    };
}

/// A time as stored: whole unix seconds (UTC) in an integer column (`INTEGER` on SQLite,
/// `BIGINT` on PostgreSQL), comparable in SQL on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

delegate_sqlx!(Timestamp => i64);

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t.timestamp())
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        DateTime::from_timestamp(t.0, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// A nullable time column, for rows that expose `Option<DateTime<Utc>>`
/// (`#[sqlx(try_from = "MaybeTimestamp")]`: the orphan rule forbids converting
/// `Option<Timestamp>` into `Option<DateTime<Utc>>` directly).
pub struct MaybeTimestamp(Option<Timestamp>);

delegate_sqlx!(MaybeTimestamp => Option<Timestamp>);

impl From<MaybeTimestamp> for Option<DateTime<Utc>> {
    fn from(t: MaybeTimestamp) -> Self {
        t.0.map(Into::into)
    }
}

/// The SHA-256 (lower-case hex) of a high-entropy secret: an API or service token, a session
/// cookie, a setup or recovery code. Only this is stored, and lookups go by it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(String);

delegate_sqlx!(TokenHash => String);

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        TokenHash(sha256_hex(secret.as_bytes()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Only a prefix: enough to tell two apart in a log, useless for a lookup.
impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or_default())
    }
}

/// A value stored as its text in a `TEXT` column (a role, a session kind, an allowlist);
/// text that does not parse fails the row's decoding.
pub struct Text<T>(T);

impl<DB: Database, T> Type<DB> for Text<T>
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database, T: FromStr> Decode<'r, DB> for Text<T>
where
    String: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<'r, DB>>::decode(value)?;
        match text.parse() {
            Ok(v) => Ok(Text(v)),
            Err(_) => Err(format!("unknown {} {text:?}", std::any::type_name::<T>()).into()),
        }
    }
}

impl From<Text<keyward_core::Role>> for keyward_core::Role {
    fn from(t: Text<keyward_core::Role>) -> Self {
        t.0
    }
}

impl From<Text<keyward_core::allowlist::Allowlist>> for keyward_core::allowlist::Allowlist {
    fn from(t: Text<keyward_core::allowlist::Allowlist>) -> Self {
        t.0
    }
}

impl From<Text<super::SessionKind>> for super::SessionKind {
    fn from(t: Text<super::SessionKind>) -> Self {
        t.0
    }
}
