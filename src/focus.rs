//! Where keyboard focus goes when the widget's banner or last screen goes away: back where the
//! user was, not to the top of the page. A screen reader or keyboard user otherwise starts over.

use std::cell::RefCell;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use crate::embed;

thread_local! {
    /// The page's element focused last before the widget took focus.
    static ON_PAGE: RefCell<Option<HtmlElement>> = const { RefCell::new(None) };
    /// Per open screen, the control that opened it: focus goes back there when it closes.
    static OPENERS: RefCell<Vec<Option<HtmlElement>>> = const { RefCell::new(Vec::new()) };
    /// Where focus goes after the next render, once what has it is gone.
    static PENDING: RefCell<Option<Option<HtmlElement>>> = const { RefCell::new(None) };
}

/// Follows focus on the page. Focus inside the widget's shadow root is seen as its `host`.
pub fn follow_page_focus(host: web_sys::Element) {
    let listener = gloo_events::EventListener::new(&gloo_utils::document(), "focusin", move |e| {
        let Some(target) = e.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) else {
            return;
        };
        if !host.contains(Some(&target)) {
            ON_PAGE.with(|p| *p.borrow_mut() = Some(target));
        }
    });
    listener.forget();
}

fn focused() -> Option<HtmlElement> {
    embed::active_element().and_then(|e| e.dyn_into::<HtmlElement>().ok())
}

/// A screen opens over `open` others: what has focus now opened it.
pub fn opening(open: usize) {
    OPENERS.with(|o| {
        let mut openers = o.borrow_mut();
        openers.truncate(open);
        openers.push(focused());
    });
}

/// The screens above the first `left` close: focus goes back to the control that opened the
/// lowest of them, after the render that removes them.
pub fn closing_to(left: usize) {
    let opener = OPENERS.with(|o| {
        let mut openers = o.borrow_mut();
        let opener = openers.get(left).cloned().flatten();
        openers.truncate(left);
        opener
    });
    PENDING.with(|p| *p.borrow_mut() = Some(opener));
}

/// The banner goes: focus goes back to the page where the user was.
pub fn return_to_page() {
    PENDING.with(|p| *p.borrow_mut() = Some(None));
}

/// Runs after every render: carries out a pending return to the control that opened the
/// closed screen, else to where the user was on the page, else to the settings button.
pub fn settle() {
    let Some(opener) = PENDING.with(|p| p.borrow_mut().take()) else {
        return;
    };
    // Only when focus was lost with what closed: a user who already moved on keeps their place.
    let lost = focused().is_none_or(|e| {
        let body = gloo_utils::document().body();
        Some(&e) == body.as_ref() || !e.is_connected() || embed::contains(&e)
    });
    if !lost {
        return;
    }
    let usable = |e: &HtmlElement| {
        let rect = e.get_bounding_client_rect();
        e.is_connected() && (rect.width() > 0.0 || rect.height() > 0.0)
    };
    let target = opener
        .filter(usable)
        .or_else(|| ON_PAGE.with(|p| p.borrow().clone()).filter(usable))
        .or_else(|| embed::query(".dc-fab").and_then(|e| e.dyn_into::<HtmlElement>().ok()));
    if let Some(target) = target {
        let _ = target.focus();
    }
}
