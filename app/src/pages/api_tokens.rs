//! The API Tokens card: mint, list (with expiry colours), re-date, revoke, hide expired.

use keyward_core::Policy;
use leptos::prelude::*;

use crate::components::allowlist::{AllowedIpsCell, AllowedIpsField, AllowlistButton};
use crate::components::card::{CardState, RowDialogs};
use crate::components::field::invalid;
use crate::components::rotate::{OldValueNote, RotateButton};
use crate::components::tokens::{
    ReportedCell, RevokeButton, RowButton, TokenCard, TokenTable, is_expired, revoke_view,
    row_class,
};
use crate::components::usage::UsageButton;
use crate::components::{
    ExpiryCell, FieldMessage, FormFooter, Modal, ShownOnce, TokenRef, deferred,
};
use crate::error::AppError;
use crate::resource::{self, Loaded};
use crate::rpc::{CreateApiToken, EditApiTokenExpiry, RevokeApiToken, list_api_tokens};
use crate::types::{
    ApiTokenList, ApiTokenView, MintedToken, TokenNotices, format_date, format_time,
};

const HIDE_EXPIRED_KEY: &str = "keyward.api_tokens.hide_expired";

/// The card: its list and the state of its parts (its actions are made by the chunks of
/// its forms and dialogs: see `CardState`). Made by the page outside its `<Suspense>`,
/// because Suspense may run its children twice on the server, and a resource created there
/// would not get the same id as in the browser.
#[derive(Clone, Copy)]
pub struct Card {
    tokens: Loaded<ApiTokenList>,
    state: CardState,
    /// The token whose Edit expiration dialog is open.
    editing: RwSignal<Option<ApiTokenView>>,
}

impl Card {
    /// The lines of the profile's banners (tokens expiring within 7 days, tokens a leak
    /// report revoked), once the list is there (awaited: read synchronously, they could
    /// differ between the server's render and hydration).
    pub async fn notices(self) -> TokenNotices {
        // By reference: awaiting the resource itself would clone the whole list.
        let list = self.tokens.by_ref().await;
        list.as_ref().map(|l| l.notices.clone()).unwrap_or_default()
    }

    /// Starts loading the list.
    pub fn load() -> Self {
        let state = CardState::default();
        Card {
            tokens: resource::new(
                move || state.source(),
                |(_, page, hide_expired)| list_api_tokens(page, hide_expired),
            ),
            state,
            editing: RwSignal::new(None),
        }
    }
}

#[component]
pub fn ApiTokensCard(card: Card) -> impl IntoView {
    view! {
        <TokenCard
            title_id="api-tokens-title"
            title="API Tokens"
            new_label="New API token"
            storage_key=HIDE_EXPIRED_KEY
            hide_expired=card.state.hide_expired
            page=card.state.page
            on_new=move |()| card.state.open_form()
            list=card.tokens
            body=move |list| view! { <CardBody card list/> }
        >
                "API tokens act as you, with your current permissions, for scripts and the "
                <code>"kw"</code>
                " command-line client. They cannot create or change other tokens (a token may only rotate or revoke itself)."
        </TokenCard>
        <Dialogs card/>
    }
}

#[component]
fn CardBody(card: Card, list: ApiTokenList) -> impl IntoView {
    let (now, policy) = (list.now, list.policy);
    let form_list = list.clone();
    view! {
        <Show when=move || card.state.form_open.get()>
            {deferred({
                let list = form_list.clone();
                move || new_token_form(card.state, list.clone())
            })}
        </Show>
        {move || {
            card.state.shown.get().map(|(heading, minted)| {
                view! {
                    <ShownOnce
                        id="api-token-value"
                        heading=heading
                        value=minted.token.expose().to_string()
                        on_dismiss=move |_| card.state.shown.set(None)
                    />
                }
            })
        }}
        <TokenTable
            label="API tokens"
            columns=&["Name", "Prefix", "Created", "Expires", "Last used", "Allowed IPs"]
            tokens=list.tokens.clone()
            page=list.page
            turn=card.state.page
            row=move |token| view! { <TokenRow card token now policy/> }
        />
    }
}

/// The rows' dialogs (see `card::RowDialogs`), Edit expiration among them.
#[component]
fn Dialogs(card: Card) -> impl IntoView {
    let policy = Signal::derive(move || resource::latest(card.tokens, |l| l.policy));
    view! {
        <EditDialog card/>
        <RowDialogs kind="api_token" card=card.state policy revoke_body/>
    }
}

/// The Revoke dialog's body (a separate chunk: see `deferred`).
#[lazy]
fn revoke_body(card: CardState, t: TokenRef) -> AnyView {
    revoke_view(t, card.revoking, card.revoke(), |id| RevokeApiToken { id })
}

