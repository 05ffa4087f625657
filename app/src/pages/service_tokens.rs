//! The Service Tokens card: mint a token for a service principal with a scope preset, list
//! (with expiry colours), revoke, hide expired. The form offers only what the signed-in user
//! holds now; the server checks the same rule again on whatever arrives.

use keyward_core::{Permissions, Policy};
use leptos::prelude::*;

use crate::components::allowlist::{AllowedIpsCell, AllowedIpsField, AllowlistButton};
use crate::components::card::{CardState, RowDialogs};
use crate::components::field::invalid;
use crate::components::rotate::{OldValueNote, RotateButton};
use crate::components::tokens::{
    ReportedCell, RevokeButton, TokenCard, TokenTable, is_expired, revoke_view, row_class,
};
use crate::components::usage::UsageButton;
use crate::components::{
    ExpiryCell, FieldMessage, FlagBoxes, FormFooter, ShownOnce, TokenRef, deferred,
};
use crate::error::AppError;
use crate::resource::{self, Loaded};
use crate::rpc::{CreateServiceToken, RevokeServiceToken, list_service_tokens};
use crate::types::{ServiceTokenList, ServiceTokenView, TokenNotices, format_time};

const HIDE_EXPIRED_KEY: &str = "keyward.service_tokens.hide_expired";

/// The card: its list and the state of its parts, made by the page outside its
/// `<Suspense>` (see the API Tokens card).
#[derive(Clone, Copy)]
pub struct Card {
    tokens: Loaded<ServiceTokenList>,
    state: CardState,
}

impl Card {
    /// The lines of the profile's banners (see the API Tokens card's).
    pub async fn notices(self) -> TokenNotices {
        // By reference: awaiting the resource itself would clone the whole list.
        let list = self.tokens.by_ref().await;
        list.as_ref().map(|l| l.notices.clone()).unwrap_or_default()
    }

    /// Starts loading the list.
    pub fn load() -> Self {
        let state = CardState::default();
        Card {
            tokens: resource::new(
                move || state.source(),
                |(_, page, hide_expired)| list_service_tokens(page, hide_expired),
            ),
            state,
        }
    }
}

#[component]
pub fn ServiceTokensCard(card: Card) -> impl IntoView {
    view! {
        <TokenCard
            title_id="service-tokens-title"
            title="Service Tokens"
            new_label="New service token"
            storage_key=HIDE_EXPIRED_KEY
            hide_expired=card.state.hide_expired
            page=card.state.page
            on_new=move |()| card.state.open_form()
            list=card.tokens
            body=move |list| view! { <CardBody card list/> }
        >
                "Service tokens act as a service principal (a CI pipeline, an agent, a cron job), "
                "not as you. Each carries only the grant ticked on it, for one project or one "
                "operation log, and never more than you hold yourself."
        </TokenCard>
        <Dialogs card/>
    }
}

#[component]
fn CardBody(card: Card, list: ServiceTokenList) -> impl IntoView {
    let (now, policy) = (list.now, list.policy);
    let (tokens, list_page) = (list.tokens.clone(), list.page);
    let form_list = StoredValue::new(list);
    view! {
        <Show when=move || card.state.form_open.get()>
            <NewServiceTokenForm card=card.state list=form_list.get_value()/>
        </Show>
        {move || {
            card.state.shown.get().map(|(heading, minted)| {
                view! {
                    <ShownOnce
                        id="service-token-value"
                        heading=heading
                        value=minted.token.expose().to_string()
                        on_dismiss=move |_| card.state.shown.set(None)
                    />
                }
            })
        }}
        <TokenTable
            label="service tokens"
            columns=&[
                "Name", "Principal", "Prefix", "Scope", "Permissions", "Expires", "Last used",
                "Allowed IPs",
            ]
            tokens=tokens
            page=list_page
            turn=card.state.page
            row=move |token| view! { <TokenRow card token now policy/> }
        />
    }
}

/// The rows' dialogs (see `card::RowDialogs`).
#[component]
fn Dialogs(card: Card) -> impl IntoView {
    let policy = Signal::derive(move || resource::latest(card.tokens, |l| l.policy));
    view! { <RowDialogs kind="service_token" card=card.state policy revoke_body/> }
}

/// The Revoke dialog's body (a separate chunk: see `deferred`).
#[lazy]
fn revoke_body(card: CardState, t: TokenRef) -> AnyView {
    revoke_view(t, card.revoking, card.revoke(), |id| RevokeServiceToken {
        id,
    })
}

