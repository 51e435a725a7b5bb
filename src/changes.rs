//! What changed in the new edition since the one the user accepted (`/v1/policy/{v}/changes`):
//! each clause added, removed or changed, the changed words marked as removed or added.

use consent_core::api::{ClauseChangeKind, EditionChanges, WordChange};
use consent_core::EditionVersion;
use yew::prelude::*;

use crate::api;
use crate::dialog::{use_dialog, Dialog};
use crate::i18n::texts;
use crate::loading::{self, use_loading};
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct ChangesProps {
    pub widget: Widget,
    pub from: EditionVersion,
    pub to: EditionVersion,
    #[prop_or_default]
    pub covered: bool,
}

#[function_component]
pub fn ChangesDialog(props: &ChangesProps) -> Html {
    let widget = props.widget.clone();
    let dialog = use_dialog(None);
    let lang = widget.lang();
    let t = texts(lang);
    let (from, to) = (props.from.clone(), props.to.clone());
    let (loading, retry) = use_loading(lang, true, move |lang| {
        let (from, to) = (from.clone(), to.clone());
        async move { api::changes(&to, &from, lang).await }
    });
    let title = t.changes_title.replace("{from}", props.from.as_str());
    dialog.view(
        &widget,
        Dialog {
            title: title.into(),
            class: "dc-changes",
            covered: props.covered,
            children: loading::view(&loading, retry, lang, |changes| render(changes, lang)),
            ..Dialog::default()
        },
    )
}

fn render(changes: &EditionChanges, lang: consent_core::Lang) -> Html {
    let t = texts(lang);
    html! {
        <ol class="dc-change-list" lang={changes.language.code()}>
            { for changes.clauses.iter().map(|clause| {
                let said = match clause.change {
                    ClauseChangeKind::Added => t.clause_added,
                    ClauseChangeKind::Removed => t.clause_removed,
                    ClauseChangeKind::Changed => t.clause_changed,
                };
                html! {
                    <li class="dc-change">
                        <h3>{ format!("{} · {said}", t.clause.replace("{n}", clause.number.trim_end_matches('.'))) }</h3>
                        <p>
                            { for clause.words.iter().map(|run| match run.change {
                                WordChange::Same => html! { { run.text.clone() } },
                                WordChange::Removed => html! { <del>{ run.text.clone() }</del> },
                                WordChange::Added => html! { <ins>{ run.text.clone() }</ins> },
                            }) }
                        </p>
                    </li>
                }
            }) }
        </ol>
    }
}
