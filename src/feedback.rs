//! What became of the user's choices: saved, waiting for the network, withdrawn, or refused.
//! Shown in the foot of the screen in view (beside Save in the choices), else as a toast beside
//! the settings button, never over it. Announced: successes politely, errors at once.

use consent_core::catalog;
use yew::prelude::*;

use crate::i18n::{texts, Texts};
use crate::model::{Notice, View, WaitingOn};
use crate::widget::Widget;

/// The notice in the foot of the screen in view.
pub fn inline_notice(widget: &Widget) -> Html {
    html! { <div class="dc-inline-notice">{ regions(widget) }</div> }
}

/// The notice over the page while no screen is open: beside the settings button.
pub fn toast(widget: &Widget) -> Html {
    let on_page = widget.model.views.is_empty();
    let shown = on_page && widget.model.notice.is_some();
    html! {
        <div class={classes!("dc-toast", (!shown).then_some("dc-hidden"))}>
            if on_page { { regions(widget) } }
        </div>
    }
}

/// Two live regions, always in the page so that what appears in them is announced.
fn regions(widget: &Widget) -> Html {
    let t = texts(widget.lang());
    let notice = widget.model.notice.as_ref();
    let (status, alert) = match notice {
        Some(notice) if notice.is_error() => (html! {}, content(widget, t, notice)),
        Some(notice) => (content(widget, t, notice), html! {}),
        None => (html! {}, html! {}),
    };
    html! {
        <>
            <div role="status" aria-live="polite">{ status }</div>
            <div role="alert">{ alert }</div>
        </>
    }
}

fn content(widget: &Widget, t: &'static Texts, notice: &Notice) -> Html {
    let action = |label: &'static str, run: Callback<MouseEvent>| {
        html! { <button type="button" class="dc-button dc-notice-action" onclick={run}>{ label }</button> }
    };
    let (text, button) = match notice {
        Notice::Saved => (t.saved.to_owned(), None),
        Notice::Waiting(on) => (waiting_text(t, *on).to_owned(), None),
        Notice::Withdrawn {
            purposes,
            application,
            waiting,
        } => {
            let names: Vec<&str> = purposes
                .iter()
                .map(|p| catalog().purpose_by_id(*p).title.get(widget.lang()))
                .collect();
            let mut text = t.withdrawn_now.replace("{purposes}", &names.join("», «"));
            if let Some(on) = waiting {
                text = format!("{text} {}", waiting_text(t, *on));
            }
            let open = application.clone().map(|application| {
                let widget = widget.clone();
                action(
                    t.application_button,
                    // The notice has done its work once its proof is open.
                    Callback::from(move |_| {
                        widget.dismiss_notice();
                        widget.open(View::Application(application.clone()))
                    }),
                )
            });
            (text, open)
        }
        Notice::Failed(message) => {
            let widget = widget.clone();
            let retry = action(t.retry, Callback::from(move |_| widget.retry()));
            (format!("{}: {message}", t.error_prefix), Some(retry))
        }
        Notice::LanguageUnavailable(lang) => {
            let (widget, lang) = (widget.clone(), *lang);
            let retry = action(t.retry, Callback::from(move |_| widget.set_lang(lang)));
            (
                format!("{}: {}", t.error_prefix, t.load_failed),
                Some(retry),
            )
        }
        Notice::Dropped(message) => {
            let choose = (widget.model.view() != Some(&View::Choices)).then(|| {
                let widget = widget.clone();
                action(
                    t.choose,
                    Callback::from(move |_| widget.open(View::Choices)),
                )
            });
            (
                format!("{}: {message}. {}", t.error_prefix, t.choose_again),
                choose,
            )
        }
    };
    let dismiss = {
        let widget = widget.clone();
        let onclick = Callback::from(move |_: MouseEvent| widget.dismiss_notice());
        html! {
            <button type="button" class="dc-dismiss" aria-label={t.close} {onclick}>
                <span aria-hidden="true">{ "×" }</span>
            </button>
        }
    };
    html! {
        <div class={classes!("dc-notice", notice.is_error().then_some("dc-notice-error"))}>
            <p>{ text }</p>
            { for button }
            { dismiss }
        </div>
    }
}

fn waiting_text(t: &'static Texts, on: WaitingOn) -> &'static str {
    match on {
        WaitingOn::Network => t.saved_offline,
        WaitingOn::Server => t.saved_server_busy,
        WaitingOn::SignIn => t.saved_until_signed_in,
    }
}
