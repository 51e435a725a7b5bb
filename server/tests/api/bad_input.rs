use crate::both_databases;
use crate::helpers::*;
use serde_json::json;

async fn malformed_bodies_get_a_json_error_naming_the_problem(app: TestApp) {
    let token = user_token("u-bad");
    let put_json = async |body: &'static str| {
        app.put("/v1/consents")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    };
    let syntax = error_of(put_json("{\"policy_version\": ").await, 400).await;
    assert_eq!(syntax["error"], "invalid_json");
    let wrong_type =
        put_json(r#"{"policy_version":"2026-11","lang":"kk","choices":{"surveys":"yes"}}"#);
    assert!(message_of(wrong_type.await, 422).await.contains("choices"));
    let unknown_field = put_json(
        r#"{"policy_version":"2026-11","lang":"kk","choices":{"surveys":true},"admin":true}"#,
    );
    assert!(message_of(unknown_field.await, 422)
        .await
        .contains("unknown field `admin`"));
    let not_json = app
        .put("/v1/consents")
        .bearer_auth(&token)
        .body("surveys=1")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(not_json, 415).await["error"], "not_json");
    let huge = format!(
        r#"{{"events":[{}]}}"#,
        vec![r#"{"id":"x","kind":"banner_shown","at":"2026-11-25T10:00:00.000Z"}"#; 2000].join(",")
    );
    let too_large = app
        .post("/v1/events")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(too_large, 413).await["error"], "too_large");
    let bad_time = json!({ "events": [{ "id": uuid::Uuid::new_v4().to_string(), "kind": "banner_shown", "at": "yesterday" }] });
    let response = app.post_events(&token, &bad_time).await;
    assert!(message_of(response, 422).await.contains("yesterday"));
    assert!(
        app.ledger_of("u-bad").await.is_empty(),
        "nothing was stored"
    );
}

async fn bad_device_ids_and_overlong_text_are_refused(app: TestApp) {
    let response = app
        .get("/v1/consents")
        .header("X-Consent-Device", "1234")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response, 401).await["error"], "bad_device_id");
    let long = "x".repeat(2001);
    let items = json!({ "items": [
        { "category": "email", "value": "ok@mail.kz", "source": "user" },
        { "category": "full_name", "value": long, "source": "user" }
    ] });
    let response = app.upsert_data("u-long", &items).await;
    assert!(message_of(response, 422).await.contains("items[1].value"));
    let report: serde_json::Value = app.get_json("/v1/me/data", user_token("u-long")).await;
    let email = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "email")
        .unwrap();
    assert_eq!(email["held"], false, "not even the valid item was stored");
    let long_reason = format!(
        "/v1/admin/subjects/u-long/records?reason={}",
        "y".repeat(2001)
    );
    let response = app
        .get(&long_reason)
        .bearer_auth(staff_token("s", consent_server::auth::StaffRole::Support))
        .send()
        .await
        .unwrap();
    error_of(response, 422).await;
}

both_databases!(
    malformed_bodies_get_a_json_error_naming_the_problem,
    bad_device_ids_and_overlong_text_are_refused
);
