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
use leptos_router::{SsrMode, path};

use crate::pages::admin::{AdminPage, Section};
use crate::pages::login::LoginPage;
use crate::pages::profile::{ProfilePage, UserPage};
use crate::pages::projects::{ProjectPage, ProjectsPage};
use crate::pages::setup::SetupPage;

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
    components::provide_sudo();
    view! {
        <Stylesheet id="keyward" href="/pkg/keyward.css"/>
        <Title text="keyward"/>
        <components::ConfirmAccessDialog/>
        <Router>
            <Routes fallback=|| view! { <main id="page"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/profile"/> }/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/profile") view=|| view! { <ProfilePage/> }/>
                <Route path=path!("/profile/avatar") view=|| view! { <ProfilePage avatar_dialog=true/> }/>
                <Route path=path!("/users/:username") view=UserPage/>
                <Route path=path!("/projects") view=ProjectsPage/>
                // Async: the page is rendered whole before the response starts, so a project
                // outside the grant can answer with the status 404, not only say so.
                <Route path=path!("/projects/:id") view=ProjectPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=|| view! { <Redirect path="/admin/users"/> }/>
                <Route path=path!("/admin/users") view=|| view! { <AdminPage section=Section::Users/> }/>
                <Route
                    path=path!("/admin/organizations")
                    view=|| view! { <AdminPage section=Section::Organizations/> }
                />
                <Route path=path!("/admin/teams") view=|| view! { <AdminPage section=Section::Teams/> }/>
                <Route
                    path=path!("/admin/projects")
                    view=|| view! { <AdminPage section=Section::Projects/> }
                />
                <Route path=path!("/admin/oplogs") view=|| view! { <AdminPage section=Section::Oplogs/> }/>
                <Route
                    path=path!("/admin/sessions")
                    view=|| view! { <AdminPage section=Section::Sessions/> }
                />
                <Route path=path!("/admin/audit") view=|| view! { <AdminPage section=Section::Audit/> }/>
                <Route
                    path=path!("/admin/service-tokens")
                    view=|| view! { <AdminPage section=Section::ServiceTokens/> }
                />
                <Route
                    path=path!("/admin/settings")
                    view=|| view! { <AdminPage section=Section::Settings/> }
                />
            </Routes>
        </Router>
    }
}
