//! The written application of a withdrawal (2.6). The withdrawal itself is made by turning a
//! purpose off and saving, and applies at once; the application is the user's proof of it, to
//! copy, download or print, sign and send to the Company's address shown beside it.

use consent_core::api::WrittenApplication;

use yew::prelude::*;

use crate::dialog::{use_dialog, Dialog};
use crate::download::save_file;
use crate::i18n::texts;
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct ApplicationProps {
    pub widget: Widget,
    pub application: WrittenApplication,
    #[prop_or_default]
    pub covered: bool,
}

#[function_component]
pub fn ApplicationDialog(props: &ApplicationProps) -> Html {
    let widget = props.widget.clone();
    let dialog = use_dialog(None);
    let t = texts(widget.lang());
    let copied = use_state(|| false);
    let application = props.application.clone();
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
    dialog.view(
        &widget,
        Dialog {
            title: t.application_title.into(),
            class: "dc-application-dialog",
            covered: props.covered,
            children: html! {
                <>
                    <p>{ t.application_intro }</p>
                    if let Some(address) = &application.address {
                        <p class="dc-send-to"><strong>{ t.send_to }{ ": " }</strong>{ address }</p>
                    }
                    <pre class="dc-application" lang={application.language.code()} tabindex="0">{ &application.text }</pre>
                    <div class="dc-actions">
                        <button type="button" class="dc-button" onclick={copy}>{ if *copied { t.copied } else { t.copy } }</button>
                        <button type="button" class="dc-button" onclick={download}>{ t.download }</button>
                        <button type="button" class="dc-button" onclick={print}>{ t.print }</button>
                    </div>
                </>
            },
            ..Dialog::default()
        },
    )
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
