//! The widget in headless Chromium (`wasm-bindgen-test`): language choice, the outbox that never
//! loses an event, and the banner of a visitor who arrives offline.
#![cfg(target_arch = "wasm32")]

use consent_core::api::EventKind;
use consent_core::Lang;
use consent_widget::app::{App, AppProps};
use consent_widget::config::WidgetConfig;
use consent_widget::language::choose;
use consent_widget::outbox::{self, backoff_ms, EventDetail, Outbox, Speaker};
use consent_widget::storage;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn langs(tags: &[&str]) -> Vec<String> {
    tags.iter().map(|t| t.to_string()).collect()
}

#[wasm_bindgen_test]
fn explicit_language_beats_saved_beats_browser_beats_kazakh() {
    assert_eq!(
        choose(Some(Lang::En), Some("ru"), &langs(&["kk-KZ"])),
        Lang::En
    );
    assert_eq!(choose(None, Some("ru"), &langs(&["kk-KZ"])), Lang::Ru);
    assert_eq!(
        choose(None, None, &langs(&["de-DE", "ru-RU", "kk"])),
        Lang::Ru
    );
    assert_eq!(choose(None, Some("xx"), &langs(&["en-GB"])), Lang::En);
    assert_eq!(choose(None, None, &langs(&["de", "fr"])), Lang::Kk);
}

#[wasm_bindgen_test]
fn queued_events_survive_in_local_storage_until_acknowledged() {
    storage::remove("outbox");
    let first = outbox::event(
        EventKind::BannerShown,
        EventDetail {
            purpose: None,
            lang: Some(Lang::Kk),
            edition: None,
        },
    );
    let second = outbox::event(
        EventKind::AcceptAll,
        EventDetail {
            purpose: None,
            lang: Some(Lang::Kk),
            edition: None,
        },
    );
    assert_ne!(first.id, second.id, "every event has its own UUID");
    let mut queued = Outbox::load();
    let device = Speaker::Device;
    let (account, other) = (Speaker::Account("a".into()), Speaker::Account("b".into()));
    queued.push_event(first.clone(), device.clone());
    let by_account = outbox::event(
        EventKind::ChoicesOpened,
        EventDetail {
            purpose: None,
            lang: None,
            edition: None,
        },
    );
    queued.push_event(by_account.clone(), account.clone());
    queued.push_event(second.clone(), device.clone());
    queued.save();

    // What a reloaded page sees.
    let reloaded = Outbox::load();
    assert_eq!(
        reloaded.next_batch(100, &device),
        (device.clone(), vec![first.clone(), second.clone()]),
        "the device's events, without the account's"
    );
    assert_eq!(
        reloaded.next_batch(1, &device),
        (device.clone(), vec![first.clone()]),
        "smaller batches when asked"
    );
    assert_eq!(
        reloaded.next_batch(100, &other),
        (device.clone(), vec![first.clone(), second.clone()]),
        "another account signed in: the device's go as the device, the account's wait"
    );
    let mut after = reloaded.clone();
    after.acknowledge(&[first.clone(), second.clone()]);
    assert_eq!(
        after.next_batch(100, &other).1,
        Vec::<consent_core::api::UiEvent>::new()
    );
    assert_eq!(
        after.next_batch(100, &account),
        (account.clone(), vec![by_account.clone()]),
        "its own account signed in again: they go, as it"
    );
    let mut after = reloaded;
    after.acknowledge(&[by_account, first]);
    after.save();
    assert_eq!(Outbox::load().events, vec![second.clone()]);
    assert_eq!(
        Outbox::load().event_makers.len(),
        1,
        "who made an event is kept as long as the event"
    );
    let mut empty = Outbox::load();
    empty.acknowledge(&[second]);
    empty.save();
    assert!(storage::get("outbox").is_none(), "nothing left behind");
}

#[wasm_bindgen_test]
fn retries_back_off_up_to_a_minute() {
    assert_eq!(backoff_ms(0), 1_000);
    assert_eq!(backoff_ms(1), 2_000);
    assert_eq!(backoff_ms(3), 8_000);
    assert_eq!(backoff_ms(20), 60_000);
}

/// Waits for a definite signal (polling, at most 10 s) instead of a fixed time.
async fn until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    panic!("never happened: {what}");
}

