//! A modal dialog. While it is open, the rest of the page is taken out of the accessibility
//! tree (`aria-hidden` + `inert` on the page root), as a native modal would do, so a screen
//! reader or a test finding buttons by role sees only the dialog. Escape closes it.

use super::effect;
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
    // it on the body), as a native modal would: the one on top only (Confirm access over
    // the dialog whose change asked for it closes alone, and what was typed there stays).
    let id = next_id();
    // (Marked handled: closing it may take it off the stack at once, and the dialog under
    // it, whose listener may come next for the same key, is then on top.)
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.get_untracked() && ev.key() == "Escape" && !ev.default_prevented() && on_top_now(id)
        {
            ev.prevent_default();
            on_close.run(());
        }
    });
    on_cleanup(move || escape.remove());
    // Focus moves into the dialog when it opens, so keyboard users start there.
    let dialog = NodeRef::<leptos::html::Div>::new();
    effect(move || {
        if let Some(el) = dialog.get() {
            let _ = el.focus();
        }
    });
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <WhileOpen open id dialog/>
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
/// is drawn again (see `refocus`). A control without an id (the Save button of the dialog
/// under Confirm access) gives it to the dialog on top instead.
#[component]
fn WhileOpen(open: Signal<bool>, id: u64, dialog: NodeRef<leptos::html::Div>) -> impl IntoView {
    // Taken before the dialog takes the focus.
    let opener = super::refocus::focused_id();
    opened(id, Some(dialog));
    on_cleanup(move || {
        opened(id, None);
        // Closed, rather than dropped while open with the page around it.
        if open.try_get_untracked() == Some(false) {
            match &opener {
                Some(opener) => super::refocus::keep(opener),
                None => focus_top_dialog(),
            }
        }
    });
}

/// A number of its own for each dialog.
fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The dialogs open now, in the order they opened: the last is on top.
    static OPEN: std::cell::RefCell<Vec<(u64, NodeRef<leptos::html::Div>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Dialog `id` opened (with its element) or closed (`None`): `#page` is inert while any is
/// open.
fn opened(id: u64, dialog: Option<NodeRef<leptos::html::Div>>) {
    #[cfg(feature = "hydrate")]
    {
        let any = OPEN.with_borrow_mut(|open| {
            open.retain(|(other, _)| *other != id);
            open.extend(dialog.map(|dialog| (id, dialog)));
            !open.is_empty()
        });
        set_page_inert(any);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, dialog);
}

/// Whether dialog `id` is the one on top (the last opened of those open).
fn on_top_now(id: u64) -> bool {
    #[cfg(feature = "hydrate")]
    return OPEN.with_borrow(|open| open.last().is_some_and(|(top, _)| *top == id));
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        true
    }
}

/// Focuses the dialog on top of those still open, if any.
fn focus_top_dialog() {
    #[cfg(feature = "hydrate")]
    if let Some(top) = OPEN.with_borrow(|open| open.last().and_then(|(_, d)| d.get_untracked())) {
        let _ = top.focus();
    }
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
