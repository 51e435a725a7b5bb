//! Which language the widget speaks: an explicit setting (host config or `?lang=`), else the
//! user's saved choice, else the browser's languages, else Kazakh; and the buttons that change
//! it, the same in the banner and in every screen.

use consent_core::Lang;
use yew::prelude::*;

use crate::command::BannerAction;
use crate::i18n::texts;
use crate::widget::Widget;

pub fn choose(explicit: Option<Lang>, saved: Option<&str>, browser: &[String]) -> Lang {
    explicit
        .or_else(|| saved.and_then(|code| Lang::parse(code).ok()))
        .or_else(|| Lang::negotiate(browser.iter().map(String::as_str)))
        .unwrap_or(Lang::Kk)
}

/// The language the widget starts in, for this page and this browser.
pub fn initial(explicit: Option<Lang>) -> Lang {
    choose(
        explicit,
        crate::storage::get("lang").as_deref(),
        &browser_languages(),
    )
}

/// `navigator.languages`, most preferred first.
pub fn browser_languages() -> Vec<String> {
    gloo_utils::window()
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

/// Kazakh, Russian, English, each named in itself; `label_id` names the group.
pub fn language_buttons(current: Lang, label_id: AttrValue, on_pick: Callback<Lang>) -> Html {
    let t = texts(current);
    html! {
        <div class="dc-langs" role="group" aria-labelledby={label_id.clone()}>
            <span id={label_id} class="dc-visually-hidden">{ t.language }</span>
            { for Lang::ALL.into_iter().map(|lang| {
                let on_pick = on_pick.clone();
                let onclick = Callback::from(move |_| on_pick.emit(lang));
                let action = BannerAction::Language(lang).name();
                html! {
                    <button type="button" class="dc-lang" lang={lang.code()} data-action={action}
                        aria-pressed={(current == lang).to_string()} {onclick}>
                        { lang.endonym() }
                    </button>
                }
            }) }
        </div>
    }
}

/// Changes the language at once, everywhere in the widget, and remembers it. `label_id` names
/// the group for screen readers: unique on the page, from the screen it is on.
pub fn language_switcher(widget: &Widget, label_id: AttrValue) -> Html {
    let current = widget.lang();
    let widget = widget.clone();
    let on_pick = Callback::from(move |lang| widget.set_lang(lang));
    language_buttons(current, label_id, on_pick)
}
