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
    let number = move |id: &'static str, key: Key, value: String| {
        view! { <TextField id label=key.label() name=key.as_str() kind="number" error value/> }
    };
    let never = Key::AllowNeverExpiring;
    view! {
        <ActionForm action=save attr:class="card form" attr:aria-label="Token settings">
            <h2>"Token lifetime"</h2>
            <p class="muted">
                {format!(
                    "Applies to new API and service tokens and to new expiration dates, from the \
                     next request on (at most {MAX_LIFETIME_DAYS} days). Existing tokens keep \
                     their dates; those beyond a new maximum are marked “Beyond policy”."
                )}
            </p>
            {number("st-max-days", Key::MaxTokenDays, settings.get(Key::MaxTokenDays))}
            {number(
                "st-default-days",
                Key::DefaultApiTokenDays,
                settings.get(Key::DefaultApiTokenDays),
            )}
            <label class="toggle">
                <input
                    type="checkbox"
                    name=never.as_str()
                    checked=settings.policy.allow_never_expiring
                    aria-describedby="st-never-error"
                />
                {never.label()}
            </label>
            <FieldMessage error field=never.as_str() id="st-never-error"/>
            <h2>"Rotation and notices"</h2>
            {number(
                "st-grace",
                Key::MaxRotationGraceMinutes,
                settings.get(Key::MaxRotationGraceMinutes),
            )}
            <p class="muted">
                {format!(
                    "How long an old value may keep working after a rotation: 0 to \
                     {MAX_GRACE_MINUTES} minutes (0: it stops at once)."
                )}
            </p>
            <TextField
                id="st-webhook"
                label=Key::ExpiryWebhookUrl.label()
                name=Key::ExpiryWebhookUrl.as_str()
                kind="url"
                required=false
                error
                value=settings.expiry_webhook_url.clone().unwrap_or_default()
            />
            <p class="muted">
                "Expiry notices (7 days and 1 day before a token expires) are POSTed here, \
                 signed in the Keyward-Signature header with the secret that \
                 `keyward admin webhook-secret` prints. Leave empty for none."
            </p>
            <p class="form-error" role="alert" hidden=move || form_error().is_none()>{form_error}</p>
            <p class="status" role="status">{move || saved().then_some("Settings saved.")}</p>
            <button type="submit" disabled=move || !hydrated.get() || save.pending().get()>
                "Save"
            </button>
        </ActionForm>
    }
}
