//! Rotating a token from the profile page: a new value, shown once, while the old one keeps
//! working for the chosen grace (at most the installation's maximum).

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::MintedToken;

/// `kind` is `api_token` (one of the signed-in user's API tokens) or `service_token` (a
/// service token they are answerable for); `grace_minutes` how long the old value works.
#[server(prefix = "/rpc", endpoint = "rotate_token", output = crate::rpc::Wire)]
pub async fn rotate_token(
    kind: String,
    id: i64,
    grace_minutes: u32,
) -> Result<MintedToken, AppError> {
    use crate::ssr::{backend, now, sudo_session};
    use keyward_backend::rotation::Target;

    let session = sudo_session().await?;
    let target = Target::owned(super::token_kind(&kind)?, id, session.user.id);
    let rotated = backend()?
        .rotate_token(target, grace_minutes, now(), &mut rand_core::OsRng)
        .await?;
    super::no_store();
    Ok(MintedToken {
        id: rotated.id,
        name: rotated.name,
        token: rotated.secret,
        expires_at: rotated.expires_at,
    })
}
