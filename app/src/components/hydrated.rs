//! Whether the calling component has been hydrated.
//!
//! Buttons whose behaviour lives in the WASM are rendered disabled and enabled here, so that
//! a click before hydration cannot fall into the void (and browser tests, which wait for a
//! control to be enabled, wait for hydration too). Browser-only state (localStorage) is also
//! applied through this, so the first client render matches the server's HTML.
//!
//! The signal is per component on purpose: an Effect runs after the component that created
//! it has hydrated, and parts under `<Suspense>`/`<Transition>` hydrate later than the root.

use leptos::prelude::*;

pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
