//! The audit log as a table with pages (newest first): the profile's Security log card and
//! the `/admin/audit` page, which adds filters by user, action and date. The first page
//! comes with the page (loaded by its resource); later pages and filters are fetched by an
//! action, so nothing here creates a resource inside the page's Suspense.

use super::effect;
use leptos::prelude::*;

use crate::components::FieldMessage;
use crate::error::AppError;
use crate::rpc::audit::audit_log;
use crate::types::{AuditPage, format_time};

/// The actions an admin can filter by (the backend's `audit::Action` texts).
const ACTIONS: [&str; 35] = [
    "api_token.minted",
    "api_token.redated",
    "api_token.revoked",
    "api_token.rotated",
    "api_token.allowed_ips_changed",
    "api_token.reported",
    "service_token.minted",
    "service_token.revoked",
    "service_token.rotated",
    "service_token.allowed_ips_changed",
    "service_token.reported",
    "service_token.transferred",
    "service_token.suspended",
    "token.first_used",
    "token.refused",
    "sign_in",
    "sign_in.failed",
    "rate_limited",
    "access.confirmed",
    "mfa.enabled",
    "mfa.disabled",
    "mfa.reset",
    "mfa.recovery_code_used",
    "password.changed",
    "session.ended",
    "user.role_changed",
    "user.activated",
    "user.deactivated",
    "grant.changed",
    "project_secret.set",
    "project_secret.deleted",
    "email.added",
    "email.removed",
    "email.made_primary",
    "settings.changed",
];

#[derive(Clone, Debug, Default)]
struct Query {
    user: String,
    action: String,
    since: String,
    before: Option<i64>,
}

/// `all`: everyone's events with the filters (admins); else the person's own.
#[component]
pub fn AuditBrowser(first: AuditPage, all: bool) -> impl IntoView {
    let page = RwSignal::new(first);
    let filter = RwSignal::new(Query::default());
    let fetch = Action::new(move |q: &Query| {
        let q = q.clone();
        audit_log(all, q.user, q.action, q.since, q.before)
    });
    let error = Signal::derive(move || fetch.value().get().and_then(Result::err));
    effect(move || {
        if let Some(Ok(p)) = fetch.value().get() {
            page.set(p);
        }
    });
    let newest = move || {
        fetch.dispatch(Query {
            before: None,
            ..filter.get_untracked()
        });
    };
    let older = move |_| {
        let before = page.with_untracked(|p| p.older);
        fetch.dispatch(Query {
            before,
            ..filter.get_untracked()
        });
    };
    // The filters work in the browser only: typed before hydration, they would be lost.
    let hydrated = super::use_hydrated();
    let waiting = move || !hydrated.get();
    let on_filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        newest();
    };
    view! {
        {all.then(|| view! {
            <form class="form inline-form" aria-label="Filter events" on:submit=on_filter>
                <label for="audit-user">"User"</label>
                <input id="audit-user" name="user" autocapitalize="none" disabled=waiting
                    aria-describedby="audit-user-error"
                    on:input=move |ev| filter.update(|f| f.user = event_target_value(&ev))/>
                <FieldMessage error field="user" id="audit-user-error"/>
                <label for="audit-action">"Action"</label>
                <select id="audit-action" name="action" disabled=waiting
                    on:change=move |ev| filter.update(|f| f.action = event_target_value(&ev))>
                    <option value="" selected>"Any"</option>
                    {ACTIONS.into_iter().map(|a| view! { <option value=a>{a}</option> }).collect_view()}
                </select>
                <label for="audit-since">"Since"</label>
                <input id="audit-since" name="since" type="date" disabled=waiting
                    aria-describedby="audit-since-error"
                    on:input=move |ev| filter.update(|f| f.since = event_target_value(&ev))/>
                <FieldMessage error field="since" id="audit-since-error"/>
                <button type="submit" disabled=waiting>"Filter"</button>
            </form>
        })}
        <p class="form-error" role="alert" hidden=move || error.get().and_then(|e: AppError| e.form_message()).is_none()>
            {move || error.get().and_then(|e| e.form_message())}
        </p>
        {move || page.with(|p| {
            if p.events.is_empty() {
                return view! { <p>"No events."</p> }.into_any();
            }
            // Scrolls sideways on a narrow screen; it has no control of its own, so it takes
            // the keyboard's focus itself (arrow keys scroll it).
            view! {
                <div class="table-scroll" tabindex="0" role="group" aria-label="Events">
                <table class="audit" aria-label=if all { "Audit log" } else { "Security log" }>
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            {all.then(|| view! { <th scope="col">"Actor"</th> })}
                            <th scope="col">"Action"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col">"From"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {p.events.iter().map(|e| {
                            let outcome = if e.ok { "Success" } else { "Failure" };
                            let from = e.ip.clone().unwrap_or_else(|| "—".into());
                            view! {
                                <tr class=if e.ok { "" } else { "failure" }>
                                    <td>{format_time(e.at)}</td>
                                    {all.then(|| view! { <td>{e.actor.clone()}</td> })}
                                    <td><code>{e.action.clone()}</code></td>
                                    <td>{e.target.clone()}</td>
                                    <td>{outcome}</td>
                                    <td title=e.user_agent.clone()>{from}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        })}
        <div class="buttons">
            <button type="button" class="secondary" on:click=move |_| newest()
                disabled=move || filter.with(|f| f.before.is_none()) && page.with(|p| p.events.first().map(|e| e.id)).is_none()>
                "Newest events"
            </button>
            <button type="button" class="secondary" on:click=older
                disabled=move || page.with(|p| p.older.is_none())>
                "Older events"
            </button>
        </div>
    }
}
