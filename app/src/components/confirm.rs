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
    /// Above every other dialog (Confirm access, which a change made in another dialog
    /// opens): the order of the document cannot say which is on top, as a part of the page
    /// holding a dialog may be drawn again after the refusal, with its dialog later.
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
    on_cleanup(move || escape.remove());
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
            <WhileOpen open/>
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

/// Drawn with the dialog, and dropped with it however it closes (Escape, a button, an
/// Effect after a saved change, the part of the page holding it gone): the rest of the page
/// (`#page`) is inert and hidden from assistive technology while any dialog is open
/// (Confirm access opens over another one), and the focus goes back to the control that
/// opened the dialog when it closes: at once, and again if the table holding that control
/// is drawn again (see `refocus`).
#[component]
fn WhileOpen(open: Signal<bool>) -> impl IntoView {
    // Taken before the dialog takes the focus.
    let opener = super::refocus::focused_id();
    count_open(true);
    on_cleanup(move || {
        count_open(false);
        // Closed, rather than dropped while open with the page around it.
        if open.try_get_untracked() == Some(false)
            && let Some(id) = &opener
        {
            super::refocus::keep(id);
        }
    });
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
