//! The admin pages (`/admin/...`): users, organizations, teams and members, projects with
//! their grants, operation logs, and suspended service tokens. Everything an administrator
//! needs to set up an installation without a shell; each form calls the same service as the
//! matching `keyward admin` subcommand, and the server functions refuse non-admins.

use keyward_core::policy::Settings;
use keyward_core::{Permissions, Role};
use leptos::prelude::*;

use crate::components::audit::AuditBrowser;
use crate::components::field::invalid;
use crate::components::reload::{Changes, action_error, reloading_action};
use crate::components::{FieldMessage, FlagBoxes, SessionTable, TextField, use_hydrated};
use crate::error::AppError;
use crate::pages::profile::Header;
use crate::pages::settings::SettingsForm;
use crate::resource;
use crate::rpc::admin::*;
use crate::rpc::audit::audit_log;
use crate::rpc::get_me;
use crate::types::{
    AdminProject, AdminTeam, AdminUser, AuditPage, OplogsPage, ProjectsPage, SessionView,
    SuspendedToken, TeamsPage,
};
use serde::{Deserialize, Serialize};

/// The admin pages, in the order of the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Users,
    Organizations,
    Teams,
    Projects,
    Oplogs,
    ServiceTokens,
    Sessions,
    Audit,
    Settings,
}

impl Section {
    const ALL: [Section; 9] = [
        Section::Users,
        Section::Organizations,
        Section::Teams,
        Section::Projects,
        Section::Oplogs,
        Section::ServiceTokens,
        Section::Sessions,
        Section::Audit,
        Section::Settings,
    ];

    fn title(self) -> &'static str {
        match self {
            Section::Users => "Users",
            Section::Organizations => "Organizations",
            Section::Teams => "Teams",
            Section::Projects => "Projects",
            Section::Oplogs => "Operation logs",
            Section::ServiceTokens => "Suspended service tokens",
            Section::Sessions => "Sessions",
            Section::Audit => "Audit log",
            Section::Settings => "Settings",
        }
    }

    /// The section a path names (`/admin/users` → Users): every admin route shares one lazily
    /// loaded view, which finds its section here.
    pub fn at(path: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.href() == path)
    }

    fn href(self) -> &'static str {
        match self {
            Section::Users => "/admin/users",
            Section::Organizations => "/admin/organizations",
            Section::Teams => "/admin/teams",
            Section::Projects => "/admin/projects",
            Section::Oplogs => "/admin/oplogs",
            Section::ServiceTokens => "/admin/service-tokens",
            Section::Sessions => "/admin/sessions",
            Section::Audit => "/admin/audit",
            Section::Settings => "/admin/settings",
        }
    }
}

