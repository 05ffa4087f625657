//! Server functions of the admin pages. Each one checks that the session is an
//! administrator's, then calls the same service as the matching `keyward admin` subcommand.

use leptos::prelude::*;

use keyward_core::policy::Settings;

use crate::error::AppError;
use crate::types::{AdminUser, OplogsPage, ProjectsPage, SessionView, SuspendedToken, TeamsPage};

#[cfg(feature = "ssr")]
use crate::ssr::{backend, current_admin, now};

/// A grant's subject from the form: `kind` is `user` or `team`.
#[cfg(feature = "ssr")]
fn grant_to(kind: &str, name: String) -> Result<keyward_backend::resources::GrantTo, AppError> {
    use keyward_backend::resources::GrantTo;
    match kind {
        "user" => Ok(GrantTo::User(name)),
        "team" => Ok(GrantTo::Team(name)),
        _ => Err(keyward_core::FieldError::new("kind", "Choose a user or a team.").into()),
    }
}

/// An optional name from a form: empty is `None`.
#[cfg(feature = "ssr")]
fn optional(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

// One reader per admin page, each loading only what its page shows.

#[server(prefix = "/rpc", endpoint = "admin_users", output = crate::rpc::Wire)]
pub async fn admin_users() -> Result<Vec<AdminUser>, AppError> {
    current_admin().await?;
    let users = backend()?.all_users().await?;
    Ok(users
        .into_iter()
        .map(|u| AdminUser {
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            active: u.active,
        })
        .collect())
}

/// The token settings (`/admin/settings`).
#[server(prefix = "/rpc", endpoint = "admin_settings", output = crate::rpc::Wire)]
pub async fn admin_settings() -> Result<Settings, AppError> {
    current_admin().await?;
    Ok(backend()?.settings().await?)
}

/// Saves the settings form: every value is checked before any is stored. The checkbox is
/// sent only when ticked.
#[server(prefix = "/rpc", endpoint = "admin_save_settings", output = crate::rpc::Wire)]
pub async fn admin_save_settings(
    max_token_days: String,
    allow_never_expiring: Option<String>,
    default_api_token_days: String,
    max_rotation_grace_minutes: String,
    expiry_webhook_url: String,
) -> Result<Settings, AppError> {
    use keyward_core::policy::Key;
    // Loosening the policy or redirecting the webhook is sensitive: a recent sign-in too.
    let admin = current_admin().await?;
    backend()?.require_recent_sign_in(&admin.session, now())?;
    let changes = [
        (Key::MaxTokenDays, max_token_days),
        (
            Key::AllowNeverExpiring,
            allow_never_expiring.is_some().to_string(),
        ),
        (Key::DefaultApiTokenDays, default_api_token_days),
        (Key::MaxRotationGraceMinutes, max_rotation_grace_minutes),
        (Key::ExpiryWebhookUrl, expiry_webhook_url),
    ];
    Ok(backend()?.change_settings(&changes, now()).await?)
}

#[server(prefix = "/rpc", endpoint = "admin_organizations", output = crate::rpc::Wire)]
pub async fn admin_organizations() -> Result<Vec<(i64, String)>, AppError> {
    current_admin().await?;
    Ok(backend()?.organizations().await?)
}

#[server(prefix = "/rpc", endpoint = "admin_teams", output = crate::rpc::Wire)]
pub async fn admin_teams() -> Result<TeamsPage, AppError> {
    use crate::types::AdminTeam;
    current_admin().await?;
    let backend = backend()?;
    let teams = backend
        .teams()
        .await?
        .into_iter()
        .map(|t| AdminTeam {
            name: t.name,
            org: t.org,
            members: t.members,
        })
        .collect();
    Ok(TeamsPage {
        teams,
        orgs: backend.organizations().await?,
    })
}

#[server(prefix = "/rpc", endpoint = "admin_projects", output = crate::rpc::Wire)]
pub async fn admin_projects() -> Result<ProjectsPage, AppError> {
    use crate::types::{AdminGrant, AdminProject};
    current_admin().await?;
    let backend = backend()?;
    let projects = backend
        .projects_overview()
        .await?
        .into_iter()
        .map(|p| AdminProject {
            id: p.project.id,
            name: p.project.name,
            org: p.project.org,
            grants: p
                .grants
                .into_iter()
                .map(|g| AdminGrant {
                    to_team: g.to_team,
                    name: g.name,
                    permissions: g.permissions,
                })
                .collect(),
            oplogs: p.oplogs.into_iter().map(|o| (o.id, o.name)).collect(),
        })
        .collect();
    Ok(ProjectsPage {
        projects,
        orgs: backend.organizations().await?,
    })
}

#[server(prefix = "/rpc", endpoint = "admin_oplogs", output = crate::rpc::Wire)]
pub async fn admin_oplogs() -> Result<OplogsPage, AppError> {
    use crate::types::AdminOplog;
    use std::collections::HashMap;
    current_admin().await?;
    let (projects, oplogs) = backend()?.oplogs_overview().await?;
    let names: HashMap<i64, &str> = projects.iter().map(|p| (p.id, p.name.as_str())).collect();
    let oplogs = oplogs
        .into_iter()
        .map(|o| AdminOplog {
            project: names.get(&o.project_id).copied().unwrap_or_default().into(),
            id: o.id,
            name: o.name,
        })
        .collect();
    Ok(OplogsPage {
        oplogs,
        projects: projects.into_iter().map(|p| (p.id, p.name)).collect(),
    })
}

#[server(prefix = "/rpc", endpoint = "admin_suspended_tokens", output = crate::rpc::Wire)]
pub async fn admin_suspended_tokens() -> Result<Vec<SuspendedToken>, AppError> {
    current_admin().await?;
    let tokens = backend()?.suspended_service_tokens().await?;
    Ok(tokens
        .into_iter()
        .map(|t| SuspendedToken {
            scope: super::service_tokens::scope_text(&t),
            permissions: t.scope.permission_names(),
            id: t.id,
            name: t.name,
            principal: t.principal.name,
            owner: t.created_by_username,
            display_prefix: t.display_prefix,
        })
        .collect())
}

#[server(prefix = "/rpc", endpoint = "admin_sessions", output = crate::rpc::Wire)]
pub async fn admin_sessions() -> Result<Vec<SessionView>, AppError> {
    let admin = current_admin().await?;
    super::sessions::views(None, admin.session.id).await
}

#[server(prefix = "/rpc", endpoint = "admin_end_session", output = crate::rpc::Wire)]
pub async fn admin_end_session(id: i64) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.end_session(None, id, now()).await?;
    Ok(())
}

