//! The whole current edition, fetched when opened (the text stays out of the wasm), with a
//! table of contents and an anchor on every clause and item.

use consent_core::api::PolicyResponse;
use consent_core::{Block, Clause, Section};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api;
use crate::app::Widget;
use crate::banner::LanguageSwitcher;
use crate::dialog::Dialog;
use crate::i18n::texts;

#[derive(Clone, PartialEq)]
enum Loading {
    Waiting,
    Loaded(std::rc::Rc<PolicyResponse>),
    Failed,
}

#[derive(Properties, PartialEq)]
pub struct PolicyProps {
    pub anchor: Option<String>,
}

/// Element ids are prefixed so they cannot collide with the host page's.
pub fn element_id(anchor: &str) -> String {
    format!("dc-{anchor}")
}

#[function_component]
pub fn PolicyDialog(props: &PolicyProps) -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let lang = widget.lang();
    let t = texts(lang);
    let loading = use_state(|| Loading::Waiting);
    let attempt = use_state(|| 0u32);
    {
        let loading = loading.clone();
        use_effect_with((lang, *attempt), move |(lang, _)| {
            let lang = *lang;
            loading.set(Loading::Waiting);
            wasm_bindgen_futures::spawn_local(async move {
                loading.set(match api::policy(lang).await {
                    Ok(policy) => Loading::Loaded(std::rc::Rc::new(policy)),
                    Err(_) => Loading::Failed,
                });
            });
        });
    }
    {
        let anchor = props.anchor.clone();
        use_effect_with(
            (matches!(*loading, Loading::Loaded(_)), anchor),
            |(loaded, anchor)| {
                if let (true, Some(anchor)) = (loaded, anchor) {
                    scroll_to(anchor);
                }
            },
        );
    }
    let on_close = {
        let widget = widget.clone();
        Callback::from(move |_| widget.close())
    };
    let body = match &*loading {
        Loading::Waiting => html! { <p role="status">{ t.loading }</p> },
        Loading::Failed => {
            let retry = {
                let attempt = attempt.clone();
                Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
            };
            html! {
                <div role="alert">
                    <p>{ t.load_failed }</p>
                    <button type="button" class="dc-button" onclick={retry}>{ t.retry }</button>
                </div>
            }
        }
        Loading::Loaded(policy) => render_policy(policy, lang),
    };
    html! {
        <Dialog title={t.policy_title} close_label={t.close} {on_close} class="dc-policy">
            <LanguageSwitcher />
            { body }
        </Dialog>
    }
}

fn scroll_to(anchor: &str) {
    if let Some(element) = crate::embed::find(&element_id(anchor)) {
        element.scroll_into_view();
        if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
            let _ = element.focus();
        }
    }
}

fn render_policy(policy: &PolicyResponse, lang: consent_core::Lang) -> Html {
    let t = texts(lang);
    let edition = &policy.edition;
    let toc_id = element_id("toc");
    html! {
        <>
            if policy.language != lang {
                <p class="dc-note">{ t.published_in_other_language }</p>
            }
            <p class="dc-meta">{ format!("{} {} · {} {}", t.edition, policy.version, t.published, policy.published) }</p>
            <article class="dc-policy-text" lang={edition.language.code()}>
                <h3 class="dc-policy-title">{ &edition.title }</h3>
                <nav aria-labelledby={toc_id.clone()}>
                    <h4 id={toc_id} lang={lang.code()}>{ t.contents }</h4>
                    <ol class="dc-toc">
                        { for edition.sections.iter().map(|s| {
                            let anchor = s.anchor.clone();
                            let onclick = Callback::from(move |e: MouseEvent| { e.prevent_default(); scroll_to(&anchor); });
                            html! { <li><a href={format!("#{}", element_id(&s.anchor))} {onclick}>{ format!("{} {}", s.number, s.title) }</a></li> }
                        }) }
                    </ol>
                </nav>
                { for edition.sections.iter().map(render_section) }
            </article>
        </>
    }
}

fn render_section(section: &Section) -> Html {
    html! {
        <section id={element_id(&section.anchor)} tabindex="-1">
            <h4>{ format!("{} {}", section.number, section.title) }</h4>
            { for section.clauses.iter().map(render_clause) }
        </section>
    }
}

fn render_clause(clause: &Clause) -> Html {
    let mut blocks = clause.blocks.iter();
    let lead = blocks.next().map(Block::text).unwrap_or_default();
    html! {
        <div class="dc-clause-text" id={element_id(&clause.anchor)} tabindex="-1">
            <p><strong>{ &clause.number }</strong>{ " " }{ lead }</p>
            { for blocks.map(|block| match block {
                Block::Paragraph { text } => html! { <p>{ text }</p> },
                Block::Item { marker, anchor, text } => html! {
                    <p class="dc-item" id={element_id(anchor)} tabindex="-1">
                        if !marker.is_empty() { <span class="dc-marker">{ marker }</span>{ " " } }
                        { text }
                    </p>
                },
            }) }
        </div>
    }
}
