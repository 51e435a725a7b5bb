//! The first-visit banner: what is processed and why, a link to the policy, and three equally
//! prominent answers. It overlays the page (fixed), so the page does not move.
//!
//! [`banner_view`] is pure markup from its props: the build renders it to HTML for every language
//! (`src/bin/prerender.rs`, through the components of `prerendered`), which the loader shows
//! before any wasm has arrived. Each button says what it does in `data-action`, so the loader
//! can take a click on the prerendered banner and hand it to the widget once it runs.

use consent_core::Lang;
use yew::prelude::*;

pub use crate::command::BannerAction;
use crate::i18n::texts;
use crate::language::language_buttons;
use crate::widget::Widget;

#[derive(Properties, PartialEq)]
pub struct BannerViewProps {
    pub lang: Lang,
    pub gpc: bool,
    pub title_id: AttrValue,
    pub langs_label_id: AttrValue,
    pub on_action: Callback<BannerAction>,
}

pub fn banner_view(props: &BannerViewProps) -> Html {
    let t = texts(props.lang);
    let button = |action: BannerAction, class: &'static str, label: &'static str| {
        let on_action = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action));
        html! { <button type="button" {class} data-action={action.name()} {onclick}>{ label }</button> }
    };
    let on_language = props.on_action.reform(BannerAction::Language);
    html! {
        <section class="dc-banner" role="region" aria-labelledby={props.title_id.clone()}>
            <div class="dc-banner-text">
                <h2 id={props.title_id.clone()} class="dc-banner-title">{ t.banner_title }</h2>
                <p>
                    { t.banner_body }{ " " }
                    { button(BannerAction::ReadPolicy, "dc-link", t.read_policy) }
                </p>
                if props.gpc { <p class="dc-gpc">{ t.gpc_honoured }</p> }
                { language_buttons(props.lang, props.langs_label_id.clone(), on_language) }
            </div>
            <div class="dc-actions">
                { button(BannerAction::AcceptAll, "dc-button", t.accept_all) }
                { button(BannerAction::RefuseOptional, "dc-button", t.refuse_optional) }
                { button(BannerAction::Choose, "dc-button", t.choose) }
            </div>
        </section>
    }
}

/// The live banner: the view, acting through the widget. Its ids are fixed: there is one live
/// banner at most, and the prerendered one it replaces has ids of its own.
pub fn banner(widget: &Widget) -> Html {
    let on_action = {
        let widget = widget.clone();
        Callback::from(move |action| widget.act(action))
    };
    banner_view(&BannerViewProps {
        lang: widget.lang(),
        gpc: widget.model.gpc,
        title_id: "dc-banner-title".into(),
        langs_label_id: "dc-banner-langs".into(),
        on_action,
    })
}

#[derive(Properties, PartialEq)]
pub struct SettingsButtonViewProps {
    pub lang: Lang,
    /// Consent purposes on, of all; `None` when prerendered: the loader fills it in.
    pub count: Option<(usize, usize)>,
    pub onclick: Callback<MouseEvent>,
}

/// Always there once answered: reopens the choices (consent must be as easy to change as to
/// give). Compact, so it covers little of the page, and it shows the state: "3/6" on.
/// Prerendered too, for returning visitors whose page loads no wasm.
pub fn settings_button_view(props: &SettingsButtonViewProps) -> Html {
    let label = texts(props.lang).settings;
    let action = BannerAction::Choose.name();
    let count = props
        .count
        .map(|(on, all)| format!("{on}/{all}"))
        .unwrap_or_default();
    html! {
        <button type="button" class="dc-fab" data-action={action} onclick={props.onclick.clone()}>
            <span class="dc-visually-hidden">{ label }{ " " }</span>
            <svg class="dc-fab-icon" aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
                <path d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3Z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
            </svg>
            <span class="dc-count">{ count }</span>
        </button>
    }
}

/// The build step renders components only: these wrap the views for it. The widget itself calls
/// the views as functions (a component of their own would cost the wasm more).
#[cfg(feature = "ssr")]
pub mod prerendered {
    use super::*;

    #[function_component]
    pub fn BannerView(props: &BannerViewProps) -> Html {
        banner_view(props)
    }

    #[function_component]
    pub fn SettingsButtonView(props: &SettingsButtonViewProps) -> Html {
        settings_button_view(props)
    }
}
