//! Whether the WASM has taken over the server-rendered page.
//!
//! Buttons whose behaviour lives in the WASM are rendered disabled and enabled here, so that
//! a click before hydration cannot fall into the void (and browser tests, which wait for a
//! control to be enabled, wait for hydration too).

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Hydrated(ReadSignal<bool>);

/// Called once by the root component. Effects run only in the browser, after hydration.
pub fn provide_hydrated() {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    provide_context(Hydrated(hydrated));
}

pub fn use_hydrated() -> ReadSignal<bool> {
    use_context::<Hydrated>()
        .map(|h| h.0)
        .unwrap_or_else(|| signal(false).0)
}
