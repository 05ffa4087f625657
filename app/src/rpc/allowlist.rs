//! Changing a token's Allowed IP ranges from the page (they apply from the next request).

use leptos::prelude::*;

use crate::error::AppError;

/// `kind` is `api_token` (one of the signed-in user's API tokens) or `service_token` (a
/// service token they are answerable for); `allowed_ips` the ranges as typed (empty:
/// anywhere).
#[server(prefix = "/rpc", endpoint = "set_allowed_ips", output = crate::rpc::Wire)]
pub async fn set_allowed_ips(kind: String, id: i64, allowed_ips: String) -> Result<(), AppError> {
    use crate::ssr::{backend, now, sudo_session};
    use keyward_backend::rotation::Target;
    use keyward_core::allowlist::Allowlist;

    let session = sudo_session().await?;
    let target = Target::owned(super::token_kind(&kind)?, id, session.user.id);
    let allowed = Allowlist::parse(&allowed_ips)?;
    backend()?.set_allowed_ips(&target, &allowed, now()).await?;
    Ok(())
}
