//! The account actions of the own profile, each a button that opens its dialog: Change
//! Password, Update Personal Information, Manage Email(s) and Update Avatar (Manage MFA
//! Settings is in `mfa`). A successful change refreshes the profile's data.

use crate::components::effect;
use keyward_core::profile::{AvatarRefusal, timezones};
use leptos::prelude::*;

use crate::components::field::invalid;
use crate::components::sudo::kept_action;
use crate::components::{
    FieldMessage, FormFooter, Keeper, Modal, TextField, deferred, keeper, kept, use_hydrated,
    use_sudo,
};
use crate::error::AppError;
use crate::pages::profile::ProfileData;
use crate::rpc::account::{
    AddEmail, MakePrimaryEmail, RemoveAvatar, RemoveEmail, UpdatePersonalInfo,
};
use crate::rpc::sessions::ChangePassword;
use crate::types::{EmailView, ProfileView};

/// An action's button, the notice shown after it succeeded, and its dialog. Opening it
/// clears the notice.
///
/// The dialog's body (`children`) is a `#[lazy]` function (see `deferred`). It makes its
/// actions, and what happens on their success, with `kept` under the caller's `Keeper`, so
/// a reply that comes after the dialog was closed is still shown; at each opening it
/// forgets their last results.
#[component]
pub fn ActionDialog(
    title: &'static str,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
    children: ChildrenFn,
) -> impl IntoView {
    let hydrated = use_hydrated();
    view! {
        // The id brings the focus back here when the dialog closes (see `refocus`).
        <button
            type="button"
            class="secondary"
            id=crate::components::refocus::slug(title)
            disabled=move || !hydrated.get()
            on:click=move |_| {
                notice.set(None);
                open.set(true);
            }
        >
            {title}
        </button>
        <p class="notice" role="status" hidden=move || notice.get().is_none()>
            {move || notice.get()}
        </p>
        <Modal open=Signal::derive(move || open.get()) title on_close=move |_| open.set(false)>
            {children()}
        </Modal>
    }
}

/// A dialog's one action, made once per page under `keeper` (see `kept`), with the Confirm
/// access retry when `sudo`: each time it succeeds it closes the dialog, shows `text` in
/// `notice` and runs `then`. Its last result is forgotten at each opening (the body calls
/// this then).
fn dialog_action<A>(
    keeper: Keeper,
    sudo: bool,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
    text: &'static str,
    then: impl Fn() + 'static,
) -> ServerAction<A>
where
    A: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    kept_action(keeper, sudo, move |answer| {
        if answer.is_ok() {
            open.set(false);
            notice.set(Some(text.to_string()));
            then();
        }
    })
}

#[component]
pub fn ChangePasswordAction() -> impl IntoView {
    let (open, notice) = (RwSignal::new(false), RwSignal::new(None));
    let keeper = keeper();
    view! {
        <ActionDialog title="Change Password" open notice>
            {deferred(move || change_password_form(keeper, open, notice))}
        </ActionDialog>
    }
}

