//! Keeps the keyboard focus in place when the part of the page holding it is drawn again.
//!
//! A token table is rebuilt from the server's answer after every change (a page turned, a
//! token re-dated or revoked). When that removes or disables the focused button, the focus
//! drops to `<body>` and a keyboard user would start again at the top of the page. So the
//! control that starts such a change names the element to focus afterwards by its `id` (the
//! element that comes back may be a new one), and a watcher puts the focus there whenever,
//! for a few seconds, it finds the focus lost; when that element is gone or disabled, on the
//! heading of its card instead.

/// An element id made of words: "Manage Email(s)" → `manage-email-s`.
/// (One pass and one allocation: every row button of a token table makes its id with it.)
pub fn slug(words: &str) -> String {
    let mut slug = String::with_capacity(words.len());
    // A dash is written only between two words, never first, last or twice.
    let mut dash = false;
    for c in words.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    slug
}

/// The id of the focused element, if it has one.
pub fn focused_id() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let id = leptos::prelude::document().active_element()?.id();
        (!id.is_empty()).then_some(id)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// Focuses the element `id` now if it can take the focus, and again whenever, for the next
/// few seconds and until the person clicks or presses a key, the focus is found lost.
pub fn keep(id: &str) {
    #[cfg(feature = "hydrate")]
    watch::start(id);
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[cfg(feature = "hydrate")]
mod watch {
    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    use leptos::prelude::{
        IntervalHandle, WindowListenerHandle, document, set_interval_with_handle,
        window_event_listener,
    };
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlElement};

    /// How often, and how many times, to look: long enough for a change to come back from
    /// the server and be drawn. A timer, not a MutationObserver: a timer runs only once the
    /// new rows have hydrated, never in between (when their buttons are still disabled).
    const EVERY: Duration = Duration::from_millis(50);
    const TIMES: u32 = 100;

    /// A watcher: its timer, and the listeners that end it at the person's next move.
    struct Watch {
        timer: IntervalHandle,
        listeners: [WindowListenerHandle; 2],
    }

    thread_local! {
        /// The one watcher at a time; a new one replaces it.
        static CURRENT: RefCell<Option<Watch>> = const { RefCell::new(None) };
    }

    pub fn start(id: &str) {
        stop();
        // The card's heading, found while the element is still there.
        let fallback = document()
            .get_element_by_id(id)
            .and_then(|el| el.closest("section").ok().flatten())
            .and_then(|section| section.query_selector("h2").ok().flatten())
            .and_then(|h| h.dyn_into::<HtmlElement>().ok());
        focus(id);
        let (id, ticks) = (id.to_string(), Cell::new(0));
        let tick = move || {
            ticks.set(ticks.get() + 1);
            if ticks.get() > TIMES {
                stop();
            } else if lost()
                && !focus(&id)
                && let Some(h) = &fallback
            {
                let _ = h.focus();
            }
        };
        let Ok(timer) = set_interval_with_handle(tick, EVERY) else {
            return;
        };
        // The person's next click or key is theirs to place the focus with (a click on blank
        // space leaves it on <body> on purpose): the watcher ends there.
        let listeners = [
            window_event_listener(leptos::ev::pointerdown, |_| stop()),
            window_event_listener(leptos::ev::keydown, |_| stop()),
        ];
        CURRENT.with(|c| *c.borrow_mut() = Some(Watch { timer, listeners }));
    }

    fn stop() {
        if let Some(Watch { timer, listeners }) = CURRENT.with(|c| c.borrow_mut().take()) {
            timer.clear();
            listeners.into_iter().for_each(WindowListenerHandle::remove);
        }
    }

    /// Whether the focus fell to `<body>` (or nowhere), or stays on a control just disabled
    /// (Chromium leaves it there a moment, where no key does anything).
    fn lost() -> bool {
        let doc = document();
        match (doc.active_element(), doc.body()) {
            (None, _) => true,
            (Some(active), body) => {
                body.is_some_and(|b| active == *b.unchecked_ref::<Element>())
                    || active.has_attribute("disabled")
            }
        }
    }

    /// Focuses the element `id`; whether it has the focus now (a missing or disabled one
    /// does not).
    fn focus(id: &str) -> bool {
        let el = document().get_element_by_id(id);
        match el.and_then(|el| el.dyn_into::<HtmlElement>().ok()) {
            // A disabled control keeps the focus it had until the browser moves it away.
            Some(el) if !el.has_attribute("disabled") => {
                el.focus().is_ok() && super::focused_id().as_deref() == Some(id)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slug_keeps_letters_and_digits_joined_by_single_dashes() {
        assert_eq!(super::slug("Manage Email(s)"), "manage-email-s");
        assert_eq!(super::slug("API tokens"), "api-tokens");
        assert_eq!(
            super::slug("Edit allowed IP ranges"),
            "edit-allowed-ip-ranges"
        );
        assert_eq!(super::slug("  --Next--  "), "next");
        assert_eq!(super::slug("a  (b)"), "a-b");
        assert_eq!(super::slug("“Hä”"), "h");
        assert_eq!(super::slug(""), "");
    }
}
