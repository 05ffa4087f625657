//! Server functions of the Service Tokens card. The form's fields arrive as text; they are
//! turned into a [`ServiceTokenRequest`] here, and the services apply the no-escalation rule
//! to whatever arrives, so a hand-crafted request gets no more than the form offers.

// `create_service_token` takes one argument per form field (the form posts them flat), and
// the `#[server]` macro repeats the signature in code an item-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{MintedToken, ServiceTokenList};

#[cfg(feature = "ssr")]
pub(super) use imp::{form_choices, scope_text, view};

#[cfg(feature = "ssr")]
mod imp {
    use keyward_backend::db::{ServiceTokenRow, UserRow};
    use keyward_backend::service_tokens::{Lifetime, PrincipalChoice, ServiceTokenRequest};
    use keyward_core::allowlist::Allowlist;
    use keyward_core::{FieldError, Permissions, Scope, validate};

    use crate::error::AppError;
    use crate::types::{ServiceTokenList, ServiceTokenView};

    /// The form's fields, as submitted.
    pub struct Form {
        pub principal: String,
        pub principal_name: Option<String>,
        pub principal_description: Option<String>,
        pub name: String,
        pub preset: String,
        pub project: Option<String>,
        pub org: Option<String>,
        pub can_change_configs: Option<String>,
        pub can_change_secrets: Option<String>,
        pub can_delete_project: Option<String>,
        pub oplog: Option<String>,
        pub expires_in_days: String,
        pub allowed_ips: String,
    }

    /// An id chosen in a `<select>`; empty or absent is `None`.
    fn id(field: &str, value: Option<&str>) -> Result<Option<i64>, FieldError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| FieldError::new(field, "Choose one of the listed options.")),
        }
    }

    fn required(field: &str, value: Option<i64>, what: &str) -> Result<i64, FieldError> {
        value.ok_or_else(|| FieldError::new(field, format!("Choose {what}.")))
    }

    impl Form {
        pub fn request(self) -> Result<ServiceTokenRequest, AppError> {
            let principal = if self.principal == "new" {
                PrincipalChoice::New {
                    name: self.principal_name.unwrap_or_default(),
                    description: self.principal_description.unwrap_or_default(),
                }
            } else {
                let chosen = id("principal", Some(&self.principal))?;
                PrincipalChoice::Existing(required("principal", chosen, "a service principal")?)
            };
            let flags = Permissions {
                can_change_configs: self.can_change_configs.is_some(),
                can_change_secrets: self.can_change_secrets.is_some(),
                can_delete_project: self.can_delete_project.is_some(),
            };
            let scope = match self.preset.as_str() {
                "project" => Scope::Project {
                    project_id: required(
                        "project",
                        id("project", self.project.as_deref())?,
                        "a project",
                    )?,
                    org_id: id("org", self.org.as_deref())?,
                    permissions: flags,
                },
                "oplog" if flags == Permissions::READ => Scope::Oplog {
                    oplog_id: required(
                        "oplog",
                        id("oplog", self.oplog.as_deref())?,
                        "an operation log",
                    )?,
                },
                "oplog" => {
                    return Err(FieldError::new(
                        "preset",
                        "Project flags do not apply to an operation-log token.",
                    )
                    .into());
                }
                _ => return Err(FieldError::new("preset", "Choose a scope preset.").into()),
            };
            Ok(ServiceTokenRequest {
                principal,
                name: self.name,
                scope,
                lifetime: Lifetime::Days(validate::expires_in_days(&self.expires_in_days)?),
                allowed_ips: Allowlist::parse(&self.allowed_ips)?,
            })
        }
    }

    /// The scope in words, with the target's name (or its id once the target is gone).
    pub(in crate::rpc) fn scope_text(t: &ServiceTokenRow) -> String {
        match (t.scope, &t.target_name) {
            (Scope::Project { .. }, Some(name)) => match &t.target_org {
                Some(org) => format!("Project “{name}” ({org})"),
                None => format!("Project “{name}”"),
            },
            (Scope::Project { project_id, .. }, None) => {
                format!("Project #{project_id} (deleted)")
            }
            (Scope::Oplog { .. }, Some(name)) => format!("Operation log “{name}”"),
            (Scope::Oplog { oplog_id }, None) => format!("Operation log #{oplog_id} (deleted)"),
        }
    }

    /// `tokens` with what the New service token form may offer `user`: only the projects
    /// (and flags) and operation logs they hold now. With `only_project` (a project page's
    /// form), that one project and no operation logs.
    pub async fn form_choices(
        user: &UserRow,
        tokens: Vec<ServiceTokenView>,
        only_project: Option<i64>,
    ) -> Result<ServiceTokenList, AppError> {
        use crate::ssr::{backend, now};
        use crate::types::{OplogChoice, ProjectChoice};

        let backend = backend()?;
        let mut projects = backend.visible_projects(user).await?;
        let readable_oplogs = match only_project {
            Some(id) => {
                projects.retain(|p| p.project.id == id);
                Vec::new()
            }
            None => backend.readable_oplogs(user).await?,
        };
        let mut oplogs = Vec::new();
        for o in readable_oplogs {
            let project = projects
                .iter()
                .find(|p| p.project.id == o.project_id)
                .map(|p| p.project.name.clone())
                .unwrap_or_default();
            oplogs.push(OplogChoice {
                id: o.id,
                name: o.name,
                project,
            });
        }
        Ok(ServiceTokenList {
            now: now(),
            tokens,
            page: Default::default(),
            notices: Default::default(),
            principals: backend
                .service_principals()
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            projects: projects
                .into_iter()
                .map(|v| ProjectChoice {
                    id: v.project.id,
                    org: v.project.org_id.zip(v.project.org),
                    name: v.project.name,
                    permissions: v.permissions,
                })
                .collect(),
            oplogs,
            policy: backend.policy().await?,
        })
    }

    pub fn view(t: ServiceTokenRow) -> ServiceTokenView {
        ServiceTokenView {
            scope: scope_text(&t),
            // Not for a deleted project, whose page is gone.
            project_id: match (t.scope, &t.target_name) {
                (Scope::Project { project_id, .. }, Some(_)) => Some(project_id),
                _ => None,
            },
            permissions: t.scope.permission_names(),
            id: t.id,
            name: t.name,
            principal: t.principal.name,
            display_prefix: t.display_prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            old_valid_until: None,
            reported_at: crate::rpc::imp::reported_at(t.revoked_at, t.revoked_reason.as_deref()),
            allowed_ips: crate::rpc::imp::range_texts(&t.allowed_ips),
        }
    }
}

