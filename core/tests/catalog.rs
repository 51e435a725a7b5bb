//! The catalogs of purposes and data categories: what a change to their files may not break.

use consent_core::catalog::{catalog, load, served_json, DataCategoryId, PurposeId, Recipient};
use consent_core::signals::{consent_mode_in, ConsentModeType};
use consent_core::Lang;

const PURPOSES_JSON: &str = include_str!("../../policy/purposes.json");
const CATEGORIES_JSON: &str = include_str!("../../policy/data_categories.json");

#[test]
fn the_served_catalog_reads_as_the_shipped_one() {
    let served: serde_json::Value = serde_json::from_str(&served_json()).unwrap();
    let file = |key: &str| serde_json::json!({ key: served[key] }).to_string();
    let served = load(&file("purposes"), &file("categories")).unwrap();
    assert_eq!(served.purposes, catalog().purposes);
    assert_eq!(served.categories, catalog().categories);
}

#[test]
fn unknown_ids_are_refused_with_their_name() {
    let err = PurposeId::parse("spam").unwrap_err();
    assert_eq!(err.to_string(), "unknown purpose `spam`");
    assert!(serde_json::from_str::<PurposeId>("\"surveys\"").is_ok());
    assert!(serde_json::from_str::<DataCategoryId>("\"surveys\"").is_err());
}

#[test]
fn a_consent_purpose_that_defaults_on_is_rejected() {
    let purposes = PURPOSES_JSON.replacen("\"default\": false", "\"default\": true", 1);
    let err = load(&purposes, CATEGORIES_JSON).unwrap_err();
    assert!(err.contains("must default to off"), "{err}");
}

#[test]
fn unmasked_sensitive_data_is_rejected() {
    let categories =
        CATEGORIES_JSON.replacen("\"masking\": \"on_file_since\"", "\"masking\": \"none\"", 1);
    assert!(load(PURPOSES_JSON, &categories)
        .unwrap_err()
        .contains("must be masked"));
}

#[test]
fn only_consent_purposes_can_tie_their_withdrawal_to_the_agreement() {
    let tie = |basis: &str| {
        PURPOSES_JSON.replacen(
            &format!("\"basis\": \"{basis}\","),
            &format!("\"basis\": \"{basis}\", \"withdrawal_may_end_agreement\": true,"),
            1,
        )
    };
    let err = load(&tie("necessary"), CATEGORIES_JSON).unwrap_err();
    assert!(err.contains("only a consent purpose"), "{err}");
    let tied_catalog = load(&tie("consent"), CATEGORIES_JSON).unwrap();
    let tied: Vec<_> = tied_catalog
        .purposes
        .iter()
        .filter(|p| p.withdrawal_may_end_agreement)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(tied, ["promotion"]);
    // As shipped, no consent purpose is tied to the User Agreement.
    assert!(catalog()
        .purposes
        .iter()
        .all(|p| !p.withdrawal_may_end_agreement));
}

/// What a purpose means travels with it: renamed in a copy of the catalog, it keeps its
/// Consent Mode types, recipients, GPC refusal and warning; nothing is dropped.
#[test]
fn a_renamed_purpose_keeps_what_it_means() {
    let rename = |json: &str, from: &str, to: &str| {
        json.replace(&format!("\"{from}\""), &format!("\"{to}\""))
    };
    let purposes = rename(
        &rename(PURPOSES_JSON, "research", "market_research"),
        "personalised_ads",
        "targeting",
    );
    let categories = rename(
        &rename(CATEGORIES_JSON, "research", "market_research"),
        "personalised_ads",
        "targeting",
    );
    let renamed = load(&purposes, &categories).unwrap();
    let research = renamed.purpose("market_research").unwrap();
    assert_eq!(research.consent_mode, [ConsentModeType::AnalyticsStorage]);
    assert_eq!(
        research.recipients,
        [Recipient::Affiliates, Recipient::Partners]
    );
    let targeting = renamed.purpose("targeting").unwrap();
    assert!(targeting.gpc_refuses);
    let signals = consent_mode_in(&renamed, |p| p == research.id || p == targeting.id);
    assert_eq!(signals["analytics_storage"], "granted");
    assert_eq!(signals["ad_storage"], "granted");
    let contests = renamed.purpose("contests_publicity").unwrap();
    assert!(contests
        .warning
        .as_ref()
        .unwrap()
        .get(Lang::Kk)
        .contains("жариялануы"));
}
