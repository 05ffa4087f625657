//! keyward's pages: Leptos components rendered on the server and hydrated in the browser,
//! the wire types they exchange, and the server functions they call.

pub mod components;
pub mod error;
pub mod pages;
pub mod rpc;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::pages::{login::LoginPage, profile::ProfilePage, setup::SetupPage};

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="same-origin"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="keyward" href="/pkg/keyward.css"/>
        <Title text="keyward"/>
        <Router>
            <Routes fallback=|| view! { <main id="page"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/profile"/> }/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/profile") view=ProfilePage/>
            </Routes>
        </Router>
    }
}
