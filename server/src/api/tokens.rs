use axum::Json;
use axum::extract::{FromRequest, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use keyward_backend::Backend;
use keyward_backend::client::ClientAddr;
use keyward_core::api::{ReportRequest, ReportResponse, RotateRequest, RotatedToken};

use super::json::{ApiJson, REPORT_BODY_LIMIT};
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

/// `POST /api/v1/tokens/report`: anyone (a secret scanner, a person) reports token values
/// found exposed; every live token among them is revoked at once. No credential is needed,
/// and the answer says only how many were revoked.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/report",
    operation_id = "report_exposed_tokens",
    tag = "identity",
    request_body = ReportRequest,
    security(()),
    responses(
        (status = 200, description = "How many live tokens the values belonged to, now revoked (values that are not keyward tokens, or not live ones, count nothing)", body = ReportResponse),
        (status = 413, description = "The body is larger than 16 KiB (`payload_too_large`)", body = keyward_core::api::ErrorBody),
        (status = 422, description = "More than 100 values (`field`: tokens), or the body is not `{\"tokens\": [strings]}`", body = keyward_core::api::ErrorBody),
        (status = 429, description = "Too many reports from this address (`rate_limited`, 10 and then one a minute by default); retry after `Retry-After` seconds", body = keyward_core::api::ErrorBody),
    )
)]
pub async fn report(
    State(backend): State<Backend>,
    client: Option<axum::Extension<ClientAddr>>,
    request: axum::extract::Request,
) -> Result<Json<ReportResponse>, ApiError> {
    let ip = client.map(|axum::Extension(c)| c.ip.to_string());
    let now = Utc::now();
    // Counted before the body is read: a flood of reports, malformed or too large ones
    // too, is limited like one of well-formed ones and costs no more than a refusal.
    let admitted = backend.admit_report(ip.as_deref(), now)?;
    let ApiJson(body) =
        ApiJson::<ReportRequest, REPORT_BODY_LIMIT>::from_request(request, &backend).await?;
    let revoked = backend.report_exposed(admitted, &body.tokens, now).await?;
    tracing::info!(values = body.tokens.len(), revoked, "leak report");
    Ok(Json(ReportResponse {
        revoked: revoked as u64,
    }))
}

/// `POST /api/v1/tokens/current/rotate`: the calling API or service token gets a new value
/// (automation renews its own secret); its name, expiry and grants stay. The old value
/// works `grace_minutes` longer, its answers marked `Keyward-Token-Replaced: true`.
#[utoipa::path(
    post,
    path = "/api/v1/tokens/current/rotate",
    operation_id = "rotate_current_token",
    tag = "identity",
    request_body = RotateRequest,
    responses(
        (status = 200, description = "The new value, shown once (Cache-Control: no-store)", body = RotatedToken),
        (status = 400, description = "A login JWT, or a value already replaced, cannot rotate (`refused`); or the body is not valid JSON", body = keyward_core::api::ErrorBody),
        (status = 422, description = "`grace_minutes` is above the installation's maximum rotation grace (`field`: grace_minutes)", body = keyward_core::api::ErrorBody),
    )
)]
pub async fn rotate_current(
    State(backend): State<Backend>,
    Bearer(p): Bearer,
    ApiJson(body): ApiJson<RotateRequest>,
) -> Result<Response, ApiError> {
    let rotated = backend
        .rotate_current(&p, body.grace_minutes, Utc::now(), &mut rand_core::OsRng)
        .await?;
    tracing::info!(
        old = %rotated.old_value_prefix,
        new = %rotated.secret.display_prefix(),
        "token rotated itself"
    );
    let answer = RotatedToken {
        token: rotated.secret.expose().to_string(),
        display_prefix: rotated.secret.display_prefix().to_string(),
        name: rotated.name,
        expires_at: rotated.expires_at,
        old_display_prefix: rotated.old_value_prefix,
        old_valid_until: rotated.old_valid_until,
    };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((no_store, Json(answer)).into_response())
}
