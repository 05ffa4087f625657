//! `/admin/settings`: the token lifetime policy and the expiry webhook (the same settings as
//! `keyward admin settings`). Saving checks every field before storing any; a refused value
//! is named next to its field, and the form keeps what was typed.

use keyward_core::policy::{Key, MAX_GRACE_MINUTES, MAX_LIFETIME_DAYS, Settings};
use leptos::prelude::*;

use crate::components::{FieldMessage, TextField, use_hydrated, use_sudo};
use crate::rpc::admin::AdminSaveSettings;

#[component]
pub fn SettingsForm(settings: Settings) -> impl IntoView {
    let save = ServerAction::<AdminSaveSettings>::new();
    use_sudo(save);
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let hydrated = use_hydrated();
    let form_error = move || error.get().and_then(|e| e.form_message());
    let webhook = settings.expiry_webhook_url.clone().unwrap_or_default();
    let never_allowed = settings.policy.allow_never_expiring;
    let number = move |id: &'static str, key: Key, (min, max): (u32, u32), hint: String| {
        let value = settings.get(key);
        view! {
            <TextField id label=key.label() name=key.as_str() kind="number" error value min max hint/>
        }
    };
    let never = Key::AllowNeverExpiring;
    view! {
        // novalidate: the fields state their range (min, max, hint), and the server names a
        // value out of it next to its field, in words, instead of the browser's bubble.
        <ActionForm
            action=save
            attr:class="card form"
            attr:aria-label="Token settings"
            attr:novalidate=true
        >
            <h2>"Token lifetime"</h2>
            <p class="muted">
                {format!(
                    "Applies to new API and service tokens and to new expiration dates, from the \
                     next request on (at most {MAX_LIFETIME_DAYS} days). Existing tokens keep \
                     their dates; those beyond a new maximum are marked “Beyond policy”."
                )}
            </p>
            {number(
                "st-max-days",
                Key::MaxTokenDays,
                (1, MAX_LIFETIME_DAYS),
                format!("1 to {MAX_LIFETIME_DAYS} days."),
            )}
            {number(
                "st-default-days",
                Key::DefaultApiTokenDays,
                (1, MAX_LIFETIME_DAYS),
                "What the New API token form proposes; at most the maximum.".to_string(),
            )}
            <label class="toggle">
                <input
                    type="checkbox"
                    name=never.as_str()
                    checked=never_allowed
                    aria-describedby="st-never-error"
                />
                {never.label()}
            </label>
            <FieldMessage error field=never.as_str() id="st-never-error"/>
            <h2>"Rotation and notices"</h2>
            {number(
                "st-grace",
                Key::MaxRotationGraceMinutes,
                (0, MAX_GRACE_MINUTES),
                format!(
                    "How long an old value may keep working after a rotation: 0 to \
                     {MAX_GRACE_MINUTES} minutes (0: it stops at once)."
                ),
            )}
            <TextField
                id="st-webhook"
                label=Key::ExpiryWebhookUrl.label()
                name=Key::ExpiryWebhookUrl.as_str()
                kind="url"
                required=false
                error
                value=webhook
                hint="Expiry notices (7 days and 1 day before a token expires) are POSTed here, \
                      signed in the Keyward-Signature header with the secret that \
                      `keyward admin webhook-secret` prints. Leave empty for none."
            />
            <p class="form-error" role="alert" hidden=move || form_error().is_none()>{form_error}</p>
            <p class="status" role="status">{move || saved().then_some("Settings saved.")}</p>
            <button type="submit" disabled=move || !hydrated.get() || save.pending().get()>
                "Save"
            </button>
        </ActionForm>
    }
}
