//! The Sessions card: the signed-in person's open sessions (browsers and API logins), this
//! one marked, each of which they can end.

use leptos::prelude::*;

use crate::components::SessionTable;
use crate::resource::{self, Loaded};
use crate::rpc::sessions::{EndMySession, my_sessions};
use crate::types::SessionView;

/// Made by the page outside its `<Suspense>` (see the API Tokens card).
#[derive(Clone, Copy)]
pub struct Card {
    end: ServerAction<EndMySession>,
    sessions: Loaded<Vec<SessionView>>,
}

impl Card {
    /// Creates the action and starts loading the list.
    pub fn load() -> Self {
        let end = ServerAction::<EndMySession>::new();
        Card {
            sessions: resource::new(move || end.version().get(), |_| my_sessions()),
            end,
        }
    }
}

#[component]
pub fn SessionsCard(card: Card) -> impl IntoView {
    let error = move || {
        card.end
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Sessions"</h2>
            <p class="muted">
                "Where you are signed in. Ending a session signs that browser or API login out at its next request."
            </p>
            <p class="form-error" role="alert" hidden=move || error().is_none()>{error}</p>
            <Transition fallback=|| view! { <p>"Loading sessions…"</p> }>
                {move || Suspend::new(async move {
                    match card.sessions.await {
                        Ok(sessions) => view! {
                            <SessionTable
                                sessions
                                action="End"
                                on_end=move |id| {
                                    card.end.dispatch(EndMySession { id });
                                }
                            />
                        }
                            .into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
