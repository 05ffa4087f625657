//! The message shown next to a form field when the server rejected its value.

use leptos::prelude::*;

use crate::error::AppError;

/// Renders the error for `field` (if the last result was one) with id `id`, which the input
/// references through `aria-describedby`.
#[component]
pub fn FieldMessage(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
    id: &'static str,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.for_field(field));
    view! {
        <p class="field-error" id=id role="alert" hidden=move || message().is_none()>
            {message}
        </p>
    }
}

/// Whether `error` is about `field`, for `aria-invalid`.
pub fn invalid(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> &'static str {
    move || {
        if error.get().is_some_and(|e| e.for_field(field).is_some()) {
            "true"
        } else {
            "false"
        }
    }
}
