//! Allowed IP ranges on both token cards: the field of the new-token forms, the row's cell,
//! and the dialog that changes them on an existing token.

use keyward_core::allowlist::{FIELD, MAX_RANGES};
use leptos::prelude::*;

use super::card::CardState;
use super::field::invalid;
use super::{FieldMessage, FormFooter, Modal, TokenRef, deferred};
use crate::error::AppError;

/// The **Allowed IP ranges** text area (posted as `allowed_ips`), its hint and its error.
#[component]
pub fn AllowedIpsField(
    #[prop(into)] id: String,
    #[prop(optional, into)] value: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    view! {
        <label for=id.clone()>"Allowed IP ranges"</label>
        <textarea
            id=id
            name=FIELD
            rows="2"
            spellcheck="false"
            autocomplete="off"
            placeholder="e.g. 203.0.113.0/24, 2001:db8::/32"
            aria-describedby=format!("{hint_id} {error_id}")
            aria-invalid=invalid(error, FIELD)
        >
            {value}
        </textarea>
        <p class="hint" id=hint_id>
            {format!(
                "Addresses or CIDR ranges, IPv4 or IPv6, separated by commas or new lines; at most {MAX_RANGES}. Empty: any address."
            )}
        </p>
        <FieldMessage error field=FIELD id=error_id/>
    }
}

/// The row's Allowed IPs cell: "Any" or the ranges.
#[component]
pub fn AllowedIpsCell(allowed: Vec<String>) -> impl IntoView {
    view! {
        <td class="allowed-ips">
            {allowed.is_empty().then_some("Any")}
            {allowed
                .into_iter()
                .map(|r| view! { <code>{r}</code> " " })
                .collect_view()}
        </td>
    }
}

/// A token whose ranges are being edited, and what they are now.
pub type Editing = RwSignal<Option<(TokenRef, Vec<String>)>>;

/// A row's **Edit allowed IP ranges** button.
#[component]
pub fn AllowlistButton(token: TokenRef, allowed: Vec<String>, editing: Editing) -> impl IntoView {
    let for_dialog = token.clone();
    view! {
        <super::tokens::RowButton
            token
            label="Edit allowed IP ranges"
            on_click=move || editing.set(Some((for_dialog.clone(), allowed.clone())))
        />
    }
}

/// "Edit allowed IP ranges" of one token: `kind` is `api_token` or `service_token`. It
/// closes once the change is saved.
#[component]
pub fn AllowlistDialog(kind: &'static str, card: CardState) -> impl IntoView {
    view! {
        <Modal
            open=Signal::derive(move || card.allowing.get().is_some())
            title="Edit allowed IP ranges"
            on_close=move |_| card.allowing.set(None)
        >
            {move || card.allowing.get().map(|(t, allowed)| {
                deferred(move || allowlist_form(kind, t.clone(), allowed.clone(), card))
            })}
        </Modal>
    }
}

/// The dialog's form (a separate chunk: see `deferred`).
#[lazy]
fn allowlist_form(
    kind: &'static str,
    t: TokenRef,
    allowed: Vec<String>,
    card: CardState,
) -> AnyView {
    let action = card.allow();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <p>
            "Requests with “" {t.name.clone()} "” (" <code>{t.display_prefix.clone()}"…"</code>
            ") from any other address get 401 ip_not_allowed, from the next request on."
        </p>
        <ActionForm action attr:class="form">
            <input type="hidden" name="kind" value=kind/>
            <input type="hidden" name="id" value=t.id.to_string()/>
            <AllowedIpsField id=format!("{kind}-allowed-ips") value=allowed.join("\n") error/>
            <FormFooter
                error
                submit="Save"
                pending=action.pending()
                on_cancel=move |_| card.allowing.set(None)
            />
        </ActionForm>
    }
    .into_any()
}
