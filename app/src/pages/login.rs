//! `/login`: Username, Password, Sign in; then, for an account with MFA on, the
//! Authentication code step (the same form, sent again with the code).

use crate::components::effect;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::field::invalid;
use crate::components::{FieldMessage, use_hydrated};
use crate::rpc::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    // Sign in waits for the page's code: sent by the browser alone, the form would get the
    // server function's JSON answer (e.g. the code step's field error) as a page.
    let hydrated = use_hydrated();
    let error = Signal::derive(move || login.value().get().and_then(Result::err));
    // The server asks for the code by failing on the field `code`; from then on the form
    // shows the code step (username and password stay in it, hidden, and are sent again).
    let code_step = RwSignal::new(false);
    effect(move || {
        if error.get().is_some_and(|e| e.for_field("code").is_some()) {
            code_step.set(true);
        }
    });
    let form_error = move || error.get().and_then(|e| e.form_message());
    let query = use_query_map();
    let just_set_up = move || query.with(|q| q.get("setup").is_some_and(|v| v == "done"));
    view! {
        <main id="page" class="auth-page">
            <h1>"Sign in to keyward"</h1>
            <Show when=just_set_up>
                <p class="notice" role="status">
                    "Your administrator account is ready. Sign in with it."
                </p>
            </Show>
            <ActionForm action=login attr:class="card form">
                <div class="form" hidden=move || code_step.get()>
                    <label for="username">"Username"</label>
                    <input
                        id="username"
                        name="username"
                        autocomplete="username"
                        autocapitalize="none"
                        required
                    />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <Show when=move || code_step.get()>
                    <p>"Your account is protected with MFA. Open your authenticator app and enter the code it shows, or one of your recovery codes."</p>
                    <label for="code">"Authentication code"</label>
                    <input
                        id="code"
                        name="code"
                        autocomplete="one-time-code"
                        autocapitalize="none"
                        required
                        autofocus
                        aria-describedby="code-error"
                        aria-invalid=invalid(error, "code")
                    />
                    <FieldMessage error field="code" id="code-error"/>
                </Show>
                <p class="form-error" role="alert" hidden=move || form_error().is_none()>
                    {form_error}
                </p>
                <button type="submit" disabled=move || !hydrated.get() || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </main>
    }
}
