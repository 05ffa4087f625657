//! Service principals and service tokens (`kwst_`): mint (with the no-escalation rule), list,
//! revoke, and the suspension that follows a deactivated user until an admin revokes or
//! transfers the token. A token's grant is fixed when it is minted: it lives on the token row.

use chrono::{DateTime, Utc};
use keyward_core::allowlist::Allowlist;
use keyward_core::{FieldError, Permissions, Role, Scope, Secret, TokenKind, token, validate};
use rand_core::{CryptoRng, RngCore};

use crate::audit::{self, Event};
use crate::db::{
    NewServiceToken, ServicePrincipalRow, ServiceTokenRow, TokenHash, TokenPrincipal, UserRow,
};
use crate::projects::Action;
use crate::quota::Quota;
use crate::{Backend, Error};

/// The principal a new token belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalChoice {
    Existing(i64),
    /// Created on the spot, with the token.
    New {
        name: String,
        description: String,
    },
}

/// How long a new service token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// `expires_in_days`, within the policy; `0`: never expires (if the policy allows).
    Days(u32),
    /// An exact instant, even a past one: `keyward admin mint-service-token --expires-at`,
    /// for bootstrapping and tests, like `mint-token --expires-at`.
    Until(DateTime<Utc>),
}

/// What the New service token form (or `keyward admin mint-service-token`) asks for.
#[derive(Clone, Debug)]
pub struct ServiceTokenRequest {
    pub principal: PrincipalChoice,
    pub name: String,
    pub scope: Scope,
    pub lifetime: Lifetime,
    /// Where it may be used from (empty: anywhere).
    pub allowed_ips: Allowlist,
}

/// A service token just minted: the only place its value ever exists.
#[derive(Clone, Debug)]
pub struct MintedServiceToken {
    pub token: ServiceTokenRow,
    pub secret: Secret,
}

/// A service token on its project's page.
#[derive(Clone, Debug)]
pub struct ProjectToken {
    pub token: ServiceTokenRow,
    /// Whether the person viewing the page may revoke it ([`may_revoke`]).
    pub can_revoke: bool,
}

/// Who may revoke a project's service token besides admins: its creator, and anyone who
/// holds (`held`, on its project) every permission it carries, since they could mint it.
pub fn may_revoke(user: &UserRow, held: Permissions, token: &ServiceTokenRow) -> bool {
    user.role == Role::Admin || token.created_by == user.id || held.covers(token.scope.required())
}

fn field(name: &str, message: impl Into<String>) -> Error {
    Error::Invalid(FieldError::new(name, message))
}

impl Backend {
    /// The no-escalation rule: `user` must hold, now, everything `scope` would grant. A
    /// target the user cannot see is reported as missing, like any other invisible row.
    pub async fn check_grantable(&self, user: &UserRow, scope: &Scope) -> Result<(), Error> {
        match *scope {
            Scope::Project {
                project_id,
                org_id,
                permissions,
            } => {
                let held = self.project_permissions(user, project_id).await?;
                let project = self.repo.project(project_id).await?;
                let (Some(held), Some(project)) = (held, project) else {
                    return Err(field(
                        "project",
                        format!(
                            "{} holds no grant on a project with id {project_id}.",
                            user.username
                        ),
                    ));
                };
                if org_id.is_some() && org_id != project.org_id {
                    return Err(field(
                        "org",
                        format!(
                            "Project “{}” does not belong to that organization.",
                            project.name
                        ),
                    ));
                }
                let held_names = held.names();
                if let Some(name) = permissions
                    .names()
                    .into_iter()
                    .find(|n| !held_names.contains(n))
                {
                    return Err(field(
                        name,
                        format!(
                            "{} does not hold {name} on “{}”, so a token cannot get it.",
                            user.username, project.name
                        ),
                    ));
                }
                Ok(())
            }
            Scope::Oplog { oplog_id } => {
                let oplog = self.repo.oplog(oplog_id).await?;
                let readable = match &oplog {
                    Some(o) => self
                        .project_permissions(user, o.project_id)
                        .await?
                        .is_some(),
                    None => false,
                };
                if readable {
                    Ok(())
                } else {
                    Err(field(
                        "oplog",
                        format!(
                            "{} cannot write to an operation log with id {oplog_id}.",
                            user.username
                        ),
                    ))
                }
            }
        }
    }

    /// Every service principal, by name (they are shared: any user may mint for one).
    pub async fn service_principals(&self) -> Result<Vec<ServicePrincipalRow>, Error> {
        self.repo.service_principals().await
    }

    pub async fn service_principal_named(&self, name: &str) -> Result<Option<i64>, Error> {
        Ok(self.repo.service_principal_named(name).await?.map(|p| p.id))
    }

