//! A modal dialog: labelled, focus moved in and trapped, Esc closes, focus returns to where it
//! was when the dialog opened.

use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

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
    pub title: AttrValue,
    pub close_label: AttrValue,
    pub on_close: Callback<()>,
    #[prop_or_default]
    pub children: Html,
    /// `lang` of the dialog when it differs from the widget's (legal text in its own language).
    #[prop_or_default]
    pub lang: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
}

fn focusables(panel: &HtmlElement) -> Vec<HtmlElement> {
    let Ok(list) = panel.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
        .collect()
}

fn active_element() -> Option<HtmlElement> {
    crate::embed::active_element()?.dyn_into().ok()
}

#[function_component]
pub fn Dialog(props: &DialogProps) -> Html {
    let panel = use_node_ref();
    let title_id = use_memo((), |_| unique_id("title"));
    {
        let panel = panel.clone();
        use_effect_with((), move |_| {
            let opener = active_element();
            if let Some(panel) = panel.cast::<HtmlElement>() {
                match focusables(&panel).into_iter().nth(1) {
                    // The first control is the close button; start on the content's first one.
                    Some(first) => first.focus().ok(),
                    None => panel.focus().ok(),
                };
            }
            move || {
                if let Some(opener) = opener {
                    let _ = opener.focus();
                }
            }
        });
    }
    let onkeydown = {
        let (panel, on_close) = (panel.clone(), props.on_close.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                on_close.emit(());
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
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    html! {
        <div class="dc-backdrop">
            <div class={classes!("dc-dialog", props.class.clone())} role="dialog" aria-modal="true"
                aria-labelledby={(*title_id).clone()} ref={panel} tabindex="-1" {onkeydown}
                lang={props.lang.clone()}>
                <div class="dc-dialog-head">
                    <h2 id={(*title_id).clone()}>{ props.title.clone() }</h2>
                    <button type="button" class="dc-close" aria-label={props.close_label.clone()} onclick={close}>
                        <span aria-hidden="true">{ "×" }</span>
                    </button>
                </div>
                <div class="dc-dialog-body">{ props.children.clone() }</div>
            </div>
        </div>
    }
}
