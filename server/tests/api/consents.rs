use crate::both_databases;
use crate::helpers::*;
use serde_json::{json, Value};

async fn choices_are_stored_with_a_receipt_and_read_back(app: TestApp) {
    let token = user_token("u-choices");
    let fresh = app.consents(&token).await;
    assert_eq!(fresh["answered"], false);
    assert!(
        !granted(&fresh, "contests_publicity"),
        "consent purposes start off"
    );
    assert!(granted(&fresh, "service"), "necessary purposes are on");

    let response = app
        .put_consents(
            &token,
            json!({ "contests_publicity": true, "promotion": false, "service": true }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let receipt = &body["receipt"];
    assert_eq!(receipt["subject"], "user:u-choices");
    assert_eq!(receipt["policy_version"], "2026-11");
    assert_eq!(receipt["language_shown"], "kk");
    assert_eq!(receipt["choices"]["contests_publicity"], true);
    assert!(uuid::Uuid::parse_str(receipt["receipt_id"].as_str().unwrap()).is_ok());

    let state = app.consents(&token).await;
    assert_eq!(state["answered"], true);
    assert!(granted(&state, "contests_publicity"));
    assert!(!granted(&state, "promotion"));
    assert!(!granted(&state, "surveys"));
    assert_eq!(state["accepted"]["edition"], "2026-11");
    assert_eq!(state["accepted"]["method"], "button");
    let changed = state["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == "contests_publicity")
        .unwrap();
    assert_eq!(changed["changed_at"], receipt["at"]);
}

async fn refusing_a_necessary_purpose_is_rejected_and_nothing_is_stored(app: TestApp) {
    let token = user_token("u-necessary");
    let response = app
        .put_consents(
            &token,
            json!({ "contests_publicity": true, "legal_obligations": false }),
        )
        .await;
    let error = error_of(response, 422).await;
    assert_eq!(error["error"], "necessary_purpose");
    assert!(error["message"].as_str().unwrap().contains("2.7"));
    let state = app.consents(&token).await;
    assert!(
        !granted(&state, "contests_publicity"),
        "the valid part was not stored either"
    );
    assert_eq!(state["answered"], false);
    assert!(app.ledger_of("u-necessary").await.is_empty());
}

async fn unknown_purposes_editions_and_languages_are_refused(app: TestApp) {
    let token = user_token("u-unknown");
    let send = |body: Value| {
        app.put("/v1/consents")
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let unknown_purpose =
        send(json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "spam": true } }))
            .await
            .unwrap();
    assert!(message_of(unknown_purpose, 422)
        .await
        .contains("unknown purpose `spam`"));
    let unknown_edition =
        send(json!({ "policy_version": "1999-01", "lang": "kk", "choices": { "surveys": true } }))
            .await
            .unwrap();
    assert_eq!(
        error_of(unknown_edition, 422).await["error"],
        "unknown_edition"
    );
    let unknown_lang =
        send(json!({ "policy_version": "2026-11", "lang": "de", "choices": { "surveys": true } }))
            .await
            .unwrap();
    assert!(message_of(unknown_lang, 422).await.contains("lang"));
    let nothing = send(json!({ "policy_version": "2026-11", "lang": "kk", "choices": {} }))
        .await
        .unwrap();
    error_of(nothing, 422).await;
    assert!(app.ledger_of("u-unknown").await.is_empty());
}

async fn a_visitor_keeps_choices_on_a_device_and_they_follow_them_when_signing_in(app: TestApp) {
    let device = new_device();
    let response = app
        .put("/v1/consents")
        .device(&device)
        .json(&json!({ "policy_version": "2026-11", "lang": "ru", "choices": { "surveys": true } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["receipt"]["subject"], format!("device:{}", device.id));

    let state = app
        .consents_from_device(&user_token("u-linked"), &device)
        .await;
    assert!(
        granted(&state, "surveys"),
        "the device's choice carried over to the account"
    );
    let other = app.consents(&user_token("u-other")).await;
    assert!(!granted(&other, "surveys"));
}

/// Every write records the visit first: a signed-in user's first save from a device links it
/// and carries its choices, as a read would.
async fn a_save_from_a_device_at_sign_in_carries_its_choices(app: TestApp) {
    let device = new_device();
    let on_device =
        json!({ "policy_version": "2026-11", "lang": "ru", "choices": { "surveys": true } });
    let response = app
        .put("/v1/consents")
        .device(&device)
        .json(&on_device)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = app
        .put_consents_from_device(&user_token("u-saves"), &device, json!({ "research": true }))
        .await;
    assert!(granted(&body["state"], "research"), "{body}");
    assert!(
        granted(&body["state"], "surveys"),
        "carried from the device: {body}"
    );
}

/// The first save from a device at sign-in carries the device's choice and then changes the
/// same purpose: one write sets the same choice twice, and what is stored is the later, the
/// user's own (on PostgreSQL, a write's rows go in one statement, where two changes to one row
/// would keep either).
async fn a_save_at_sign_in_that_refuses_what_the_device_granted_stays_refused(app: TestApp) {
    let device = new_device();
    app.answer_as_device(&device, json!({ "surveys": true, "research": true }))
        .await;
    let body = app
        .put_consents_from_device(
            &user_token("u-refuses"),
            &device,
            json!({ "surveys": false }),
        )
        .await;
    assert!(!granted(&body["state"], "surveys"), "{body}");
    assert!(granted(&body["state"], "research"), "carried: {body}");
    assert_eq!(
        body["withdrawal"]["purposes"],
        json!(["surveys"]),
        "what the account held, carried, is withdrawn: {body}"
    );
    let stored = app.consents(&user_token("u-refuses")).await;
    assert!(!granted(&stored, "surveys"), "{stored}");
    assert!(granted(&stored, "research"), "{stored}");
}

async fn users_never_see_or_change_each_others_records(app: TestApp) {
    let alice = user_token("alice");
    let bob = user_token("bob");
    assert_eq!(
        app.put_consents(&alice, json!({ "research": true, "cross_border": true }))
            .await
            .status(),
        200
    );
    let bobs = app.consents(&bob).await;
    assert!(!granted(&bobs, "research") && !granted(&bobs, "cross_border"));
    assert_eq!(bobs["answered"], false);
    let bob_data: Value = app.get_json("/v1/me/data", &bob).await;
    assert_eq!(bob_data["subject"], "user:bob");
    assert!(bob_data["consent_history"].as_array().unwrap().is_empty());
    let alices = app.consents(&alice).await;
    assert!(granted(&alices, "research"));
}

both_databases!(
    a_save_from_a_device_at_sign_in_carries_its_choices,
    a_save_at_sign_in_that_refuses_what_the_device_granted_stays_refused,
    choices_are_stored_with_a_receipt_and_read_back,
    refusing_a_necessary_purpose_is_rejected_and_nothing_is_stored,
    unknown_purposes_editions_and_languages_are_refused,
    a_visitor_keeps_choices_on_a_device_and_they_follow_them_when_signing_in,
    users_never_see_or_change_each_others_records,
);
