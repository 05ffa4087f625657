//! `/profile` (the signed-in person's own, with the account actions and the credential
//! cards) and `/users/{username}` (anyone's, as the viewer may see it).

use crate::components::effect;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::error::AppError;
use crate::pages::account::{AvatarAction, ChangePasswordAction, EmailsAction, PersonalInfoAction};
use crate::pages::api_tokens::{self, ApiTokensCard};
use crate::pages::mfa::MfaAction;
use crate::pages::security_log::{self, SecurityLogCard};
use crate::pages::service_tokens::{self, ServiceTokensCard};
use crate::pages::sessions::{self, SessionsCard};
use crate::resource::{self, Loaded};
use crate::rpc::account::get_profile;
use crate::rpc::{Logout, get_me};
use crate::types::{Me, ProfileView};

/// The bar at the top of every signed-in page, with Sign out.
/// On the own profile, `data` keeps the name current after Update Personal Information.
#[component]
pub fn Header(me: Me, #[prop(optional)] data: Option<ProfileData>) -> impl IntoView {
    let name = RwSignal::new(me.display_name.clone());
    // An Effect runs in the browser only, after hydration: the server's HTML and the first
    // client render agree, and later refreshes of the profile update the name.
    effect(move || {
        if let Some(p) = data.and_then(ProfileData::current) {
            name.set(p.display_name);
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href="/profile">"keyward"</a>
            <nav class="main-nav" aria-label="Main">
                <a href="/profile">"Profile"</a>
                <a href="/projects">"Projects"</a>
            </nav>
            <span class="whoami">{move || name.get()}" (" {me.username.clone()} ")"</span>
            {(me.role == keyward_core::Role::Admin)
                .then(|| view! { <a href="/admin/users">"Administration"</a> })}
            // A plain form: the server ends the session and redirects to /login, which also
            // leaves nothing of this page in the browser (and no form code in its WASM).
            <form method="post" action={<Logout as leptos::server_fn::ServerFn>::url()}>
                <button type="submit" class="secondary">"Sign out"</button>
            </form>
        </header>
    }
}

/// A profile's data, refetched after each account action. Made by the page outside its
/// `<Suspense>` (see `api_tokens::Card`).
#[derive(Clone, Copy)]
pub struct ProfileData {
    view: Loaded<ProfileView>,
    version: RwSignal<u32>,
}

impl ProfileData {
    /// The own profile (`None`) or the one named by the route's `username`.
    fn load(of_route: bool) -> Self {
        let version = RwSignal::new(0);
        let params = use_params_map();
        let view = resource::new(
            move || {
                let username =
                    of_route.then(|| params.with(|p| p.get("username")).unwrap_or_default());
                (username, version.get())
            },
            |(username, _)| get_profile(username),
        );
        ProfileData { view, version }
    }

    pub fn refresh(self) {
        self.version.update(|v| *v += 1);
    }

    /// The loaded profile (for dialogs, which open only once it is there).
    pub fn current(self) -> Option<ProfileView> {
        self.view.get().and_then(Result::ok)
    }
}

/// Renders `page` with the signed-in user, or says why there is none.
pub(crate) fn signed_in_page<V: IntoView + 'static>(
    me: Loaded<Option<Me>>,
    page: impl Fn(Me) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) => page(me).into_any(),
                        Ok(None) => view! {
                            <main id="page">
                                <p role="alert">"You are signed out. " <a href="/login">"Sign in"</a></p>
                            </main>
                        }.into_any(),
                        Err(e) => view! {
                            <main id="page"><p role="alert">{e.to_string()}</p></main>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Names the tokens, of both kinds, that stop working within 7 days, above everything else.
#[component]
fn ExpiryBanner(api: api_tokens::Card, service: service_tokens::Card) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let mut lines = api.notices().await.expiring;
                lines.extend(service.notices().await.expiring);
                (!lines.is_empty()).then(|| view! {
                    <section class="banner warning" role="status" aria-labelledby="expiring-title">
                        <h2 id="expiring-title">"Tokens expiring soon"</h2>
                        <p>"These stop working within 7 days: set a new date or replace them."</p>
                        <ul>{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                    </section>
                })
            })}
        </Transition>
    }
}

/// Names the tokens a leak report revoked in the last 30 days, above everything else.
#[component]
fn ReportedBanner(api: api_tokens::Card, service: service_tokens::Card) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let mut lines = api.notices().await.reported;
                lines.extend(service.notices().await.reported);
                (!lines.is_empty()).then(|| view! {
                    <section class="banner danger" role="region" aria-labelledby="reported-title">
                        <h2 id="reported-title">"Tokens reported as exposed"</h2>
                        <p>
                            "Someone reported these tokens' values as exposed (for example in a "
                            "public repository), so they were revoked. Replace them wherever "
                            "they were used, and find out how they leaked: their Usage shows "
                            "where they were used from."
                        </p>
                        <ul>{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                    </section>
                })
            })}
        </Transition>
    }
}

