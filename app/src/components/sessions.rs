//! The table of open sessions, on the profile (one's own) and on `/admin/sessions` (all).

use leptos::prelude::*;

use super::use_hydrated;
use crate::types::{SessionView, format_time};

/// `show_user` adds the User column; each row has a button named `action` (with the session
/// in its accessible name) that calls `on_end` with the session id.
#[component]
pub fn SessionTable(
    sessions: Vec<SessionView>,
    #[prop(default = false)] show_user: bool,
    action: &'static str,
    #[prop(into)] on_end: Callback<i64>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    if sessions.is_empty() {
        return view! { <p class="empty">"No open sessions."</p> }.into_any();
    }
    let rows = sessions
        .into_iter()
        .map(|s| {
            let id = s.id;
            let label = format!("{action} session {id} of {}", s.username);
            view! {
                <tr class=if s.current { "current" } else { "" }>
                    {show_user.then(|| view! { <td>{s.username.clone()}</td> })}
                    <td>
                        {if s.kind == "api" { "API login" } else { "Browser" }}
                        {s.current.then(|| view! { " " <span class="badge">"This session"</span> })}
                    </td>
                    <td>{format_time(s.created_at)}</td>
                    <td>{format_time(s.last_seen_at)}</td>
                    <td>{s.ip.unwrap_or_default()}</td>
                    <td class="agent">{s.user_agent.unwrap_or_default()}</td>
                    <td class="actions">
                        <button
                            type="button"
                            class="danger"
                            aria-label=label
                            disabled=move || !hydrated.get()
                            on:click=move |_| on_end.run(id)
                        >
                            {action}
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        // Scrolls sideways on a narrow screen (the End buttons take the keyboard there).
        <div class="table-scroll">
        <table class="tokens" aria-label="Sessions">
            <thead>
                <tr>
                    {show_user.then(|| view! { <th scope="col">"User"</th> })}
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last seen"</th>
                    <th scope="col">"IP"</th>
                    <th scope="col">"User agent"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    }
    .into_any()
}
