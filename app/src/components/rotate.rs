//! Rotate on both token cards: the dialog that asks how long the old value keeps working
//! (none, 1 hour, 24 hours: only what the installation allows), and the row's note while an
//! old value still works.

use chrono::{DateTime, Utc};
use keyward_core::Policy;
use leptos::prelude::*;

use super::card::CardState;
use super::{FormFooter, Modal, TokenRef, deferred};
use crate::components::FieldMessage;
use crate::components::field::invalid;
use crate::types::format_time;

/// The grace choices, in minutes.
const GRACES: [(u32, &str); 3] = [(0, "None"), (60, "1 hour"), (1440, "24 hours")];

/// "Rotate token": `kind` is `api_token` or `service_token`.
#[component]
pub fn RotateDialog(
    kind: &'static str,
    card: CardState,
    /// The policy of the list as loaded when the dialog opens (its longest grace).
    policy: Signal<Option<Policy>>,
) -> impl IntoView {
    view! {
        <Modal
            open=Signal::derive(move || card.rotating.get().is_some())
            title="Rotate token"
            on_close=move |_| card.rotating.set(None)
        >
            {move || card.rotating.get().zip(policy.get()).map(|(t, policy)| {
                deferred(move || rotate_form(kind, t.clone(), card, policy))
            })}
        </Modal>
    }
}

/// The dialog's form (a separate chunk: see `deferred`).
#[lazy]
fn rotate_form(kind: &'static str, t: TokenRef, card: CardState, policy: Policy) -> AnyView {
    let action = card.rotate();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let (id, error_id) = (format!("{kind}-grace"), format!("{kind}-grace-error"));
    view! {
        <p>
            "“" {t.name.clone()} "” (" <code>{t.display_prefix.clone()}"…"</code>
            ") gets a new value, shown once. Its name, expiry and permissions stay."
        </p>
        <ActionForm action attr:class="form">
            <input type="hidden" name="kind" value=kind/>
            <input type="hidden" name="id" value=t.id.to_string()/>
            <label for=id.clone()>"Keep the old value working for"</label>
            <select
                id=id
                name="grace_minutes"
                aria-describedby=error_id.clone()
                aria-invalid=invalid(error, "grace_minutes")
            >
                {GRACES
                    .into_iter()
                    .filter(|(minutes, _)| *minutes <= policy.max_rotation_grace_minutes)
                    .map(|(minutes, words)| view! { <option value=minutes>{words}</option> })
                    .collect_view()}
            </select>
            <FieldMessage error field="grace_minutes" id=error_id/>
            <FormFooter
                error
                submit="Rotate"
                pending=action.pending()
                on_cancel=move |_| card.rotating.set(None)
            />
        </ActionForm>
    }
    .into_any()
}

/// A row's Rotate button: opens the dialog for `token`.
#[component]
pub fn RotateButton(token: TokenRef, rotating: RwSignal<Option<TokenRef>>) -> impl IntoView {
    let for_dialog = token.clone();
    view! {
        <super::tokens::RowButton
            token
            label="Rotate"
            on_click=move || rotating.set(Some(for_dialog.clone()))
        />
    }
}

/// Under a token's prefix while a value it replaced still works.
#[component]
pub fn OldValueNote(until: Option<DateTime<Utc>>) -> impl IntoView {
    until.map(|at| {
        view! {
            <br/>
            <span class="note">
                "old value valid until "
                <time datetime=crate::types::datetime_attr(at)>{format_time(at)}</time>
            </span>
        }
    })
}
