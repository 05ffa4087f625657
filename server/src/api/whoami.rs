use axum::Json;
use axum::extract::State;
use chrono::Utc;
use keyward_backend::{Actor, Backend};
use keyward_core::TokenKind;
use keyward_core::api::{
    CredentialInfo, CredentialKind, Grants, ServicePrincipalRef, UserRef, Whoami,
};

use super::{ApiError, Bearer};

/// `GET /api/v1/whoami`: who is calling, with which credential and which grants.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    operation_id = "whoami",
    tag = "identity",
    responses((status = 200, description = "Who is calling: a user or a service principal, the credential, its grants and (for an API or service token) where it was used", body = Whoami))
)]
pub async fn whoami(
    State(backend): State<Backend>,
    Bearer(p): Bearer,
) -> Result<Json<Whoami>, ApiError> {
    let kind = match p.credential.kind {
        CredentialKind::ApiToken => Some(TokenKind::ApiToken),
        CredentialKind::ServiceToken => Some(TokenKind::ServiceToken),
        CredentialKind::LoginSession => None,
    };
    let usage = match kind {
        Some(kind) => Some(
            backend
                .token_usage(kind, p.credential.id, Utc::now())
                .await?,
        ),
        None => None,
    };
    let credential = CredentialInfo {
        kind: p.credential.kind,
        display_prefix: p.credential.display_prefix,
        expires_at: p.credential.expires_at,
        allowed_ips: p.credential.allowed_ips,
    };
    Ok(Json(match p.actor {
        Actor::User(user) => Whoami {
            grants: Grants {
                all_projects: user.role.sees_all_projects(),
                scope: None,
                permissions: Vec::new(),
            },
            user: Some(UserRef {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                role: user.role,
            }),
            service_principal: None,
            credential,
            usage,
        },
        Actor::Service(token) => Whoami {
            grants: Grants {
                all_projects: false,
                scope: Some(token.scope),
                permissions: token.scope.permission_names(),
            },
            user: None,
            service_principal: Some(ServicePrincipalRef {
                id: token.principal.id,
                name: token.principal.name,
                description: token.principal.description,
            }),
            credential,
            usage,
        },
    }))
}
