//! The three project flags as checkboxes (read is always included), for the service-token
//! form and the admin grant form. Each is named by its words and its contract name, e.g.
//! "Change configs can_change_configs", and submits as `name=on` when ticked.

use keyward_core::Permissions;
use leptos::prelude::*;

use super::FieldMessage;
use crate::error::AppError;

/// Field name and words of each flag.
const FLAGS: [(&str, &str); 3] = [
    ("can_change_configs", "Change configs"),
    ("can_change_secrets", "Change secrets"),
    ("can_delete_project", "Delete project"),
];

fn holds(p: Permissions, flag: &str) -> bool {
    match flag {
        "can_change_configs" => p.can_change_configs,
        "can_change_secrets" => p.can_change_secrets,
        "can_delete_project" => p.can_delete_project,
        _ => false,
    }
}

/// `allowed`: the flags that may be ticked (the others are disabled). `id_prefix` keeps the
/// ids of the error messages unique on a page with several of these.
#[component]
pub fn FlagBoxes(
    #[prop(into)] allowed: Signal<Permissions>,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(into)] id_prefix: String,
) -> impl IntoView {
    FLAGS
        .into_iter()
        .map(|(flag, words)| {
            let error_id = format!("{id_prefix}-{flag}-error");
            view! {
                <label class="toggle">
                    <input
                        type="checkbox"
                        name=flag
                        disabled=move || !holds(allowed.get(), flag)
                        aria-describedby=error_id.clone()
                    />
                    {words} " " <code>{flag}</code>
                </label>
                <FieldMessage error field=flag id=error_id/>
            }
        })
        .collect_view()
}