/// Ends every session of one user.
#[server(prefix = "/rpc", endpoint = "admin_end_user_sessions", output = crate::rpc::Wire)]
pub async fn admin_end_user_sessions(username: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.end_sessions_of(username.trim(), now()).await?;
    Ok(())
}

/// Deletes the sessions that can no longer be used.
#[server(prefix = "/rpc", endpoint = "admin_cleanup_sessions", output = crate::rpc::Wire)]
pub async fn admin_cleanup_sessions() -> Result<(), AppError> {
    current_admin().await?;
    let removed = backend()?.cleanup_sessions(now()).await?;
    tracing::info!(removed, "expired sessions cleaned up");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_create_user", output = crate::rpc::Wire)]
pub async fn admin_create_user(
    username: String,
    display_name: String,
    email: String,
    role: String,
    password: String,
) -> Result<(), AppError> {
    use keyward_backend::users::UserInput;
    current_admin().await?;
    let role = role.parse::<keyward_core::Role>()?;
    let email = Some(email).filter(|e| !e.trim().is_empty());
    let input = UserInput {
        username,
        display_name,
        email,
        role,
        password,
    };
    backend()?.create_user(input, now()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_set_role", output = crate::rpc::Wire)]
pub async fn admin_set_role(username: String, role: String) -> Result<(), AppError> {
    let admin = current_admin().await?;
    let role = role.parse::<keyward_core::Role>()?;
    backend()?
        .admin_set_role(&admin.user, &username, role, crate::ssr::now())
        .await?;
    Ok(())
}

/// `active` is `"true"` or `"false"`.
#[server(prefix = "/rpc", endpoint = "admin_set_active", output = crate::rpc::Wire)]
pub async fn admin_set_active(username: String, active: bool) -> Result<(), AppError> {
    let admin = current_admin().await?;
    backend()?
        .admin_set_active(&admin.user, &username, active, now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_create_org", output = crate::rpc::Wire)]
pub async fn admin_create_org(name: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.create_org(&name, now()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_create_team", output = crate::rpc::Wire)]
pub async fn admin_create_team(name: String, org: Option<String>) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.create_team(&name, optional(&org), now()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_add_member", output = crate::rpc::Wire)]
pub async fn admin_add_member(team: String, username: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.add_to_team(&team, username.trim()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_remove_member", output = crate::rpc::Wire)]
pub async fn admin_remove_member(team: String, username: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.remove_from_team(&team, &username).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_create_project", output = crate::rpc::Wire)]
pub async fn admin_create_project(name: String, org: Option<String>) -> Result<(), AppError> {
    current_admin().await?;
    backend()?
        .create_project(&name, optional(&org), now())
        .await?;
    Ok(())
}

/// Creates or replaces the grant of a user or team (`kind`) on a project.
#[server(prefix = "/rpc", endpoint = "admin_grant", output = crate::rpc::Wire)]
pub async fn admin_grant(
    project: i64,
    kind: String,
    name: String,
    can_change_configs: Option<String>,
    can_change_secrets: Option<String>,
    can_delete_project: Option<String>,
) -> Result<(), AppError> {
    current_admin().await?;
    let to = grant_to(&kind, name.trim().to_string())?;
    let permissions = keyward_core::Permissions {
        can_change_configs: can_change_configs.is_some(),
        can_change_secrets: can_change_secrets.is_some(),
        can_delete_project: can_delete_project.is_some(),
    };
    backend()?
        .grant(project, &to, permissions, crate::ssr::now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_revoke_grant", output = crate::rpc::Wire)]
pub async fn admin_revoke_grant(project: i64, kind: String, name: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?
        .revoke_grant(project, &grant_to(&kind, name)?, crate::ssr::now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_create_oplog", output = crate::rpc::Wire)]
pub async fn admin_create_oplog(project: i64, name: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.create_oplog(project, &name, now()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_revoke_service_token", output = crate::rpc::Wire)]
pub async fn admin_revoke_service_token(id: i64) -> Result<(), AppError> {
    current_admin().await?;
    backend()?.admin_revoke_service_token(id, now()).await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_transfer_service_token", output = crate::rpc::Wire)]
pub async fn admin_transfer_service_token(id: i64, username: String) -> Result<(), AppError> {
    current_admin().await?;
    backend()?
        .transfer_service_token(id, username.trim(), crate::ssr::now())
        .await?;
    Ok(())
}
