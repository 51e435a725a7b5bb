use serde::{Deserialize, Serialize};
use std::fmt;

/// A language the product speaks. The policy is published in kk and ru; en is offered for the
/// interface and summaries, and its legal text falls back to a published language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    En,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "language `{}` is not offered (kk, ru, en)", self.0)
    }
}

impl std::error::Error for UnknownLang {}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// Exactly `kk`, `ru` or `en`: the form used in the API and in storage.
    pub fn parse(code: &str) -> Result<Lang, UnknownLang> {
        match code {
            "kk" => Ok(Lang::Kk),
            "ru" => Ok(Lang::Ru),
            "en" => Ok(Lang::En),
            other => Err(UnknownLang(other.chars().take(16).collect())),
        }
    }

    /// A BCP 47 tag as browsers report it (`kk-KZ`, `ru`, `en-US`): only the primary subtag counts.
    pub fn from_bcp47(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::parse(&primary).ok()
    }

    /// The first of the user's preferred languages that we offer (`navigator.languages` order).
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> Option<Lang> {
        preferred.into_iter().find_map(Lang::from_bcp47)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The name of the language in itself, for the language switcher.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    /// The published languages to try, in order, for legal text requested in `self`:
    /// kk and ru are published; en has no published edition and is served in ru, then kk.
    pub fn legal_fallbacks(self) -> [Lang; 2] {
        match self {
            Lang::Kk => [Lang::Kk, Lang::Ru],
            Lang::Ru => [Lang::Ru, Lang::Kk],
            Lang::En => [Lang::Ru, Lang::Kk],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text in every language the product speaks. Deserialising fails if one is missing, so a
/// catalog entry without, say, its Kazakh title cannot be loaded.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Kk => &self.kk,
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_tags_choose_the_first_offered_language() {
        assert_eq!(Lang::negotiate(["de-DE", "kk-KZ", "ru"]), Some(Lang::Kk));
        assert_eq!(Lang::negotiate(["ru-RU", "en"]), Some(Lang::Ru));
        assert_eq!(Lang::negotiate(["EN-us"]), Some(Lang::En));
        assert_eq!(Lang::negotiate(["de", "fr"]), None);
    }

    #[test]
    fn only_exact_codes_parse() {
        assert!(Lang::parse("kk").is_ok());
        assert!(Lang::parse("KK").is_err());
        assert!(Lang::parse("kz").is_err());
    }
}
