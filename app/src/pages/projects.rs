//! `/projects` (the projects the signed-in person can read) and `/projects/{id}`, a project
//! with its tabs: Overview, Config, Secrets and Service Tokens (the GetWebstack flow: open
//! the project, Service Tokens tab, New token). Outside the person's grant a project page is
//! the not-found page, whether or not the project exists.

use crate::components::effect;
use keyward_core::Permissions;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::card::CardState;
use crate::components::field::invalid;
use crate::components::reload::{Changes, action_error, reloading_action};
use crate::components::tokens::{RevokeButton, TokenCard, TokenTable, expiry_class, revoke_view};
use crate::components::{
    ExpiryCell, FieldMessage, FormFooter, RevokeDialog, ShownOnce, TokenRef, use_hydrated,
};
use crate::error::AppError;
use crate::pages::profile::{Header, signed_in_page};
use crate::pages::service_tokens::NewServiceTokenForm;
use crate::resource::{self, Loaded};
use crate::rpc::get_me;
use crate::rpc::projects::*;
use crate::types::{
    OplogView, ProjectSummary, ProjectTokenView, ProjectTokens, ProjectView, format_time,
};

const HIDE_EXPIRED_KEY: &str = "keyward.project_service_tokens.hide_expired";

fn permission_text(p: Permissions) -> String {
    p.names().join(", ")
}

/// `/projects`.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let me = resource::new(|| (), |_| get_me());
    let projects = resource::new(|| (), |_| my_projects());
    signed_in_page(me, move |me| {
        view! {
            <div id="page">
                <Header me/>
                <main class="projects">
                    <h1>"Projects"</h1>
                    <Transition fallback=|| view! { <p>"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match projects.await {
                                Ok(list) => view! { <ProjectList list/> }.into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                                    .into_any(),
                            }
                        })}
                    </Transition>
                </main>
            </div>
        }
    })
}

#[component]
fn ProjectList(list: Vec<ProjectSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"You hold no grant on any project yet."</p> }.into_any();
    }
    view! {
        <table class="admin-table" aria-label="Projects">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Organization"</th>
                    <th scope="col">"Your permissions"</th>
                    <th scope="col">"Live service tokens"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|p| {
                        view! {
                            <tr>
                                <td><a href=format!("/projects/{}", p.id)>{p.name}</a></td>
                                <td>{p.org.unwrap_or_else(|| "—".into())}</td>
                                <td>{permission_text(p.permissions)}</td>
                                <td>{p.live_service_tokens}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The tabs of a project page, in order; `?tab=` holds the selected one's slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Overview,
    Config,
    Secrets,
    Oplogs,
    ServiceTokens,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Overview,
        Tab::Config,
        Tab::Secrets,
        Tab::Oplogs,
        Tab::ServiceTokens,
    ];

    fn slug(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Config => "config",
            Tab::Secrets => "secrets",
            Tab::Oplogs => "oplogs",
            Tab::ServiceTokens => "service-tokens",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Config => "Config",
            Tab::Secrets => "Secrets",
            Tab::Oplogs => "Operation logs",
            Tab::ServiceTokens => "Service Tokens",
        }
    }

    fn from_slug(slug: Option<String>) -> Tab {
        Tab::ALL
            .into_iter()
            .find(|t| Some(t.slug()) == slug.as_deref())
            .unwrap_or(Tab::Overview)
    }

    /// The tab an arrow, Home or End key moves to from this one (wrapping around).
    fn after_key(self, key: &str) -> Option<Tab> {
        let i = Tab::ALL.iter().position(|t| *t == self)?;
        let n = Tab::ALL.len();
        match key {
            "ArrowRight" => Some(Tab::ALL[(i + 1) % n]),
            "ArrowLeft" => Some(Tab::ALL[(i + n - 1) % n]),
            "Home" => Some(Tab::ALL[0]),
            "End" => Some(Tab::ALL[n - 1]),
            _ => None,
        }
    }
}

