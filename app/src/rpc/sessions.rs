//! Server functions of the Sessions card (a person's own open sessions, and ending one) and
//! of Change Password, which ends the person's other sessions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::SessionView;

/// Open sessions as the page shows them; `current` marks the one of this request.
#[cfg(feature = "ssr")]
pub(super) async fn views(
    user_id: Option<i64>,
    current: i64,
) -> Result<Vec<SessionView>, AppError> {
    let sessions = crate::ssr::backend()?
        .open_sessions(user_id, crate::ssr::now())
        .await?;
    Ok(sessions
        .into_iter()
        .map(|(s, username)| SessionView {
            current: s.id == current,
            id: s.id,
            username,
            kind: s.kind.as_str().into(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect())
}

#[server(prefix = "/rpc", endpoint = "my_sessions", output = crate::rpc::Wire)]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    let me = crate::ssr::current_session().await?;
    views(Some(me.user.id), me.session.id).await
}

/// Ends one of the signed-in user's sessions (another user's is `NotFound`).
#[server(prefix = "/rpc", endpoint = "end_my_session", output = crate::rpc::Wire)]
pub async fn end_my_session(id: i64) -> Result<(), AppError> {
    use crate::ssr::{backend, current_session, now};
    let me = current_session().await?;
    backend()?.end_session(Some(me.user.id), id, now()).await?;
    Ok(())
}

/// Changes the signed-in user's password; their other sessions end.
#[server(prefix = "/rpc", endpoint = "change_password", output = crate::rpc::Wire)]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::ssr::{backend, now, sudo_session};
    let me = sudo_session().await?;
    if new_password != confirm_password {
        return Err(AppError::Field {
            field: "confirm_password".into(),
            message: "The two new passwords differ.".into(),
        });
    }
    backend()?
        .change_password(
            me.user.id,
            me.session.id,
            &current_password,
            &new_password,
            now(),
        )
        .await?;
    Ok(())
}

/// Confirm access (sudo mode): the password again restarts the 10-minute window in which
/// this session may make sensitive changes.
#[server(prefix = "/rpc", endpoint = "confirm_access", output = crate::rpc::Wire)]
pub async fn confirm_access(password: String) -> Result<(), AppError> {
    use crate::ssr::{backend, client_ip, current_session, now};
    let session = current_session().await?;
    let ip = client_ip().await;
    backend()?
        .confirm_access(&session, &password, ip.as_deref(), now())
        .await?;
    Ok(())
}
