//! The policy files and catalogs against the published text (`policy/seed/`).

use consent_core::policy::Block;
use consent_core::{catalog, editions, Lang, LegalBasis, PolicyEdition, Sensitivity};

const SEED: &str = include_str!("../../policy/seed/000_edbea6bc1c28116f.txt");
const RUSSIAN_TITLE: &str = "Политика конфиденциальности";

/// The published text of one language with only the extraction damage repaired: Latin schwa
/// where Kazakh Cyrillic ә belongs, and no-break spaces. Line breaks and doubled spaces do not
/// change the sequence of words.
fn published_words(lang: Lang) -> Vec<String> {
    let split = SEED
        .find(RUSSIAN_TITLE)
        .expect("the seed has a Russian part");
    let text = match lang {
        Lang::Kk => &SEED[..split],
        Lang::Ru => &SEED[split..],
        Lang::En => unreachable!("no published English text"),
    };
    text.replace('\u{0259}', "\u{04D9}")
        .replace('\u{018F}', "\u{04D8}")
        .replace('\u{00A0}', " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn edition(lang: Lang) -> PolicyEdition {
    editions()
        .into_iter()
        .find(|e| e.language == lang)
        .expect("an edition in this language")
}

fn assert_same_words(lang: Lang) {
    let published = published_words(lang);
    let parsed = edition(lang);
    let parsed: Vec<&str> = parsed.words();
    let first_difference = published
        .iter()
        .zip(&parsed)
        .position(|(a, b)| a != b)
        .unwrap_or(published.len().min(parsed.len()));
    assert!(
        published.len() == parsed.len() && first_difference == published.len(),
        "{lang}: {} published words, {} parsed; first difference at word {first_difference}:\n published: {:?}\n parsed:    {:?}",
        published.len(),
        parsed.len(),
        &published[first_difference.saturating_sub(3)..(first_difference + 5).min(published.len())],
        &parsed[first_difference.saturating_sub(3)..(first_difference + 5).min(parsed.len())],
    );
}

#[test]
fn kazakh_edition_has_every_published_word_in_order() {
    assert_same_words(Lang::Kk);
}

#[test]
fn russian_edition_has_every_published_word_in_order() {
    assert_same_words(Lang::Ru);
}

#[test]
fn kazakh_text_uses_cyrillic_schwa_only() {
    let kk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policy/editions/2026-11/kk.md"
    ))
    .unwrap();
    assert!(
        !kk.contains(['\u{0259}', '\u{018F}']),
        "Latin schwa left in kk.md"
    );
    let cyrillic_schwas = kk.matches(['\u{04D9}', '\u{04D8}']).count();
    assert_eq!(cyrillic_schwas, 114, "every repaired letter is there");
    assert!(!kk.contains('\u{00A0}') && !kk.contains("  "));
}

#[test]
fn structure_is_as_published() {
    for lang in [Lang::Kk, Lang::Ru] {
        let e = edition(lang);
        assert_eq!(e.sections.len(), 6, "{lang}: six sections");
        let numbers: Vec<&str> = e
            .clauses()
            .map(|c| c.number.trim_end_matches('.'))
            .collect();
        assert_eq!(
            numbers.iter().filter(|n| **n == "3.4").count(),
            2,
            "{lang}: 3.4 twice"
        );
        assert_eq!(numbers.len(), 29, "{lang}: clauses {numbers:?}");
        let anchors: std::collections::HashSet<&str> =
            e.clauses().map(|c| c.anchor.as_str()).collect();
        assert_eq!(anchors.len(), numbers.len(), "{lang}: anchors are unique");
    }
    assert_eq!(numbered_items(&edition(Lang::Kk), "2.2"), 10);
    assert_eq!(numbered_items(&edition(Lang::Ru), "2.2"), 8);
    assert_eq!(
        edition(Lang::Kk).deemed_accepted_from(),
        edition(Lang::Kk).published.add_days(7)
    );
}

fn numbered_items(e: &PolicyEdition, clause: &str) -> usize {
    e.clause(clause)
        .unwrap()
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Item { marker, .. } if marker.ends_with(')')))
        .count()
}