fn button(root: &web_sys::Element, text: &str) -> web_sys::HtmlElement {
    let buttons = root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|b| b.text_content().unwrap_or_default().trim() == text)
        .unwrap_or_else(|| panic!("a button `{text}`"))
}

/// What the server serves (`/v1/catalog`, `/v1/texts`), from the build's own copies.
/// The shipped catalog, read as the widget reads `GET /v1/catalog`, and the shipped words.
fn install_shipped() {
    let served = consent_widget::json::from_text(&consent_core::catalog::served_json()).unwrap();
    consent_core::catalog::install(served).unwrap();
    for lang in Lang::ALL {
        consent_widget::i18n::install(lang, consent_core::words::shipped(lang));
    }
}

/// The words as `GET /v1/texts` serves them, less the keys `without`.
fn served_words(lang: Lang, without: &str) -> String {
    let words = js_sys::Object::new();
    for (key, word) in consent_core::words::shipped(lang).entries() {
        if key != without {
            js_sys::Reflect::set(&words, &key.into(), &word.into()).unwrap();
        }
    }
    js_sys::JSON::stringify(&words).unwrap().into()
}

#[wasm_bindgen_test]
fn served_words_are_read_and_a_missing_one_is_named() {
    let err = consent_widget::i18n::install_text(Lang::En, &served_words(Lang::En, "save"));
    assert_eq!(err.unwrap_err(), "the widget's texts have no `save`");
    consent_widget::i18n::install_text(Lang::En, &served_words(Lang::En, "")).unwrap();
    assert_eq!(consent_widget::i18n::texts(Lang::En).save, "Save");
}

/// Arriving with no network: the banner still asks, in the chosen language, and an answer waits
/// in the outbox with the edition last seen.
#[wasm_bindgen_test]
async fn an_offline_visitor_sees_the_banner_and_their_answer_waits() {
    install_shipped();
    storage::remove("outbox");
    storage::remove("lang");
    storage::set("edition", "2026-11");
    let root = gloo_utils::document().create_element("div").unwrap();
    gloo_utils::document()
        .body()
        .unwrap()
        .append_child(&root)
        .unwrap();
    let config = WidgetConfig {
        api_base: "http://127.0.0.1:9".into(), // nothing listens: refused at once
        explicit_lang: Some(Lang::Ru),
        token: None,
        token_url: None,
        in_app: false,
    };
    consent_widget::api_configure_for_tests(&config);
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { config }).render();
    until("the banner is shown", || {
        root.query_selector("section[role=region]")
            .ok()
            .flatten()
            .is_some()
    })
    .await;

    let banner = root
        .query_selector("section[role=region]")
        .unwrap()
        .expect("the banner is shown");
    assert!(banner
        .text_content()
        .unwrap()
        .contains("Как мы используем ваши данные"));
    assert_eq!(
        root.query_selector(".dc-root")
            .unwrap()
            .unwrap()
            .get_attribute("lang")
            .as_deref(),
        Some("ru")
    );

    button(&root, "Отказаться от необязательных").click();
    until("the user is told the answer waits", || {
        root.text_content()
            .unwrap_or_default()
            .contains("Нет связи")
    })
    .await;
    let waiting = Outbox::load()
        .choices_of(&outbox::speaking_for())
        .cloned()
        .expect("the answer waits for the network");
    assert!(
        !waiting.key.is_nil(),
        "with the key that makes a resend harmless"
    );
    let waiting = waiting.update;
    assert_eq!(waiting.policy_version.as_str(), "2026-11");
    let mut optional: Vec<_> = consent_core::catalog()
        .consent_purposes()
        .map(|p| p.id)
        .collect();
    optional.sort();
    assert_eq!(
        waiting.choices.keys().copied().collect::<Vec<_>>(),
        optional,
        "every optional purpose answered"
    );
    assert!(
        waiting.choices.values().all(|granted| !granted),
        "every optional purpose refused"
    );
    assert!(
        root.text_content().unwrap().contains("Нет связи"),
        "the user is told it will be sent"
    );
    assert!(
        root.query_selector("section[role=region]")
            .unwrap()
            .is_none(),
        "the banner does not return"
    );
    assert!(Outbox::load()
        .events
        .iter()
        .any(|e| e.kind == EventKind::RefuseOptional));
}

/// A small seeded generator: the same damage every run, so a failure comes back.
struct Damage(u64);

