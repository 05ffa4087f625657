//! Account actions on the own profile. Change Password: the current password, the new one
//! twice; on success every other session of the person ends.

use leptos::prelude::*;

use crate::components::field::invalid;
use crate::components::{FieldMessage, FormFooter, Modal, use_hydrated};
use crate::rpc::sessions::ChangePassword;

#[component]
pub fn ChangePasswordAction() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let open = RwSignal::new(false);
    let done = RwSignal::new(false);
    let hydrated = use_hydrated();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            open.set(false);
            done.set(true);
        }
    });
    let field =
        move |id: &'static str, label: &'static str, name: &'static str, auto: &'static str| {
            let error_id = format!("{id}-error");
            view! {
                <label for=id>{label}</label>
                <input
                    id=id
                    name=name
                    type="password"
                    autocomplete=auto
                    required
                    aria-describedby=error_id.clone()
                    aria-invalid=invalid(error, name)
                />
                <FieldMessage error field=name id=error_id/>
            }
        };
    view! {
        <button
            type="button"
            class="secondary"
            disabled=move || !hydrated.get()
            on:click=move |_| {
                action.value().set(None);
                done.set(false);
                open.set(true);
            }
        >
            "Change Password"
        </button>
        <p class="notice" role="status" hidden=move || !done.get()>
            "Your password was changed. Your other sessions were signed out."
        </p>
        <Modal open=Signal::derive(move || open.get()) title="Change Password" on_close=move |_| open.set(false)>
            <ActionForm action=action attr:class="form">
                {field("cp-current", "Current password", "current_password", "current-password")}
                {field("cp-new", "New password", "new_password", "new-password")}
                {field("cp-confirm", "Confirm password", "confirm_password", "new-password")}
                <p class="hint">"At least 12 characters, and not your username."</p>
                <FormFooter
                    error
                    submit="Save password"
                    pending=action.pending()
                    on_cancel=move |_| open.set(false)
                />
            </ActionForm>
        </Modal>
    }
}
