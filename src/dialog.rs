//! A modal screen: labelled, focus moved in and trapped, Escape goes back, and coming back to
//! it puts focus where it was.

use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

use crate::feedback::inline_notice;
use crate::i18n::texts;
use crate::model::Widget;

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

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub widget: Widget,
    pub title: AttrValue,
    #[prop_or_default]
    pub children: Html,
    /// Stays in view under the scrolling body (the choices' answers, the policy's Accept).
    #[prop_or_default]
    pub footer: Option<Html>,
    /// `lang` of the dialog when it differs from the widget's (legal text in its own language).
    #[prop_or_default]
    pub lang: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    /// The control focused on opening; by default the first one after the head.
    #[prop_or_default]
    pub first_focus: Option<&'static str>,
    /// Another screen is open over this one: hidden, but kept as it was for Back.
    #[prop_or_default]
    pub covered: bool,
    #[prop_or_default]
    pub onscroll: Option<Callback<Event>>,
    #[prop_or_default]
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

/// A screen of the widget: its head has Back when it was opened from another screen (and
/// always in the app, whose screen it is), else Close. Escape does the same.
#[function_component]
pub fn Dialog(props: &DialogProps) -> Html {
    let widget = props.widget.clone();
    let t = texts(widget.lang());
    let panel = use_node_ref();
    let title_id = use_memo((), |_| unique_id("title"));
    {
        let (panel, first) = (panel.clone(), props.first_focus);
        use_effect_with((), move |_| {
            let Some(panel) = panel.cast::<HtmlElement>() else {
                return;
            };
            let first = first
                .and_then(|selector| panel.query_selector(selector).ok().flatten())
                .and_then(|e| e.dyn_into::<HtmlElement>().ok());
            // The head's Back/Close is the first control; start on the content's first.
            match first.or_else(|| focusables(&panel).into_iter().nth(1)) {
                Some(target) => target.focus().ok(),
                None => panel.focus().ok(),
            };
        });
    }
    let onkeydown = {
        let (panel, widget) = (panel.clone(), widget.clone());
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
    let quiet = props.footer.is_none() && widget.model.notice.is_none();
    let title = html! { <h2 id={(*title_id).clone()}>{ props.title.clone() }</h2> };
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
        <div class="dc-backdrop" hidden={props.covered}>
            <div class={classes!("dc-dialog", props.class.clone())} role="dialog" aria-modal="true"
                aria-labelledby={(*title_id).clone()} ref={panel} tabindex="-1" {onkeydown}
                lang={props.lang.clone()}>
                <div class="dc-dialog-head">{ head }</div>
                <div class="dc-dialog-body" ref={props.body_ref.clone()} onscroll={props.onscroll.clone()}>
                    { props.children.clone() }
                </div>
                // What became of a save shows here, in the screen in view: never under a backdrop
                // and never over the screen's own controls.
                <div class={classes!("dc-dialog-foot", quiet.then_some("dc-foot-quiet"))}>
                    if !props.covered { { inline_notice(&widget) } }
                    { props.footer.clone().unwrap_or_default() }
                </div>
            </div>
        </div>
    }
}