    /// Mints a service token for `creator`, who must hold what it grants.
    pub async fn mint_service_token(
        &self,
        creator: &UserRow,
        request: &ServiceTokenRequest,
        now: DateTime<Utc>,
        rng: &mut (impl RngCore + CryptoRng + Send),
    ) -> Result<MintedServiceToken, Error> {
        let name = validate::token_name(&request.name)?.to_string();
        let expires_at = match request.lifetime {
            Lifetime::Days(days) => {
                let policy = self.policy().await?;
                validate::service_token_expiry(
                    days,
                    now,
                    policy.max_token_days,
                    policy.allow_never_expiring,
                )?
            }
            Lifetime::Until(at) => Some(at),
        };
        self.check_grantable(creator, &request.scope).await?;
        self.within_quota(creator.id, Quota::ServiceTokens, now)
            .await?;
        if matches!(request.principal, PrincipalChoice::New { .. }) {
            self.within_quota(creator.id, Quota::Principals, now)
                .await?;
        }
        // Everything is checked first, and a new principal is stored with its token in one
        // transaction, so a refused request leaves nothing behind.
        let principal = match &request.principal {
            PrincipalChoice::Existing(id) => TokenPrincipal::Existing(
                self.repo
                    .service_principal(*id)
                    .await?
                    .ok_or_else(|| field("principal", "Choose an existing service principal."))?
                    .id,
            ),
            PrincipalChoice::New { name, description } => TokenPrincipal::New {
                name: validate::name("principal_name", name)?.to_string(),
                description: validate::description(description)?.to_string(),
            },
        };
        let secret = token::generate(TokenKind::ServiceToken, rng);
        let id = self
            .repo
            .insert_service_token(
                &NewServiceToken {
                    principal,
                    name,
                    token_hash: TokenHash::of(secret.expose()),
                    display_prefix: secret.display_prefix().to_string(),
                    scope: request.scope,
                    created_by: creator.id,
                    expires_at,
                    allowed_ips: request.allowed_ips.clone(),
                },
                now,
            )
            .await?;
        let token = self
            .repo
            .service_token(id)
            .await?
            .ok_or_else(|| Error::Internal(format!("service token {id} vanished")))?;
        let target = crate::allowlist::minted_target(secret.display_prefix(), &token.allowed_ips);
        let minted = Event::success(Some(creator.id), audit::Action::ServiceTokenMinted, &target);
        self.audit(minted, now).await;
        Ok(MintedServiceToken { token, secret })
    }

    /// The unrevoked service tokens the user is answerable for, newest first.
    pub async fn list_service_tokens(&self, user_id: i64) -> Result<Vec<ServiceTokenRow>, Error> {
        self.repo.service_tokens_of(user_id, None).await
    }

    /// The same, with the tokens a leak report revoked in the last 30 days.
    pub async fn service_tokens_and_reported(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<ServiceTokenRow>, Error> {
        let since = now - crate::reports::SHOWN_FOR;
        self.repo.service_tokens_of(user_id, Some(since)).await
    }

    /// Revokes one of the user's service tokens. Another user's token is `NotFound`.
    pub async fn revoke_service_token(
        &self,
        user_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let found = self
            .repo
            .revoke_service_token(token_id, Some(user_id), now)
            .await?;
        self.revoked(found, audit::Action::ServiceTokenRevoked, now)
            .await
    }

    /// Every unrevoked service token scoped to a project the person can read, whoever
    /// minted it (newest first), each with whether this person may revoke it.
    pub async fn project_service_tokens(
        &self,
        user: &UserRow,
        project_id: i64,
    ) -> Result<Vec<ProjectToken>, Error> {
        let visible = self
            .authorize_user_project(user, project_id, Action::Read)
            .await?;
        Ok(self
            .repo
            .service_tokens_on(project_id)
            .await?
            .into_iter()
            .map(|token| ProjectToken {
                can_revoke: may_revoke(user, visible.permissions, &token),
                token,
            })
            .collect())
    }

    /// `(project id, count)` of the service tokens that work at `now`, for `/projects`.
    pub async fn live_service_token_counts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, i64)>, Error> {
        self.repo.live_service_token_counts(now).await
    }

    /// Revokes a service token from its project's page: by its creator, by anyone who holds
    /// every permission it carries on the project, or by an admin (else 403). A token of
    /// another project, or a project the person cannot read, is `NotFound`.
    pub async fn revoke_project_service_token(
        &self,
        user: &UserRow,
        project_id: i64,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let visible = self
            .authorize_user_project(user, project_id, Action::Read)
            .await?;
        let token = self
            .repo
            .service_token(token_id)
            .await?
            .filter(|t| t.revoked_at.is_none() && t.scope.project_permissions(project_id).is_some())
            .ok_or(Error::NotFound)?;
        if !may_revoke(user, visible.permissions, &token) {
            return Err(Error::Forbidden);
        }
        let found = self.repo.revoke_service_token(token_id, None, now).await?;
        self.revoked(found, audit::Action::ServiceTokenRevoked, now)
            .await
    }

    /// Tokens suspended because the user answerable for them was deactivated.
    pub async fn suspended_service_tokens(&self) -> Result<Vec<ServiceTokenRow>, Error> {
        self.repo.suspended_service_tokens().await
    }

    /// An admin revokes any service token.
    pub async fn admin_revoke_service_token(
        &self,
        token_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let found = self.repo.revoke_service_token(token_id, None, now).await?;
        self.revoked(found, audit::Action::ServiceTokenRevoked, now)
            .await
    }

    /// An admin hands a token to another active user, who must hold its grant now; the
    /// token works again at once.
    pub async fn transfer_service_token(
        &self,
        token_id: i64,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let token = self
            .repo
            .service_token(token_id)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(Error::NotFound)?;
        let to = self.user_named(username).await?;
        if !to.active {
            return Err(field(
                "username",
                format!("{username} is deactivated: choose an active user."),
            ));
        }
        self.check_grantable(&to, &token.scope).await?;
        if !self.repo.transfer_service_token(token_id, to.id).await? {
            return Err(Error::NotFound);
        }
        let target = format!("{} to {username}", token.display_prefix);
        let event = Event::success(Some(to.id), audit::Action::ServiceTokenTransferred, &target);
        self.audit(event, now).await;
        Ok(())
    }
}
