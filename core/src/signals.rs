//! Consent signals for the host page's tags: Google Consent Mode v2, derived from the purposes
//! of the catalog, so that the widget and any tag agree on what a choice means.

use crate::catalog::{catalog, Catalog, PurposeId};
use std::collections::BTreeMap;

pub use crate::catalog::ConsentModeType;

/// `granted` / `denied` per Consent Mode type, for `gtag('consent', 'update', …)`: granted when
/// some purpose names the type and every purpose naming it is granted. A type no purpose names
/// stays denied.
pub fn consent_mode(granted: impl Fn(PurposeId) -> bool) -> BTreeMap<&'static str, &'static str> {
    consent_mode_in(catalog(), granted)
}

/// [`consent_mode`] by another catalog than the shipped one.
pub fn consent_mode_in(
    catalog: &Catalog,
    granted: impl Fn(PurposeId) -> bool,
) -> BTreeMap<&'static str, &'static str> {
    crate::maps::map_by_insertion(ConsentModeType::ALL.into_iter().map(|kind| {
        let mut naming = catalog
            .purposes
            .iter()
            .filter(|p| p.consent_mode.contains(&kind))
            .peekable();
        let on = naming.peek().is_some() && naming.all(|p| granted(p.id));
        (kind.name(), if on { "granted" } else { "denied" })
    }))
}

/// What the page's tags get before the user has said anything: only what necessary purposes
/// grant. The loader sends it first of all, from the build (`src/bin/prerender.rs`).
pub fn consent_mode_default() -> BTreeMap<&'static str, &'static str> {
    consent_mode(|p| catalog().purpose_by_id(p).is_necessary())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_denies_all_but_functionality_and_security() {
        // Before the user has answered (the loader's `consent default`).
        let d = consent_mode_default();
        assert_eq!(d.len(), 7);
        assert_eq!(d["functionality_storage"], "granted");
        assert_eq!(d["security_storage"], "granted");
        assert!(d
            .iter()
            .filter(|(k, _)| !k.starts_with("functionality") && !k.starts_with("security"))
            .all(|(_, v)| *v == "denied"));
    }

    #[test]
    fn targeting_grants_ads_and_research_grants_analytics() {
        let ads = consent_mode(|p| p.as_str() == "personalised_ads");
        assert_eq!(ads["ad_storage"], "granted");
        assert_eq!(ads["ad_personalization"], "granted");
        assert_eq!(ads["analytics_storage"], "denied");
        let research = consent_mode(|p| p.as_str() == "research");
        assert_eq!(research["analytics_storage"], "granted");
        assert_eq!(research["ad_user_data"], "denied");
    }

    #[test]
    fn every_type_is_named_by_some_purpose() {
        for kind in ConsentModeType::ALL {
            assert!(
                catalog()
                    .purposes
                    .iter()
                    .any(|p| p.consent_mode.contains(&kind)),
                "{kind:?}"
            );
        }
    }
}
