//! A new edition is in force (1.5): accept it by button, or know from which date continued use
//! counts as acceptance (1.6: publication + 7 calendar days).

use yew::prelude::*;

use crate::i18n::texts;
use crate::model::View;
use crate::widget::Widget;

/// Only one is ever on the page: the notice shows when no screen is open.
const TITLE_ID: &str = "dc-update-title";

/// The notice; the app records that it was shown.
pub fn update_notice(widget: &Widget) -> Html {
    let t = texts(widget.lang());
    let Some(state) = widget.model.state.clone() else {
        return html! {};
    };
    let body = t
        .update_body
        .replace("{date}", &state.deemed_accepted_from.to_string());
    let accept = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.accept_edition())
    };
    let read = {
        let widget = widget.clone();
        Callback::from(move |_: MouseEvent| widget.open(View::Policy { anchor: None }))
    };
    // Offered to whoever accepted an earlier edition: the difference is what they need.
    let earlier = state
        .accepted
        .as_ref()
        .map(|a| a.edition.clone())
        .filter(|edition| *edition != state.current_edition);
    let what_changed = earlier.map(|from| {
        let widget = widget.clone();
        let to = state.current_edition.clone();
        let open = Callback::from(move |_: MouseEvent| {
            widget.open(View::Changes {
                from: from.clone(),
                to: to.clone(),
            })
        });
        html! { <button type="button" class="dc-button" onclick={open}>{ t.what_changed }</button> }
    });
    html! {
        <section class="dc-banner dc-update" role="region" aria-labelledby={TITLE_ID}>
            <div class="dc-banner-text">
                <h2 id={TITLE_ID} class="dc-banner-title">{ t.update_title }</h2>
                <p>{ body }</p>
            </div>
            <div class="dc-actions">
                <button type="button" class="dc-button dc-primary" onclick={accept}>{ t.accept }</button>
                { for what_changed }
                <button type="button" class="dc-button" onclick={read}>{ t.read_new_text }</button>
            </div>
        </section>
    }
}
