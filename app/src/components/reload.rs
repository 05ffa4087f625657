//! Pages whose data reloads after each change made on them (the admin pages, a project's
//! page): the page provides [`Changes`] and keys its resources on it; each form's action
//! bumps it when it succeeds.

use super::effect;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// Bumped by every successful action of the page.
#[derive(Clone, Copy)]
pub struct Changes(RwSignal<u32>);

impl Changes {
    /// Makes the counter and provides it to the page's components.
    pub fn provide() -> Self {
        let changes = Changes(RwSignal::new(0));
        provide_context(changes);
        changes
    }

    /// The counter, for a resource's source: reading it makes the resource reload.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

/// A server action whose success reloads the page's data.
pub fn reloading_action<A>() -> ServerAction<A>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let action = ServerAction::<A>::new();
    let Changes(changes) = expect_context::<Changes>();
    effect(move || {
        if let Some(Ok(())) = action.value().get() {
            changes.update(|n| *n += 1);
        }
    });
    action
}

/// The error of an action's last run, for its form.
pub fn action_error<A>(action: ServerAction<A>) -> Signal<Option<AppError>>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}