#[test]
fn every_item_of_2_2_maps_to_exactly_one_purpose() {
    for lang in [Lang::Kk, Lang::Ru] {
        let items = numbered_items(&edition(lang), "2.2");
        for n in 1..=items {
            let reference = format!("2.2.{n}");
            let owners: Vec<_> = catalog()
                .purposes
                .iter()
                .filter(|p| p.clauses_in(lang).contains(&reference))
                .map(|p| p.id.as_str())
                .collect();
            assert_eq!(owners.len(), 1, "{lang} {reference} belongs to {owners:?}");
        }
    }
}

#[test]
fn every_clause_a_purpose_cites_exists() {
    for lang in [Lang::Kk, Lang::Ru] {
        let e = edition(lang);
        for p in &catalog().purposes {
            for reference in p.clauses_in(lang) {
                assert!(
                    e.resolve(reference).is_some(),
                    "{lang}: {} cites missing {reference}",
                    p.id
                );
            }
        }
    }
}

#[test]
fn the_consent_purposes_the_law_requires_are_separate_toggles_off_by_default() {
    let required = [
        ("promotion", "2.2.4"),
        ("contests_publicity", "2.2.5"),
        ("surveys", "2.2.6"),
        ("personalised_ads", "2.2.8"),
        ("research", "4.2"),
        ("cross_border", "4.2"),
    ];
    for (id, ru_clause) in required {
        let p = catalog()
            .purpose(id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(p.basis, LegalBasis::Consent, "{id}");
        assert!(!p.default_granted(), "{id}");
        assert!(
            p.clauses_in(Lang::Ru).iter().any(|c| c == ru_clause),
            "{id}"
        );
    }
    assert_eq!(
        catalog()
            .purpose("personalised_ads")
            .unwrap()
            .clauses_in(Lang::Kk),
        ["2.2.9", "2.2.10"]
    );
    for p in &catalog().purposes {
        assert_eq!(p.default_granted(), p.is_necessary(), "{}", p.id);
    }
}

fn clause_text(e: &PolicyEdition, number: &str) -> String {
    let blocks = &e.clause(number).unwrap().blocks;
    blocks.iter().map(Block::text).collect::<Vec<_>>().join(" ")
}

#[test]
fn every_data_category_of_2_3_is_in_the_catalog() {
    let expected = [
        "ip_address",
        "geolocation",
        "search_history",
        "visit_times",
        "cookies",
        "browser_os",
        "full_name",
        "identity_document",
        "social_name",
        "social_ids",
        "apple_id",
        "phone",
        "email",
        "face_image",
    ];
    let ids: Vec<&str> = catalog().categories.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, expected);
    for lang in [Lang::Kk, Lang::Ru] {
        let e = edition(lang);
        let text = clause_text(&e, "2.3");
        for c in &catalog().categories {
            let quote = &c.quote[&lang];
            assert!(
                text.contains(quote.as_str()),
                "{lang}: `{quote}` ({}) not in 2.3",
                c.id
            );
        }
        // Each listed item but the last (the catch-all "other data") is some category.
        let bullets: Vec<&str> = e
            .clause("2.3")
            .unwrap()
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Item { .. }))
            .map(Block::text)
            .collect();
        assert_eq!(bullets.len(), 8, "{lang}");
        for bullet in &bullets[..7] {
            assert!(
                catalog()
                    .categories
                    .iter()
                    .any(|c| bullet.contains(c.quote[&lang].as_str())),
                "{lang}: no category for `{bullet}`"
            );
        }
    }
    let sensitive: Vec<&str> = catalog()
        .categories
        .iter()
        .filter(|c| c.sensitivity == Sensitivity::Sensitive)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(sensitive, ["identity_document", "face_image"]);
}

#[test]
fn every_catalog_text_exists_in_kazakh_russian_and_english() {
    let texts = catalog()
        .purposes
        .iter()
        .flat_map(|p| [&p.title, &p.summary])
        .chain(catalog().categories.iter().map(|c| &c.name));
    for t in texts {
        for lang in Lang::ALL {
            assert!(!t.get(lang).trim().is_empty(), "{t:?} has no {lang}");
        }
        assert!(
            !t.kk.contains(['\u{0259}', '\u{018F}']),
            "Latin schwa in {:?}",
            t.kk
        );
        assert!(t.en.is_ascii(), "English text is plain: {:?}", t.en);
    }
}
