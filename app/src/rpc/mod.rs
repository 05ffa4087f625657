//! Server functions: the page's only way to the services. Each authenticates with the
//! session cookie alone (see `ssr::current_session`), so only a signed-in browser can mint,
//! re-date or revoke tokens. They are served under `/rpc/`, apart from the bearer `/api/v1`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{ApiTokenList, Me, MintedToken};

pub mod account;
pub mod admin;
pub mod allowlist;
pub mod audit;
pub mod projects;
pub mod rotation;
pub mod service_tokens;
pub mod sessions;
pub mod usage;

/// How every server function answers: postcard, not JSON. The page decodes it with a
/// fraction of serde_json's code (no text parser, no field names, no float formatting in
/// error messages): 43 KB less WASM, gzipped (issue 16). Arguments stay URL-encoded forms
/// (`PostUrl`), so a `<form>` posts them without the WASM. Errors travel the same way
/// (`AppError`'s encoder), and so do the resources the page hydrates (`resource::Wire`).
pub type Wire = leptos::server_fn::codec::Postcard;

pub use service_tokens::{
    CreateServiceToken, RevokeServiceToken, create_service_token, list_service_tokens,
    revoke_service_token,
};

#[cfg(feature = "ssr")]
pub(crate) mod imp {
    use std::collections::HashMap;

    use chrono::{DateTime, Utc};
    use keyward_backend::db::{ApiTokenRow, UserRow};

    use crate::types::{ApiTokenView, Me, MintedToken};

    pub async fn me(user: UserRow) -> Result<Me, crate::error::AppError> {
        let backend = crate::ssr::backend()?;
        Ok(Me {
            access_level: backend.access_level(&user).await?,
            groups: backend.groups(&user).await?,
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            role: user.role,
        })
    }

    /// `graces`: until when each token with an old value still working accepts it.
    pub fn token_view(t: ApiTokenRow, graces: &HashMap<i64, DateTime<Utc>>) -> ApiTokenView {
        ApiTokenView {
            old_valid_until: graces.get(&t.id).copied(),
            id: t.id,
            name: t.name,
            display_prefix: t.display_prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            allowed_ips: range_texts(&t.allowed_ips),
            reported_at: reported_at(t.revoked_at, t.revoked_reason.as_deref()),
        }
    }

    /// The page's form of an allowlist (see `ApiTokenView::allowed_ips`).
    pub fn range_texts(allowed: &keyward_core::allowlist::Allowlist) -> Vec<String> {
        allowed.ranges().iter().map(ToString::to_string).collect()
    }

    /// When a leak report revoked the token, if one did.
    pub fn reported_at(
        revoked_at: Option<DateTime<Utc>>,
        reason: Option<&str>,
    ) -> Option<DateTime<Utc>> {
        revoked_at.filter(|_| reason == Some(keyward_backend::db::REPORTED))
    }

    pub fn minted(m: keyward_backend::Minted) -> MintedToken {
        MintedToken {
            id: m.id,
            name: m.name,
            token: m.secret,
            expires_at: Some(m.expires_at),
        }
    }
}

/// The `kind` a row's form posts: `api_token` or `service_token`.
#[cfg(feature = "ssr")]
pub(crate) fn token_kind(kind: &str) -> Result<keyward_core::TokenKind, AppError> {
    match kind {
        "api_token" => Ok(keyward_core::TokenKind::ApiToken),
        "service_token" => Ok(keyward_core::TokenKind::ServiceToken),
        _ => Err(keyward_core::FieldError::new("kind", "Unknown kind of token.").into()),
    }
}

/// Marks a response that carries a secret as not to be stored by any cache.
#[cfg(feature = "ssr")]
pub(crate) fn no_store() {
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
    }
}

/// The signed-in user, or `None` when signed out.
#[server(prefix = "/rpc", endpoint = "me", output = crate::rpc::Wire)]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    use crate::ssr::current_session;
    match current_session().await {
        Ok(s) => Ok(Some(imp::me(s.user).await?)),
        Err(AppError::NotSignedIn) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Signs in and sets the session cookie, then sends the browser to its profile. With MFA
/// on, a first call without `code` fails on the field `code`, and the page asks for it.
#[server(prefix = "/rpc", endpoint = "login", output = crate::rpc::Wire)]
pub async fn login(
    username: String,
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{backend, client_info, now, request_headers, session_set_cookie};
    use keyward_backend::sessions::Credentials;

    let client = client_info().await?;
    let backend = backend()?;
    let now = now();
    let credentials = Credentials {
        username: &username,
        password: &password,
        code: code.as_deref(),
    };
    let signed_in = backend
        .sign_in(credentials, client, now, &mut rand_core::OsRng)
        .await?;
    // Signing in again replaces the session this browser had: a new id, the old one ended.
    if let Ok(previous) = crate::ssr::current_session().await {
        backend.sign_out(&previous.session, now).await?;
    }
    let res = expect_context::<leptos_axum::ResponseOptions>();
    res.append_header(
        axum::http::header::SET_COOKIE,
        session_set_cookie(
            &request_headers()?,
            Some(signed_in.cookie.expose()),
            (signed_in.expires_at - now).num_seconds(),
        ),
    );
    leptos_axum::redirect("/profile");
    Ok(())
}

/// Ends the session and clears the cookie.
#[server(prefix = "/rpc", endpoint = "logout", output = crate::rpc::Wire)]
pub async fn logout() -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now, request_headers, session_set_cookie};
    if let Ok(s) = current_session().await {
        backend()?.sign_out(&s.session, now()).await?;
    }
    let res = expect_context::<leptos_axum::ResponseOptions>();
    res.append_header(
        axum::http::header::SET_COOKIE,
        session_set_cookie(&request_headers()?, None, 0),
    );
    leptos_axum::redirect("/login");
    Ok(())
}

