use axum::Json;
use keyward_core::api::{CredentialInfo, Grants, UserRef, Whoami};

use super::Bearer;

/// `GET /api/v1/whoami`: who is calling, with which credential.
pub async fn whoami(Bearer(p): Bearer) -> Json<Whoami> {
    Json(Whoami {
        grants: Grants {
            all_projects: p.user.role.sees_all_projects(),
        },
        user: UserRef {
            id: p.user.id,
            username: p.user.username,
            display_name: p.user.display_name,
            role: p.user.role,
        },
        credential: CredentialInfo {
            kind: p.credential.kind,
            display_prefix: p.credential.display_prefix,
            expires_at: p.credential.expires_at,
        },
    })
}
