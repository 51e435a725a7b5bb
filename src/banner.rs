//! The first-visit banner: what is processed and why, a link to the policy, and three equally
//! prominent answers. It overlays the page (fixed), so the page does not move.

use consent_core::Lang;
use yew::prelude::*;

use crate::app::{View, Widget};
use crate::i18n::texts;

#[function_component]
pub fn Banner() -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let t = texts(widget.lang());
    let title_id = use_memo((), |_| crate::dialog::unique_id("banner"));
    let on = |f: fn(&Widget)| {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| f(&widget))
    };
    let open_policy = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.open(View::Policy { anchor: None }))
    };
    html! {
        <section class="dc-banner" role="region" aria-labelledby={(*title_id).clone()}>
            <div class="dc-banner-text">
                <h2 id={(*title_id).clone()} class="dc-banner-title">{ t.banner_title }</h2>
                <p>
                    { t.banner_body }{ " " }
                    <button type="button" class="dc-link" onclick={open_policy}>{ t.read_policy }</button>
                </p>
                if widget.model.gpc { <p class="dc-gpc">{ t.gpc_honoured }</p> }
                <LanguageSwitcher />
            </div>
            <div class="dc-actions">
                <button type="button" class="dc-button" onclick={on(Widget::accept_all)}>{ t.accept_all }</button>
                <button type="button" class="dc-button" onclick={on(Widget::refuse_optional)}>{ t.refuse_optional }</button>
                <button type="button" class="dc-button" onclick={on(|w| w.open(View::Choices))}>{ t.choose }</button>
            </div>
        </section>
    }
}

/// Changes the language at once, everywhere in the widget, and remembers it.
#[function_component]
pub fn LanguageSwitcher() -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let t = texts(widget.lang());
    let label_id = use_memo((), |_| crate::dialog::unique_id("lang"));
    html! {
        <div class="dc-langs" role="group" aria-labelledby={(*label_id).clone()}>
            <span id={(*label_id).clone()} class="dc-visually-hidden">{ t.language }</span>
            { for Lang::ALL.into_iter().map(|lang| {
                let widget = widget.clone();
                let current = widget.lang() == lang;
                let onclick = Callback::from(move |_| widget.set_lang(lang));
                html! {
                    <button type="button" class="dc-lang" lang={lang.code()} aria-pressed={current.to_string()} {onclick}>
                        { lang.endonym() }
                    </button>
                }
            }) }
        </div>
    }
}
