//! `/profile`: the signed-in person's own profile.

use leptos::prelude::*;

use crate::pages::account::ChangePasswordAction;
use crate::pages::api_tokens::{self, ApiTokensCard};
use crate::pages::service_tokens::{self, ServiceTokensCard};
use crate::pages::sessions::{self, SessionsCard};
use crate::rpc::{Logout, get_me};
use crate::types::Me;

/// The bar at the top of every signed-in page, with Sign out.
#[component]
pub fn Header(me: Me) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/profile">"keyward"</a>
            <span class="whoami">{me.display_name.clone()}" (" {me.username.clone()} ")"</span>
            {(me.role == keyward_core::Role::Admin)
                .then(|| view! { <a href="/admin/users">"Administration"</a> })}
            <ActionForm action=logout>
                <button type="submit" class="secondary">"Sign out"</button>
            </ActionForm>
        </header>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    // Every resource of the page is created here, outside the Suspense (see api_tokens::Card).
    let cards = (
        api_tokens::Card::load(),
        service_tokens::Card::load(),
        sessions::Card::load(),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! { <Profile me cards/> }.into_any(),
                    Ok(None) => view! {
                        <main id="page">
                            <p role="alert">"You are signed out. " <a href="/login">"Sign in"</a></p>
                        </main>
                    }.into_any(),
                    Err(e) => view! {
                        <main id="page"><p role="alert">{e.to_string()}</p></main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(
    me: Me,
    cards: (api_tokens::Card, service_tokens::Card, sessions::Card),
) -> impl IntoView {
    let initials: String = me
        .display_name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    view! {
        <div id="page">
            <Header me=me.clone()/>
            <main class="profile">
                <section class="identity">
                    <div class="avatar" role="img" aria-label=format!("Avatar of {}", me.display_name)>
                        {initials}
                    </div>
                    <div>
                        <h1>{me.display_name.clone()}</h1>
                        <p class="muted">"@"{me.username.clone()}</p>
                    </div>
                </section>
                <div class="account-actions">
                    <ChangePasswordAction/>
                </div>
                <ProfileOverview me=me.clone()/>
                <ApiTokensCard card=cards.0/>
                <ServiceTokensCard card=cards.1/>
                <SessionsCard card=cards.2/>
            </main>
        </div>
    }
}

/// The compact grid of who this is.
#[component]
fn ProfileOverview(me: Me) -> impl IntoView {
    let rows = [
        ("Name", me.display_name),
        ("Username", me.username),
        ("Email", me.email.unwrap_or_else(|| "—".into())),
        ("Role", me.role.label().to_string()),
        ("Access level", me.access_level),
        (
            "Groups",
            if me.groups.is_empty() {
                "—".into()
            } else {
                me.groups.join(", ")
            },
        ),
    ];
    view! {
        <section class="card" aria-labelledby="overview-title">
            <h2 id="overview-title">"Profile Overview"</h2>
            <dl class="overview">
                {rows
                    .into_iter()
                    .map(|(term, value)| view! { <div><dt>{term}</dt><dd>{value}</dd></div> })
                    .collect_view()}
            </dl>
        </section>
    }
}
