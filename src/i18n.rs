//! The widget's words (`consent_core::words`). The wasm carries none of them: it reads the
//! language it speaks from the server (`GET /v1/texts`), which the loader fetches beside the
//! wasm, and another only when the user switches to it. Natively (the prerender step) they are
//! the shipped ones.

use consent_core::api::DataSource;
use consent_core::Lang;

pub use consent_core::words::Texts;

pub use served::{install, install_text, is_loaded};

/// The words of `lang`. The widget renders a language only once its words are read; until a
/// switch has fetched them, the language read before stands in.
pub fn texts(lang: Lang) -> &'static Texts {
    #[cfg(not(target_arch = "wasm32"))]
    return consent_core::words::shipped(lang);
    #[cfg(target_arch = "wasm32")]
    served::texts(lang)
}

mod served {
    use super::*;
    use consent_core::words::MissingWord;
    use std::cell::RefCell;
    use wasm_bindgen::JsValue;

    thread_local! {
        static LOADED: RefCell<Vec<(Lang, &'static Texts)>> = const { RefCell::new(Vec::new()) };
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn texts(lang: Lang) -> &'static Texts {
        LOADED.with(|loaded| {
            let loaded = loaded.borrow();
            loaded
                .iter()
                .find(|(l, _)| *l == lang)
                .or(loaded.first())
                .map(|(_, t)| *t)
                .expect("the widget reads its words before it renders")
        })
    }

    pub fn is_loaded(lang: Lang) -> bool {
        LOADED.with(|loaded| loaded.borrow().iter().any(|(l, _)| *l == lang))
    }

    pub fn install(lang: Lang, texts: &'static Texts) {
        if !is_loaded(lang) {
            LOADED.with(|loaded| loaded.borrow_mut().push((lang, texts)));
        }
    }

    /// Reads the words served as JSON text. They live as long as the page: a language is read
    /// at most once.
    pub fn install_text(lang: Lang, served: &str) -> Result<(), String> {
        let words = js_sys::JSON::parse(served).map_err(|_| "the widget's texts are not JSON")?;
        let word = |key: &'static str| -> Option<&'static str> {
            let value = js_sys::Reflect::get(&words, &JsValue::from_str(key)).ok()?;
            Some(Box::leak(value.as_string()?.into_boxed_str()))
        };
        let texts = Texts::read(word).map_err(|e: MissingWord| e.to_string())?;
        install(lang, Box::leak(Box::new(texts)));
        Ok(())
    }
}

/// Source of data, in words.
pub fn source_name(lang: Lang, source: DataSource) -> &'static str {
    let t = texts(lang);
    match source {
        DataSource::User => t.source_user,
        DataSource::Company => t.source_company,
        DataSource::ThirdParty => t.source_third_party,
        DataSource::OpenSource => t.source_open_source,
    }
}
