//! A checkbox whose state lives in the browser's localStorage (e.g. "Hide expired").
//!
//! The server cannot know the stored value, so it renders the default; the stored value is
//! read in an Effect, which runs only after hydration. Reading it during the first render
//! would make the client's DOM differ from the server's (a hydration mismatch).

use super::effect;
use leptos::prelude::*;

use super::use_hydrated;

/// Renders `<input type=checkbox>` + label bound to `flag`, stored under `storage_key`.
#[component]
pub fn PersistedCheckbox(
    storage_key: &'static str,
    label: &'static str,
    flag: RwSignal<bool>,
    /// Runs after the person changed it (not when the stored value is applied).
    #[prop(optional, into)]
    on_toggle: Option<Callback<bool>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    #[cfg(not(feature = "hydrate"))]
    let _ = storage_key;
    effect(move || {
        #[cfg(feature = "hydrate")]
        {
            if let Some(stored) = stored(storage_key) {
                flag.set(stored);
            }
        }
    });
    let on_change = move |ev: leptos::ev::Event| {
        let checked = event_target_checked(&ev);
        flag.set(checked);
        if let Some(then) = on_toggle {
            then.run(checked);
        }
        #[cfg(feature = "hydrate")]
        store(storage_key, checked);
    };
    view! {
        <label class="toggle">
            <input
                type="checkbox"
                prop:checked=move || flag.get()
                on:change=on_change
                disabled=move || !hydrated.get()
            />
            {label}
        </label>
    }
}

/// The flag stored under `key`, if any: the text `true` or `false`, as gloo's JSON setter
/// wrote it before. Read as raw text, because gloo's typed getter would bring serde_json's
/// parser into the WASM for one boolean.
#[cfg(feature = "hydrate")]
fn stored(key: &str) -> Option<bool> {
    use gloo_storage::{LocalStorage, Storage};
    match LocalStorage::raw().get_item(key).ok()??.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(feature = "hydrate")]
fn store(key: &str, flag: bool) {
    use gloo_storage::{LocalStorage, Storage};
    // A full storage only means the choice is not remembered. (A browser that blocks
    // storage for the site makes `raw()` throw, as gloo's typed setter did before.)
    let _ = LocalStorage::raw().set_item(key, if flag { "true" } else { "false" });
}
