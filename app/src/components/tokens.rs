//! Pieces both token cards share: the expiry cell (colour and text), the expired filter and
//! the revoke confirmation.

use chrono::{DateTime, Utc};
use keyward_core::Policy;
use keyward_core::expiry::{ExpiryStatus, expiry_text};
use keyward_core::page::{PageInfo, thousands};

use std::future::Future;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::deferred::MaybeSend;
use super::hydrated::{SharedHydrated, use_shared_hydrated};
use super::{Modal, PersistedCheckbox, deferred, use_hydrated};
use crate::error::AppError;
use crate::resource::Loaded;
use crate::types::{TokenNotices, datetime_attr, format_date, format_time};

/// What the profile's banners need of a token, whatever its kind.
pub struct BannerFacts<'a> {
    pub name: &'a str,
    pub display_prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub reported_at: Option<DateTime<Utc>>,
}

/// At most this many lines of each banner per card; the rest are counted in one more line.
const BANNER_LINES: usize = 10;

/// The banner lines of a card's tokens (all of them, not one page), e.g. "API token
/// “deploy” (kwat_AbCdEfG): expires in 3 days" and "… revoked 2026-12-01 10:00 UTC".
pub fn notices<T>(
    kind: &str,
    tokens: &[T],
    now: DateTime<Utc>,
    facts: impl Fn(&T) -> BannerFacts<'_>,
) -> TokenNotices {
    let line = |t: &T, what: String| {
        let f = facts(t);
        format!("{kind} “{}” ({}): {what}", f.name, f.display_prefix)
    };
    let expiring = tokens.iter().filter_map(|t| {
        let f = facts(t);
        if f.reported_at.is_some()
            || ExpiryStatus::of(f.expires_at, now) != ExpiryStatus::ExpiringSoon
        {
            return None;
        }
        Some(line(t, expiry_text(f.expires_at, now)?.to_lowercase()))
    });
    let reported = tokens.iter().filter_map(|t| {
        let at = facts(t).reported_at?;
        Some(line(t, format!("revoked {}", format_time(at))))
    });
    TokenNotices {
        expiring: capped(kind, expiring),
        reported: capped(kind, reported),
    }
}

/// The first [`BANNER_LINES`] lines, then "and 12 more API tokens" for the rest.
fn capped(kind: &str, lines: impl Iterator<Item = String>) -> Vec<String> {
    let mut lines: Vec<String> = lines.collect();
    if lines.len() > BANNER_LINES {
        let more = lines.len() - BANNER_LINES;
        lines.truncate(BANNER_LINES);
        lines.push(format!("and {} more {}s", thousands(more), kind));
    }
    lines
}

/// A token as its row's dialogs name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRef {
    /// `api-token` or `service-token`: the stem of the row's element ids.
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub display_prefix: String,
}

impl TokenRef {
    /// The id of this token's row button `action`, e.g. `api-token-7-rotate`: stable when
    /// the row is drawn again, so the focus can come back to it (see `refocus`).
    pub fn button_id(&self, action: &str) -> String {
        format!("{}-{}-{action}", self.kind, self.id)
    }
}

/// A button of a token row: disabled until hydrated, with an id from [`TokenRef::button_id`]
/// made of its label ("Edit expiration" → `api-token-7-edit-expiration`).
#[component]
pub fn RowButton(
    token: TokenRef,
    label: &'static str,
    #[prop(optional)] danger: bool,
    #[prop(into)] on_click: Callback<()>,
) -> impl IntoView {
    let hydrated = use_shared_hydrated();
    let id = token.button_id(&super::refocus::slug(label));
    view! {
        <button
            type="button"
            class=if danger { "danger" } else { "secondary" }
            id=id
            disabled=move || !hydrated.get()
            on:click=move |_| on_click.run(())
        >
            {label}
        </button>
    }
}

