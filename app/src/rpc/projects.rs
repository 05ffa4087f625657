//! Server functions of `/projects` and `/projects/{id}`. A browser session acts as its user
//! through the same services, and the same authorization decision, as a bearer API call:
//! outside the person's grant a project is 404, without the flag an action needs it is 403.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{ProjectSummary, ProjectTokens, ProjectView};

#[cfg(feature = "ssr")]
mod imp {
    use keyward_backend::sessions::SessionUser;
    use keyward_backend::{Actor, Credential, Principal};
    use keyward_core::api::CredentialKind;

    /// The signed-in person as the services' caller: a login session of theirs.
    pub fn principal(s: SessionUser) -> Principal {
        Principal {
            credential: Credential {
                kind: CredentialKind::LoginSession,
                id: s.session.id,
                display_prefix: String::new(),
                expires_at: Some(s.session.expires_at),
                replaced_until: None,
                hash: None,
                allowed_ips: Default::default(),
            },
            actor: Actor::User(s.user),
        }
    }
}

/// The projects the signed-in person can read (managers and admins: all), by id.
#[server(prefix = "/rpc", endpoint = "my_projects", output = crate::rpc::Wire)]
pub async fn my_projects() -> Result<Vec<ProjectSummary>, AppError> {
    use crate::ssr::{backend, current_session, now};
    use std::collections::HashMap;

    let user = current_session().await?.user;
    let backend = backend()?;
    let counts: HashMap<i64, i64> = backend
        .live_service_token_counts(now())
        .await?
        .into_iter()
        .collect();
    Ok(backend
        .visible_projects(&user)
        .await?
        .into_iter()
        .map(|v| ProjectSummary {
            live_service_tokens: counts.get(&v.project.id).copied().unwrap_or(0),
            id: v.project.id,
            name: v.project.name,
            org: v.project.org,
            permissions: v.permissions,
        })
        .collect())
}

