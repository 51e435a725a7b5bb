//! One switch per consent purpose, each on its title's line, with the three answers in a
//! footer that stays under the thumb. The necessary purposes are one collapsed group with the
//! reason of 2.7 said once: they are not choices. Turning a purpose off that was on and saving
//! is the withdrawal of 2.6.

use consent_core::policy::anchor_for;
use consent_core::{catalog, Purpose, PurposeId};
use yew::prelude::*;

use crate::dialog::{unique_id, use_dialog, Dialog};
use crate::i18n::texts;
use crate::language::language_switcher;
use crate::model::View;
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct ChoicesProps {
    pub widget: Widget,
    #[prop_or_default]
    pub covered: bool,
}

#[function_component]
pub fn ChoicesDialog(props: &ChoicesProps) -> Html {
    let widget = props.widget.clone();
    let dialog = use_dialog(Some("[role=switch]:not([disabled])"));
    let t = texts(widget.lang());
    let run = |act: fn(&Widget)| {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| act(&widget))
    };
    let my_data = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.open(View::MyData))
    };
    // The rows' ids, unique on the page even when another choices screen is open below.
    let id_prefix = use_memo((), |_| unique_id("choices"));
    let (necessary, optional): (Vec<&Purpose>, Vec<&Purpose>) =
        catalog().purposes.iter().partition(|p| p.is_necessary());
    let footer = html! {
        <div class="dc-answers">
            <button type="button" class="dc-button" onclick={run(Widget::refuse_optional)}>{ t.refuse_all }</button>
            <button type="button" class="dc-button dc-primary" onclick={run(Widget::save_draft)}>{ t.save }</button>
            <button type="button" class="dc-button" onclick={run(Widget::accept_all)}>{ t.accept_all }</button>
        </div>
    };
    dialog.view(
        &widget,
        Dialog {
            title: t.choices_title.into(),
            class: "dc-choices",
            covered: props.covered,
            footer: Some(footer),
            children: html! {
                <>
                    <p>{ t.choices_intro }</p>
                    if widget.model.gpc { <p class="dc-gpc">{ t.gpc_honoured }</p> }
                    <ul class="dc-purposes">
                        { for optional.into_iter().map(|p| purpose_row(&widget, p.id, &id_prefix)) }
                    </ul>
                    <details class="dc-necessary">
                        <summary>{ t.always_on.replace("{n}", &necessary.len().to_string()) }</summary>
                        <p class="dc-reason">{ t.necessary_reason }</p>
                        <ul class="dc-purposes">
                            { for necessary.into_iter().map(|p| necessary_row(&widget, p.id)) }
                        </ul>
                    </details>
                    <p><button type="button" class="dc-link" onclick={my_data}>{ t.my_data }</button></p>
                    { language_switcher(&widget, format!("{id_prefix}-lang").into()) }
                </>
            },
            ..Dialog::default()
        },
    )
}

/// A consent purpose: its switch on the title's line, what it means and where the policy
/// says so beneath. The switch comes first in Tab order, then the clause.
fn purpose_row(widget: &Widget, id: PurposeId, id_prefix: &str) -> Html {
    let lang = widget.lang();
    let t = texts(lang);
    let purpose = catalog().purpose_by_id(id);
    let title_id = format!("{id_prefix}-{id}");
    let summary_id = format!("{title_id}-summary");
    let gpc_locked = widget.model.gpc && purpose.gpc_refuses;
    let on = widget
        .model
        .draft
        .get(&purpose.id)
        .copied()
        .unwrap_or(false);
    let toggle = {
        let (widget, id) = (widget.clone(), purpose.id);
        Callback::from(move |_: MouseEvent| widget.toggle(id, !on))
    };
    html! {
        <li class="dc-purpose">
            <div class="dc-purpose-head">
                <h3 id={title_id.clone()} class="dc-purpose-title">{ purpose.title.get(lang) }</h3>
                <button type="button" role="switch" class="dc-switch"
                    aria-checked={on.to_string()} aria-labelledby={title_id} aria-describedby={summary_id.clone()}
                    disabled={gpc_locked} onclick={toggle}>
                    <span class="dc-switch-track" aria-hidden="true"><span class="dc-switch-knob"></span></span>
                </button>
            </div>
            <p id={summary_id} class="dc-summary">{ purpose.summary.get(lang) }</p>
            if let Some(warning) = &purpose.warning {
                <p class="dc-warning">{ warning.get(lang) }</p>
            }
            if gpc_locked { <p class="dc-gpc">{ t.gpc_honoured }</p> }
            { clause_links(widget, purpose.id) }
        </li>
    }
}

/// A necessary purpose: no switch, since there is nothing to choose (2.7).
fn necessary_row(widget: &Widget, id: PurposeId) -> Html {
    let lang = widget.lang();
    let purpose = catalog().purpose_by_id(id);
    html! {
        <li class="dc-purpose">
            <h3 class="dc-purpose-title">{ purpose.title.get(lang) }</h3>
            <p class="dc-summary">{ purpose.summary.get(lang) }</p>
            { clause_links(widget, purpose.id) }
        </li>
    }
}

/// The clauses a purpose comes from, each opening the policy there.
fn clause_links(widget: &Widget, id: PurposeId) -> Html {
    let lang = widget.lang();
    let t = texts(lang);
    let purpose = catalog().purpose_by_id(id);
    let links = purpose.clauses_in(lang).iter().map(|reference| {
        let widget = widget.clone();
        let anchor = anchor_for(reference);
        let onclick = Callback::from(move |_: MouseEvent| {
            widget.open(View::Policy {
                anchor: Some(anchor.clone()),
            })
        });
        html! { <button type="button" class="dc-link dc-clause" {onclick}>{ t.clause.replace("{n}", reference) }</button> }
    });
    html! { <p class="dc-clauses">{ for links }</p> }
}
