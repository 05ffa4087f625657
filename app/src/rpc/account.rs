//! Server functions of the profile's account actions (personal information, email
//! addresses, avatar removal, MFA) and of the profile itself, as a viewer may see it. The
//! avatar upload is a plain multipart form post to the server (`/account/avatar`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{MfaEnrolment, ProfileView};

/// A profile: the signed-in user's own (`None`) or someone else's. Email and phone only for
/// the person themselves, managers and admins.
#[server(prefix = "/rpc", endpoint = "profile", output = crate::rpc::Wire)]
pub async fn get_profile(username: Option<String>) -> Result<ProfileView, AppError> {
    use crate::types::{EmailView, OwnAccount};
    let me = crate::ssr::current_session().await?.user;
    let backend = crate::ssr::backend()?;
    let username = username.unwrap_or_else(|| me.username.clone());
    let shown = backend.profile_of(&me, &username).await?;
    let user = shown.user;
    let own = if user.id == me.id {
        Some(OwnAccount {
            emails: backend
                .emails(user.id)
                .await?
                .into_iter()
                .map(|e| EmailView {
                    id: e.id,
                    email: e.email,
                    primary: e.is_primary,
                })
                .collect(),
            mfa_enabled: user.mfa_enabled,
            recovery_codes_left: backend.recovery_codes_left(user.id).await?,
        })
    } else {
        None
    };
    let full = shown.full;
    Ok(ProfileView {
        access_level: backend.access_level(&user).await?,
        groups: backend.groups(&user).await?,
        avatar_url: user
            .avatar_updated_at
            .map(|t| format!("/users/{}/avatar?v={}", user.username, t.timestamp())),
        email: user.email.filter(|_| full),
        phone: Some(user.phone).filter(|p| full && !p.is_empty()),
        username: user.username,
        display_name: user.display_name,
        timezone: user.timezone,
        role: user.role,
        full,
        own,
    })
}

#[server(prefix = "/rpc", endpoint = "update_personal_info", output = crate::rpc::Wire)]
pub async fn update_personal_info(
    display_name: String,
    phone: String,
    timezone: String,
) -> Result<(), AppError> {
    let me = crate::ssr::current_session().await?.user;
    crate::ssr::backend()?
        .update_personal_info(me.id, &display_name, &phone, &timezone)
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "add_email", output = crate::rpc::Wire)]
pub async fn add_email(email: String) -> Result<(), AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    crate::ssr::backend()?
        .add_email(me.id, &email, crate::ssr::now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "remove_email", output = crate::rpc::Wire)]
pub async fn remove_email(id: i64) -> Result<(), AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    crate::ssr::backend()?
        .remove_email(me.id, id, crate::ssr::now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "make_primary_email", output = crate::rpc::Wire)]
pub async fn make_primary_email(id: i64) -> Result<(), AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    crate::ssr::backend()?
        .make_primary_email(me.id, id, crate::ssr::now())
        .await?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "remove_avatar", output = crate::rpc::Wire)]
pub async fn remove_avatar() -> Result<(), AppError> {
    let me = crate::ssr::current_session().await?.user;
    crate::ssr::backend()?.remove_avatar(me.id).await?;
    Ok(())
}

/// Starts MFA enrolment: a new secret (replacing any unconfirmed one).
#[server(prefix = "/rpc", endpoint = "begin_mfa", output = crate::rpc::Wire)]
pub async fn begin_mfa() -> Result<MfaEnrolment, AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    let e = crate::ssr::backend()?
        .begin_mfa(&me, &mut rand_core::OsRng)
        .await?;
    super::no_store();
    Ok(MfaEnrolment {
        secret: e.secret,
        qr_data_uri: e.qr_data_uri,
    })
}

/// Confirms enrolment with a code; the recovery codes are in this response only.
#[server(prefix = "/rpc", endpoint = "enable_mfa", output = crate::rpc::Wire)]
pub async fn enable_mfa(code: String) -> Result<Vec<String>, AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    let codes = crate::ssr::backend()?
        .enable_mfa(me.id, &code, crate::ssr::now(), &mut rand_core::OsRng)
        .await?;
    super::no_store();
    Ok(codes)
}

#[server(prefix = "/rpc", endpoint = "disable_mfa", output = crate::rpc::Wire)]
pub async fn disable_mfa(code: String) -> Result<(), AppError> {
    let me = crate::ssr::sudo_session().await?.user;
    crate::ssr::backend()?
        .disable_mfa(&me, &code, crate::ssr::now())
        .await?;
    Ok(())
}
