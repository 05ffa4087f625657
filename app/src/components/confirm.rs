//! A modal dialog. While it is open, the rest of the page is taken out of the accessibility
//! tree (`aria-hidden` + `inert` on the page root), as a native modal would do, so a screen
//! reader or a test finding buttons by role sees only the dialog. Escape closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::portal::Portal;
use leptos::prelude::*;

/// `open` controls visibility; `on_close` runs on Escape and on the backdrop.
#[component]
pub fn Modal(
    open: Signal<bool>,
    title: &'static str,
    #[prop(into)] on_close: Callback<()>,
    /// Above every other dialog (Confirm access, which a change made in another dialog
    /// opens): a token table drawn again after the refusal makes its dialogs again, later
    /// in the document, so the order of the document cannot say which is on top.
    #[prop(optional)]
    on_top: bool,
    children: ChildrenFn,
) -> impl IntoView {
    // Escape closes the dialog wherever the focus is (a button that removed itself leaves
    // it on the body), as a native modal would.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.get_untracked() && ev.key() == "Escape" {
            on_close.run(());
        }
    });
    // Whether this dialog is counted as open (see below): one dropped while open, with the
    // part of the page that held it, is counted out.
    let counted = Arc::new(AtomicBool::new(false));
    on_cleanup({
        let counted = Arc::clone(&counted);
        move || {
            escape.remove();
            if counted.swap(false, Ordering::Relaxed) {
                count_open(false);
            }
        }
    });
    // Focus goes back to the control that opened the dialog when it closes: at once, and
    // again if the table holding it is drawn again (see `refocus`).
    let opener = StoredValue::new(None::<String>);
    //
    // The rest of the page (`#page`) is inert and hidden from assistive technology while
    // any dialog is open (Confirm access opens over another one). Counted on opening and
    // closing only: a dialog that is made closed (the token tables make theirs again with
    // each redrawing) leaves the page as it is.
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if is_open && was_open != Some(true) {
            opener.set_value(super::refocus::focused_id());
            if !counted.swap(true, Ordering::Relaxed) {
                count_open(true);
            }
        } else if !is_open && was_open == Some(true) {
            if counted.swap(false, Ordering::Relaxed) {
                count_open(false);
            }
            if let Some(id) = opener.get_value() {
                super::refocus::keep(&id);
            }
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
            <div class="backdrop" class:on-top=on_top on:click=move |_| on_close.run(())></div>
            <div
                class="dialog"
                class:on-top=on_top
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

#[cfg(feature = "hydrate")]
thread_local! {
    /// How many dialogs are open now.
    static OPEN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// One more dialog open (`true`) or one fewer: `#page` is inert while any is.
fn count_open(opened: bool) {
    #[cfg(feature = "hydrate")]
    {
        let open = OPEN.with(|n| {
            n.set(if opened {
                n.get() + 1
            } else {
                n.get().saturating_sub(1)
            });
            n.get()
        });
        set_page_inert(open > 0);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = opened;
}

/// Makes `#page` inert and hidden from assistive technology (`true`), or live again.
#[cfg(feature = "hydrate")]
fn set_page_inert(inert: bool) {
    if let Some(root) = document().get_element_by_id("page") {
        if inert {
            let _ = root.set_attribute("aria-hidden", "true");
            let _ = root.set_attribute("inert", "");
        } else {
            let _ = root.remove_attribute("aria-hidden");
            let _ = root.remove_attribute("inert");
        }
    }
}
