//! A token's Allowed IP ranges, changed after its creation (they are set with it in the
//! token's own insert).

use async_trait::async_trait;
use keyward_core::TokenKind;
use keyward_core::allowlist::Allowlist;

use super::rotation::table;
use super::{Result, SqlRepository};

#[async_trait]
pub trait AllowlistRepo {
    /// Sets the ranges of the unrevoked token of `kind` with this id that `owner` is
    /// answerable for; its display prefix, or `None` if there is no such token.
    async fn set_allowed_ips(
        &self,
        kind: TokenKind,
        token_id: i64,
        owner: i64,
        allowed: &Allowlist,
    ) -> Result<Option<String>>;
}

#[async_trait]
impl AllowlistRepo for SqlRepository {
    async fn set_allowed_ips(
        &self,
        kind: TokenKind,
        token_id: i64,
        owner: i64,
        allowed: &Allowlist,
    ) -> Result<Option<String>> {
        let (table, owner_column, _) = table(kind);
        let sql = format!(
            "UPDATE {table} SET allowed_ips = $1
             WHERE id = $2 AND {owner_column} = $3 AND revoked_at IS NULL
             RETURNING display_prefix"
        );
        let text = allowed.to_string();
        Ok(fetch_scalar!(
            &self.db,
            fetch_optional,
            &sql,
            text,
            token_id,
            owner
        )?)
    }
}
