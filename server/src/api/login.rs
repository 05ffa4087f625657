use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::{Extension, Json};
use chrono::Utc;
use keyward_backend::Backend;
use keyward_backend::client::ClientAddr;
use keyward_backend::sessions::{ClientInfo, Credentials};
use keyward_core::api::{LoginRequest, LoginResponse};

use super::ApiError;
use super::json::ApiJson;

/// `POST /api/v1/login`: username and password (and `totp`, the current code or a recovery
/// code, when the account has MFA on) for a login JWT. Its `sid` names a tracked
/// session, so ending that session (sign-out with `DELETE /api/v1/tokens/current`, or an
/// admin's revoke) refuses the JWT at its next call with 401 `session_revoked`.
#[utoipa::path(
    post,
    path = "/api/v1/login",
    operation_id = "login",
    tag = "identity",
    request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "A login JWT and when it expires", body = LoginResponse),
        (status = 401, description = "Wrong username or password (`invalid_credentials`; the \
            message does not say which); with MFA on, `totp` missing (`mfa_required`) or \
            wrong, too old or already used (`invalid_totp`)", body = keyward_core::api::ErrorBody),
        (status = 429, description = "Too many wrong TOTP codes in a row (`mfa_locked`): \
            wait 15 minutes; or too many failed sign-ins from this address or on this account \
            (`rate_limited`, with `Retry-After` in seconds)", body = keyward_core::api::ErrorBody),
        (status = 503, description = "Too many password checks at once (`busy`) or the \
            database is unreachable (`unavailable`), with `Retry-After`", body = keyward_core::api::ErrorBody),
    )
)]
pub async fn login(
    State(backend): State<Backend>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let ip = client.map(|Extension(c)| c.ip.to_string());
    let client = ClientInfo::new(ip, agent);
    let login = backend
        .api_login(
            Credentials {
                username: &body.username,
                password: &body.password,
                code: body.totp.as_deref(),
            },
            client,
            Utc::now(),
            &mut rand_core::OsRng,
        )
        .await?;
    Ok(Json(LoginResponse {
        token: login.token.expose().to_string(),
        expires_at: login.expires_at,
    }))
}
