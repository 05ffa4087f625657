//! Whether the calling component has been hydrated.
//!
//! Buttons whose behaviour lives in the WASM are rendered disabled and enabled here, so that
//! a click before hydration cannot fall into the void (and browser tests, which wait for a
//! control to be enabled, wait for hydration too). Browser-only state (localStorage) is also
//! applied through this, so the first client render matches the server's HTML.
//!
//! The signal is per component (or per token table, see [`SharedHydrated`]) on purpose: an
//! Effect runs after the component that created it has hydrated, and parts under
//! `<Suspense>`/`<Transition>` hydrate later than the root.
//! A part drawn in the browser after the page's hydration (a token table redrawn after Hide
//! expired) is live from its first drawing: `true` at once, with no Effect to run, and no
//! second pass over its buttons (issue 16).

use super::effect;
use leptos::prelude::*;

pub fn use_hydrated() -> ReadSignal<bool> {
    let hydrating = Owner::current_shared_context().is_some_and(|sc| sc.during_hydration());
    let live = cfg!(feature = "hydrate") && !hydrating;
    let (hydrated, set_hydrated) = signal(live);
    if !live {
        effect(move || set_hydrated.set(true));
    }
    hydrated
}

/// The hydrated signal of a part with many buttons (a token table), which they share:
/// one signal and one Effect for its rows, not one each. Provided on the caller's owner, so
/// what the caller draws after the table sees it too: made before the rows, it is set once
/// everything the caller drew has hydrated.
#[derive(Clone, Copy)]
pub struct SharedHydrated(pub ReadSignal<bool>);

/// The signal of the enclosing [`SharedHydrated`] part, or the caller's own.
pub fn use_shared_hydrated() -> ReadSignal<bool> {
    use_context::<SharedHydrated>().map_or_else(use_hydrated, |shared| shared.0)
}
