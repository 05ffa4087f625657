//! Pieces both token cards share: the expiry cell (colour and text), the expired filter and
//! the revoke confirmation.

use chrono::{DateTime, Utc};
use keyward_core::Policy;
use keyward_core::expiry::{ExpiryStatus, expiry_text};

use leptos::prelude::*;

use super::{Modal, PersistedCheckbox, use_hydrated};
use crate::error::AppError;
use crate::types::{format_date, format_time};

/// A line of the profile's expiry banner for a token that expires within 7 days: "API
/// token “deploy” (kwat_AbCdEfG): expires in 3 days" (`None` for any other token).
pub fn expiring_soon(
    kind: &str,
    name: &str,
    display_prefix: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<String> {
    if ExpiryStatus::of(expires_at, now) != ExpiryStatus::ExpiringSoon {
        return None;
    }
    let text = expiry_text(expires_at, now)?.to_lowercase();
    Some(format!("{kind} “{name}” ({display_prefix}): {text}"))
}

/// A token as the revoke dialog names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef {
    pub id: i64,
    pub name: String,
    pub display_prefix: String,
}

/// The row class that colours a token by its expiry.
pub fn expiry_class(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    format!("expiry-{}", ExpiryStatus::of(expires_at, now).css_class())
}

pub fn is_expired(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    ExpiryStatus::of(expires_at, now) == ExpiryStatus::Expired
}

/// The Expires cell: the date (or "Never") and, when it matters, the status in words;
/// with `policy`, "Beyond policy" on a token minted under a looser one.
#[component]
pub fn ExpiryCell(
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    #[prop(optional)] policy: Option<Policy>,
) -> impl IntoView {
    let text = expiry_text(expires_at, now);
    let beyond = policy.is_some_and(|p| p.beyond(expires_at, now));
    view! {
        <td>
            {expires_at.map(|at| view! {
                <time datetime=at.to_rfc3339() title=format_time(at)>{format_date(at)}</time>
            })}
            {expires_at.is_none().then_some("Never")}
            {text.map(|t| view! { " " <span class="badge">{t}</span> })}
            {beyond.then(|| view! {
                " "
                <span class="badge beyond" title="Longer than the current maximum lifetime: it keeps its date.">
                    "Beyond policy"
                </span>
            })}
        </td>
    }
}

/// The Expires cell of a token that a leak report revoked, and the row's class.
#[component]
pub fn ReportedCell(at: DateTime<Utc>) -> impl IntoView {
    view! {
        <td>
            <span class="badge revoked" title=format!("Revoked {}", format_time(at))>
                "Revoked: reported as exposed"
            </span>
        </td>
    }
}

/// The row class of a token: its expiry colour, or `revoked` once a report revoked it.
pub fn row_class(
    expires_at: Option<DateTime<Utc>>,
    reported_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    match reported_at {
        Some(_) => "revoked".to_string(),
        None => expiry_class(expires_at, now),
    }
}

/// A line of the profile's exposure banner for a token a leak report revoked (`None` for
/// any other token).
pub fn reported_line(
    kind: &str,
    name: &str,
    display_prefix: &str,
    reported_at: Option<DateTime<Utc>>,
) -> Option<String> {
    reported_at.map(|at| {
        format!(
            "{kind} “{name}” ({display_prefix}): revoked {}",
            format_time(at)
        )
    })
}

/// The frame of a token card: heading, Hide expired (kept in localStorage under
/// `storage_key`), the New button, the intro (`children`) and, once `list` has loaded, `body`.
#[component]
pub fn TokenCard<L, B, V>(
    /// `id` of the heading, which names the card's region.
    title_id: &'static str,
    title: &'static str,
    new_label: &'static str,
    storage_key: &'static str,
    hide_expired: RwSignal<bool>,
    #[prop(into)] on_new: Callback<()>,
    list: Resource<Result<L, AppError>>,
    body: B,
    children: Children,
) -> impl IntoView
where
    L: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Fn(L) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let hydrated = use_hydrated();
    view! {
        <section class="card" aria-labelledby=title_id>
            <div class="card-head">
                <h2 id=title_id>{title}</h2>
                <PersistedCheckbox storage_key label="Hide expired" flag=hide_expired/>
                <button type="button" on:click=move |_| on_new.run(()) disabled=move || !hydrated.get()>
                    {new_label}
                </button>
            </div>
            <p class="muted">{children()}</p>
            <Transition fallback=|| view! { <p>"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => body(list).into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The table of a token card: the rows that Hide expired leaves, a sentence when there are
/// none, and how many are hidden. The stored preference applies only once the table has
/// hydrated: the server rendered every row, and the first client render must match it.
#[component]
pub fn TokenTable<T, K, R, V>(
    /// The table's accessible name and the noun of its messages, e.g. "API tokens".
    label: &'static str,
    /// Column headings; an "Actions" column for the row buttons follows them.
    columns: &'static [&'static str],
    tokens: Vec<T>,
    now: DateTime<Utc>,
    expires_at: fn(&T) -> Option<DateTime<Utc>>,
    key: fn(&T) -> K,
    hide_expired: RwSignal<bool>,
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    K: Eq + std::hash::Hash + Send + Sync + 'static,
    R: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let expired_count = tokens
        .iter()
        .filter(|t| is_expired(expires_at(t), now))
        .count();
    let any_expired = expired_count > 0;
    let tokens = StoredValue::new(tokens);
    let hydrated = use_hydrated();
    let hiding = move || hydrated.get() && hide_expired.get();
    let visible = move || {
        let hide = hiding();
        tokens
            .get_value()
            .into_iter()
            .filter(move |t| !hide || !is_expired(expires_at(t), now))
            .collect::<Vec<_>>()
    };
    let empty = move || {
        if tokens.with_value(Vec::is_empty) {
            format!("No {label} yet.")
        } else {
            format!("All the {label} here are expired (hidden).")
        }
    };
    view! {
        <Show when=move || !visible().is_empty() fallback=move || view! { <p class="empty">{empty}</p> }>
            <table class="tokens" aria-label=label>
                <thead>
                    <tr>
                        {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=visible key=key children=row.clone()/>
                </tbody>
            </table>
        </Show>
        <Show when=move || hiding() && any_expired>
            <p class="muted">{format!("{expired_count} expired token(s) hidden.")}</p>
        </Show>
    }
}

/// "Revoke token?": names the token and revokes it on confirmation.
#[component]
pub fn RevokeDialog(
    revoking: RwSignal<Option<TokenRef>>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] on_confirm: Callback<i64>,
) -> impl IntoView {
    view! {
        <Modal
            open=Signal::derive(move || revoking.get().is_some())
            title="Revoke token?"
            on_close=move |_| revoking.set(None)
        >
            {move || revoking.get().map(|t| {
                let id = t.id;
                view! {
                    <p>
                        "“" {t.name.clone()} "” (" <code>{t.display_prefix.clone()}"…"</code>
                        ") will stop working immediately. Anything that uses it will get 401 Unauthorized."
                    </p>
                    <p class="form-error" role="alert" hidden=move || error.get().is_none()>
                        {move || error.get()}
                    </p>
                    <div class="buttons">
                        <button
                            type="button"
                            class="danger"
                            disabled=move || pending.get()
                            on:click=move |_| on_confirm.run(id)
                        >
                            "Revoke"
                        </button>
                        <button type="button" class="secondary" on:click=move |_| revoking.set(None)>
                            "Cancel"
                        </button>
                    </div>
                }
            })}
        </Modal>
    }
}