/// `/profile`; `/profile/avatar` is the same page with the Update Avatar dialog open.
#[component]
pub fn ProfilePage(#[prop(optional)] avatar_dialog: bool) -> impl IntoView {
    let me = resource::new(|| (), |_| get_me());
    // Every resource of the page is created here, outside the Suspense (see api_tokens::Card).
    let data = ProfileData::load(false);
    let cards = (
        api_tokens::Card::load(),
        service_tokens::Card::load(),
        sessions::Card::load(),
        security_log::Card::load(),
    );
    signed_in_page(me, move |me| {
        view! {
            <div id="page">
                <Header me data/>
                <main class="profile">
                    <ReportedBanner api=cards.0 service=cards.1/>
                    <ExpiryBanner api=cards.0 service=cards.1/>
                    <Identity data own=true/>
                    <div class="account-actions">
                        <ChangePasswordAction/>
                        <PersonalInfoAction data/>
                        <EmailsAction data/>
                        <AvatarAction data opened_by_url=Signal::derive(move || avatar_dialog)/>
                        <MfaAction data/>
                    </div>
                    <ProfileOverview data/>
                    <ApiTokensCard card=cards.0/>
                    <ServiceTokensCard card=cards.1/>
                    <SessionsCard card=cards.2/>
                    <SecurityLogCard card=cards.3/>
                </main>
            </div>
        }
    })
}

/// `/users/{username}`: someone's profile; email and phone only for themselves, managers
/// and admins.
#[component]
pub fn UserPage() -> impl IntoView {
    let me = resource::new(|| (), |_| get_me());
    let data = ProfileData::load(true);
    signed_in_page(me, move |me| {
        view! {
            <div id="page">
                <Header me/>
                <main class="profile">
                    <Identity data own=false/>
                    <ProfileOverview data/>
                </main>
            </div>
        }
    })
}

/// The avatar (or initials), name and username at the top. On the own profile the avatar
/// links to the Update Avatar form.
#[component]
fn Identity(data: ProfileData, own: bool) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                data.view.await.ok().map(|p| {
                    let picture = avatar(&p);
                    view! {
                        <section class="identity">
                            {if own {
                                view! {
                                    <a class="avatar-link" href="/profile/avatar" title="Update Avatar">
                                        {picture}
                                    </a>
                                }
                                    .into_any()
                            } else {
                                picture
                            }}
                            <div>
                                <h1>{p.display_name.clone()}</h1>
                                <p class="muted">"@"{p.username.clone()}</p>
                            </div>
                        </section>
                    }
                })
            })}
        </Transition>
    }
}

fn avatar(p: &ProfileView) -> AnyView {
    let label = format!("Avatar of {}", p.display_name);
    match &p.avatar_url {
        Some(src) => view! { <img class="avatar" src=src.clone() alt=label/> }.into_any(),
        None => {
            let initials: String = p
                .display_name
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .take(2)
                .collect::<String>()
                .to_uppercase();
            view! { <div class="avatar" role="img" aria-label=label>{initials}</div> }.into_any()
        }
    }
}

/// The compact grid of who this is. Email and phone appear only when the viewer may see them.
#[component]
fn ProfileOverview(data: ProfileData) -> impl IntoView {
    let rows = |p: ProfileView| {
        let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
        let mut rows = vec![("Name", p.display_name), ("Username", p.username)];
        if p.full {
            rows.push(("Email", dash(p.email)));
            rows.push(("Phone", dash(p.phone)));
        }
        rows.extend([
            ("Timezone", p.timezone),
            ("Role", p.role.label().to_string()),
            ("Access level", p.access_level),
            (
                "Groups",
                if p.groups.is_empty() {
                    "—".into()
                } else {
                    p.groups.join(", ")
                },
            ),
        ]);
        rows
    };
    view! {
        <section class="card" aria-labelledby="overview-title">
            <h2 id="overview-title">"Profile Overview"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.view.await {
                        Ok(p) => view! {
                            <dl class="overview">
                                {rows(p)
                                    .into_iter()
                                    .map(|(term, value)| view! { <div><dt>{term}</dt><dd>{value}</dd></div> })
                                    .collect_view()}
                            </dl>
                        }
                            .into_any(),
                        Err(AppError::NotFound) => view! {
                            <p role="alert">"There is no user with that username."</p>
                        }
                            .into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
