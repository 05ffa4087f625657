//! The message shown next to a form field when the server rejected its value.

use leptos::prelude::*;

use crate::error::AppError;

/// Renders the error for `field` (if the last result was one) with id `id`, which the input
/// references through `aria-describedby`.
#[component]
pub fn FieldMessage(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
    #[prop(into)] id: String,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| e.for_field(field));
    view! {
        <p class="field-error" id=id role="alert" hidden=move || message().is_none()>
            {message}
        </p>
    }
}

/// A labelled input with its hint (if any) and its error message (`value` pre-fills it);
/// the input names both in `aria-describedby`.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = true)] required: bool,
    #[prop(optional, into)] value: String,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] hint: Option<String>,
    /// The range of a number field.
    #[prop(optional)]
    min: Option<u32>,
    #[prop(optional)] max: Option<u32>,
) -> impl IntoView {
    let (hint_id, error_id) = (format!("{id}-hint"), format!("{id}-error"));
    let described_by = match hint {
        Some(_) => format!("{hint_id} {error_id}"),
        None => error_id.clone(),
    };
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name=name
            type=kind
            required=required
            value=value
            autocomplete=autocomplete
            min=min
            max=max
            aria-describedby=described_by
            aria-invalid=invalid(error, name)
        />
        {hint.map(|text| view! { <p class="hint" id=hint_id>{text}</p> })}
        <FieldMessage error field=name id=error_id/>
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

/// The end of a form: the message for errors not tied to one field, then submit and Cancel.
#[component]
pub fn FormFooter(
    #[prop(into)] error: Signal<Option<AppError>>,
    submit: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    let form_error = move || error.get().and_then(|e| e.form_message());
    view! {
        <p class="form-error" role="alert" hidden=move || form_error().is_none()>
            {form_error}
        </p>
        <div class="buttons">
            <button type="submit" disabled=move || pending.get()>{submit}</button>
            <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
        </div>
    }
}
