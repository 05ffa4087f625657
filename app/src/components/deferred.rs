//! Views whose code is fetched the first time they are drawn.
//!
//! A dialog's or form's body is a `#[lazy]` function: with `cargo leptos build --split` its
//! code (the form, its server action and that action's serde) is a separate WASM chunk, so
//! `/profile` does not load what only a click opens (issue 16). Every dialog opens in the
//! browser only, so the server never renders one of these.
//!
//! A body is drawn again whenever a signal it reads at its top level changes: read signals
//! inside closures and components there. A body makes its server actions (and what their
//! success does) with [`kept`], under a [`Keeper`] made by the part that draws the dialog's
//! button: their code is in the body's chunk, yet closing the dialog does not drop a reply
//! still on its way.

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

/// The value `make` gives, made under `keeper`'s owner the first time a body asks for it
/// and found there each time after: a dialog's server actions, and the effects that act on
/// their replies, live as long as the part that opens the dialog, not as long as one
/// opening. (Found by type, among the values kept by this keeper only: two token cards
/// each keep their own Rotate action.)
pub fn kept<T>(keeper: Keeper, make: impl FnOnce() -> T) -> T
where
    T: Clone + Send + Sync + 'static,
{
    let found = keeper
        .kept
        .with_value(|kept| kept.iter().find_map(|v| v.downcast_ref::<T>().cloned()));
    found.unwrap_or_else(|| {
        // Untracked: the body calls this while its top-level reads are tracked, and a read
        // in `make` would draw the body again (and undo its reset) at each change.
        let made = keeper.owner.get_value().with(|| untrack(make));
        keeper
            .kept
            .update_value(|kept| kept.push(Box::new(made.clone())));
        made
    })
}

/// What the bodies of one part's dialogs [`kept`], and the owner they live under: the
/// current one when the part is made (the page's: Leptos components have no owner of their
/// own), disposed with the page. (A child owner of its own was tried, and the token cards'
/// Confirm access retry then ended on a disposed value; the cause is not known.)
#[derive(Clone, Copy)]
pub struct Keeper {
    owner: StoredValue<Owner>,
    kept: StoredValue<Vec<Box<dyn std::any::Any + Send + Sync>>>,
}

/// A new [`Keeper`], under the current owner.
pub fn keeper() -> Keeper {
    Keeper {
        owner: StoredValue::new(Owner::current().unwrap_or_default()),
        kept: StoredValue::new(Vec::new()),
    }
}
