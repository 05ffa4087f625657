//! Views whose code is fetched the first time they are drawn.
//!
//! A dialog's or form's body is a `#[lazy]` function: with `cargo leptos build --split` its
//! code (the form, its server action and that action's serde) is a separate WASM chunk, so
//! `/profile` does not load what only a click opens (issue 16). Every dialog opens in the
//! browser only, so the server never renders one of these.
//!
//! A body is drawn again whenever a signal it reads at its top level changes: read signals
//! inside closures and components there, and make the actions (and what their success
//! does) outside, so that closing the dialog does not drop a reply still on its way.

use std::future::Future;

use leptos::prelude::*;

/// Draws the view that `load` (a `#[lazy]` function's call) resolves to, and nothing until
/// then: the chunk is fetched from the server at the first drawing, and kept in memory.
pub fn deferred<F>(load: impl Fn() -> F + Send + Sync + 'static) -> impl IntoView
where
    F: Future<Output = AnyView> + MaybeSend + 'static,
{
    // In the browser the chunk loader's future is not `Send`, and needs not be: there is
    // one thread. On the server a `#[lazy]` function is a plain `async fn`.
    #[cfg(feature = "hydrate")]
    let load = move || leptos::__reexports::send_wrapper::SendWrapper::new(load());
    // A Transition, not a Suspense: a resource the body reads (the profile, refreshed after
    // a change) keeps the body on screen while it reloads, instead of the empty fallback.
    view! { <Transition fallback=|| ()>{move || Suspend::new(load())}</Transition> }
}

/// `Send` on the server only (see [`deferred`]).
#[cfg(feature = "hydrate")]
pub trait MaybeSend {}
#[cfg(feature = "hydrate")]
impl<T> MaybeSend for T {}
#[cfg(not(feature = "hydrate"))]
pub trait MaybeSend: Send {}
#[cfg(not(feature = "hydrate"))]
impl<T: Send> MaybeSend for T {}
