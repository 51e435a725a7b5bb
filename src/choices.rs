//! One switch per purpose of the catalog. Necessary purposes are shown on and locked, with the
//! reason (2.7); consent purposes start off and may be withdrawn formally (2.6).

use consent_core::policy::anchor_for;
use consent_core::{catalog, Purpose};
use yew::prelude::*;

use crate::app::{View, Widget};
use crate::banner::LanguageSwitcher;
use crate::dialog::{unique_id, Dialog};
use crate::i18n::texts;

#[function_component]
pub fn ChoicesDialog() -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let t = texts(widget.lang());
    let on_close = {
        let widget = widget.clone();
        Callback::from(move |_| widget.close())
    };
    let save = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.save_draft())
    };
    let my_data = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.open(View::MyData))
    };
    let (necessary, optional): (Vec<&Purpose>, Vec<&Purpose>) =
        catalog().purposes.iter().partition(|p| p.is_necessary());
    html! {
        <Dialog title={t.choices_title} close_label={t.close} {on_close} class="dc-choices">
            <p>{ t.choices_intro }</p>
            if widget.model.gpc { <p class="dc-gpc">{ t.gpc_honoured }</p> }
            <ul class="dc-purposes">
                { for optional.into_iter().map(|p| html! { <PurposeRow purpose={p.id} /> }) }
                { for necessary.into_iter().map(|p| html! { <PurposeRow purpose={p.id} /> }) }
            </ul>
            <div class="dc-actions">
                <button type="button" class="dc-button dc-primary" onclick={save}>{ t.save }</button>
                <button type="button" class="dc-button" onclick={my_data}>{ t.my_data }</button>
            </div>
            <LanguageSwitcher />
        </Dialog>
    }
}

#[derive(Properties, PartialEq)]
struct PurposeRowProps {
    purpose: consent_core::PurposeId,
}

#[function_component]
fn PurposeRow(props: &PurposeRowProps) -> Html {
    let widget = use_context::<Widget>().expect("inside the widget");
    let lang = widget.lang();
    let t = texts(lang);
    let purpose = catalog().purpose_by_id(props.purpose);
    let ids = use_memo((), |_| (unique_id("purpose"), unique_id("summary")));
    let (title_id, summary_id) = (*ids).clone();
    let necessary = purpose.is_necessary();
    let gpc_locked = widget.model.gpc && crate::app::refused_by_gpc(purpose.id);
    let on = necessary
        || widget
            .model
            .draft
            .get(&purpose.id)
            .copied()
            .unwrap_or(false);
    let granted_now = widget
        .model
        .state
        .as_ref()
        .is_some_and(|s| s.granted(purpose.id));
    let toggle = {
        let (widget, id) = (widget.clone(), purpose.id);
        Callback::from(move |_: MouseEvent| widget.toggle(id, !on))
    };
    let withdraw = {
        let (widget, id) = (widget.clone(), purpose.id);
        Callback::from(move |_: MouseEvent| widget.open(View::Withdraw(id)))
    };
    let clauses = purpose.clauses_in(lang).iter().map(|reference| {
        let widget = widget.clone();
        let anchor = anchor_for(reference);
        let onclick = Callback::from(move |_: MouseEvent| widget.open(View::Policy { anchor: Some(anchor.clone()) }));
        html! { <button type="button" class="dc-link dc-clause" {onclick}>{ format!("{} {reference}", t.clause) }</button> }
    });
    html! {
        <li class="dc-purpose">
            <div class="dc-purpose-text">
                <h3 id={title_id.clone()} class="dc-purpose-title">{ purpose.title.get(lang) }</h3>
                <p id={summary_id.clone()}>{ purpose.summary.get(lang) }</p>
                if purpose.id.as_str() == "contests_publicity" {
                    <p class="dc-warning">{ t.publicity_warning }</p>
                }
                if necessary { <p class="dc-reason">{ t.necessary_reason }</p> }
                if gpc_locked { <p class="dc-gpc">{ t.gpc_honoured }</p> }
                <p class="dc-clauses">{ for clauses }</p>
                if !necessary && granted_now {
                    <button type="button" class="dc-link" onclick={withdraw}>{ t.withdraw }</button>
                }
            </div>
            <div class="dc-switch-cell">
                <button type="button" role="switch" class="dc-switch"
                    aria-checked={on.to_string()} aria-labelledby={title_id} aria-describedby={summary_id}
                    disabled={necessary || gpc_locked} onclick={toggle}>
                    <span class="dc-switch-knob" aria-hidden="true"></span>
                </button>
                if necessary { <span class="dc-locked">{ t.necessary_locked }</span> }
            </div>
        </li>
    }
}
