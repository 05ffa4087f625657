//! keyward's pages: Leptos components rendered on the server and hydrated in the browser,
//! the wire types they exchange, and the server functions they call.

pub mod components;
pub mod error;
pub mod pages;
pub mod resource;
pub mod routes;
pub mod rpc;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use crate::pages::profile::ProfilePage;

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="referrer" content="no-referrer"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <SplitLoaderPreload/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The split build's chunk loader, which `keyward.js` imports, fetched along with it rather
/// than after it (issue 16). Only with the manifest of a `--split` build, which
/// `HydrationScripts` (just before this) reads and provides with the loader's file name.
#[component]
fn SplitLoaderPreload() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let href = use_context::<leptos::WasmSplitManifest>().and_then(|m| {
        m.0.try_with_value(|(pkg, _, loader)| format!("{pkg}/{loader}"))
    });
    #[cfg(not(feature = "ssr"))]
    let href: Option<String> = None;
    href.map(|href| view! { <link rel="modulepreload" href=href/> })
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    components::provide_sudo();
    view! {
        <Stylesheet id="keyward" href="/pkg/keyward.css"/>
        <Title text="keyward"/>
        <components::ConfirmAccessDialog/>
        <Router>
            <Routes fallback=|| view! { <main id="page"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/profile"/> }/>
                <Route path=path!("/login") view={Lazy::<routes::Login>::new()}/>
                <Route path=path!("/setup") view={Lazy::<routes::Setup>::new()}/>
                <Route path=path!("/profile") view=|| view! { <ProfilePage/> }/>
                <Route path=path!("/profile/avatar") view=|| view! { <ProfilePage avatar_dialog=true/> }/>
                <Route path=path!("/users/:username") view={Lazy::<routes::User>::new()}/>
                <Route path=path!("/projects") view={Lazy::<routes::Projects>::new()}/>
                // Async: the page is rendered whole before the response starts, so a project
                // outside the grant can answer with the status 404, not only say so.
                <Route path=path!("/projects/:id") view={Lazy::<routes::Project>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/users"/> }/>
                <Route path=path!("/admin/users") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/organizations") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/teams") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/projects") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/oplogs") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/sessions") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/audit") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/service-tokens") view={Lazy::<routes::Admin>::new()}/>
                <Route path=path!("/admin/settings") view={Lazy::<routes::Admin>::new()}/>
            </Routes>
        </Router>
    }
}
