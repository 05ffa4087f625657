//! A token's usage for the page's Usage dialog.

use keyward_core::usage::Usage;
use leptos::prelude::*;

use crate::error::AppError;

/// `kind` is `api_token` (one of the signed-in user's API tokens) or `service_token` (a
/// service token they are answerable for).
#[server(prefix = "/rpc", endpoint = "token_usage", output = crate::rpc::Wire)]
pub async fn token_usage(kind: String, id: i64) -> Result<Usage, AppError> {
    use crate::ssr::{backend, current_session, now};
    use keyward_backend::rotation::Target;

    let session = current_session().await?;
    let target = Target::owned(super::token_kind(&kind)?, id, session.user.id);
    Ok(backend()?.owned_token_usage(&target, now()).await?)
}