#[component]
pub fn AdminPage(section: Section) -> impl IntoView {
    let me = resource::new(|| (), |_| get_me());
    let changes = Changes::provide();
    let data = resource::new(move || changes.get(), move |_| load(section));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.role == Role::Admin => view! {
                        <div id="page">
                            <Header me/>
                            <main class="admin">
                                <nav aria-label="Administration">
                                    {Section::ALL
                                        .into_iter()
                                        .map(|s| {
                                            let current = (s == section).then_some("page");
                                            view! { <a href=s.href() aria-current=current>{s.title()}</a> }
                                        })
                                        .collect_view()}
                                </nav>
                                <h1>{section.title()}</h1>
                                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                                    {move || Suspend::new(async move {
                                        match data.await {
                                            Ok(data) => view! { <SectionBody data/> }.into_any(),
                                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                                        }
                                    })}
                                </Transition>
                            </main>
                        </div>
                    }
                        .into_any(),
                    Ok(Some(_)) => view! {
                        <main id="page"><p role="alert">"Only administrators can open this page."</p></main>
                    }
                        .into_any(),
                    Ok(None) => view! {
                        <main id="page"><p role="alert">"You are signed out. " <a href="/login">"Sign in"</a></p></main>
                    }
                        .into_any(),
                    Err(e) => view! { <main id="page"><p role="alert">{e.to_string()}</p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What one admin page shows: each page loads its own, through its own server function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum SectionData {
    Users(Vec<AdminUser>),
    Organizations(Vec<(i64, String)>),
    Teams(TeamsPage),
    Projects(ProjectsPage),
    Oplogs(OplogsPage),
    ServiceTokens(Vec<SuspendedToken>),
    Sessions(Vec<SessionView>),
    Audit(AuditPage),
    Settings(Settings),
}

async fn load(section: Section) -> Result<SectionData, AppError> {
    Ok(match section {
        Section::Users => SectionData::Users(admin_users().await?),
        Section::Organizations => SectionData::Organizations(admin_organizations().await?),
        Section::Teams => SectionData::Teams(admin_teams().await?),
        Section::Projects => SectionData::Projects(admin_projects().await?),
        Section::Oplogs => SectionData::Oplogs(admin_oplogs().await?),
        Section::ServiceTokens => SectionData::ServiceTokens(admin_suspended_tokens().await?),
        Section::Sessions => SectionData::Sessions(admin_sessions().await?),
        Section::Audit => {
            let none = String::new;
            SectionData::Audit(audit_log(true, none(), none(), none(), None).await?)
        }
        Section::Settings => SectionData::Settings(admin_settings().await?),
    })
}

#[component]
fn SectionBody(data: SectionData) -> impl IntoView {
    match data {
        SectionData::Users(users) => view! { <Users users/> }.into_any(),
        SectionData::Organizations(orgs) => view! { <Organizations orgs/> }.into_any(),
        SectionData::Teams(TeamsPage { teams, orgs }) => view! { <Teams teams orgs/> }.into_any(),
        SectionData::Projects(ProjectsPage { projects, orgs }) => {
            view! { <Projects projects orgs/> }.into_any()
        }
        SectionData::Oplogs(oplogs) => view! { <Oplogs oplogs/> }.into_any(),
        SectionData::ServiceTokens(tokens) => view! { <Suspended tokens/> }.into_any(),
        SectionData::Sessions(sessions) => view! { <Sessions sessions/> }.into_any(),
        SectionData::Audit(first) => view! { <AuditBrowser first all=true/> }.into_any(),
        SectionData::Settings(settings) => view! { <SettingsForm settings/> }.into_any(),
    }
}

/// The optional organization of a new team or project.
#[component]
fn OrgSelect(id: &'static str, orgs: Vec<(i64, String)>) -> impl IntoView {
    view! {
        <label for=id>"Organization"</label>
        <select id=id name="org">
            <option value="" selected>"None"</option>
            {orgs
                .into_iter()
                .map(|(_, name)| view! { <option value=name.clone()>{name.clone()}</option> })
                .collect_view()}
        </select>
    }
}

/// Submit button and the error that belongs to no single field.
#[component]
fn Submit(label: &'static str, error: Signal<Option<AppError>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let form_error = move || error.get().and_then(|e| e.form_message());
    view! {
        <p class="form-error" role="alert" hidden=move || form_error().is_none()>{form_error}</p>
        <button type="submit" disabled=move || !hydrated.get()>{label}</button>
    }
}

#[component]
fn Users(users: Vec<AdminUser>) -> impl IntoView {
    let create = reloading_action::<AdminCreateUser>();
    let error = action_error(create);
    view! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title">"New user"</h2>
            <ActionForm action=create attr:class="form" attr:aria-label="New user">
                <TextField id="nu-username" label="Username" name="username" error/>
                <TextField id="nu-display" label="Display name" name="display_name" error required=false/>
                <TextField id="nu-email" label="Email" name="email" kind="email" error required=false/>
                <RoleSelect id="nu-role" current=Role::User/>
                <TextField id="nu-password" label="Password" name="password" kind="password" error/>
                <Submit label="Create user" error/>
            </ActionForm>
        </section>
        <table class="admin-table" aria-label="Users">
            <thead>
                <tr>
                    <th scope="col">"Username"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {users.into_iter().map(|user| view! { <UserRow user/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RoleSelect(id: &'static str, current: Role) -> impl IntoView {
    view! {
        <label for=id>"Role"</label>
        <select id=id name="role">
            {Role::ALL
                .into_iter()
                .map(|r| view! { <option value=r.as_str() selected=r == current>{r.label()}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn UserRow(user: AdminUser) -> impl IntoView {
    let set_role = reloading_action::<AdminSetRole>();
    let set_active = reloading_action::<AdminSetActive>();
    let role_error = action_error(set_role);
    let active_error = action_error(set_active);
    let errors = move || {
        role_error
            .get()
            .or(active_error.get())
            .map(|e| e.to_string())
    };
    let role_id = format!("role-{}", user.username);
    let role_label = format!("Role of {}", user.username);
    let (for_role, for_active) = (user.username.clone(), user.username.clone());
    let (toggle, toggle_label) = if user.active {
        ("false", "Deactivate")
    } else {
        ("true", "Reactivate")
    };
    view! {
        <tr class=if user.active { "" } else { "inactive" }>
            <td>{user.username.clone()}</td>
            <td>{user.display_name.clone()}</td>
            <td>{user.email.clone().unwrap_or_default()}</td>
            <td>
                <ActionForm action=set_role attr:class="row-form">
                    <input type="hidden" name="username" value=for_role/>
                    <label for=role_id.clone() class="sr-only">{role_label}</label>
                    <select id=role_id name="role">
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str() selected=r == user.role>{r.label()}</option> })
                            .collect_view()}
                    </select>
                    <button type="submit" class="secondary">"Set role"</button>
                </ActionForm>
            </td>
            <td>
                {if user.active { "Active" } else { "Deactivated" }}
                " "
                <ActionForm action=set_active attr:class="row-form">
                    <input type="hidden" name="username" value=for_active/>
                    <input type="hidden" name="active" value=toggle/>
                    <button type="submit" class="secondary">{toggle_label}</button>
                </ActionForm>
                <p class="form-error" role="alert" hidden=move || errors().is_none()>{errors}</p>
            </td>
        </tr>
    }
}

#[component]
fn Organizations(orgs: Vec<(i64, String)>) -> impl IntoView {
    let create = reloading_action::<AdminCreateOrg>();
    let error = action_error(create);
    view! {
        <ActionForm action=create attr:class="card form" attr:aria-label="New organization">
            <TextField id="no-name" label="Name" name="name" error/>
            <Submit label="Create organization" error/>
        </ActionForm>
        <ul class="plain-list" aria-label="Organizations">
            {orgs.into_iter().map(|(_, name)| view! { <li>{name}</li> }).collect_view()}
        </ul>
    }
}

#[component]
fn Teams(teams: Vec<AdminTeam>, orgs: Vec<(i64, String)>) -> impl IntoView {
    let create = reloading_action::<AdminCreateTeam>();
    let error = action_error(create);
    view! {
        <ActionForm action=create attr:class="card form" attr:aria-label="New team">
            <TextField id="nt-name" label="Name" name="name" error/>
            <OrgSelect id="nt-org" orgs/>
            <Submit label="Create team" error/>
        </ActionForm>
        {teams.into_iter().map(|team| view! { <TeamCard team/> }).collect_view()}
    }
}

#[component]
fn TeamCard(team: AdminTeam) -> impl IntoView {
    let add = reloading_action::<AdminAddMember>();
    let remove = reloading_action::<AdminRemoveMember>();
    let error = action_error(add);
    let title_id = format!("team-{}", team.name.replace(char::is_whitespace, "-"));
    let labelled_by = title_id.clone();
    let input_id = format!("{title_id}-username");
    let error_id = format!("{title_id}-error");
    let add_label = format!("Add a member to {}", team.name);
    let members_label = format!("Members of {}", team.name);
    let org = team.org.clone().map_or_else(
        || "No organization".to_string(),
        |o| format!("Organization: {o}"),
    );
    let name = team.name.clone();
    let members = team
        .members
        .into_iter()
        .map(|member| {
            let label = format!("Remove {member} from {name}");
            let team = name.clone();
            view! {
                <li>
                    {member.clone()}
                    " "
                    <ActionForm action=remove attr:class="row-form">
                        <input type="hidden" name="team" value=team/>
                        <input type="hidden" name="username" value=member/>
                        <button type="submit" class="secondary" aria-label=label>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{team.name.clone()}</h2>
            <p class="muted">{org}</p>
            <ul class="plain-list" aria-label=members_label>{members}</ul>
            <ActionForm action=add attr:class="form inline-form" attr:aria-label=add_label>
                <input type="hidden" name="team" value=name/>
                <label for=input_id.clone()>"Username"</label>
                <input id=input_id name="username" required aria-invalid=invalid(error, "username")/>
                <FieldMessage error field="username" id=error_id/>
                <Submit label="Add member" error/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Projects(projects: Vec<AdminProject>, orgs: Vec<(i64, String)>) -> impl IntoView {
    let create = reloading_action::<AdminCreateProject>();
    let error = action_error(create);
    view! {
        <ActionForm action=create attr:class="card form" attr:aria-label="New project">
            <TextField id="np-name" label="Name" name="name" error/>
            <OrgSelect id="np-org" orgs/>
            <Submit label="Create project" error/>
        </ActionForm>
        {projects.into_iter().map(|project| view! { <ProjectCard project/> }).collect_view()}
    }
}

#[component]
fn ProjectCard(project: AdminProject) -> impl IntoView {
    let grant = reloading_action::<AdminGrant>();
    let revoke = reloading_action::<AdminRevokeGrant>();
    let error = action_error(grant);
    let id = project.id;
    let prefix = format!("project-{id}");
    let (kind_id, name_id) = (format!("{prefix}-kind"), format!("{prefix}-name"));
    let (team_error, user_error) = (
        format!("{prefix}-team-error"),
        format!("{prefix}-user-error"),
    );
    let (flags_prefix, labelled_by) = (prefix.clone(), prefix.clone());
    let grants_label = format!("Grants on {}", project.name);
    let grant_label = format!("Grant access to {}", project.name);
    let summary = format!(
        "Project {id}{} · {} operation log(s)",
        project
            .org
            .as_ref()
            .map(|o| format!(" · Organization: {o}"))
            .unwrap_or_default(),
        project.oplogs.len(),
    );
    let grants = project
        .grants
        .into_iter()
        .map(|g| {
            let (kind, word) = if g.to_team {
                ("team", "Team")
            } else {
                ("user", "User")
            };
            let remove_label = format!("Remove the grant of {}", g.name);
            view! {
                <tr>
                    <td>{format!("{word} {}", g.name)}</td>
                    <td>{g.permissions.names().join(", ")}</td>
                    <td>
                        <ActionForm action=revoke attr:class="row-form">
                            <input type="hidden" name="project" value=id.to_string()/>
                            <input type="hidden" name="kind" value=kind/>
                            <input type="hidden" name="name" value=g.name/>
                            <button type="submit" class="secondary" aria-label=remove_label>
                                "Remove grant"
                            </button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=prefix>{project.name.clone()}</h2>
            <p class="muted">{summary}</p>
            <table class="admin-table" aria-label=grants_label>
                <thead>
                    <tr>
                        <th scope="col">"Granted to"</th>
                        <th scope="col">"Permissions"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{grants}</tbody>
            </table>
            <ActionForm action=grant attr:class="form inline-form" attr:aria-label=grant_label>
                <input type="hidden" name="project" value=id.to_string()/>
                <label for=kind_id.clone()>"Grant to"</label>
                <select id=kind_id name="kind">
                    <option value="team" selected>"Team"</option>
                    <option value="user">"User"</option>
                </select>
                <label for=name_id.clone()>"Team or username"</label>
                <input id=name_id name="name" required/>
                <FieldMessage error field="team" id=team_error/>
                <FieldMessage error field="username" id=user_error/>
                <fieldset class="flags">
                    <legend>"Permissions (read is always included)"</legend>
                    <FlagBoxes allowed=Permissions::ALL error id_prefix=flags_prefix/>
                </fieldset>
                <Submit label="Grant access" error/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Oplogs(oplogs: OplogsPage) -> impl IntoView {
    let create = reloading_action::<AdminCreateOplog>();
    let error = action_error(create);
    let OplogsPage { projects, oplogs } = oplogs;
    view! {
        <ActionForm action=create attr:class="card form" attr:aria-label="New operation log">
            <label for="nl-project">"Project"</label>
            <select id="nl-project" name="project" required>
                {projects
                    .into_iter()
                    .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
                    .collect_view()}
            </select>
            <FieldMessage error field="project" id="nl-project-error"/>
            <TextField id="nl-name" label="Name" name="name" error/>
            <Submit label="Create operation log" error/>
        </ActionForm>
        <table class="admin-table" aria-label="Operation logs">
            <thead>
                <tr><th scope="col">"ID"</th><th scope="col">"Name"</th><th scope="col">"Project"</th></tr>
            </thead>
            <tbody>
                {oplogs
                    .into_iter()
                    .map(|l| view! { <tr><td>{l.id}</td><td>{l.name}</td><td>{l.project}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Suspended(tokens: Vec<SuspendedToken>) -> impl IntoView {
    view! {
        <p class="muted">
            "A service token is suspended (its calls get 401 token_suspended) while the user "
            "answerable for it is deactivated. Revoke it, or transfer it to an active user who "
            "holds its grant."
        </p>
        <Show when={
            let empty = tokens.is_empty();
            move || empty
        }>
            <p class="empty">"No suspended service tokens."</p>
        </Show>
        {tokens.into_iter().map(|token| view! { <SuspendedCard token/> }).collect_view()}
    }
}

#[component]
fn SuspendedCard(token: SuspendedToken) -> impl IntoView {
    let revoke = reloading_action::<AdminRevokeServiceToken>();
    let transfer = reloading_action::<AdminTransferServiceToken>();
    let error = Signal::derive(move || {
        transfer
            .value()
            .get()
            .and_then(Result::err)
            .or(revoke.value().get().and_then(Result::err))
    });
    let prefix = format!("suspended-{}", token.id);
    let to_id = format!("{prefix}-to");
    let labelled_by = prefix.clone();
    let transfer_label = format!("Transfer {}", token.name);
    let summary = format!(
        "Principal {} · {}… · {} · {} · answerable: {} (deactivated)",
        token.principal,
        token.display_prefix,
        token.scope,
        token.permissions.join(", "),
        token.owner,
    );
    // Transfer refusals name the field they are about (the user, or the permission they lack).
    let messages = [
        "username",
        "can_change_configs",
        "can_change_secrets",
        "can_delete_project",
        "project",
        "oplog",
    ]
    .into_iter()
    .map(|f| view! { <FieldMessage error field=f id=format!("{prefix}-{f}-error")/> })
    .collect_view();
    let (id, revoke_id) = (token.id.to_string(), token.id.to_string());
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=prefix>{token.name.clone()}</h2>
            <p>{summary}</p>
            <ActionForm action=transfer attr:class="form inline-form" attr:aria-label=transfer_label>
                <input type="hidden" name="id" value=id/>
                <label for=to_id.clone()>"Transfer to"</label>
                <input id=to_id name="username" required/>
                {messages}
                <Submit label="Transfer" error/>
            </ActionForm>
            <ActionForm action=revoke attr:class="row-form">
                <input type="hidden" name="id" value=revoke_id/>
                <button type="submit" class="danger">"Revoke"</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/sessions`: every open session, filtered by user; revoke one, all of a user's, or
/// clean up the dead ones.
#[component]
fn Sessions(sessions: Vec<SessionView>) -> impl IntoView {
    let end = reloading_action::<AdminEndSession>();
    let end_all = reloading_action::<AdminEndUserSessions>();
    let cleanup = reloading_action::<AdminCleanupSessions>();
    let error = action_error(end_all);
    let filter = RwSignal::new(String::new());
    // The filter works in the browser only: typed before hydration, it would be lost.
    let hydrated = use_hydrated();
    let sessions = StoredValue::new(sessions);
    let shown = move || {
        let wanted = filter.get().trim().to_lowercase();
        sessions
            .get_value()
            .into_iter()
            .filter(|s| wanted.is_empty() || s.username.contains(&wanted))
            .collect::<Vec<_>>()
    };
    // The one user whose sessions the filter shows, if it shows one user's only: the revoke
    // button for all of them comes to the filter, so nobody has to type the name again.
    let filtered_user = move || {
        if filter.get().trim().is_empty() {
            return None;
        }
        let shown = shown();
        let user = shown.first()?.username.clone();
        shown.iter().all(|s| s.username == user).then_some(user)
    };
    view! {
        <div class="card form inline-form">
            <label for="sessions-filter">"Filter by user"</label>
            <input
                id="sessions-filter"
                type="search"
                disabled=move || !hydrated.get()
                prop:value=move || filter.get()
                on:input=move |ev| filter.set(event_target_value(&ev))
            />
            {move || {
                filtered_user()
                    .map(|username| {
                        let label = format!("Revoke all sessions of {username}");
                        view! {
                            <button
                                type="button"
                                class="danger"
                                on:click=move |_| {
                                    end_all
                                        .dispatch(AdminEndUserSessions {
                                            username: username.clone(),
                                        });
                                }
                            >
                                {label}
                            </button>
                        }
                    })
            }}
        </div>
        {move || {
            view! {
                <SessionTable
                    sessions=shown()
                    show_user=true
                    action="Revoke"
                    on_end=move |id| {
                        end.dispatch(AdminEndSession { id });
                    }
                />
            }
        }}
        <ActionForm action=end_all attr:class="card form inline-form" attr:aria-label="Revoke all sessions of a user">
            <TextField id="end-all-username" label="Username" name="username" error/>
            <Submit label="Revoke all sessions" error/>
        </ActionForm>
        <ActionForm action=cleanup attr:class="row-form">
            <button type="submit" class="secondary">"Clean up expired sessions"</button>
        </ActionForm>
    }
}
