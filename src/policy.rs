//! The whole current edition, fetched when opened (the text stays out of the wasm), with a
//! table of contents and an anchor on every clause and item.

use consent_core::api::PolicyResponse;
use consent_core::{Block, Clause, PolicyEdition, Section};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api;
use crate::dialog::{unique_id, use_dialog, Dialog};
use crate::i18n::texts;
use crate::language::language_switcher;
use crate::loading::{self, use_loading, Loading};
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct PolicyProps {
    pub widget: Widget,
    pub anchor: Option<String>,
    #[prop_or_default]
    pub covered: bool,
}

/// Element ids are prefixed so they cannot collide with the host page's.
pub fn element_id(anchor: &str) -> String {
    format!("dc-{anchor}")
}

const TOC: &str = "toc";

/// Where the reader is: a section, and a clause of it once past its first clause's start.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
struct Place {
    section: usize,
    clause: Option<usize>,
}

impl Place {
    /// The place of `anchor` (a section, clause or item), if the edition has it.
    fn of(edition: &PolicyEdition, anchor: &str) -> Option<Place> {
        edition
            .sections
            .iter()
            .enumerate()
            .find_map(|(s, section)| {
                if section.anchor == anchor {
                    return Some(Place {
                        section: s,
                        clause: None,
                    });
                }
                section
                    .clauses
                    .iter()
                    .position(|clause| {
                        clause.anchor == anchor
                            || clause
                                .blocks
                                .iter()
                                .any(|b| matches!(b, Block::Item { anchor: a, .. } if a == anchor))
                    })
                    .map(|c| Place {
                        section: s,
                        clause: Some(c),
                    })
            })
    }

    /// `2. Title › 2.2. First words`: what stays in view above the text.
    fn trail(self, edition: &PolicyEdition) -> Option<(String, Option<String>)> {
        let section = edition.sections.get(self.section)?;
        let clause = self
            .clause
            .and_then(|c| section.clauses.get(c))
            .map(clause_heading);
        Some((format!("{} {}", section.number, section.title), clause))
    }
}

/// A clause named by its number and first words: the policy's clauses have no titles.
fn clause_heading(clause: &Clause) -> String {
    const WORDS: usize = 60;
    let lead = clause.blocks.first().map(Block::text).unwrap_or_default();
    let mut short: String = lead.chars().take(WORDS).collect();
    if lead.chars().count() > WORDS {
        short.push('…');
    }
    format!("{} {short}", clause.number)
}

#[function_component]
pub fn PolicyDialog(props: &PolicyProps) -> Html {
    let widget = props.widget.clone();
    let dialog = use_dialog(None);
    let lang = widget.lang();
    let t = texts(lang);
    let (loading, retry) = use_loading(lang, true, api::policy);
    let place = use_state(|| None::<Place>);
    let body_ref = use_node_ref();
    let language_label = use_memo((), |_| unique_id("lang"));
    {
        let (anchor, place) = (props.anchor.clone(), place.clone());
        use_effect_with((loading.clone(), anchor), move |(loading, anchor)| {
            if let (Loading::Loaded(policy), Some(anchor)) = (loading, anchor) {
                place.set(Place::of(&policy.edition, anchor));
                scroll_to(anchor);
            }
        });
    }
    let onscroll = match &loading {
        Loading::Loaded(policy) => {
            let (policy, place, body_ref) = (policy.clone(), place.clone(), body_ref.clone());
            Some(Callback::from(move |_: Event| {
                let found = body_ref
                    .cast::<web_sys::Element>()
                    .and_then(|body| place_in_view(&body, &policy.edition));
                if found != *place {
                    place.set(found);
                }
            }))
        }
        _ => None,
    };
    let body = loading::view(&loading, retry, lang, |policy| {
        html! {
            <>
                { trail_bar(policy, *place, lang) }
                { render_policy(policy, lang) }
            </>
        }
    });
    let footer = widget.model.update_pending().then(|| {
        let widget = widget.clone();
        let accept = Callback::from(move |_: MouseEvent| widget.accept_edition());
        html! {
            <div class="dc-foot-row">
                <p>{ t.update_title }</p>
                <button type="button" class="dc-button dc-primary" onclick={accept}>{ t.accept }</button>
            </div>
        }
    });
    dialog.view(
        &widget,
        Dialog {
            title: t.policy_title.into(),
            class: "dc-policy",
            covered: props.covered,
            footer,
            onscroll,
            body_ref,
            children: html! {
                <>
                    { language_switcher(&widget, (*language_label).clone().into()) }
                    { body }
                </>
            },
        },
    )
}

