//! `/login`: Username, Password, Sign in.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::rpc::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || {
        login
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
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
                <p class="form-error" role="alert" hidden=move || error().is_none()>
                    {error}
                </p>
                <button type="submit" disabled=move || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </main>
    }
}
