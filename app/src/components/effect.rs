//! One way to make the page's side effects, so that the WASM holds one copy of Leptos'
//! effect machinery instead of one per call site.
//!
//! `Effect::new` is generic over its closure: each of the app's effects (closing a form once
//! its action succeeded, showing a minted value, keeping a checkbox in localStorage…)
//! compiled its own copy of the effect's scheduling and tracking code into the WASM
//! (issue 16). Effects made here all share one closure type, a boxed `Fn`.

use leptos::prelude::Effect;

/// Runs `f` in the browser after hydration, and again whenever a signal it read changes
/// (see [`Effect::new`]). Never on the server.
pub fn effect(f: impl Fn() + 'static) {
    boxed(Box::new(f));
}

fn boxed(f: Box<dyn Fn()>) {
    Effect::new(move |_| f());
}