/// The section and clause at the top of the scrolled body.
fn place_in_view(body: &web_sys::Element, edition: &PolicyEdition) -> Option<Place> {
    let top = body.get_bounding_client_rect().top();
    // Under the trail bar, which is sticky at the top of the body, and the scroll margin
    // (3.75rem) a clause jumped to stops at.
    let line = top + 80.0;
    let passed = |anchor: &str| {
        crate::embed::find(&element_id(anchor))
            .is_some_and(|e| e.get_bounding_client_rect().top() <= line)
    };
    // Headings passed form a prefix in document order: a binary search asks the layout a few
    // times per scroll event, not once per clause.
    let sections = &edition.sections;
    let section = sections
        .partition_point(|s| passed(&s.anchor))
        .checked_sub(1)?;
    let clauses = &sections[section].clauses;
    let clause = clauses
        .partition_point(|c| passed(&c.anchor))
        .checked_sub(1);
    Some(Place { section, clause })
}

/// Stays at the top of the text: where the reader is, and the way back to the contents.
fn trail_bar(policy: &PolicyResponse, place: Option<Place>, lang: consent_core::Lang) -> Html {
    let t = texts(lang);
    let to_contents = Callback::from(|_: MouseEvent| scroll_to(TOC));
    let trail = place.and_then(|p| p.trail(&policy.edition));
    html! {
        <div class="dc-trail">
            <p class="dc-trail-path" lang={policy.edition.language.code()}>
                if let Some((section, clause)) = trail {
                    <span>{ section }</span>
                    if let Some(clause) = clause { <span>{ "› " }{ clause }</span> }
                }
            </p>
            <button type="button" class="dc-link dc-to-contents" onclick={to_contents}>{ t.contents }</button>
        </div>
    }
}
fn scroll_to(anchor: &str) {
    if let Some(element) = crate::embed::find(&element_id(anchor)) {
        if let Ok(element) = element.clone().dyn_into::<web_sys::HtmlElement>() {
            let _ = element.focus();
        }
        // After focusing, which scrolls too: this one keeps clear of the sticky trail.
        element.scroll_into_view();
    }
}

fn render_policy(policy: &PolicyResponse, lang: consent_core::Lang) -> Html {
    let t = texts(lang);
    let edition = &policy.edition;
    let toc_id = element_id("toc-title");
    html! {
        <>
            if policy.language != lang {
                <p class="dc-note">{ t.published_in_other_language }</p>
            }
            <p class="dc-meta">{ t.edition_line.replace("{edition}", policy.version.as_str()).replace("{date}", &policy.published.to_string()) }</p>
            <article class="dc-policy-text" lang={edition.language.code()}>
                <h3 class="dc-policy-title">{ &edition.title }</h3>
                <nav id={element_id(TOC)} tabindex="-1" aria-labelledby={toc_id.clone()}>
                    <h4 id={toc_id} lang={lang.code()}>{ t.contents }</h4>
                    <ul class="dc-toc">
                        { for edition.sections.iter().map(|s| html! {
                            <li>
                                { toc_link(&s.anchor, format!("{} {}", s.number, s.title)) }
                                <ul>{ for s.clauses.iter().map(|c| html! { <li>{ toc_link(&c.anchor, clause_heading(c)) }</li> }) }</ul>
                            </li>
                        }) }
                    </ul>
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

fn toc_link(anchor: &str, label: String) -> Html {
    let target = anchor.to_owned();
    let onclick = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        scroll_to(&target);
    });
    html! { <a href={format!("#{}", element_id(anchor))} {onclick}>{ label }</a> }
}
