//! `/setup?code=...`: the one-time link printed on first start creates the first admin.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::FieldMessage;
use crate::components::field::invalid;
use crate::resource;
use crate::rpc::{CompleteSetup, setup_code_usable};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let code = move || query.with(|q| q.get("code").unwrap_or_default());
    let usable = resource::new(code, |code| async move {
        if code.is_empty() {
            Ok(false)
        } else {
            setup_code_usable(code).await
        }
    });
    let setup = ServerAction::<CompleteSetup>::new();
    let error = Signal::derive(move || setup.value().get().and_then(Result::err));
    let form_error = move || {
        error
            .get()
            .and_then(|e| e.for_field("code").or(e.form_message()))
    };

    view! {
        <main id="page" class="auth-page">
            <h1>"Set up keyward"</h1>
            <Suspense fallback=|| view! { <p>"Checking the setup link…"</p> }>
                {move || Suspend::new(async move {
                    match usable.await {
                        Ok(true) => view! {
                            <p>"Create the first administrator account."</p>
                            <ActionForm action=setup attr:class="card form">
                                <input type="hidden" name="code" value=code/>
                                <label for="setup-username">"Username"</label>
                                <input id="setup-username" name="username" required
                                    autocomplete="username" aria-describedby="setup-username-error"
                                    aria-invalid=invalid(error, "username")/>
                                <FieldMessage error field="username" id="setup-username-error"/>
                                <label for="setup-display-name">"Display name"</label>
                                <input id="setup-display-name" name="display_name" autocomplete="name"
                                    aria-describedby="setup-display-name-error"/>
                                <FieldMessage error field="display_name" id="setup-display-name-error"/>
                                <label for="setup-email">"Email"</label>
                                <input id="setup-email" name="email" type="email" required
                                    autocomplete="email" aria-describedby="setup-email-error"
                                    aria-invalid=invalid(error, "email")/>
                                <FieldMessage error field="email" id="setup-email-error"/>
                                <label for="setup-password">"Password"</label>
                                <input id="setup-password" name="password" type="password" required
                                    minlength="12" autocomplete="new-password"
                                    aria-describedby="setup-password-error"
                                    aria-invalid=invalid(error, "password")/>
                                <FieldMessage error field="password" id="setup-password-error"/>
                                <p class="form-error" role="alert" hidden=move || form_error().is_none()>
                                    {form_error}
                                </p>
                                <button type="submit" disabled=move || setup.pending().get()>
                                    "Create administrator"
                                </button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! {
                            <p class="form-error" role="alert">
                                "This setup link is not valid: it has been used already, or keyward already has users. "
                                <a href="/login">"Sign in"</a>
                            </p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