/// Whether a setup code can still create the first administrator.
#[server(prefix = "/rpc", endpoint = "setup_status", output = crate::rpc::Wire)]
pub async fn setup_code_usable(code: String) -> Result<bool, AppError> {
    let ip = crate::ssr::client_ip().await;
    let now = crate::ssr::now();
    Ok(crate::ssr::backend()?
        .setup_code_usable(&code, ip.as_deref(), now)
        .await?)
}

/// Creates the first administrator with the one-time setup code, then asks them to sign in.
#[server(prefix = "/rpc", endpoint = "setup", output = crate::rpc::Wire)]
pub async fn complete_setup(
    code: String,
    username: String,
    display_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use keyward_backend::users::UserInput;
    let input = UserInput {
        username,
        display_name,
        email: Some(email),
        role: keyward_core::Role::Admin,
        password,
    };
    crate::ssr::backend()?
        .complete_setup(
            &code,
            input,
            crate::ssr::client_ip().await.as_deref(),
            crate::ssr::now(),
        )
        .await?;
    leptos_axum::redirect("/login?setup=done");
    Ok(())
}

/// One page (1-based) of the signed-in user's API tokens, newest first, without the expired
/// ones when `hide_expired` (revoked ones excluded, but for those a leak report revoked in
/// the last 30 days, which Hide expired keeps), with the clock, the policy and the banner
/// lines of all of them.
#[server(prefix = "/rpc", endpoint = "api_tokens", output = crate::rpc::Wire)]
pub async fn list_api_tokens(
    #[server(default)] page: usize,
    #[server(default)] hide_expired: bool,
) -> Result<ApiTokenList, AppError> {
    use crate::components::tokens::{BannerFacts, is_expired, notices};
    use crate::ssr::{backend, current_session, now};
    use keyward_core::expiry::date_in_days;

    let session = current_session().await?;
    let backend = backend()?;
    let now = now();
    let policy = backend.policy().await?;
    let tokens = backend
        .api_tokens_and_reported(session.user.id, now)
        .await?;
    let notices = notices("API token", &tokens, now, |t| BannerFacts {
        name: &t.name,
        display_prefix: &t.display_prefix,
        expires_at: Some(t.expires_at),
        reported_at: imp::reported_at(t.revoked_at, t.revoked_reason.as_deref()),
    });
    let (tokens, page) = keyward_core::page::page_of(tokens, page, hide_expired, |t| {
        t.revoked_at.is_none() && is_expired(Some(t.expires_at), now)
    });
    let graces = backend
        .grace_windows(keyward_core::TokenKind::ApiToken, session.user.id, now)
        .await?;
    Ok(ApiTokenList {
        now,
        tokens: tokens
            .into_iter()
            .map(|t| imp::token_view(t, &graces))
            .collect(),
        page,
        notices,
        default_expiry: date_in_days(now, policy.api_token_days()),
        min_expiry: date_in_days(now, 1),
        max_expiry: date_in_days(now, policy.max_token_days),
        policy,
    })
}

/// Mints an API token; the value is in this response only. `allowed_ips`: its Allowed IP
/// ranges as typed (empty: anywhere).
#[server(prefix = "/rpc", endpoint = "create_api_token", output = crate::rpc::Wire)]
pub async fn create_api_token(
    name: String,
    expires_on: String,
    #[server(default)] allowed_ips: String,
) -> Result<MintedToken, AppError> {
    use crate::ssr::{backend, now, sudo_session};
    use keyward_core::allowlist::Allowlist;
    let session = sudo_session().await?;
    let date = keyward_core::validate::date("expires_at", &expires_on)?;
    let allowed = Allowlist::parse(&allowed_ips)?;
    let (user, rng) = (session.user.id, &mut rand_core::OsRng);
    let minted = backend()?
        .mint_api_token(user, &name, date, &allowed, now(), rng)
        .await?;
    no_store();
    Ok(imp::minted(minted))
}

/// Sets a new expiration date and issues the replacement value (the old one dies at once).
#[server(prefix = "/rpc", endpoint = "edit_api_token_expiry", output = crate::rpc::Wire)]
pub async fn edit_api_token_expiry(id: i64, expires_on: String) -> Result<MintedToken, AppError> {
    use crate::ssr::{backend, now, sudo_session};
    let session = sudo_session().await?;
    let date = keyward_core::validate::date("expires_at", &expires_on)?;
    let minted = backend()?
        .edit_api_token_expiry(session.user.id, id, date, now(), &mut rand_core::OsRng)
        .await?;
    no_store();
    Ok(imp::minted(minted))
}

#[server(prefix = "/rpc", endpoint = "revoke_api_token", output = crate::rpc::Wire)]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    let session = current_session().await?;
    backend()?
        .revoke_api_token(session.user.id, id, now())
        .await?;
    Ok(())
}
