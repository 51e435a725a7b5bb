//! Consent signals for the host page's tags: Google Consent Mode v2, derived from the purposes
//! of the catalog, so that the widget and any tag agree on what a choice means.

use crate::PurposeId;
use std::collections::BTreeMap;

/// The Consent Mode v2 types, each with the purposes that must all be granted for it.
/// `functionality_storage` and `security_storage` serve necessary purposes: always granted.
const CONSENT_MODE: &[(&str, &[&str])] = &[
    ("ad_storage", &["personalised_ads"]),
    ("ad_user_data", &["personalised_ads"]),
    ("ad_personalization", &["personalised_ads"]),
    ("analytics_storage", &["research"]),
    ("functionality_storage", &[]),
    ("personalization_storage", &["personalised_ads"]),
    ("security_storage", &[]),
];

/// `granted` / `denied` per Consent Mode type, for `gtag('consent', 'update', …)`.
pub fn consent_mode(granted: impl Fn(PurposeId) -> bool) -> BTreeMap<&'static str, &'static str> {
    CONSENT_MODE
        .iter()
        .map(|(signal, purposes)| {
            let all = purposes
                .iter()
                .all(|p| PurposeId::parse(p).map(&granted).unwrap_or(false));
            (*signal, if all { "granted" } else { "denied" })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_denies_all_but_functionality_and_security() {
        // Before the user has answered (the loader's `consent default`).
        let d = consent_mode(|_| false);
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
    fn every_purpose_named_exists() {
        for (_, purposes) in CONSENT_MODE {
            for p in *purposes {
                assert!(PurposeId::parse(p).is_ok(), "{p}");
            }
        }
    }
}