/// A row's Revoke button: opens the "Revoke token?" dialog for `token`.
#[component]
pub fn RevokeButton(token: TokenRef, revoking: RwSignal<Option<TokenRef>>) -> impl IntoView {
    let for_dialog = token.clone();
    view! {
        <RowButton
            token
            label="Revoke"
            danger=true
            on_click=move || revoking.set(Some(for_dialog.clone()))
        />
    }
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
                <time datetime=datetime_attr(at) title=format_time(at)>{format_date(at)}</time>
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

/// The frame of a token card: heading, Hide expired (kept in localStorage under
/// `storage_key`; changing it goes back to the first page), the New button, the intro
/// (`children`) and, once `list` has loaded, `body`.
#[component]
pub fn TokenCard<L, B, V>(
    /// `id` of the heading, which names the card's region.
    title_id: &'static str,
    title: &'static str,
    new_label: &'static str,
    storage_key: &'static str,
    hide_expired: RwSignal<bool>,
    /// The page the card's list shows.
    page: RwSignal<usize>,
    #[prop(into)] on_new: Callback<()>,
    list: Loaded<L>,
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
                // Focusable from script: the focus comes here when its row is gone.
                <h2 id=title_id tabindex="-1">{title}</h2>
                <PersistedCheckbox
                    storage_key
                    label="Hide expired"
                    flag=hide_expired
                    on_toggle=move |_| page.set(1)
                />
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

/// The table of a token card: one page of rows (the server applied Hide expired and cut
/// the page), a sentence when there are none, how many Hide expired took out, and the
/// position in the list with Previous and Next, which move `turn`.
#[component]
pub fn TokenTable<T, R, V>(
    /// The table's accessible name and the noun of its messages, e.g. "API tokens".
    label: &'static str,
    /// Column headings; an "Actions" column for the row buttons follows them.
    columns: &'static [&'static str],
    tokens: Vec<T>,
    page: PageInfo,
    turn: RwSignal<usize>,
    row: R,
) -> impl IntoView
where
    T: 'static,
    R: Fn(T) -> V + 'static,
    V: IntoView + 'static,
{
    // Made before the rows, which share it: its Effect runs once they have hydrated.
    let hydrated = use_hydrated();
    provide_context(SharedHydrated(hydrated));
    // The page's id stem, e.g. "api-tokens", for the pager buttons (see `refocus`).
    let stem = super::refocus::slug(label);
    let empty = if page.all == 0 {
        format!("No {label} yet.")
    } else {
        format!("All the {label} here are expired (hidden).")
    };
    let table = if tokens.is_empty() {
        view! { <p class="empty">{empty}</p> }.into_any()
    } else {
        // Scrolls sideways on a narrow screen (the row buttons take the keyboard there).
        view! {
            <div class="table-scroll">
                <table class="tokens" aria-label=label>
                    <thead>
                        <tr>
                            {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{tokens.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
        }
            .into_any()
    };
    let pager = (page.pages() > 1).then(|| {
        let button = move |text: &'static str, to: usize, enabled: bool| {
            let id = format!("{stem}-{}", super::refocus::slug(text));
            let target = id.clone();
            view! {
                <button
                    type="button"
                    class="secondary"
                    id=id
                    disabled=move || !hydrated.get() || !enabled
                    on:click=move |_| {
                        super::refocus::keep(&target);
                        turn.set(to);
                    }
                >
                    {text}
                </button>
            }
        };
        (
            button("Previous", page.page.saturating_sub(1), page.has_previous()),
            button("Next", page.page + 1, page.has_next()),
        )
    });
    view! {
        {table}
        {(page.hidden > 0).then(|| view! {
            <p class="muted">{format!("{} expired token(s) hidden.", thousands(page.hidden))}</p>
        })}
        {page.range_text().map(|range| view! {
            <nav class="pager" aria-label=format!("Pages of {label}")>
                <span class="muted">{range}</span>
                {pager}
            </nav>
        })}
    }
}

/// "Revoke token?": names the token and revokes it on confirmation. `body` loads the
/// card's chunk that draws it with [`revoke_view`] and the card's own revoke action.
#[component]
pub fn RevokeDialog<B, F>(revoking: RwSignal<Option<TokenRef>>, body: B) -> impl IntoView
where
    B: Fn(TokenRef) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = AnyView> + MaybeSend + 'static,
{
    view! {
        <Modal
            open=Signal::derive(move || revoking.get().is_some())
            title="Revoke token?"
            on_close=move |_| revoking.set(None)
        >
            {move || revoking.get().map(|t| deferred(move || body(t.clone())))}
        </Modal>
    }
}

/// The Revoke dialog's body: `revoke` sends `input(id)` for the token.
pub fn revoke_view<A>(
    t: TokenRef,
    revoking: RwSignal<Option<TokenRef>>,
    revoke: ServerAction<A>,
    input: impl Fn(i64) -> A + Send + Sync + 'static,
) -> AnyView
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let id = t.id;
    let error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <p>
            "“" {t.name.clone()} "” (" <code>{t.display_prefix.clone()}"…"</code>
            ") will stop working immediately. Anything that uses it will get 401 Unauthorized."
        </p>
        <p class="form-error" role="alert" hidden=move || error().is_none()>
            {error}
        </p>
        <div class="buttons">
            <button
                type="button"
                class="danger"
                disabled=move || revoke.pending().get()
                on:click=move |_| {
                    revoke.dispatch(input(id));
                }
            >
                "Revoke"
            </button>
            <button type="button" class="secondary" on:click=move |_| revoking.set(None)>
                "Cancel"
            </button>
        </div>
    }
    .into_any()
}