#[component]
fn TokenRow(
    card: Card,
    token: ServiceTokenView,
    now: chrono::DateTime<chrono::Utc>,
    policy: Policy,
) -> impl IntoView {
    let this = TokenRef {
        kind: "service-token",
        id: token.id,
        name: token.name.clone(),
        display_prefix: token.display_prefix.clone(),
    };
    let reported = token.reported_at;
    view! {
        <tr class=row_class(token.expires_at, reported, now)>
            <td>{token.name.clone()}</td>
            <td>{token.principal.clone()}</td>
            <td>
                <code>{token.display_prefix.clone()}"…"</code>
                <OldValueNote until=token.old_valid_until/>
            </td>
            <td>
                {match token.project_id {
                    Some(id) => view! { <a href=format!("/projects/{id}")>{token.scope.clone()}</a> }
                        .into_any(),
                    None => token.scope.clone().into_any(),
                }}
            </td>
            <td>{token.permissions.join(", ")}</td>
            {match reported {
                Some(at) => view! { <ReportedCell at/> }.into_any(),
                None => view! { <ExpiryCell expires_at=token.expires_at now policy/> }.into_any(),
            }}
            <td>{token.last_used_at.map_or_else(|| "Never".to_string(), format_time)}</td>
            <AllowedIpsCell allowed=token.allowed_ips.clone()/>
            // A reported token is revoked: only its Usage (where it was used) is left.
            <td class="actions">
                {(reported.is_none() && !is_expired(token.expires_at, now)).then(|| view! {
                    <RotateButton token=this.clone() rotating=card.state.rotating/>
                })}
                <UsageButton token=this.clone() viewing=card.state.viewing/>
                {reported.is_none().then(|| view! {
                    <AllowlistButton
                        token=this.clone()
                        allowed=token.allowed_ips.clone()
                        editing=card.state.allowing
                    />
                    <RevokeButton token=this.clone() revoking=card.state.revoking/>
                })}
            </td>
        </tr>
    }
}

/// The New service token form, on the profile card and (with `list` holding only the one
/// project) on a project's Service Tokens tab.
#[component]
pub fn NewServiceTokenForm(card: CardState, list: ServiceTokenList) -> impl IntoView {
    deferred(move || new_service_token_form(card, list.clone()))
}