#[server(prefix = "/rpc", endpoint = "project", output = crate::rpc::Wire)]
pub async fn get_project(id: i64) -> Result<ProjectView, AppError> {
    use crate::ssr::{backend, current_session};
    use crate::types::{AdminGrant, EntryView, OplogView, SecretName};

    let session = current_session().await?;
    let backend = backend()?;
    let grants = backend.project_grants(&session.user, id).await?;
    let principal = imp::principal(session);
    let visible = backend
        .authorize_project(&principal, id, keyward_backend::projects::Action::Read)
        .await?;
    let secrets = backend.project_secrets(&principal, id).await?;
    let oplogs = backend
        .project_oplogs(&principal, id, LATEST_ENTRIES)
        .await?;
    let config = serde_json::from_str::<serde_json::Value>(&visible.project.config)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(visible.project.config);
    Ok(ProjectView {
        id,
        name: visible.project.name,
        org: visible.project.org,
        permissions: visible.permissions,
        grants: grants.map(|grants| {
            grants
                .into_iter()
                .map(|g| AdminGrant {
                    to_team: g.to_team,
                    name: g.name,
                    permissions: g.permissions,
                })
                .collect()
        }),
        config,
        secrets: secrets
            .into_iter()
            .map(|s| SecretName {
                name: s.name,
                updated_at: s.updated_at,
            })
            .collect(),
        oplogs: oplogs
            .into_iter()
            .map(|(log, entries)| OplogView {
                id: log.id,
                name: log.name,
                entries: entries
                    .into_iter()
                    .map(|e| EntryView {
                        id: e.id,
                        source_host: e.fields.source_host,
                        dest_host: e.fields.dest_host,
                        tool: e.fields.tool,
                        command: e.fields.command,
                        description: e.fields.description,
                        operator: e.fields.operator,
                        created_at: e.created_at,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// How many entries of each operation log the project page shows.
#[cfg(feature = "ssr")]
const LATEST_ENTRIES: i64 = 10;

/// Adds an entry to one of the project's operation logs (anyone who can read the project
/// may write its logs). A log of another project is as if missing.
#[server(prefix = "/rpc", endpoint = "add_oplog_entry", output = crate::rpc::Wire)]
pub async fn add_oplog_entry(
    project: i64,
    oplog: i64,
    command: String,
    description: String,
    source_host: String,
    dest_host: String,
    tool: String,
) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    use keyward_backend::oplogs::OplogAction;
    use keyward_core::api::EntryInput;

    let session = current_session().await?;
    let operator = session.user.username.clone();
    let principal = imp::principal(session);
    let backend = backend()?;
    let log = backend
        .authorize_oplog(&principal, oplog, OplogAction::Write)
        .await?;
    if log.project_id != project {
        return Err(AppError::NotFound);
    }
    let text = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if text(command.clone()).is_none() && text(description.clone()).is_none() {
        return Err(keyward_core::FieldError::new(
            "description",
            "Say what was done: a command, a description, or both.",
        )
        .into());
    }
    let input = EntryInput {
        command: text(command),
        description: text(description),
        source_host: text(source_host),
        dest_host: text(dest_host),
        tool: text(tool),
        operator: Some(operator),
        ..EntryInput::default()
    };
    backend
        .create_entry(&principal, oplog, input, now())
        .await?;
    Ok(())
}

/// Replaces the config with `config`, a JSON object; invalid JSON is refused with the
/// parser's line and column.
#[server(prefix = "/rpc", endpoint = "set_project_config", output = crate::rpc::Wire)]
pub async fn set_project_config(project: i64, config: String) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session};
    let principal = imp::principal(current_session().await?);
    let backend = backend()?;
    // Authorized before the JSON is read, so a crafted call learns nothing from the parser.
    backend
        .authorize_project(
            &principal,
            project,
            keyward_backend::projects::Action::ChangeConfig,
        )
        .await?;
    let value = keyward_core::validate::config_document(&config)?;
    backend
        .set_project_config(&principal, project, &value)
        .await?;
    Ok(())
}

/// Creates or replaces a secret; the value is write-only.
#[server(prefix = "/rpc", endpoint = "set_project_secret", output = crate::rpc::Wire)]
pub async fn set_project_secret(project: i64, name: String, value: String) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    let principal = imp::principal(current_session().await?);
    backend()?
        .put_secret(&principal, project, name.trim(), &value, now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "delete_project_secret", output = crate::rpc::Wire)]
pub async fn delete_project_secret(project: i64, name: String) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session};
    let principal = imp::principal(current_session().await?);
    backend()?
        .delete_secret(&principal, project, &name, crate::ssr::now())
        .await?;
    Ok(())
}

/// The Service Tokens tab: one page (1-based, newest first, without the expired ones when
/// `hide_expired`) of the service tokens on the project, and the New token form's choices
/// with the project fixed.
#[server(prefix = "/rpc", endpoint = "project_service_tokens", output = crate::rpc::Wire)]
pub async fn project_service_tokens(
    project: i64,
    #[server(default)] page: usize,
    #[server(default)] hide_expired: bool,
) -> Result<ProjectTokens, AppError> {
    use crate::components::tokens::is_expired;
    use crate::ssr::{backend, current_session};
    use crate::types::ProjectTokenView;

    let user = current_session().await?.user;
    let backend = backend()?;
    let tokens = backend.project_service_tokens(&user, project).await?;
    let form = super::service_tokens::form_choices(&user, Vec::new(), Some(project)).await?;
    let (tokens, page) = keyward_core::page::page_of(tokens, page, hide_expired, |t| {
        is_expired(t.token.expires_at, form.now)
    });
    Ok(ProjectTokens {
        now: form.now,
        page,
        tokens: tokens
            .into_iter()
            .map(|t| ProjectTokenView {
                org: t.token.target_org.clone(),
                project: t.token.target_name.clone().unwrap_or_default(),
                created_by: t.token.created_by_username.clone(),
                can_revoke: t.can_revoke,
                suspended: !t.token.owner_active,
                // Where a token may be used from is its answerable user's business, not
                // every project reader's.
                token: crate::types::ServiceTokenView {
                    allowed_ips: Default::default(),
                    ..super::service_tokens::view(t.token)
                },
            })
            .collect(),
        form,
    })
}

/// Revokes a service token of the project: its creator, anyone holding every permission it
/// carries there, or an admin (otherwise 403).
#[server(prefix = "/rpc", endpoint = "revoke_project_service_token", output = crate::rpc::Wire)]
pub async fn revoke_project_service_token(project: i64, id: i64) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    let user = current_session().await?.user;
    backend()?
        .revoke_project_service_token(&user, project, id, now())
        .await?;
    Ok(())
}