#[component]
fn TokenRow(
    card: Card,
    token: ApiTokenView,
    now: chrono::DateTime<chrono::Utc>,
    policy: Policy,
) -> impl IntoView {
    let this = TokenRef {
        kind: "api-token",
        id: token.id,
        name: token.name.clone(),
        display_prefix: token.display_prefix.clone(),
    };
    let for_edit = token.clone();
    let reported = token.reported_at;
    view! {
        <tr class=row_class(Some(token.expires_at), reported, now)>
            <td>{token.name.clone()}</td>
            <td>
                <code>{token.display_prefix.clone()}"…"</code>
                <OldValueNote until=token.old_valid_until/>
            </td>
            <td>{format_date(token.created_at)}</td>
            {match reported {
                Some(at) => view! { <ReportedCell at/> }.into_any(),
                None => view! { <ExpiryCell expires_at=Some(token.expires_at) now policy/> }.into_any(),
            }}
            <td>{token.last_used_at.map_or_else(|| "Never".to_string(), format_time)}</td>
            <AllowedIpsCell allowed=token.allowed_ips.clone()/>
            // A reported token is revoked: only its Usage (where it was used) is left.
            <td class="actions">
                {reported.is_none().then(|| view! {
                    <RowButton
                        token=this.clone()
                        label="Edit expiration"
                        on_click=move || {
                            card.state.form_open.set(false);
                            card.editing.set(Some(for_edit.clone()));
                        }
                    />
                    // An expired token has nothing to rotate: Edit expiration gives it a new date.
                    {(!is_expired(Some(token.expires_at), now)).then(|| view! {
                        <RotateButton token=this.clone() rotating=card.state.rotating/>
                    })}
                })}
                <UsageButton token=this.clone() viewing=card.state.viewing/>
                {reported.is_none().then(|| view! {
                    <AllowlistButton
                        token=this.clone()
                        allowed=token.allowed_ips.clone()
                        editing=card.state.allowing
                    />
                    <RevokeButton token=this.clone() revoking=card.state.revoking/>
                })}
            </td>
        </tr>
    }
}

/// The New API token form (a separate chunk: see `deferred`).
#[lazy]
fn new_token_form(card: CardState, list: ApiTokenList) -> AnyView {
    let create = card.mint::<CreateApiToken>("API token");
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <ActionForm action=create attr:class="form inline-form" attr:aria-label="New API token">
            <label for="new-token-name">"Name"</label>
            <input
                id="new-token-name"
                name="name"
                required
                maxlength="100"
                placeholder="e.g. deploy script"
                aria-describedby="new-token-name-error"
                aria-invalid=invalid(error, "name")
            />
            <FieldMessage error field="name" id="new-token-name-error"/>
            <ExpiryDateField id="new-token-expires" label="Expiration date" list error/>
            <AllowedIpsField id="new-token-allowed-ips" error/>
            <FormFooter
                error
                submit="Create token"
                pending=create.pending()
                on_cancel=move |_| card.form_open.set(false)
            />
        </ActionForm>
    }
    .into_any()
}

#[component]
fn EditDialog(card: Card) -> impl IntoView {
    let close = move |_| card.editing.set(None);
    // The date bounds of the list as loaded when the dialog opens.
    let form = move || {
        let t = card.editing.get()?;
        let list = resource::latest(card.tokens, ApiTokenList::clone)?;
        Some(deferred(move || edit_form(card, t.clone(), list.clone())))
    };
    view! {
        <Modal open=Signal::derive(move || card.editing.get().is_some()) title="Edit expiration" on_close=close>
            {form}
        </Modal>
    }
}

/// The Edit expiration form (a separate chunk: see `deferred`).
#[lazy]
fn edit_form(card: Card, t: ApiTokenView, list: ApiTokenList) -> AnyView {
    let edit = card
        .state
        .action::<EditApiTokenExpiry>(true, move |m: MintedToken| {
            card.editing.set(None);
            card.state
                .show(format!("Replacement value for “{}”", m.name), m);
        });
    let error = Signal::derive(move || edit.value().get().and_then(Result::err));
    view! {
        <p>
            "Saving sets the new date and issues a replacement value for “"
            {t.name.clone()}
            "”. The current value stops working immediately."
        </p>
        <ActionForm action=edit attr:class="form">
            <input type="hidden" name="id" value=t.id.to_string()/>
            <ExpiryDateField id="edit-token-expires" label="New expiration date" list error/>
            <FormFooter
                error
                submit="Save"
                pending=edit.pending()
                on_cancel=move |_| card.editing.set(None)
            />
        </ActionForm>
    }
    .into_any()
}

/// The date field of both token forms, bounded by the policy, with its hint and error.
#[component]
fn ExpiryDateField(
    id: &'static str,
    label: &'static str,
    list: ApiTokenList,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name="expires_on"
            type="date"
            required
            value=list.default_expiry.to_string()
            min=list.min_expiry.to_string()
            max=list.max_expiry.to_string()
            aria-describedby=format!("{hint_id} {error_id}")
            aria-invalid=invalid(error, "expires_at")
        />
        <p class="hint" id=hint_id>
            {format!(
                "The token stops working at 00:00 UTC on this date. At most {}.",
                list.max_expiry,
            )}
        </p>
        <FieldMessage error field="expires_at" id=error_id/>
    }
}
