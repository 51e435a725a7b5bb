//! Which language the widget speaks: an explicit setting (host config or `?lang=`), else the
//! user's saved choice, else the browser's languages, else Kazakh.

use consent_core::Lang;

pub fn choose(explicit: Option<Lang>, saved: Option<&str>, browser: &[String]) -> Lang {
    explicit
        .or_else(|| saved.and_then(|code| Lang::parse(code).ok()))
        .or_else(|| Lang::negotiate(browser.iter().map(String::as_str)))
        .unwrap_or(Lang::Kk)
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