#[lazy]
fn change_password_form(
    keeper: Keeper,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
) -> AnyView {
    let action = dialog_action::<ChangePassword>(
        keeper,
        true,
        open,
        notice,
        "Your password was changed. Your other sessions were signed out.",
        || (),
    );
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <ActionForm action=action attr:class="form">
            <TextField id="cp-current" label="Current password" name="current_password"
                kind="password" autocomplete="current-password" error/>
            <TextField id="cp-new" label="New password" name="new_password"
                kind="password" autocomplete="new-password" error/>
            <TextField id="cp-confirm" label="Confirm password" name="confirm_password"
                kind="password" autocomplete="new-password" error/>
            <p class="hint">"At least 12 characters, and not your username."</p>
            <FormFooter
                error
                submit="Save password"
                pending=action.pending()
                on_cancel=move |_| open.set(false)
            />
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn PersonalInfoAction(data: ProfileData) -> impl IntoView {
    let (open, notice) = (RwSignal::new(false), RwSignal::new(None));
    let keeper = keeper();
    view! {
        <ActionDialog title="Update Personal Information" open notice>
            {deferred(move || personal_info_form(keeper, data, open, notice))}
        </ActionDialog>
    }
}

#[lazy]
fn personal_info_form(
    keeper: Keeper,
    data: ProfileData,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
) -> AnyView {
    let action = dialog_action::<UpdatePersonalInfo>(
        keeper,
        false,
        open,
        notice,
        "Your personal information was saved.",
        move || data.refresh(),
    );
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let form = move |p: ProfileView| {
        let current_tz = p.timezone.clone();
        view! {
            <ActionForm action=action attr:class="form">
                <TextField id="pi-name" label="Display name" name="display_name"
                    value=p.display_name autocomplete="name" error/>
                <TextField id="pi-phone" label="Phone" name="phone" kind="tel"
                    value=p.phone.unwrap_or_default() autocomplete="tel" required=false error/>
                <label for="pi-timezone">"Timezone"</label>
                <select
                    id="pi-timezone"
                    name="timezone"
                    aria-describedby="pi-timezone-error"
                    aria-invalid=invalid(error, "timezone")
                >
                    {timezones()
                        .map(|tz| view! { <option value=tz selected=tz == current_tz>{tz}</option> })
                        .collect_view()}
                </select>
                <FieldMessage error field="timezone" id="pi-timezone-error"/>
                <FormFooter error submit="Save" pending=action.pending() on_cancel=move |_| open.set(false)/>
            </ActionForm>
        }
    };
    (move || data.current().map(form)).into_any()
}

#[component]
pub fn EmailsAction(data: ProfileData) -> impl IntoView {
    let open = RwSignal::new(false);
    let keeper = keeper();
    view! {
        <ActionDialog title="Manage Email(s)" open notice=RwSignal::new(None)>
            {deferred(move || emails_form(keeper, data, open))}
        </ActionDialog>
    }
}

/// The three changes of Manage Email(s).
#[derive(Clone, Copy)]
struct EmailActions {
    add: ServerAction<AddEmail>,
    remove: ServerAction<RemoveEmail>,
    primary: ServerAction<MakePrimaryEmail>,
}

impl EmailActions {
    fn new(data: ProfileData) -> Self {
        let (add, remove, primary) = (
            ServerAction::<AddEmail>::new(),
            ServerAction::<RemoveEmail>::new(),
            ServerAction::<MakePrimaryEmail>::new(),
        );
        use_sudo(add);
        use_sudo(remove);
        use_sudo(primary);
        // Every change reloads the list; the dialog stays open for the next one.
        effect(move || {
            let ok = |r: Option<Result<(), AppError>>| r.is_some_and(|r| r.is_ok());
            if ok(add.value().get()) || ok(remove.value().get()) || ok(primary.value().get()) {
                data.refresh();
            }
        });
        EmailActions {
            add,
            remove,
            primary,
        }
    }

    /// Forgets the last results (and their errors).
    fn reset(self) {
        self.add.value().set(None);
        self.remove.value().set(None);
        self.primary.value().set(None);
    }
}

#[lazy]
fn emails_form(keeper: Keeper, data: ProfileData, open: RwSignal<bool>) -> AnyView {
    let actions = kept(keeper, || EmailActions::new(data));
    actions.reset();
    let EmailActions {
        add,
        remove,
        primary,
    } = actions;
    // The field starts empty again after each address added.
    let add_form = NodeRef::<leptos::html::Form>::new();
    effect(move || {
        if let (Some(Ok(())), Some(form)) = (add.value().get(), add_form.get_untracked()) {
            form.reset();
        }
    });
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    let list_error = move || {
        [remove.value().get(), primary.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .map(|e| e.to_string())
    };
    let reset = move || actions.reset();
    let row = move |e: EmailView| {
        let (id, address) = (e.id, e.email.clone());
        view! {
            <li>
                <span class="email">{e.email.clone()}</span>
                {e.primary.then(|| view! { <span class="badge">"Primary"</span> })}
                {(!e.primary).then(|| view! {
                    <button
                        type="button"
                        class="secondary"
                        aria-label=format!("Make primary {address}")
                        on:click=move |_| {
                            reset();
                            primary.dispatch(MakePrimaryEmail { id });
                        }
                    >
                        "Make primary"
                    </button>
                    <button
                        type="button"
                        class="danger"
                        aria-label=format!("Remove {}", e.email)
                        on:click=move |_| {
                            reset();
                            remove.dispatch(RemoveEmail { id });
                        }
                    >
                        "Remove"
                    </button>
                })}
            </li>
        }
    };
    view! {
            <p class="hint">
                "Your primary address is the one shown on your profile. Every address is yours alone: no two accounts share one."
            </p>
            <ul class="plain-list email-list" aria-label="Your addresses">
                {move || {
                    data.current()
                        .and_then(|p| p.own)
                        .map(|own| own.emails.into_iter().map(row).collect_view())
                }}
            </ul>
            <p class="form-error" role="alert" hidden=move || list_error().is_none()>{list_error}</p>
            <ActionForm action=add node_ref=add_form attr:class="form">
                <TextField id="em-new" label="Email address" name="email" kind="email"
                    autocomplete="email" error=add_error/>
                <div class="buttons">
                    <button type="submit" disabled=move || add.pending().get()>"Add email"</button>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>
                        "Close"
                    </button>
                </div>
            </ActionForm>
    }
    .into_any()
}

/// Update Avatar: a plain multipart form post to the server, which answers with a redirect
/// (to `/profile/avatar?error=CODE` when the image was refused, reopening this dialog).
#[component]
pub fn AvatarAction(data: ProfileData, #[prop(into)] opened_by_url: Signal<bool>) -> impl IntoView {
    let (open, notice) = (RwSignal::new(false), RwSignal::new(None));
    let query = leptos_router::hooks::use_query_map();
    let uploaded = move || query.with(|q| q.get("avatar").is_some_and(|v| v == "updated"));
    // `/profile/avatar` (the avatar's link, and the way back after a refusal) opens the
    // dialog once the page runs in the browser.
    effect(move || {
        if opened_by_url.get() {
            open.set(true);
        }
    });
    effect(move || {
        if uploaded() {
            notice.set(Some("Your new avatar is saved.".into()));
        }
    });
    let keeper = keeper();
    view! {
        <ActionDialog title="Update Avatar" open notice>
            {deferred(move || avatar_form(keeper, data, open, notice))}
        </ActionDialog>
    }
}

#[lazy]
fn avatar_form(
    keeper: Keeper,
    data: ProfileData,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
) -> AnyView {
    let remove = dialog_action::<RemoveAvatar>(
        keeper,
        false,
        open,
        notice,
        "Your avatar was removed.",
        move || data.refresh(),
    );
    let query = leptos_router::hooks::use_query_map();
    let refusal = move || {
        query
            .with(|q| q.get("error"))
            .and_then(|c| AvatarRefusal::from_code(&c))
    };
    let error_text = move || refusal().map(|r| r.to_string());
    view! {
            {move || data.current().and_then(|p| p.avatar_url).map(|src| view! {
                <img class="avatar avatar-preview" src=src alt="Your current avatar"/>
            })}
            <form class="form" method="post" action="/account/avatar" enctype="multipart/form-data">
                <label for="av-file">"Image file"</label>
                <input
                    id="av-file"
                    name="avatar"
                    type="file"
                    accept="image/png,image/jpeg,image/webp"
                    required
                    aria-describedby="av-hint av-error"
                    aria-invalid=move || if refusal().is_some() { "true" } else { "false" }
                />
                <p class="hint" id="av-hint">
                    "PNG, JPEG or WebP, up to 2 MiB. It is cropped to a square and scaled to 256 × 256 pixels."
                </p>
                <p class="field-error" id="av-error" role="alert" hidden=move || error_text().is_none()>
                    {error_text}
                </p>
                <div class="buttons">
                    <button type="submit">"Upload avatar"</button>
                    {move || data.current().and_then(|p| p.avatar_url).map(|_| view! {
                        <button
                            type="button"
                            class="danger"
                            on:click=move |_| {
                                remove.dispatch(RemoveAvatar {});
                            }
                        >
                            "Remove avatar"
                        </button>
                    })}
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>
                        "Cancel"
                    </button>
                </div>
            </form>
    }
    .into_any()
}
