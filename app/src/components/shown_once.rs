//! A freshly minted token value: a read-only field named "Token value", a Copy button and
//! the warning that it will not be shown again.

use leptos::prelude::*;

use super::{deferred, use_hydrated};

#[cfg(feature = "hydrate")]
mod clipboard {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        // web-sys exposes the async Clipboard API only behind an unstable cfg.
        #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText, catch)]
        fn write_text(text: &str) -> Result<js_sys::Promise, JsValue>;
    }

    /// Copies `text`; `false` when the browser refused (no permission, insecure context).
    pub async fn copy(text: &str) -> bool {
        match write_text(text) {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
            Err(_) => false,
        }
    }
}

#[component]
pub fn ShownOnce(
    /// `id` of the text field (unique on the page).
    id: &'static str,
    #[prop(into)] heading: Signal<String>,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_dismiss: Callback<()>,
) -> impl IntoView {
    deferred(move || shown_once(id, heading, value, on_dismiss))
}

/// The value and its Copy button (a separate chunk: see `deferred`).
#[lazy]
fn shown_once(
    id: &'static str,
    heading: Signal<String>,
    value: Signal<String>,
    on_dismiss: Callback<()>,
) -> AnyView {
    let hydrated = use_hydrated();
    let (status, set_status) = signal(String::new());
    let copy = move |_| {
        let text = value.get_untracked();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            set_status.set(if clipboard::copy(&text).await {
                "Copied to the clipboard.".into()
            } else {
                "Could not copy: select the value and copy it by hand.".into()
            });
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, set_status);
    };
    view! {
        <section class="shown-once" aria-live="polite">
            <h3>{heading}</h3>
            <p class="warning">
                "Copy this token now. For your security it will not be shown again."
            </p>
            <div class="copy-row">
                <label for=id>"Token value"</label>
                <input
                    id=id
                    type="text"
                    readonly
                    spellcheck="false"
                    autocomplete="off"
                    prop:value=move || value.get()
                    on:focus=move |ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(input) = ev
                                .target()
                                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                            {
                                input.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                />
                <button type="button" on:click=copy disabled=move || !hydrated.get()>
                    "Copy"
                </button>
            </div>
            <p class="status" role="status">{status}</p>
            <button type="button" class="secondary" on:click=move |_| on_dismiss.run(())>
                "Done"
            </button>
        </section>
    }
    .into_any()
}
