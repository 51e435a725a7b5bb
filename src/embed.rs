//! The widget inside a page it does not control: the shadow root it renders in, the commands
//! the page sends it (through `window.DosmartConsent`, forwarded by [`crate`]'s exports), and
//! every change of consent told to the page (and the native app, in a webview).

use consent_core::signals::consent_mode;
use consent_core::{catalog, EditionVersion, Lang, PurposeId};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::command::Command;
use crate::slot::Slot;

thread_local! {
    static HOST: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
    static ROOT: RefCell<Option<Element>> = const { RefCell::new(None) };
    static HANDLER: Slot<Command> = const { Slot::new() };
    static EARLY: RefCell<Vec<Command>> = const { RefCell::new(Vec::new()) };
}

/// Where the page hears what happens: `on_event(kind, payload)`, from `consent.js`.
pub fn set_host(on_event: js_sys::Function) {
    HOST.with(|h| *h.borrow_mut() = Some(on_event));
}

/// The element the widget renders in: in a shadow root when embedded, where
/// `document.getElementById` cannot see.
pub fn set_root(root: Element) {
    ROOT.with(|r| *r.borrow_mut() = Some(root));
}

pub fn find(id: &str) -> Option<Element> {
    let in_root = ROOT.with(|r| {
        r.borrow()
            .as_ref()
            .and_then(|root| root.query_selector(&format!("#{id}")).ok().flatten())
    });
    in_root.or_else(|| gloo_utils::document().get_element_by_id(id))
}

/// The first element of the widget matching `selector`.
pub fn query(selector: &str) -> Option<Element> {
    ROOT.with(|r| r.borrow().as_ref()?.query_selector(selector).ok().flatten())
}

/// Whether `element` is part of the widget.
pub fn contains(element: &Element) -> bool {
    ROOT.with(|r| {
        r.borrow()
            .as_ref()
            .is_some_and(|root| root.contains(Some(element)))
    })
}

/// The focused element, looking through shadow roots.
pub fn active_element() -> Option<Element> {
    let mut active = gloo_utils::document().active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    Some(active)
}

/// The App takes commands from here once it runs; earlier ones wait.
pub fn on_command(handler: impl Fn(Command) + 'static) {
    let early: Vec<Command> = EARLY.with(|e| e.borrow_mut().drain(..).collect());
    for command in early {
        handler(command);
    }
    HANDLER.with(|h| h.set(handler));
}

/// Hands a command to the App, or keeps it until the App runs.
pub fn deliver(command: Command) {
    if let Err(early) = HANDLER.with(|h| h.call(command)) {
        EARLY.with(|e| e.borrow_mut().push(early));
    }
}

/// The state the page sees: what `DosmartConsent.getState()` returns and the `dosmart:consent`
/// event carries.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct HostState {
    pub answered: bool,
    pub edition: Option<EditionVersion>,
    pub purposes: BTreeMap<&'static str, bool>,
    pub consent_mode: BTreeMap<&'static str, &'static str>,
    pub gpc: bool,
    pub lang: Lang,
}

impl HostState {
    /// `granted` is the user's latest word on each purpose: choices still on their way to the
    /// server apply already.
    pub fn of(
        granted: impl Fn(PurposeId) -> bool,
        answered: bool,
        edition: Option<EditionVersion>,
        gpc: bool,
        lang: Lang,
    ) -> HostState {
        HostState {
            answered,
            edition,
            purposes: consent_core::map_by_insertion(
                catalog()
                    .purposes
                    .iter()
                    .map(|p| (p.id.as_str(), granted(p.id))),
            ),
            consent_mode: consent_mode(&granted),
            gpc,
            lang,
        }
    }
}

/// A payload with nothing to say (`{}`).
#[derive(Serialize)]
pub struct Empty {}

/// Tells the page (and through it the native app) that something happened.
pub fn notify(kind: &str, payload: &impl Serialize) {
    HOST.with(|h| {
        if let Some(host) = h.borrow().as_ref() {
            let value = crate::json::to_js(payload);
            let _ = host.call2(&JsValue::NULL, &JsValue::from_str(kind), &value);
        }
    });
}
