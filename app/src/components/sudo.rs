//! Sudo mode on the page: a sensitive change that the server refuses with
//! `ReauthRequired` opens the **Confirm access** dialog (field **Password**, button
//! **Confirm**); once the password is confirmed, the change is sent again as it was, so
//! the person carries on where they were.

use super::effect;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::components::{FormFooter, Modal, TextField, deferred};
use crate::error::AppError;
use crate::rpc::sessions::ConfirmAccess;

/// The page's one Confirm access dialog and the change waiting for it.
#[derive(Clone, Copy)]
struct Gate {
    retry: RwSignal<Option<Callback<()>>>,
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
    let retry = Callback::new(move |()| {
        if let Some(input) = last.get_value() {
            action.dispatch(input);
        }
    });
    effect(move || {
        let refused = action
            .value()
            .with(|v| matches!(v, Some(Err(AppError::ReauthRequired))));
        if refused && last.with_value(Option::is_some) {
            gate.retry.set(Some(retry));
        }
    });
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
    let confirm = ServerAction::<ConfirmAccess>::new();
    let open = Signal::derive(move || gate.retry.with(Option::is_some));
    let close = move || {
        gate.retry.set(None);
        confirm.value().set(None);
    };
    effect(move || {
        if let Some(Ok(())) = confirm.value().get() {
            let retry = gate.retry.get_untracked();
            close();
            if let Some(retry) = retry {
                retry.run(());
            }
        }
    });
    view! {
        <Modal open title="Confirm access" on_close=move |()| close() on_top=true>
            {deferred(move || confirm_access_form(confirm, Callback::new(move |()| close())))}
        </Modal>
    }
}

/// The dialog's form (a separate chunk: see `deferred`).
#[lazy]
fn confirm_access_form(confirm: ServerAction<ConfirmAccess>, close: Callback<()>) -> AnyView {
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
                on_cancel=move |()| close.run(())
            />
        </ActionForm>
    }
    .into_any()
}
