//! The WASM entry point: takes over the server-rendered page.

// Leptos views are deeply nested types; their layout queries need more depth than the default.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: a lazily loaded route (app::routes) is fetched before the page it renders hydrates.
    leptos::mount::hydrate_lazy(app::App);
}
