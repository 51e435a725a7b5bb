//! What the widget can be asked to do: by the page or the app (`DosmartConsent.*`, the native
//! bridge), and by a click on the loader's prerendered banner before the widget ran.

use consent_core::Lang;

/// What a banner button asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BannerAction {
    AcceptAll,
    RefuseOptional,
    Choose,
    ReadPolicy,
    Language(Lang),
}

impl BannerAction {
    /// The name in `data-action`, which the loader reads.
    pub fn name(self) -> String {
        match self {
            BannerAction::AcceptAll => "accept_all".into(),
            BannerAction::RefuseOptional => "refuse_optional".into(),
            BannerAction::Choose => "choose".into(),
            BannerAction::ReadPolicy => "policy".into(),
            BannerAction::Language(lang) => format!("lang:{}", lang.code()),
        }
    }

    pub fn parse(name: &str) -> Option<BannerAction> {
        Some(match name {
            "accept_all" => BannerAction::AcceptAll,
            "refuse_optional" => BannerAction::RefuseOptional,
            "choose" => BannerAction::Choose,
            "policy" => BannerAction::ReadPolicy,
            other => BannerAction::Language(Lang::parse(other.strip_prefix("lang:")?).ok()?),
        })
    }

    /// An answer: the banner closes the moment it is given.
    pub fn answers(self) -> bool {
        matches!(self, BannerAction::AcceptAll | BannerAction::RefuseOptional)
    }
}

/// What the host page can ask of the widget.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    ShowBanner,
    OpenChoices,
    OpenPolicy(Option<String>),
    SetLanguage(Lang),
    Close,
    /// A click on the prerendered banner or settings button, made before the widget ran.
    Act(BannerAction),
    /// The page signed another person in (or out): their state is not the one shown.
    PersonChanged,
}
