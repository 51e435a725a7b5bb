//! Withdrawal of consent (2.6): confirm, knowing the consequences; the server records it; the
//! written application comes back to be copied, downloaded or printed, signed and sent.

use consent_core::api::{EventKind, WithdrawalRequest, WrittenApplication};
use consent_core::{catalog, PurposeId};
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::api;
use crate::app::Widget;
use crate::dialog::Dialog;
use crate::i18n::texts;
use crate::outbox;

#[derive(Properties, PartialEq)]
pub struct WithdrawProps {
    pub purpose: PurposeId,
}

#[function_component]
pub fn WithdrawDialog(props: &WithdrawProps) -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let lang = widget.lang();
    let t = texts(lang);
    let error = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // One key for this withdrawal, kept across retries: a retry after a lost answer is the
    // same withdrawal, stored once.
    let key = use_state(crate::storage::random_uuid);
    let purpose = catalog().purpose_by_id(props.purpose);
    let on_close = {
        let widget = widget.clone();
        Callback::from(move |_| widget.close())
    };
    let confirm = {
        let (widget, error, busy, id) =
            (widget.clone(), error.clone(), busy.clone(), props.purpose);
        let key = (*key).clone();
        Callback::from(move |_: MouseEvent| {
            let (widget, error, busy, key) =
                (widget.clone(), error.clone(), busy.clone(), key.clone());
            busy.set(true);
            outbox::record(EventKind::WithdrawalRequested, lang);
            wasm_bindgen_futures::spawn_local(async move {
                let request = WithdrawalRequest {
                    purposes: vec![id],
                    lang,
                };
                match api::withdraw(&request, &key).await {
                    Ok(recorded) => {
                        widget.withdrawn(&recorded.purposes, recorded.state, recorded.application)
                    }
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(e.message()));
                    }
                }
            });
        })
    };
    let cancel = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.close())
    };
    html! {
        <Dialog title={t.withdraw_title} close_label={t.close} {on_close}>
            <p>{ t.withdraw_body.replace("{purpose}", purpose.title.get(lang)) }</p>
            if let Some(message) = &*error {
                <p class="dc-error" role="alert">{ format!("{}: {message}", t.error_prefix) }</p>
            }
            <div class="dc-actions">
                <button type="button" class="dc-button dc-primary" onclick={confirm} disabled={*busy}>{ t.withdraw_confirm }</button>
                <button type="button" class="dc-button" onclick={cancel}>{ t.cancel }</button>
            </div>
        </Dialog>
    }
}

#[derive(Properties, PartialEq)]
pub struct ApplicationProps {
    pub application: WrittenApplication,
}

#[function_component]
pub fn ApplicationDialog(props: &ApplicationProps) -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let t = texts(widget.lang());
    let copied = use_state(|| false);
    let application = props.application.clone();
    let on_close = {
        let widget = widget.clone();
        Callback::from(move |_| widget.close())
    };
    let copy = {
        let (text, copied) = (application.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let promise = gloo_utils::window()
                .navigator()
                .clipboard()
                .write_text(&text);
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                    copied.set(true);
                }
            });
        })
    };
    let download = {
        let application = application.clone();
        Callback::from(move |_: MouseEvent| {
            save_file(
                &application.filename,
                &application.text,
                "text/plain;charset=utf-8",
            )
        })
    };
    let print = {
        let application = application.clone();
        Callback::from(move |_: MouseEvent| print_application(&application))
    };
    html! {
        <Dialog title={t.application_title} close_label={t.close} {on_close} class="dc-application-dialog">
            <p>{ t.application_intro }</p>
            <pre class="dc-application" lang={application.language.code()} tabindex="0">{ &application.text }</pre>
            <div class="dc-actions">
                <button type="button" class="dc-button" onclick={copy}>{ if *copied { t.copied } else { t.copy } }</button>
                <button type="button" class="dc-button" onclick={download}>{ t.download }</button>
                <button type="button" class="dc-button" onclick={print}>{ t.print }</button>
            </div>
        </Dialog>
    }
}

/// Offers `text` as a file download.
pub fn save_file(filename: &str, text: &str, mime: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = gloo_utils::document();
    if let Ok(link) = document
        .create_element("a")
        .map(|a| a.unchecked_into::<web_sys::HtmlAnchorElement>())
    {
        link.set_href(&url);
        link.set_download(filename);
        let _ = document.body().map(|b| b.append_child(&link));
        link.click();
        link.remove();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Prints only the application, from a window of its own: the host page's print styles (and
/// our shadow root) stay out of it.
fn print_application(application: &WrittenApplication) {
    let Ok(Some(window)) = gloo_utils::window().open_with_url_and_target("", "_blank") else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Ok(pre) = document.create_element("pre") else {
        return;
    };
    pre.set_text_content(Some(&application.text));
    let _ = pre.set_attribute("lang", application.language.code());
    let _ = pre.set_attribute("style", "white-space:pre-wrap;font:14px/1.5 serif");
    if let Some(body) = document.body() {
        let _ = body.append_child(&pre);
    }
    document.set_title(&application.filename);
    let _ = window.print();
}
