//! The audit log for the page: a person's own events (the Security log card) and, for
//! administrators, everyone's with filters (`/admin/audit`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::AuditPage;

/// Events per page.
pub const PAGE: i64 = 20;

/// One page of events, newest first: the caller's own (`all` false), or, for an admin,
/// everyone's filtered by `user` (a username), `action` and `since` (a date, from its
/// first instant, UTC); empty filters match everything. `before` is the cursor of the
/// previous page.
#[server(prefix = "/rpc", endpoint = "audit_log", output = crate::rpc::Wire)]
pub async fn audit_log(
    all: bool,
    #[server(default)] user: String,
    #[server(default)] action: String,
    #[server(default)] since: String,
    #[server(default)] before: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::ssr::{backend, current_admin, current_session};
    use keyward_backend::db::AuditQuery;

    let backend = backend()?;
    let user_id = if all {
        current_admin().await?;
        match user.trim() {
            "" => None,
            name => {
                let user = backend.find_user(name).await?;
                let user = user.ok_or_else(|| AppError::Field {
                    field: "user".into(),
                    message: format!("There is no user named {name}."),
                })?;
                Some(user.id)
            }
        }
    } else {
        Some(current_session().await?.user.id)
    };
    let action = action.trim();
    if !action.is_empty() && keyward_backend::audit::Action::parse(action).is_none() {
        return Err(AppError::Field {
            field: "action".into(),
            message: "Choose an action from the list.".into(),
        });
    }
    let since = match since.trim() {
        "" => None,
        date => Some(keyward_core::validate::date("since", date)?),
    };
    let query = AuditQuery {
        user_id,
        action: (!action.is_empty()).then(|| action.to_string()),
        since: since.map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()),
        until: None,
        before,
        // One more than shown, to know whether there is an older page.
        limit: PAGE + 1,
    };
    let mut rows = backend.audit_events(&query).await?;
    let older = (rows.len() as i64 > PAGE).then(|| {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.id)
    });
    super::no_store();
    Ok(AuditPage {
        older: older.flatten(),
        events: rows
            .into_iter()
            .map(|r| crate::types::AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                ok: r.outcome == "success",
                action: r.action,
                target: r.target,
                ip: r.ip,
                user_agent: r.user_agent,
            })
            .collect(),
    })
}