/// The form itself (a separate chunk: see `deferred`).
#[lazy]
fn new_service_token_form(card: CardState, list: ServiceTokenList) -> AnyView {
    let create = card.mint::<CreateServiceToken>("service token");
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let principal = RwSignal::new("new".to_string());
    let preset = RwSignal::new("project".to_string());
    let project = RwSignal::new(
        list.projects
            .first()
            .map(|p| p.id.to_string())
            .unwrap_or_default(),
    );
    let default_days =
        keyward_core::validate::DEFAULT_SERVICE_TOKEN_DAYS.min(list.policy.max_token_days);
    let days = RwSignal::new(default_days.to_string());
    let projects = StoredValue::new(list.projects.clone());
    // What the user holds on the chosen project: the flags they may tick.
    let held = move || {
        let chosen = project.get();
        projects.with_value(|ps| {
            ps.iter()
                .find(|p| p.id.to_string() == chosen)
                .map_or(Permissions::READ, |p| p.permissions)
        })
    };
    let mut orgs: Vec<(i64, String)> = list.projects.iter().filter_map(|p| p.org.clone()).collect();
    orgs.sort();
    orgs.dedup();
    let never = move || days.get().trim() == "0";
    let oplog_list = StoredValue::new(list.clone());
    view! {
        <ActionForm
            action=create
            attr:class="form inline-form"
            attr:aria-label="New service token"
        >
            <label for="st-principal">"Principal"</label>
            <select
                id="st-principal"
                name="principal"
                aria-describedby="st-principal-error"
                aria-invalid=invalid(error, "principal")
                on:change=move |ev| principal.set(event_target_value(&ev))
            >
                <option value="new" selected>"Create a new principal…"</option>
                {list
                    .principals
                    .iter()
                    .map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> })
                    .collect_view()}
            </select>
            <FieldMessage error field="principal" id="st-principal-error"/>
            <Show when=move || principal.get() == "new">
                <label for="st-principal-name">"New principal"</label>
                <input
                    id="st-principal-name"
                    name="principal_name"
                    required
                    maxlength="100"
                    placeholder="e.g. ci-pipeline"
                    aria-describedby="st-principal-name-error"
                    aria-invalid=invalid(error, "principal_name")
                />
                <FieldMessage error field="principal_name" id="st-principal-name-error"/>
                <label for="st-principal-description">"Description"</label>
                <input
                    id="st-principal-description"
                    name="principal_description"
                    maxlength="500"
                    placeholder="What runs with it, and who looks after it"
                    aria-describedby="st-principal-description-error"
                />
                <FieldMessage
                    error
                    field="principal_description"
                    id="st-principal-description-error"
                />
            </Show>
            <label for="st-name">"Name"</label>
            <input
                id="st-name"
                name="name"
                required
                maxlength="100"
                placeholder="e.g. deploy from main"
                aria-describedby="st-name-error"
                aria-invalid=invalid(error, "name")
            />
            <FieldMessage error field="name" id="st-name-error"/>
            <label for="st-preset">"Scope"</label>
            <select
                id="st-preset"
                name="preset"
                aria-describedby="st-preset-error"
                on:change=move |ev| preset.set(event_target_value(&ev))
            >
                <option value="project" selected>"Project"</option>
                <option value="oplog">"Operation log read/write"</option>
            </select>
            <FieldMessage error field="preset" id="st-preset-error"/>
            <Show
                when=move || preset.get() == "project"
                fallback=move || view! { <OplogField list=oplog_list.get_value() error/> }
            >
                <label for="st-project">"Project"</label>
                <select
                    id="st-project"
                    name="project"
                    required
                    aria-describedby="st-project-error"
                    aria-invalid=invalid(error, "project")
                    on:change=move |ev| project.set(event_target_value(&ev))
                >
                    {projects
                        .get_value()
                        .into_iter()
                        .map(|p| {
                            let label = match &p.org {
                                Some((_, org)) => format!("{} ({org})", p.name),
                                None => p.name.clone(),
                            };
                            view! { <option value=p.id.to_string()>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldMessage error field="project" id="st-project-error"/>
                <label for="st-org">"Organization"</label>
                <select
                    id="st-org"
                    name="org"
                    aria-describedby="st-org-hint st-org-error"
                    aria-invalid=invalid(error, "org")
                >
                    <option value="" selected>"None"</option>
                    {orgs
                        .iter()
                        .map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> })
                        .collect_view()}
                </select>
                <p class="hint" id="st-org-hint">
                    "Optional context: the project must belong to this organization."
                </p>
                <FieldMessage error field="org" id="st-org-error"/>
                <fieldset class="flags">
                    <legend>"Permissions (read is always included)"</legend>
                    <FlagBoxes allowed=Signal::derive(held) error id_prefix="st"/>
                    <p class="hint">
                        "Only the permissions you hold on the chosen project can be ticked."
                    </p>
                </fieldset>
            </Show>
            <label for="st-days">"Expires in days"</label>
            <input
                id="st-days"
                name="expires_in_days"
                type="number"
                min="0"
                max=list.policy.max_token_days.to_string()
                required
                prop:value=move || days.get()
                on:input=move |ev| days.set(event_target_value(&ev))
                aria-describedby="st-days-hint st-days-warning st-days-error"
                aria-invalid=invalid(error, "expires_in_days")
            />
            <p class="hint" id="st-days-hint">
                {format!("At most {} days. 0 means the token never expires.", list.policy.max_token_days)}
            </p>
            <p class="warning" id="st-days-warning" role="status" hidden=move || !never()>
                {if list.policy.allow_never_expiring {
                    "This token will never expire. That is not recommended: prefer a lifetime and rotate it."
                } else {
                    "Never-expiring service tokens are not allowed on this installation."
                }}
            </p>
            <FieldMessage error field="expires_in_days" id="st-days-error"/>
            <AllowedIpsField id="st-allowed-ips" error/>
            <FormFooter
                error
                submit="Create service token"
                pending=create.pending()
                on_cancel=move |_| card.form_open.set(false)
            />
        </ActionForm>
    }
    .into_any()
}

/// The target of the Operation log read/write preset.
#[component]
fn OplogField(list: ServiceTokenList, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <label for="st-oplog">"Operation log"</label>
        <select
            id="st-oplog"
            name="oplog"
            required
            aria-describedby="st-oplog-error"
            aria-invalid=invalid(error, "oplog")
        >
            {list
                .oplogs
                .into_iter()
                .map(|o| {
                    view! { <option value=o.id.to_string()>{format!("{} ({})", o.name, o.project)}</option> }
                })
                .collect_view()}
        </select>
        <FieldMessage error field="oplog" id="st-oplog-error"/>
    }
}
