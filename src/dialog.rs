//! A modal screen: labelled, focus moved in and trapped, Escape goes back, and coming back to
//! it puts focus where it was.

use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use crate::feedback::inline_notice;
use crate::i18n::texts;
use crate::widget::Widget;

const FOCUSABLE: &str =
    "button:not([disabled]), a[href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])";

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// An id unique on the page, for `aria-labelledby` and friends.
pub fn unique_id(prefix: &str) -> String {
    NEXT_ID.with(|n| {
        n.set(n.get() + 1);
        format!("dc-{prefix}-{}", n.get())
    })
}

/// What a screen shows in its dialog.
#[derive(Default)]
pub struct Dialog {
    pub title: AttrValue,
    pub children: Html,
    /// Stays in view under the scrolling body (the choices' answers, the policy's Accept).
    pub footer: Option<Html>,
    pub class: &'static str,
    /// Another screen is open over this one: hidden, but kept as it was for Back.
    pub covered: bool,
    pub onscroll: Option<Callback<Event>>,
    pub body_ref: NodeRef,
}

fn focusables(panel: &HtmlElement) -> Vec<HtmlElement> {
    let Ok(list) = panel.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some())
        .collect()
}

fn active_element() -> Option<HtmlElement> {
    crate::embed::active_element()?.dyn_into().ok()
}

/// A screen's dialog as it lives between renders: the panel focus goes into and is kept in,
/// and the title's id. A hook of the screen's own (a component of its own would cost the wasm
/// more), called once at the top of each screen.
pub struct DialogState {
    panel: NodeRef,
    title_id: Rc<String>,
}

/// Moves focus into the dialog when its screen opens: to `first_focus`, or else to the first
/// control after the head's Back/Close.
#[hook]
pub fn use_dialog(first_focus: Option<&'static str>) -> DialogState {
    let panel = use_node_ref();
    let title_id = use_memo((), |_| unique_id("title"));
    {
        let panel = panel.clone();
        use_effect_with((), move |_| {
            let Some(panel) = panel.cast::<HtmlElement>() else {
                return;
            };
            let first = first_focus
                .and_then(|selector| panel.query_selector(selector).ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlElement>().ok());
            // The head's Back/Close is the first control; start on the content's first.
            match first.or_else(|| focusables(&panel).into_iter().nth(1)) {
                Some(target) => target.focus().ok(),
                None => panel.focus().ok(),
            };
        });
    }
    DialogState { panel, title_id }
}

impl DialogState {
    /// A screen of the widget: its head has Back when it was opened from another screen (and
    /// always in the app, whose screen it is), else Close. Escape does the same.
    pub fn view(&self, widget: &Widget, dialog: Dialog) -> Html {
        let t = texts(widget.lang());
        let onkeydown = {
            let (panel, widget) = (self.panel.clone(), widget.clone());
            Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
                "Escape" => {
                    e.prevent_default();
                    widget.back();
                }
                "Tab" => {
                    let Some(panel) = panel.cast::<HtmlElement>() else {
                        return;
                    };
                    let items = focusables(&panel);
                    let (Some(first), Some(last)) = (items.first(), items.last()) else {
                        return;
                    };
                    let active = active_element();
                    if e.shift_key() && active.as_ref() == Some(first) {
                        e.prevent_default();
                        let _ = last.focus();
                    } else if !e.shift_key() && active.as_ref() == Some(last) {
                        e.prevent_default();
                        let _ = first.focus();
                    }
                }
                _ => {}
            })
        };
        let back = {
            let widget = widget.clone();
            Callback::from(move |_: MouseEvent| widget.back())
        };
        let nested = widget.model.views.len() > 1 || widget.model.in_app;
        let quiet = dialog.footer.is_none() && widget.model.notice.is_none();
        let title_id = (*self.title_id).clone();
        let title = html! { <h2 id={title_id.clone()}>{ dialog.title }</h2> };
        let head = if nested {
            html! {
                <>
                    <button type="button" class="dc-back" aria-label={t.back} onclick={back}>
                        <span aria-hidden="true">{ "←" }</span>
                    </button>
                    { title }
                </>
            }
        } else {
            html! {
                <>
                    { title }
                    <button type="button" class="dc-close" aria-label={t.close} onclick={back}>
                        <span aria-hidden="true">{ "×" }</span>
                    </button>
                </>
            }
        };
        html! {
            <div class="dc-backdrop" hidden={dialog.covered}>
                <div class={classes!("dc-dialog", dialog.class)} role="dialog" aria-modal="true"
                    aria-labelledby={title_id} ref={self.panel.clone()} tabindex="-1" {onkeydown}>
                    <div class="dc-dialog-head">{ head }</div>
                    <div class="dc-dialog-body" ref={dialog.body_ref} onscroll={dialog.onscroll}>
                        { dialog.children }
                    </div>
                    // What became of a save shows here, in the screen in view: never under a backdrop
                    // and never over the screen's own controls.
                    <div class={classes!("dc-dialog-foot", quiet.then_some("dc-foot-quiet"))}>
                        if !dialog.covered { { inline_notice(widget) } }
                        { dialog.footer.unwrap_or_default() }
                    </div>
                </div>
            </div>
        }
    }
}
