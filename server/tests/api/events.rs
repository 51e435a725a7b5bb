use crate::both_databases;
use crate::helpers::*;
use serde_json::{json, Value};

async fn a_replayed_event_is_accepted_and_stored_once(app: TestApp) {
    let token = user_token("u-events");
    let batch = json!({ "events": [event("banner_shown"), event("choices_opened"), event("choices_saved")] });
    for expected_stored in [3, 0] {
        let response = app.post_events(&token, &batch).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "received": 3, "stored": expected_stored }));
    }
    let twice_in_one = json!({ "events": [batch["events"][0].clone(), event("policy_opened"), event("policy_opened")] });
    let body: Value = app
        .post_events(&token, &twice_in_one)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["stored"], 2);
    let once = event("dialog_closed");
    let same_id_twice = json!({ "events": [once.clone(), once] });
    let body: Value = app
        .post_events(&token, &same_id_twice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        json!({ "received": 2, "stored": 1 }),
        "the same id twice in one batch"
    );
    let events = app
        .ledger_of("u-events")
        .await
        .into_iter()
        .filter(|e| kind_of(e) == "event")
        .count();
    assert_eq!(events, 6);
}

async fn a_batch_with_one_bad_event_stores_none_of_it(app: TestApp) {
    let token = user_token("u-batch");
    let mut bad = event("accept_all");
    bad["id"] = json!("not-a-uuid");
    let batch = json!({ "events": [event("banner_shown"), bad] });
    let error = error_of(app.post_events(&token, &batch).await, 422).await;
    assert!(error["message"].as_str().unwrap().contains("events[1].id"));
    let unknown_kind = json!({ "events": [event("banner_shown"), { "id": uuid::Uuid::new_v4().to_string(), "kind": "exploded", "at": "2026-11-25T10:00:00.000Z" }] });
    error_of(app.post_events(&token, &unknown_kind).await, 422).await;
    let too_many: Vec<Value> = (0..101).map(|_| event("banner_shown")).collect();
    let error = error_of(
        app.post("/v1/events")
            .bearer_auth(&token)
            .json(&json!({ "events": too_many }))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("at most 100"));
    assert!(app.ledger_of("u-batch").await.is_empty());
}

async fn anonymous_events_are_kept_against_the_device(app: TestApp) {
    let device = new_device();
    let batch = json!({ "events": [event("banner_shown"), event("refuse_optional")] });
    let response = app
        .post("/v1/events")
        .device(&device)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["stored"], 2);
    let no_subject = app.post("/v1/events").json(&batch).send().await.unwrap();
    assert_eq!(error_of(no_subject, 401).await["error"], "no_subject");
}

both_databases!(
    a_replayed_event_is_accepted_and_stored_once,
    a_batch_with_one_bad_event_stores_none_of_it,
    anonymous_events_are_kept_against_the_device,
);
