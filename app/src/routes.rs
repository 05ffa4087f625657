//! Every page but the profile (sign-in, administration, projects, setup, someone else's
//! profile) as Leptos lazy routes: with `cargo leptos build --split` their code is a separate
//! WASM chunk, fetched when the route is first visited, so `/profile` does not pay for it
//! (issue 16). The server renders them as usual and names the chunk for the browser to preload.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use leptos_router::{LazyRoute, lazy_route};

use crate::pages::admin::{AdminPage, Section};
use crate::pages::login::LoginPage;
use crate::pages::profile::UserPage;
use crate::pages::projects::{ProjectPage, ProjectsPage};
use crate::pages::setup::SetupPage;

/// A lazily loaded route named `$name` whose view is `$page`. (Each one's chunk is named
/// after it, so `$name` must be unique in the app.)
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $page:expr) => {
        $(#[$doc])*
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $page.into_any()
            }
        }
    };
}

lazy_page!(
    /// Every `/admin/*` page: one chunk, the section read from the path.
    Admin => {
        let path = use_location().pathname.get_untracked();
        let section = Section::at(&path).unwrap_or(Section::Users);
        view! { <AdminPage section/> }
    }
);
lazy_page!(
    /// `/login`: once per sign-in, so not in the main module.
    Login => view! { <LoginPage/> }
);
lazy_page!(
    /// `/projects`.
    Projects => view! { <ProjectsPage/> }
);
lazy_page!(
    /// `/projects/{id}`.
    Project => view! { <ProjectPage/> }
);
lazy_page!(
    /// `/setup?code=...`, once per installation.
    Setup => view! { <SetupPage/> }
);
lazy_page!(
    /// `/users/{username}`.
    User => view! { <UserPage/> }
);
