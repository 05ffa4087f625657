//! Manage MFA Settings: enrol an authenticator app (QR code and the secret in text,
//! confirmed with a code), see the one-time recovery codes once, or turn MFA off with a code.

use crate::components::effect;
use leptos::prelude::*;

use crate::components::{FormFooter, Keeper, TextField, deferred, keeper, kept, use_sudo};
use crate::pages::account::ActionDialog;
use crate::pages::profile::ProfileData;
use crate::rpc::account::{BeginMfa, DisableMfa, EnableMfa};

/// The field every step asks for (the sign-in page uses the same name).
#[component]
fn CodeField(id: &'static str, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    view! {
        <TextField id label="Authentication code" name="code" autocomplete="one-time-code" error/>
    }
}

#[component]
pub fn MfaAction(data: ProfileData) -> impl IntoView {
    let (open, notice) = (RwSignal::new(false), RwSignal::new(None));
    let keeper = keeper();
    view! {
        <ActionDialog title="Manage MFA Settings" open notice>
            {deferred(move || mfa_body(keeper, data, open, notice))}
        </ActionDialog>
    }
}

/// The three steps: start enrolling, confirm it with a code, turn MFA off.
#[derive(Clone, Copy)]
struct MfaSteps {
    begin: ServerAction<BeginMfa>,
    enable: ServerAction<EnableMfa>,
    disable: ServerAction<DisableMfa>,
}

impl MfaSteps {
    /// Made once per page (see `kept`): a reply that comes after the dialog was closed
    /// still refreshes the profile, says so (Disable) or shows the recovery codes (Enable).
    fn new(data: ProfileData, open: RwSignal<bool>, notice: RwSignal<Option<String>>) -> Self {
        let (begin, enable, disable) = (
            ServerAction::<BeginMfa>::new(),
            ServerAction::<EnableMfa>::new(),
            ServerAction::<DisableMfa>::new(),
        );
        use_sudo(begin);
        use_sudo(enable);
        use_sudo(disable);
        effect(move || {
            if let Some(Ok(_)) = enable.value().get() {
                data.refresh();
                // The recovery codes are shown once: a reply that comes after the dialog was
                // closed opens it again to show them.
                open.set(true);
            }
        });
        effect(move || {
            if let Some(Ok(())) = disable.value().get() {
                open.set(false);
                notice.set(Some(
                    "MFA is off. Signing in takes only your password now.".into(),
                ));
                data.refresh();
            }
        });
        MfaSteps {
            begin,
            enable,
            disable,
        }
    }
}

/// The dialog's steps (a separate chunk: see `deferred`).
#[lazy]
fn mfa_body(
    keeper: Keeper,
    data: ProfileData,
    open: RwSignal<bool>,
    notice: RwSignal<Option<String>>,
) -> AnyView {
    let steps = kept(keeper, || MfaSteps::new(data, open, notice));
    let MfaSteps {
        begin,
        enable,
        disable,
    } = steps;
    // Each opening starts from what the profile says, not from the last attempt; only
    // recovery codes not yet acknowledged with Done stay.
    begin.value().set(None);
    disable.value().set(None);
    if !enable.value().with_untracked(|v| matches!(v, Some(Ok(_)))) {
        enable.value().set(None);
    }
    let enrolment = move || begin.value().get().and_then(Result::ok);
    let codes = move || enable.value().get().and_then(Result::ok);
    let enable_error = Signal::derive(move || enable.value().get().and_then(Result::err));
    let disable_error = Signal::derive(move || disable.value().get().and_then(Result::err));
    let begin_error = move || {
        begin
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let close = move || open.set(false);
    let mfa_on = move || {
        data.current()
            .and_then(|p| p.own)
            .map(|o| (o.mfa_enabled, o.recovery_codes_left))
    };

    let recovery_view = move |codes: Vec<String>| {
        let text = codes.join("\n");
        view! {
            <p class="notice" role="status">"MFA is on. From now on, signing in asks for a code from your app."</p>
            <p class="warning">
                "Save these recovery codes now: each signs you in once if you lose your app, and they will not be shown again."
            </p>
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <label for="mfa-codes-text" class="sr-only">"Recovery codes as text"</label>
            <textarea id="mfa-codes-text" readonly rows="3" class="sr-only">{text}</textarea>
            <div class="buttons">
                <button
                    type="button"
                    on:click=move |_| {
                        enable.value().set(None);
                        close();
                    }
                >
                    "Done"
                </button>
            </div>
        }
    };
    let enrol_view = move |e: crate::types::MfaEnrolment| {
        view! {
            <ol class="steps">
                <li>"Scan this QR code with your authenticator app."</li>
            </ol>
            <img class="qr" src=e.qr_data_uri alt="QR code for your authenticator app" width="200" height="200"/>
            <p class="hint">
                "Cannot scan it? Enter this secret key in the app instead: "
                <code class="secret">{e.secret.clone()}</code>
            </p>
            <div class="form">
                <label for="mfa-secret">"Secret key"</label>
                <input id="mfa-secret" type="text" readonly value=e.secret class="mono"/>
            </div>
            <ActionForm action=enable attr:class="form">
                <CodeField id="mfa-enable-code" error=enable_error/>
                <p class="hint">"Enter the 6-digit code your app now shows, to confirm."</p>
                <FormFooter error=enable_error submit="Enable MFA" pending=enable.pending() on_cancel=move |_| close()/>
            </ActionForm>
        }
    };
    let on_view = move |left: i64| {
        view! {
            <p>
                "MFA is on: signing in asks for a code from your authenticator app. "
                {format!("{left} of 10 recovery codes left.")}
            </p>
            <ActionForm action=disable attr:class="form">
                <CodeField id="mfa-disable-code" error=disable_error/>
                <p class="hint">"To turn MFA off, enter a current code (or a recovery code)."</p>
                <FormFooter error=disable_error submit="Disable MFA" pending=disable.pending() on_cancel=move |_| close()/>
            </ActionForm>
        }
    };
    let off_view = move || {
        view! {
            <p>"MFA is off. With it on, signing in also asks for a code from an authenticator app on your phone."</p>
            <p class="form-error" role="alert" hidden=move || begin_error().is_none()>{begin_error}</p>
            <div class="buttons">
                <button type="button" on:click=move |_| { begin.dispatch(BeginMfa {}); }>
                    "Set up authenticator app"
                </button>
                <button type="button" class="secondary" on:click=move |_| close()>"Cancel"</button>
            </div>
        }
    };
    (move || {
        if let Some(codes) = codes() {
            recovery_view(codes).into_any()
        } else {
            match (mfa_on(), enrolment()) {
                (Some((true, left)), _) => on_view(left).into_any(),
                (Some((false, _)), Some(e)) => enrol_view(e).into_any(),
                (Some((false, _)), None) => off_view().into_any(),
                (None, _) => view! { <p>"Loading…"</p> }.into_any(),
            }
        }
    })
    .into_any()
}