/// `/projects/{id}`.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let me = resource::new(|| (), |_| get_me());
    let params = use_params_map();
    let query = use_query_map();
    // A malformed id is a project nobody can read: the same not-found page.
    let id = Memo::new(move |_| {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let tab = Memo::new(move |_| Tab::from_slug(query.with(|q| q.get("tab"))));
    let changes = Changes::provide();
    let project = resource::new(move || (id.get(), changes.get()), |(id, _)| get_project(id));
    let tokens = TokensTab::load(id);
    signed_in_page(me, move |me| {
        view! {
            <div id="page">
                <Header me/>
                <main class="project">
                    <Transition fallback=|| view! { <p>"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match project.await {
                                Ok(p) => view! { <ProjectBody project=p tab tokens/> }.into_any(),
                                Err(AppError::NotFound) => not_found().into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                                    .into_any(),
                            }
                        })}
                    </Transition>
                </main>
            </div>
        }
    })
}

/// What a project outside the person's grant shows, exactly as one that does not exist
/// (the response status is 404 too).
fn not_found() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! { <h1>"Page not found"</h1> }
}

#[component]
fn ProjectBody(project: ProjectView, tab: Memo<Tab>, tokens: TokensTab) -> impl IntoView {
    let navigate = use_navigate();
    let refs: Vec<(Tab, NodeRef<leptos::html::A>)> =
        Tab::ALL.into_iter().map(|t| (t, NodeRef::new())).collect();
    let refs = StoredValue::new(refs);
    // Arrow keys move between the tabs and select the one they land on (the WAI-ARIA tabs
    // pattern with automatic activation), keeping the selection in the URL.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(next) = tab.get_untracked().after_key(&ev.key()) {
            ev.prevent_default();
            // Replace, not push: each arrow press is not a page to go back to.
            let options = leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            };
            navigate(&format!("?tab={}", next.slug()), options);
            refs.with_value(|refs| {
                if let Some(el) = refs
                    .iter()
                    .find(|(t, _)| *t == next)
                    .and_then(|(_, r)| r.get())
                {
                    let _ = el.focus();
                }
            });
        }
    };
    let subtitle = project.org.clone().map_or_else(
        || "No organization".to_string(),
        |o| format!("Organization: {o}"),
    );
    let stored = StoredValue::new(project.clone());
    view! {
        <h1>{project.name.clone()}</h1>
        <p class="muted">{subtitle}</p>
        <div class="tabs" role="tablist" aria-label="Project sections" on:keydown=on_key>
            {refs
                .get_value()
                .into_iter()
                .map(|(t, node)| {
                    let selected = move || tab.get() == t;
                    view! {
                        <a
                            node_ref=node
                            role="tab"
                            id=format!("tab-{}", t.slug())
                            href=format!("?tab={}", t.slug())
                            aria-selected=move || selected().to_string()
                            aria-controls=move || selected().then_some("project-panel")
                            tabindex=move || if selected() { "0" } else { "-1" }
                        >
                            {t.title()}
                        </a>
                    }
                })
                .collect_view()}
        </div>
        <section
            class="tab-panel"
            role="tabpanel"
            id="project-panel"
            tabindex="0"
            aria-labelledby=move || format!("tab-{}", tab.get().slug())
        >
            {move || {
                let project = stored.get_value();
                match tab.get() {
                    Tab::Overview => view! { <Overview project/> }.into_any(),
                    Tab::Config => view! { <Config project/> }.into_any(),
                    Tab::Secrets => view! { <Secrets project/> }.into_any(),
                    Tab::Oplogs => view! { <Oplogs project/> }.into_any(),
                    Tab::ServiceTokens => view! { <ServiceTokens tab=tokens/> }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn Overview(project: ProjectView) -> impl IntoView {
    let grants = project.grants.map(|grants| {
        view! {
            <h2>"Who holds grants"</h2>
            <table class="admin-table" aria-label="Grants">
                <thead>
                    <tr><th scope="col">"Granted to"</th><th scope="col">"Permissions"</th></tr>
                </thead>
                <tbody>
                    {grants
                        .into_iter()
                        .map(|g| {
                            let who = format!("{} {}", if g.to_team { "Team" } else { "User" }, g.name);
                            view! { <tr><td>{who}</td><td>{permission_text(g.permissions)}</td></tr> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        <div class="card">
        <dl class="overview">
            <div><dt>"Name"</dt><dd>{project.name}</dd></div>
            <div><dt>"Organization"</dt><dd>{project.org.unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>"Your permissions"</dt><dd>{permission_text(project.permissions)}</dd></div>
        </dl>
        {grants}
        </div>
    }
}

#[component]
fn Config(project: ProjectView) -> impl IntoView {
    let save = reloading_action::<SetProjectConfig>();
    let error = action_error(save);
    let editing = RwSignal::new(false);
    let hydrated = use_hydrated();
    let can_edit = project.permissions.can_change_configs;
    let config = StoredValue::new(project.config.clone());
    view! {
        <div class="card">
        <h2>"Config"</h2>
        <pre class="config" aria-label="Config">{project.config}</pre>
        {can_edit.then(|| view! {
            <Show
                when=move || editing.get()
                fallback=move || view! {
                    <button type="button" disabled=move || !hydrated.get() on:click=move |_| {
                        save.value().set(None);
                        editing.set(true);
                    }>"Edit config"</button>
                }
            >
                <ActionForm action=save attr:class="form" attr:aria-label="Edit config">
                    <input type="hidden" name="project" value=project.id.to_string()/>
                    <label for="config-json">"Config (JSON)"</label>
                    <textarea
                        id="config-json"
                        name="config"
                        rows="12"
                        spellcheck="false"
                        aria-describedby="config-json-error"
                        aria-invalid=invalid(error, "config")
                    >{config.get_value()}</textarea>
                    <FieldMessage error field="config" id="config-json-error"/>
                    <div class="buttons">
                        <button type="submit" disabled=move || save.pending().get()>"Save config"</button>
                        <button type="button" class="secondary" on:click=move |_| editing.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </ActionForm>
            </Show>
        })}
        </div>
    }
}

#[component]
fn Secrets(project: ProjectView) -> impl IntoView {
    let set = reloading_action::<SetProjectSecret>();
    let delete = reloading_action::<DeleteProjectSecret>();
    let error = action_error(set);
    let delete_error = move || {
        delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let can_change = project.permissions.can_change_secrets;
    let id = project.id;
    let rows = project
        .secrets
        .into_iter()
        .map(|s| {
            let label = format!("Delete secret {}", s.name);
            view! {
                <tr>
                    <td><code>{s.name.clone()}</code></td>
                    <td>{format_time(s.updated_at)}</td>
                    <td class="actions">
                        {can_change.then(|| view! {
                            <ActionForm action=delete attr:class="row-form">
                                <input type="hidden" name="project" value=id.to_string()/>
                                <input type="hidden" name="name" value=s.name.clone()/>
                                <button type="submit" class="danger" aria-label=label>"Delete"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card">
        <h2>"Secrets"</h2>
        <p class="muted">"Only names are shown: a secret's value is never sent to this page."</p>
        <table class="admin-table" aria-label="Secrets">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Last changed"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <p class="form-error" role="alert" hidden=move || delete_error().is_none()>{delete_error}</p>
        {can_change.then(|| view! {
            <ActionForm action=set attr:class="form inline-form" attr:aria-label="Set secret">
                <input type="hidden" name="project" value=id.to_string()/>
                <label for="secret-name">"Name"</label>
                <input
                    id="secret-name"
                    name="name"
                    autocomplete="off"
                    required
                    maxlength="100"
                    aria-describedby="secret-name-error"
                    aria-invalid=invalid(error, "name")
                />
                <FieldMessage error field="name" id="secret-name-error"/>
                <label for="secret-value">"Value"</label>
                <input
                    id="secret-value"
                    name="value"
                    type="password"
                    autocomplete="new-password"
                    required
                    aria-describedby="secret-value-error"
                    aria-invalid=invalid(error, "value")
                />
                <FieldMessage error field="value" id="secret-value-error"/>
                <button type="submit" disabled=move || set.pending().get()>"Set secret"</button>
            </ActionForm>
        })}
        </div>
    }
}

/// The Operation logs tab: each log with its latest entries, and New entry (anyone who can
/// read the project may write its logs).
#[component]
fn Oplogs(project: ProjectView) -> impl IntoView {
    if project.oplogs.is_empty() {
        return view! {
            <div class="card">
                <h2>"Operation logs"</h2>
                <p class="empty">"This project has no operation logs yet (an administrator creates them)."</p>
            </div>
        }
        .into_any();
    }
    let id = project.id;
    project
        .oplogs
        .into_iter()
        .map(|log| view! { <OplogCard project=id log/> })
        .collect_view()
        .into_any()
}

#[component]
fn OplogCard(project: i64, log: OplogView) -> impl IntoView {
    let add = reloading_action::<AddOplogEntry>();
    let error = action_error(add);
    let open = RwSignal::new(false);
    let hydrated = use_hydrated();
    effect(move || {
        if let Some(Ok(())) = add.value().get() {
            open.set(false);
        }
    });
    let title_id = format!("oplog-{}", log.id);
    let labelled_by = title_id.clone();
    let field = move |name: &str| format!("oplog-{}-{name}", log.id);
    let rows = log
        .entries
        .into_iter()
        .map(|e| {
            view! {
                <tr>
                    <td>{format_time(e.created_at)}</td>
                    <td>{e.source_host}</td>
                    <td>{e.dest_host}</td>
                    <td>{e.tool}</td>
                    <td><code>{e.command}</code></td>
                    <td>{e.description}</td>
                    <td>{e.operator}</td>
                </tr>
            }
        })
        .collect_view();
    let inputs = move || {
        [
            ("command", "Command"),
            ("description", "Description"),
            ("source_host", "Source host"),
            ("dest_host", "Destination host"),
            ("tool", "Tool"),
        ]
        .into_iter()
        .map(|(name, label)| {
            let (id, error_id) = (field(name), field(&format!("{name}-error")));
            view! {
                <label for=id.clone()>{label}</label>
                <input id=id name=name aria-describedby=error_id.clone() aria-invalid=invalid(error, name)/>
                <FieldMessage error field=name id=error_id/>
            }
        })
        .collect_view()
    };
    let entries_label = format!("Latest entries of {}", log.name);
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <div class="card-head">
                <h2 id=title_id>{log.name.clone()}</h2>
                <button type="button" disabled=move || !hydrated.get() on:click=move |_| {
                    add.value().set(None);
                    open.set(true);
                }>"New entry"</button>
            </div>
            <Show when=move || open.get()>
                <ActionForm action=add attr:class="form inline-form" attr:aria-label="New entry">
                    <input type="hidden" name="project" value=project.to_string()/>
                    <input type="hidden" name="oplog" value=log.id.to_string()/>
                    {inputs()}
                    <FormFooter
                        error
                        submit="Add entry"
                        pending=add.pending()
                        on_cancel=move |_| open.set(false)
                    />
                </ActionForm>
            </Show>
            <table class="admin-table" aria-label=entries_label>
                <thead>
                    <tr>
                        <th scope="col">"Added"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Destination"</th>
                        <th scope="col">"Tool"</th>
                        <th scope="col">"Command"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Operator"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// The Service Tokens tab's list and state. Made by the page outside its `<Suspense>`, as
/// the profile's cards are: a resource made inside would not hydrate.
#[derive(Clone, Copy)]
struct TokensTab {
    project: Memo<i64>,
    list: Loaded<ProjectTokens>,
    state: CardState,
}

impl TokensTab {
    fn load(project: Memo<i64>) -> Self {
        let state = CardState::default();
        TokensTab {
            project,
            list: resource::new(
                move || (project.get(), state.source()),
                |(project, (_, page, hide))| project_service_tokens(project, page, hide),
            ),
            state,
        }
    }
}

/// The Service Tokens tab: every service token on the project, whoever minted it.
#[component]
fn ServiceTokens(tab: TokensTab) -> impl IntoView {
    let TokensTab {
        project,
        list: tokens,
        state,
    } = tab;
    // Leaving the tab (or the project) forgets the value shown and closes what was open.
    on_cleanup(move || state.close_all());
    view! {
        <TokenCard
            title_id="project-service-tokens-title"
            title="Service Tokens"
            new_label="New token"
            storage_key=HIDE_EXPIRED_KEY
            hide_expired=state.hide_expired
            page=state.page
            on_new=move |()| state.open_form()
            list=tokens
            body=move |list: ProjectTokens| {
                let now = list.now;
                let form = StoredValue::new(list.form);
                view! {
                    <Show when=move || state.form_open.get()>
                        <NewServiceTokenForm card=state list=form.get_value()/>
                    </Show>
                    {move || state.shown.get().map(|(heading, minted)| view! {
                        <ShownOnce
                            id="project-service-token-value"
                            heading=heading
                            value=minted.token.expose().to_string()
                            on_dismiss=move |_| state.shown.set(None)
                        />
                    })}
                    <TokenTable
                        label="service tokens"
                        columns=&[
                            "Name", "Principal", "Prefix", "Organization", "Project", "Permissions",
                            "Expires", "Last used", "Created by",
                        ]
                        tokens=list.tokens
                        page=list.page
                        turn=state.page
                        row=move |t| view! { <TokenRow t now revoking=state.revoking/> }
                    />
                }
            }
        >
            "Every service token scoped to this project, whoever minted it. Its creator, "
            "anyone who holds every permission it carries here, and administrators can revoke it."
        </TokenCard>
        // Outside the list, which a revoke reloads: the dialog stays as it is meanwhile.
        <RevokeDialog
            revoking=state.revoking
            body=move |t| revoke_body(state, project.get_untracked(), t)
        />
    }
}

/// The Revoke dialog's body (a separate chunk: see `deferred`).
#[lazy]
fn revoke_body(card: CardState, project: i64, t: TokenRef) -> AnyView {
    revoke_view(t, card.revoking, card.revoke(), move |id| {
        RevokeProjectServiceToken { project, id }
    })
}

#[component]
fn TokenRow(
    t: ProjectTokenView,
    now: chrono::DateTime<chrono::Utc>,
    revoking: RwSignal<Option<TokenRef>>,
) -> impl IntoView {
    let token = t.token;
    let this = TokenRef {
        kind: "service-token",
        id: token.id,
        name: token.name.clone(),
        display_prefix: token.display_prefix.clone(),
    };
    let revoke_button = t
        .can_revoke
        .then(|| view! { <RevokeButton token=this revoking/> });
    view! {
        <tr class=expiry_class(token.expires_at, now)>
            <td>
                {token.name.clone()}
                {t.suspended.then(|| view! { " " <span class="badge">"Suspended"</span> })}
            </td>
            <td>{token.principal.clone()}</td>
            <td><code>{token.display_prefix.clone()}"…"</code></td>
            <td>{t.org.unwrap_or_else(|| "—".into())}</td>
            <td>{t.project}</td>
            <td>{token.permissions.join(", ")}</td>
            <ExpiryCell expires_at=token.expires_at now/>
            <td>{token.last_used_at.map_or_else(|| "Never".to_string(), format_time)}</td>
            <td>{t.created_by}</td>
            <td class="actions">{revoke_button}</td>
        </tr>
    }
}
