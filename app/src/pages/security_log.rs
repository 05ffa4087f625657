//! The Security log card: the signed-in person's own audit events (sign-ins, failed
//! sign-ins, token changes and uses, MFA, password, sessions), newest first, in pages.

use leptos::prelude::*;

use crate::components::audit::AuditBrowser;
use crate::resource::{self, Loaded};
use crate::rpc::audit::audit_log;
use crate::types::AuditPage;

/// Made by the page outside its `<Suspense>` (see the API Tokens card).
#[derive(Clone, Copy)]
pub struct Card {
    first: Loaded<AuditPage>,
}

impl Card {
    pub fn load() -> Self {
        let none = String::new;
        Card {
            first: resource::new(
                || (),
                move |_| audit_log(false, none(), none(), none(), None),
            ),
        }
    }
}

#[component]
pub fn SecurityLogCard(card: Card) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="security-log-title">
            <h2 id="security-log-title">"Security log"</h2>
            <p class="muted">
                "Sign-ins, failed sign-ins, token and account changes of yours, newest first. Something you do not recognise? Change your password and revoke the token it names."
            </p>
            <Transition fallback=|| view! { <p>"Loading the security log…"</p> }>
                {move || Suspend::new(async move {
                    match card.first.await {
                        Ok(first) => view! { <AuditBrowser first all=false/> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                            .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