impl Damage {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

#[wasm_bindgen_test]
fn a_damaged_outbox_is_read_as_far_as_it_can_be_and_never_breaks_the_widget() {
    let detail = || EventDetail {
        purpose: None,
        lang: Some(Lang::Ru),
        edition: None,
    };
    storage::remove("outbox");
    let mut kept = Outbox::load();
    kept.events = vec![
        outbox::event(EventKind::BannerShown, detail()),
        outbox::event(EventKind::AcceptAll, detail()),
        outbox::event(EventKind::ChoicesOpened, detail()),
    ];
    kept.pending_choices = vec![outbox::PendingChoices {
        key: storage::random_uuid(),
        update: consent_core::api::ConsentUpdate {
            policy_version: consent_core::EditionVersion::parse("2026-11").unwrap(),
            lang: Lang::Ru,
            choices: [(consent_core::PurposeId::parse("surveys").unwrap(), false)]
                .into_iter()
                .collect(),
        },
        made_by: outbox::Speaker::Device,
    }];
    kept.save();
    let whole = Outbox::load();
    assert!(whole.pending_choices.len() == 1 && whole.events.len() == 3);
    let text = storage::get("outbox").unwrap();

    // One event edited into nonsense: the other two and the choices are still delivered.
    let first_id = whole.events[0].id.to_string();
    storage::set("outbox", &text.replacen(&first_id, "not-a-uuid", 1));
    let read = Outbox::load();
    assert_eq!(read.events, whole.events[1..].to_vec());
    assert_eq!(read.pending_choices, whole.pending_choices);
    // The events list is no list: the choices still are.
    storage::set(
        "outbox",
        &text.replacen("\"events\":[", "\"events\":7,\"x\":[", 1),
    );
    assert_eq!(Outbox::load().pending_choices, whole.pending_choices);
    // As a widget from before kept it: one object, not a list. Still sent.
    let as_list = "\"pending_choices\":[";
    let list_at = text.find(as_list).expect("the choices are kept") + as_list.len() - 1;
    let list_end = text.rfind(']').expect("the list ends");
    let one = &text[list_at + 1..list_end];
    storage::set("outbox", &format!("{{\"pending_choices\":{one}}}"));
    assert_eq!(Outbox::load().pending_choices, whole.pending_choices);

    // And 600 random damages: cut short, a byte changed, a piece repeated, a value swapped.
    let pieces = [
        "null",
        "{}",
        "[]",
        "\"\"",
        "1e999",
        "-0",
        "\"\\u0000\"",
        "{\"events\":",
        "]",
        "\"<img src=x onerror=alert(1)>\"",
    ];
    let mut damage = Damage(0x5eed_2026_1129);
    for _ in 0..600 {
        let mut bytes: Vec<char> = text.chars().collect();
        let at = damage.below(bytes.len());
        match damage.below(4) {
            0 => bytes.truncate(at),
            1 => bytes[at] = ['"', ',', '}', '0', 'ә', '\\'][damage.below(6)],
            2 => {
                let end = (at + damage.below(40)).min(bytes.len());
                let copy: Vec<char> = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => {
                let end = (at + damage.below(20)).min(bytes.len());
                bytes.splice(at..end, pieces[damage.below(pieces.len())].chars());
            }
        }
        let damaged: String = bytes.into_iter().collect();
        storage::set("outbox", &damaged);
        let read = Outbox::load();
        // Never more than was there; what is read is written back readable.
        assert!(read.events.len() <= 3, "{damaged}");
        read.save();
        assert_eq!(Outbox::load(), read, "{damaged}");
    }
    storage::remove("outbox");
}

/// What the server answers is read from the browser's `JSON.parse` into the shared types, and a
/// value that does not fit is refused with the field or variant named, never a panic.
#[wasm_bindgen_test]
fn the_servers_json_is_read_into_the_shared_types_and_what_does_not_fit_is_named() {
    use consent_core::api::ConsentUpdate;
    use consent_core::ledger::LedgerRecord;
    use consent_widget::json::from_text;
    install_shipped();

    let update: ConsentUpdate = from_text(
        r#"{"policy_version":"2026-11","lang":"kk","choices":{"surveys":false,"promotion":true},"new_field":[1.5]}"#,
    )
    .unwrap();
    assert_eq!(update.lang, Lang::Kk);
    assert_eq!(update.policy_version.to_string(), "2026-11");
    let on: Vec<(String, bool)> = update
        .choices
        .iter()
        .map(|(p, on)| (p.to_string(), *on))
        .collect();
    assert_eq!(
        on,
        [
            ("promotion".to_owned(), true),
            ("surveys".to_owned(), false)
        ]
    );

    let record: LedgerRecord = from_text(
        r#"{"withdrawal":{"withdrawal_id":"w-1","purposes":["contests_publicity"],"language":"ru"}}"#,
    )
    .unwrap();
    assert!(
        matches!(record, LedgerRecord::Withdrawal { ref purposes, language: Lang::Ru, .. } if purposes.len() == 1)
    );

    let refused = |text: &str| from_text::<ConsentUpdate>(text).unwrap_err();
    assert_eq!(
        refused(r#"{"lang":"kk","choices":{}}"#),
        "missing field policy_version"
    );
    assert_eq!(
        refused(r#"{"policy_version":"2026-11","lang":"de","choices":{}}"#),
        "unknown variant de"
    );
    assert_eq!(
        refused(r#"{"policy_version":"2026-11","lang":"kk","choices":{"surveys":0.5}}"#),
        "a value of the wrong type"
    );
    assert_eq!(
        refused(r#"{"policy_version":"2026-11","lang":"kk","choices":{"spam":true}}"#),
        "a value that is not valid here"
    );
    assert_eq!(refused("[1, 2"), "not JSON");
    assert_eq!(
        from_text::<LedgerRecord>(r#"{"withdrawal":{},"choices":{}}"#).unwrap_err(),
        "not one variant"
    );

    // Ids are read in the one form the widget and the server write them.
    let id = uuid::Uuid::from_u128(0x0192_f3a4_5b6c_7d8e_9fa0_b1c2_d3e4_f5a6);
    let read_id = |text: &str| from_text::<uuid::Uuid>(&format!("\"{text}\""));
    assert_eq!(read_id("0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6"), Ok(id));
    assert_eq!(read_id("0192F3A4-5B6C-7D8E-9FA0-B1C2D3E4F5A6"), Ok(id));
    for damaged in [
        "0192f3a45b6c7d8e9fa0b1c2d3e4f5a6",
        "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a",
        "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6f",
        "0192f3a4_5b6c-7d8e-9fa0-b1c2d3e4f5a6",
        "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5ag",
        "{0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6}",
        "0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f5é",
    ] {
        assert_eq!(
            read_id(damaged),
            Err("a value that is not valid here".to_owned()),
            "{damaged}"
        );
    }
}

/// What the widget writes (request bodies, the outbox) is, byte for byte, what the server's
/// serde_json writes for the same value, and both read it back as it was.
#[wasm_bindgen_test]
fn what_the_widget_writes_is_what_the_server_writes() {
    use consent_core::ledger::LedgerRecord;
    use consent_widget::json::{from_text, to_text};
    install_shipped();

    let tricky = "«Қымыз» \"1 л\" \\ \t\n\r \u{7}\u{8}\u{c}\u{1f} ә \u{2028} </script> 😀";
    let publicity = consent_core::PurposeId::parse("contests_publicity").unwrap();
    let detail = EventDetail {
        purpose: Some(publicity),
        lang: Some(Lang::Kk),
        edition: consent_core::EditionVersion::parse("2026-11"),
    };
    let records = [
        LedgerRecord::DataUpdated {
            by: tricky.to_owned(),
            categories: Vec::new(),
        },
        LedgerRecord::Withdrawal {
            withdrawal_id: tricky.to_owned(),
            purposes: vec![publicity],
            language: Lang::Ru,
        },
        LedgerRecord::Event(outbox::event(EventKind::AcceptAll, detail)),
        LedgerRecord::Choices {
            receipt_id: "r-1".to_owned(),
            choices: [(publicity, true)].into_iter().collect(),
            policy_version: consent_core::EditionVersion::parse("2026-11").unwrap(),
            language_shown: Lang::En,
        },
    ];
    for record in &records {
        let written = to_text(record);
        assert_eq!(written, serde_json::to_string(record).unwrap());
        assert_eq!(
            &serde_json::from_str::<LedgerRecord>(&written).unwrap(),
            record
        );
        assert_eq!(&from_text::<LedgerRecord>(&written).unwrap(), record);
    }
}

/// Every answer the widget reads, written as the server writes it (serde_json), is read here
/// field by field into the same value: the widget's reader and the server's writer agree on
/// every field name, every tag the reader spells itself (each ledger record kind, each policy
/// block) and every optional field, present or not. One-word enums are read by serde's own
/// derive, so their words cannot disagree.
#[wasm_bindgen_test]
fn every_answer_the_server_writes_is_read_back_as_it_was() {
    use consent_core::api::*;
    use consent_core::ledger::{LedgerRecord, StaffAction, StaffRole};
    use consent_core::policy::{Block, Clause, PolicyEdition, Section};
    use consent_core::{CalendarDate, DataCategoryId, DeviceId, EditionVersion, PurposeId};
    use consent_widget::json::{from_text, Read};
    use serde::Serialize;
    install_shipped();
    let shipped = consent_core::catalog::shipped_catalog();
    let read = consent_core::catalog::catalog();
    assert_eq!(
        read.purposes, shipped.purposes,
        "the catalog as served, read here"
    );
    assert_eq!(read.categories, shipped.categories);

    fn same<T: Read + Serialize>(value: &T) {
        let written = serde_json::to_string(value).unwrap();
        let read: T = from_text(&written).unwrap_or_else(|e| panic!("{e}: {written}"));
        assert_eq!(serde_json::to_string(&read).unwrap(), written);
    }

    let edition = EditionVersion::parse("2026-11").unwrap();
    let date = CalendarDate::parse("2026-11-25").unwrap();
    let at = consent_core::Timestamp::parse("2026-11-25T14:00:00.123Z").unwrap();
    let publicity = PurposeId::parse("contests_publicity").unwrap();
    let phone = DataCategoryId::parse("phone").unwrap();
    let purpose = |granted, changed_at| PurposeState {
        purpose: publicity,
        necessary: false,
        granted,
        changed_at,
    };
    let state = |accepted| ConsentState {
        current_edition: edition.clone(),
        deemed_accepted_from: date,
        accepted,
        current_accepted: true,
        answered: true,
        purposes: vec![purpose(true, Some(at)), purpose(false, None)],
    };
    let acceptance = |method| Acceptance {
        edition: edition.clone(),
        method,
        at,
    };
    let withdrawal = |address: Option<&str>, consequences: Option<&str>| Withdrawal {
        withdrawal_id: "w-1".into(),
        purposes: vec![publicity],
        application: WrittenApplication {
            language: Lang::Kk,
            filename: "өтініш.txt".into(),
            text: "«Қымыз» \"1 л\"\n".into(),
            address: address.map(Into::into),
        },
        consequences: consequences.map(Into::into),
    };
    let receipt = |signed: Option<&str>| Receipt {
        receipt_id: "r-1".into(),
        subject: "user:42".into(),
        choices: [(publicity, true)].into_iter().collect(),
        policy_version: edition.clone(),
        language_shown: Lang::En,
        at,
        signed: signed.map(Into::into),
    };
    same(&ErrorBody {
        error: "bad_request".into(),
        message: "Поле policy_version".into(),
    });
    same(&EventsAccepted {
        received: 20,
        stored: 19,
    });
    same(&ReceiptDownload {
        receipt_id: "r-1".into(),
        signed: "a.b.c".into(),
        text: "Түбіртек".into(),
    });
    for (accepted, withdrawn, signed) in [
        (None, None, None),
        (
            Some(acceptance(AcceptanceMethod::Button)),
            Some(withdrawal(Some("Алматы"), Some("2.6"))),
            Some("a.b.c"),
        ),
        (
            Some(acceptance(AcceptanceMethod::DeemedByContinuedUse)),
            Some(withdrawal(None, None)),
            None,
        ),
    ] {
        same(&ConsentUpdated {
            state: state(accepted),
            receipt: receipt(signed),
            withdrawal: withdrawn,
        });
    }

    same(&PolicyResponse {
        version: edition.clone(),
        published: date,
        deemed_accepted_from: date,
        current: true,
        requested_language: Lang::En,
        language: Lang::Ru,
        edition: PolicyEdition {
            version: edition.clone(),
            published: date,
            language: Lang::Ru,
            title: "Политика".into(),
            sections: vec![Section {
                number: "2.".into(),
                anchor: "s2".into(),
                title: "Сбор".into(),
                clauses: vec![Clause {
                    number: "2.2.".into(),
                    anchor: "c2-2".into(),
                    blocks: vec![
                        Block::Paragraph {
                            text: "Цели:".into(),
                        },
                        Block::Item {
                            marker: "5)".into(),
                            anchor: "c2-2-5".into(),
                            text: "конкурсы".into(),
                        },
                    ],
                }],
            }],
        },
    });

    same(&EditionChanges {
        from: edition.clone(),
        to: EditionVersion::parse("2026-12").unwrap(),
        language: Lang::Kk,
        clauses: [
            ClauseChangeKind::Added,
            ClauseChangeKind::Removed,
            ClauseChangeKind::Changed,
        ]
        .into_iter()
        .map(|change| ClauseChange {
            number: "1.5.".into(),
            change,
            words: [WordChange::Same, WordChange::Removed, WordChange::Added]
                .into_iter()
                .map(|change| WordRun {
                    change,
                    text: "сөз".into(),
                })
                .collect(),
        })
        .collect(),
    });

    let event = |kind| {
        outbox::event(
            kind,
            EventDetail {
                purpose: Some(publicity),
                lang: Some(Lang::Kk),
                edition: Some(edition.clone()),
            },
        )
    };
    let records = vec![
        LedgerRecord::Choices {
            receipt_id: "r-1".into(),
            choices: [(publicity, false)].into_iter().collect(),
            policy_version: edition.clone(),
            language_shown: Lang::Kk,
        },
        LedgerRecord::ChoicesCarriedFromDevice {
            from_device: DeviceId::parse("0b6f3c52-8d3e-4b8e-9a55-3a1d2f4c5e6f").unwrap(),
            choices: [(publicity, true)].into_iter().collect(),
        },
        LedgerRecord::EditionAccepted {
            edition: edition.clone(),
            method: AcceptanceMethod::DeemedByContinuedUse,
        },
        LedgerRecord::Withdrawal {
            withdrawal_id: "w-1".into(),
            purposes: vec![publicity],
            language: Lang::Ru,
        },
        LedgerRecord::DataUpdated {
            by: "crm".into(),
            categories: vec![phone],
        },
        LedgerRecord::EditionPublished {
            edition: edition.clone(),
            published: date,
            languages: vec![Lang::Kk, Lang::Ru],
        },
        LedgerRecord::StaffAccess {
            role: StaffRole::PrivacyOfficer,
            action: StaffAction::VerifyLedger,
            reason: "өтініш".into(),
        },
        LedgerRecord::Event(event(EventKind::GpcHonoured)),
    ];
    // One record of each kind: a new kind fails to compile here until it is read and added.
    for record in &records {
        match record {
            LedgerRecord::Choices { .. }
            | LedgerRecord::ChoicesCarriedFromDevice { .. }
            | LedgerRecord::EditionAccepted { .. }
            | LedgerRecord::Event(_)
            | LedgerRecord::Withdrawal { .. }
            | LedgerRecord::DataUpdated { .. }
            | LedgerRecord::StaffAccess { .. }
            | LedgerRecord::EditionPublished { .. } => {}
        }
    }
    let held = |held, value: Option<&str>, source| HeldCategory {
        category: phone,
        name: "Телефон".into(),
        sensitivity: consent_core::catalog::Sensitivity::Ordinary,
        held,
        value: value.map(Into::into),
        since: value.map(|_| at),
        source,
        purposes: vec![publicity],
        recipients: vec![
            Recipient::ItProviders,
            Recipient::Affiliates,
            Recipient::Partners,
            Recipient::CrossBorder,
        ],
    };
    same(&MyData {
        subject: "user:42".into(),
        generated_at: at,
        storage_location: "Қазақстан".into(),
        retention: "3 жыл".into(),
        categories: vec![
            held(false, None, None),
            held(true, Some("+7 7** *** 12 34"), Some(DataSource::User)),
            held(true, Some("a"), Some(DataSource::Company)),
            held(true, Some("b"), Some(DataSource::ThirdParty)),
            HeldCategory {
                sensitivity: consent_core::catalog::Sensitivity::Sensitive,
                ..held(true, Some("c"), Some(DataSource::OpenSource))
            },
        ],
        consents: state(Some(acceptance(AcceptanceMethod::Button))),
        consent_history: records
            .into_iter()
            .enumerate()
            .map(|(seq, record)| LedgerEntry {
                seq: seq as i64 + 1,
                at,
                record,
                ip: (seq % 2 == 0).then(|| "203.0.113.7".into()),
                user_agent: (seq % 3 == 0).then(|| "Mozilla/5.0".into()),
            })
            .collect(),
    });
}