/// One page (1-based) of the signed-in user's service tokens, newest first, without the
/// expired ones when `hide_expired`, with the banner lines of all of them and what the New
/// service token form may offer them: only the projects (and flags) and operation logs they
/// hold now.
#[server(prefix = "/rpc", endpoint = "service_tokens", output = crate::rpc::Wire)]
pub async fn list_service_tokens(
    #[server(default)] page: usize,
    #[server(default)] hide_expired: bool,
) -> Result<ServiceTokenList, AppError> {
    use crate::components::tokens::{BannerFacts, is_expired, notices};
    use crate::ssr::{backend, now};
    let user = crate::ssr::current_session().await?.user;
    let backend = backend()?;
    let now = now();
    let tokens = backend.service_tokens_and_reported(user.id, now).await?;
    let notices = notices("Service token", &tokens, now, |t| BannerFacts {
        name: &t.name,
        display_prefix: &t.display_prefix,
        expires_at: t.expires_at,
        reported_at: crate::rpc::imp::reported_at(t.revoked_at, t.revoked_reason.as_deref()),
    });
    let (tokens, page) = keyward_core::page::page_of(tokens, page, hide_expired, |t| {
        t.revoked_at.is_none() && is_expired(t.expires_at, now)
    });
    let graces = backend
        .grace_windows(keyward_core::TokenKind::ServiceToken, user.id, now)
        .await?;
    let tokens = tokens
        .into_iter()
        .map(|t| crate::types::ServiceTokenView {
            old_valid_until: graces.get(&t.id).copied(),
            ..imp::view(t)
        })
        .collect();
    let mut list = imp::form_choices(&user, tokens, None).await?;
    // The clock the rows were filtered with, so their colours agree with Hide expired.
    (list.now, list.page, list.notices) = (now, page, notices);
    Ok(list)
}

/// Mints a service token; the value is in this response only.
#[server(prefix = "/rpc", endpoint = "create_service_token", output = crate::rpc::Wire)]
pub async fn create_service_token(
    principal: String,
    principal_name: Option<String>,
    principal_description: Option<String>,
    name: String,
    preset: String,
    project: Option<String>,
    org: Option<String>,
    can_change_configs: Option<String>,
    can_change_secrets: Option<String>,
    can_delete_project: Option<String>,
    oplog: Option<String>,
    expires_in_days: String,
    #[server(default)] allowed_ips: String,
) -> Result<MintedToken, AppError> {
    use crate::ssr::{backend, now, sudo_session};

    let user = sudo_session().await?.user;
    let request = imp::Form {
        principal,
        principal_name,
        principal_description,
        name,
        preset,
        project,
        org,
        can_change_configs,
        can_change_secrets,
        can_delete_project,
        oplog,
        expires_in_days,
        allowed_ips,
    }
    .request()?;
    let minted = backend()?
        .mint_service_token(&user, &request, now(), &mut rand_core::OsRng)
        .await?;
    super::no_store();
    Ok(MintedToken {
        id: minted.token.id,
        name: minted.token.name,
        token: minted.secret,
        expires_at: minted.token.expires_at,
    })
}

#[server(prefix = "/rpc", endpoint = "revoke_service_token", output = crate::rpc::Wire)]
pub async fn revoke_service_token(id: i64) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    let user = current_session().await?.user;
    backend()?.revoke_service_token(user.id, id, now()).await?;
    Ok(())
}
