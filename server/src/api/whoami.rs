use axum::Json;
use keyward_backend::Actor;
use keyward_core::api::{CredentialInfo, Grants, ServicePrincipalRef, UserRef, Whoami};

use super::Bearer;

/// `GET /api/v1/whoami`: who is calling, with which credential and which grants.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    operation_id = "whoami",
    tag = "identity",
    responses((status = 200, description = "Who is calling: a user or a service principal, the credential, and its grants", body = Whoami))
)]
pub async fn whoami(Bearer(p): Bearer) -> Json<Whoami> {
    let credential = CredentialInfo {
        kind: p.credential.kind,
        display_prefix: p.credential.display_prefix,
        expires_at: p.credential.expires_at,
    };
    Json(match p.actor {
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
        },
    })
}
