//! Fuzzing (bounded, in the test command): the policy Markdown parser and the API's request
//! bodies as the shared types read them. Whatever comes in, nothing panics, and what is refused
//! is refused with a message that names something.

use consent_core::api::{ConsentUpdate, EventBatch, SubjectDataUpsert, WithdrawalRequest};
use consent_core::policy::PolicyEdition;
use proptest::prelude::*;
use serde_json::Value;

const KK: &str = include_str!("../../policy/editions/2026-11/kk.md");
const RU: &str = include_str!("../../policy/editions/2026-11/ru.md");

/// What a policy's Markdown is made of, to splice into a real edition.
fn markdown_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("---\n".to_owned()),
        Just("# ".to_owned()),
        Just("## 9. ".to_owned()),
        Just("2.2.".to_owned()),
        Just("1) ".to_owned()),
        Just("- ".to_owned()),
        Just("* ".to_owned()),
        Just("edition: 2026-13\n".to_owned()),
        Just("published: 2026-02-30\n".to_owned()),
        Just("language: xx\n".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("ә".to_owned()),
        any::<String>(),
    ]
}

/// A real edition with a piece spliced in at `at` (a fraction of its length) and `cut` bytes
/// taken out there.
fn damaged(source: &str, at: f64, cut: usize, piece: &str) -> String {
    let mut start = ((source.len() as f64) * at) as usize;
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + cut).min(source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{piece}{}", &source[..start], &source[end..])
}

fn refused_with_a_reason<T>(
    result: Result<T, impl std::fmt::Display>,
) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert!(
            !e.to_string().trim().is_empty(),
            "an error without a message"
        );
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            any::<String>(),
            Just("2026-11".to_owned()),
            Just("kk".to_owned()),
            Just("surveys".to_owned()),
            Just("service".to_owned()),
            Just("banner_shown".to_owned()),
            Just("2026-11-25T10:00:00.000Z".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    any::<String>(),
                    Just("policy_version".to_owned()),
                    Just("lang".to_owned()),
                    Just("choices".to_owned()),
                    Just("events".to_owned()),
                    Just("purposes".to_owned()),
                    Just("items".to_owned()),
                    Just("surveys".to_owned()),
                    Just("id".to_owned()),
                    Just("kind".to_owned()),
                    Just("at".to_owned()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_policy_parser_takes_any_text_without_panicking(text in any::<String>()) {
        refused_with_a_reason(PolicyEdition::parse(&text))?;
    }

    #[test]
    fn a_damaged_edition_is_read_or_refused_with_its_line(
        kazakh in any::<bool>(),
        at in 0.0f64..1.0,
        cut in 0usize..400,
        piece in markdown_piece(),
    ) {
        let source = damaged(if kazakh { KK } else { RU }, at, cut, &piece);
        match PolicyEdition::parse(&source) {
            Ok(edition) => prop_assert!(!edition.sections.is_empty()),
            Err(e) => {
                prop_assert!(e.line <= source.lines().count() + 1, "line {} of {}", e.line, source.lines().count());
                prop_assert!(!e.problem.is_empty());
            }
        }
    }

    #[test]
    fn request_bodies_of_any_shape_are_read_or_refused_with_a_message(value in json_value()) {
        let text = value.to_string();
        refused_with_a_reason(serde_json::from_str::<ConsentUpdate>(&text))?;
        refused_with_a_reason(serde_json::from_str::<EventBatch>(&text))?;
        refused_with_a_reason(serde_json::from_str::<WithdrawalRequest>(&text))?;
        refused_with_a_reason(serde_json::from_str::<SubjectDataUpsert>(&text))?;
    }

    #[test]
    fn request_bytes_that_are_not_json_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        refused_with_a_reason(serde_json::from_str::<ConsentUpdate>(&text))?;
        refused_with_a_reason(serde_json::from_str::<EventBatch>(&text))?;
    }
}
