//! A token card's state (the profile's API Tokens and Service Tokens cards, a project's
//! Service Tokens tab) and its server actions.
//!
//! The state lives in the main module: the list's page, Hide expired, which form or dialog
//! is open, the value to show once. The actions do not: each is made by the chunk of the
//! form or dialog that sends it, the first time it opens, and kept for the card after that
//! (`kept`), so `/profile` loads none of their code (issue 16). A reply that may have
//! changed the list bumps a counter the list's resource reads.

use std::future::Future;

use keyward_core::Policy;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::allowlist::{AllowlistDialog, Editing};
use super::deferred::MaybeSend;
use super::rotate::RotateDialog;
use super::sudo::kept_action;
use super::usage::UsageDialog;
use super::{Keeper, RevokeDialog, TokenRef, keeper};
use crate::error::AppError;
use crate::rpc::allowlist::SetAllowedIps;
use crate::rpc::rotation::RotateToken;
use crate::types::MintedToken;

#[derive(Clone, Copy)]
pub struct CardState {
    /// The card's actions, made by its chunks.
    keeper: Keeper,
    /// Bumped by each reply that may have changed the list.
    changed: RwSignal<u32>,
    /// The page of the list shown.
    pub page: RwSignal<usize>,
    pub hide_expired: RwSignal<bool>,
    /// Whether the New form is open.
    pub form_open: RwSignal<bool>,
    /// The value to show once, with its heading.
    pub shown: RwSignal<Option<(String, MintedToken)>>,
    pub revoking: RwSignal<Option<TokenRef>>,
    pub rotating: RwSignal<Option<TokenRef>>,
    /// The token whose Usage dialog is open.
    pub viewing: RwSignal<Option<TokenRef>>,
    pub allowing: Editing,
}

impl Default for CardState {
    fn default() -> Self {
        CardState {
            keeper: keeper(),
            changed: RwSignal::new(0),
            page: RwSignal::new(1),
            hide_expired: RwSignal::new(false),
            form_open: RwSignal::new(false),
            shown: RwSignal::new(None),
            revoking: RwSignal::new(None),
            rotating: RwSignal::new(None),
            viewing: RwSignal::new(None),
            allowing: RwSignal::new(None),
        }
    }
}

impl CardState {
    /// What the list's resource reads: it loads again after a change, on another page,
    /// and when Hide expired changes. Gives the page and Hide expired.
    pub fn source(self) -> (u32, usize, bool) {
        (self.changed.get(), self.page.get(), self.hide_expired.get())
    }

    /// Opens the New form, and forgets a value shown before.
    pub fn open_form(self) {
        self.shown.set(None);
        self.form_open.set(true);
    }

    /// Closes the New form and every dialog, and forgets the value shown: for a card made
    /// once per page but drawn only while its tab is shown (a project's Service Tokens).
    pub fn close_all(self) {
        for open in [self.revoking, self.rotating, self.viewing] {
            open.try_set(None);
        }
        self.allowing.try_set(None);
        self.form_open.try_set(false);
        self.shown.try_set(None);
    }

    /// The card's action `A` for a row's dialog (drawn outside the list, so a reload
    /// leaves it as it is): see [`CardState::make`]. A refusal that says the list is stale
    /// (the token is gone, what the user may do changed, or the call failed on the way,
    /// maybe after the change was made) reloads it too.
    pub fn action<A>(
        self,
        sudo: bool,
        done: impl Fn(A::Output) + Send + Sync + 'static,
    ) -> ServerAction<A>
    where
        A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        A::Output: Clone + Send + Sync + 'static,
    {
        self.make(sudo, true, done)
    }

    /// The card's action `A` (see `kept_action`, under the card's keeper, so two cards keep
    /// actions of their own): `done` runs on each success, which reloads the list; with
    /// `stale_on_refusal`, so do the refusals named at [`CardState::action`]. Other
    /// refusals (a field, the password) leave the list, and the form, as they are.
    fn make<A>(
        self,
        sudo: bool,
        stale_on_refusal: bool,
        done: impl Fn(A::Output) + Send + Sync + 'static,
    ) -> ServerAction<A>
    where
        A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        A::Output: Clone + Send + Sync + 'static,
    {
        let reload = move || self.changed.update(|n| *n += 1);
        kept_action(self.keeper, sudo, move |answer| match answer {
            Ok(out) => {
                reload();
                done(out);
            }
            Err(AppError::NotFound | AppError::Forbidden(_) | AppError::ServerFn(_))
                if stale_on_refusal =>
            {
                reload()
            }
            Err(_) => {}
        })
    }

    /// Shows `m`'s value once under `heading`.
    pub fn show(self, heading: String, m: MintedToken) {
        self.shown.set(Some((heading, m)));
    }

    /// The New form's action: a success closes the form, goes to the first page (the new
    /// token is the newest) and shows the value, "New <noun> “name”". A refusal does not
    /// reload the list: the form is drawn with it, and would lose what was typed.
    pub fn mint<A>(self, noun: &'static str) -> ServerAction<A>
    where
        A: ServerFn<Output = MintedToken, Error = AppError> + Clone + Send + Sync + 'static,
    {
        self.make(true, false, move |m: MintedToken| {
            self.page.set(1);
            self.form_open.set(false);
            self.show(format!("New {noun} “{}”", m.name), m);
        })
    }

    /// The Rotate dialog's action: a success closes it and shows the new value.
    pub fn rotate(self) -> ServerAction<RotateToken> {
        self.action(true, move |m: MintedToken| {
            self.rotating.set(None);
            self.show(format!("New value for “{}”", m.name), m);
        })
    }

    /// The Allowed IP ranges dialog's action: a success closes it.
    pub fn allow(self) -> ServerAction<SetAllowedIps> {
        self.action(true, move |()| self.allowing.set(None))
    }

    /// The Revoke dialog's action: a success closes it.
    pub fn revoke<A>(self) -> ServerAction<A>
    where
        A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
    {
        self.action(false, move |()| self.revoking.set(None))
    }
}

/// The row dialogs of a profile token card (Rotate, Allowed IP ranges, Usage, Revoke): drawn
/// once, outside the table, so that a new page of the list (Hide expired, Previous, Next, a
/// change saved) neither makes them again nor closes one that is open, and its focus still
/// goes back to the row's button. `kind` names the token kind to the server (`api_token`);
/// `policy` is the list's as loaded; `revoke_body` is the card's Revoke chunk.
#[component]
pub fn RowDialogs<B, F>(
    kind: &'static str,
    card: CardState,
    policy: Signal<Option<Policy>>,
    revoke_body: B,
) -> impl IntoView
where
    B: Fn(CardState, TokenRef) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = AnyView> + MaybeSend + 'static,
{
    view! {
        <RotateDialog kind card policy/>
        <AllowlistDialog kind card/>
        <UsageDialog kind viewing=card.viewing/>
        <RevokeDialog revoking=card.revoking body=move |t| revoke_body(card, t)/>
    }
}
