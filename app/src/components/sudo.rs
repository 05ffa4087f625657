//! Sudo mode on the page: a sensitive change that the server refuses with
//! `ReauthRequired` opens the **Confirm access** dialog (field **Password**, button
//! **Confirm**); once the password is confirmed, the change is sent again as it was, so
//! the person carries on where they were.

use super::effect;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::components::{FormFooter, Keeper, Modal, TextField, deferred, keeper, kept};
use crate::error::AppError;
use crate::rpc::sessions::ConfirmAccess;

/// The page's one Confirm access dialog and the change waiting for it.
#[derive(Clone, Copy)]
struct Gate {
    /// The refused change: run with `true` once the password is confirmed (it is sent
    /// again), with `false` when Confirm access is closed without it (it is forgotten).
    retry: RwSignal<Option<Callback<bool>>>,
}

impl Gate {
    /// Closes Confirm access without sending the change again.
    fn cancel(self) {
        if let Some(retry) = self.retry.get_untracked() {
            retry.run(false);
        }
        self.retry.set(None);
    }
}

/// Makes `action` ask for the password when the server wants it, then send its input again.
pub fn use_sudo<S>(action: ServerAction<S>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let Some(gate) = use_context::<Gate>() else {
        return;
    };
    // The input is cleared when the call completes: keep the last one sent.
    let last = StoredValue::new(None::<S>);
    effect(move || {
        if let Some(input) = action.input().get() {
            last.set_value(Some(input));
        }
    });
    // Made here, not in the effect below: what an effect makes is disposed when it runs
    // again, and the value may change (a dialog's body resetting it, a reply) while
    // Confirm access is open; the dialog would then run a disposed callback.
    // Taken either way: the input (a password, maybe) is kept no longer than it may be
    // sent again.
    let retry = Callback::new(move |send: bool| {
        if let Some(input) = last.try_update_value(Option::take).flatten()
            && send
        {
            action.dispatch(input);
        }
    });
    effect(move || {
        let refused = action.value().with(|v| {
            v.as_ref()
                .map(|reply| matches!(reply, Err(AppError::ReauthRequired)))
        });
        match refused {
            Some(true) if last.with_value(Option::is_some) => gate.retry.set(Some(retry)),
            // Answered: nothing to send again.
            Some(false) => last.set_value(None),
            _ => {}
        }
    });
}

/// A form's or dialog's server action, made by its body the first time it opens and kept
/// under `keeper` after that (see `kept`: found by type, so `sudo` and `reply` are those of
/// the first call), without its last answer (the body calls this when it opens). With
/// `sudo`, it asks for the password when the server wants it; `reply` runs with each
/// answer.
pub fn kept_action<A>(
    keeper: Keeper,
    sudo: bool,
    reply: impl Fn(Result<A::Output, AppError>) + 'static,
) -> ServerAction<A>
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    let action = kept(keeper, || {
        let action = ServerAction::<A>::new();
        if sudo {
            use_sudo(action);
        }
        effect(move || {
            if let Some(answer) = action.value().get() {
                reply(answer);
            }
        });
        action
    });
    action.value().set(None);
    action
}

/// Provides the gate to the whole app (before the routes, so every page finds it).
pub fn provide_sudo() {
    provide_context(Gate {
        retry: RwSignal::new(None),
    });
}

/// Rendered once by the app; [`use_sudo`] opens it.
#[component]
pub fn ConfirmAccessDialog() -> impl IntoView {
    let gate = expect_context::<Gate>();
    let keeper = keeper();
    let open = Signal::derive(move || gate.retry.with(Option::is_some));
    view! {
        <Modal open title="Confirm access" on_close=move |()| gate.cancel() on_top=true>
            {deferred(move || confirm_access_form(keeper, gate))}
        </Modal>
    }
}

/// The dialog's form (a separate chunk: see `deferred`), with its action: made once, by the
/// first opening (see `kept`); once the password is confirmed, it closes the dialog and
/// sends the refused change again.
#[lazy]
fn confirm_access_form(keeper: Keeper, gate: Gate) -> AnyView {
    let confirm = kept(keeper, || {
        let confirm = ServerAction::<ConfirmAccess>::new();
        effect(move || {
            if let Some(Ok(())) = confirm.value().get() {
                let retry = gate.retry.get_untracked();
                gate.retry.set(None);
                if let Some(retry) = retry {
                    retry.run(true);
                }
            }
        });
        confirm
    });
    // Each opening starts without the last attempt's error.
    confirm.value().set(None);
    let error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    view! {
        <p>"This change needs your password: you signed in more than 10 minutes ago."</p>
        <ActionForm action=confirm attr:class="form">
            <TextField
                id="confirm-access-password"
                label="Password"
                name="password"
                kind="password"
                error
                autocomplete="current-password"
            />
            <FormFooter
                error
                submit="Confirm"
                pending=confirm.pending()
                on_cancel=move |()| gate.cancel()
            />
        </ActionForm>
    }
    .into_any()
}
