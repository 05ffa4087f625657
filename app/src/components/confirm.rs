//! A modal dialog. While it is open, the rest of the page is taken out of the accessibility
//! tree (`aria-hidden` + `inert` on the page root), as a native modal would do, so a screen
//! reader or a test finding buttons by role sees only the dialog. Escape closes it.

use leptos::portal::Portal;
use leptos::prelude::*;

/// `open` controls visibility; `on_close` runs on Escape and on the backdrop.
#[component]
pub fn Modal(
    open: Signal<bool>,
    title: &'static str,
    #[prop(into)] on_close: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(root) = document().get_element_by_id("page") {
            if open.get() {
                let _ = root.set_attribute("aria-hidden", "true");
                let _ = root.set_attribute("inert", "");
            } else {
                let _ = root.remove_attribute("aria-hidden");
                let _ = root.remove_attribute("inert");
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = open.get();
    });
    // Escape closes the dialog wherever the focus is (a button that removed itself leaves
    // it on the body), as a native modal would.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.get_untracked() && ev.key() == "Escape" {
            on_close.run(());
        }
    });
    on_cleanup(move || escape.remove());
    // Focus goes back to the control that opened the dialog when it closes: at once, and
    // again if the table holding it is drawn again (see `refocus`).
    let opener = StoredValue::new(None::<String>);
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if is_open && was_open != Some(true) {
            opener.set_value(super::refocus::focused_id());
        } else if !is_open
            && was_open == Some(true)
            && let Some(id) = opener.get_value()
        {
            super::refocus::keep(&id);
        }
        is_open
    });
    // Focus moves into the dialog when it opens, so keyboard users start there.
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            let _ = el.focus();
        }
    });
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            // Outside `#page`, which is hidden from assistive technology while this is open.
            <Portal>
            <div class="backdrop" on:click=move |_| on_close.run(())></div>
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-label=title
                tabindex="-1"
                node_ref=dialog
            >
                <h2>{title}</h2>
                {children.with_value(|c| c())}
            </div>
            </Portal>
        </Show>
    }
}
