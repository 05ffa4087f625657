use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use keyward_backend::Backend;

use super::{ApiError, Bearer};

/// `DELETE /api/v1/tokens/current`: the calling token revokes itself (for leak response).
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/current",
    operation_id = "revoke_current_token",
    tag = "identity",
    responses((status = 204, description = "The calling token is revoked; its next call gets 401 token_revoked"))
)]
pub async fn revoke_current(
    State(backend): State<Backend>,
    Bearer(p): Bearer,
) -> Result<StatusCode, ApiError> {
    backend.revoke_current(&p, Utc::now()).await?;
    tracing::info!(prefix = %p.credential.display_prefix, "token revoked itself");
    Ok(StatusCode::NO_CONTENT)
}
