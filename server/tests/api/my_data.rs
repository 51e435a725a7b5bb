use crate::both_databases;
use crate::helpers::*;
use consent_server::auth::StaffRole;
use serde_json::{json, Value};

async fn seed(app: &TestApp, user: &str) {
    let items = json!({ "items": [
        { "category": "full_name", "value": "Айгерім Ахметова", "source": "user" },
        { "category": "phone", "value": "+7 701 234 56 78", "source": "user" },
        { "category": "email", "value": "aigerim@mail.kz", "source": "user" },
        { "category": "identity_document", "value": "ID 045678912", "source": "user", "since": "2026-03-02T09:00:00.000Z" },
        { "category": "face_image", "value": "face.jpg", "source": "third_party", "since": "2026-04-05T09:00:00.000Z" },
        { "category": "geolocation", "value": "Almaty", "source": "company" }
    ] });
    let response = app.upsert_data(user, &items).await;
    assert_eq!(response.status(), 200);
}

fn category<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == id)
        .unwrap()
}

async fn my_data_shows_each_category_masked_with_source_purposes_and_recipients(app: TestApp) {
    seed(&app, "u-data").await;
    let token = user_token("u-data");
    assert_eq!(
        app.put_consents(&token, json!({ "cross_border": true, "research": true }))
            .await
            .status(),
        200
    );
    let report: Value = app.get_json("/v1/me/data?lang=en", &token).await;

    assert_eq!(category(&report, "phone")["value"], "+7 7•• ••• •• 78");
    assert_eq!(category(&report, "email")["value"], "a•••@mail.kz");
    assert_eq!(
        category(&report, "identity_document")["value"],
        "on file since 2026-03-02"
    );
    assert_eq!(
        category(&report, "face_image")["value"],
        "on file since 2026-04-05"
    );
    assert_eq!(category(&report, "face_image")["source"], "third_party");
    assert_eq!(category(&report, "full_name")["value"], "Айгерім Ахметова");
    assert_eq!(category(&report, "apple_id")["held"], false);
    let geo = category(&report, "geolocation");
    assert_eq!(geo["source"], "company");
    assert!(geo["purposes"]
        .as_array()
        .unwrap()
        .contains(&json!("research")));
    assert!(
        !geo["purposes"]
            .as_array()
            .unwrap()
            .contains(&json!("personalised_ads")),
        "not consented"
    );
    let ip = category(&report, "ip_address");
    assert!(ip["recipients"]
        .as_array()
        .unwrap()
        .contains(&json!("partners")));
    assert!(report["storage_location"]
        .as_str()
        .unwrap()
        .contains("Kazakhstan"));
    assert!(report["retention"]
        .as_str()
        .unwrap()
        .contains("three years"));
    let history = report["consent_history"].as_array().unwrap();
    let choice = history.iter().find(|e| kind_of(e) == "choices").unwrap();
    assert_eq!(
        choice["ip"], "127.0.0.1",
        "the consent history holds the IP address"
    );
    let kk: Value = app.get_json("/v1/me/data?lang=kk", &token).await;
    assert_eq!(
        category(&kk, "identity_document")["value"],
        "2026-03-02 күнінен бастап сақталады"
    );
}

async fn the_export_is_unmasked_json_download_for_the_user_only(app: TestApp) {
    seed(&app, "u-export").await;
    let withdrawal = app
        .withdraw(
            &user_token("u-export"),
            &json!({ "purposes": ["surveys"], "lang": "kk" }),
        )
        .await;
    assert_eq!(withdrawal.status(), 200);
    app.ledger_of("u-export").await; // a staff look, audited
    let response = app
        .get("/v1/me/export")
        .bearer_auth(user_token("u-export"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"dosmart-my-data-"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        category(&body["data"], "phone")["value"],
        "+7 701 234 56 78"
    );
    assert_eq!(
        category(&body["data"], "identity_document")["value"],
        "ID 045678912"
    );
    assert_eq!(body["withdrawals"].as_array().unwrap().len(), 1);
    assert!(body["withdrawals"][0]["application"]
        .as_str()
        .unwrap()
        .contains("Айгерім Ахметова"));
    assert_eq!(body["staff_access"][0]["reason"], "integration test check");
    error_of(app.get("/v1/me/export").send().await.unwrap(), 401).await;
    let device_only = app
        .get("/v1/me/data")
        .device(&new_device())
        .send()
        .await
        .unwrap();
    error_of(device_only, 401).await;
}

async fn only_the_company_systems_upsert_held_data(app: TestApp) {
    let body = json!({ "items": [{ "category": "phone", "value": "+7 700 000 00 00", "source": "user" }] });
    let as_user = app
        .put("/v1/admin/subjects/u-x/data")
        .bearer_auth(user_token("u-x"))
        .json(&body)
        .send()
        .await
        .unwrap();
    error_of(as_user, 401).await;
    let unknown =
        json!({ "items": [{ "category": "shoe_size", "value": "42", "source": "user" }] });
    let response = app.upsert_data("u-x", &unknown).await;
    assert!(message_of(response, 422).await.contains("shoe_size"));
    let report: Value = app.get_json("/v1/me/data", user_token("u-x")).await;
    assert_eq!(category(&report, "phone")["held"], false);
}

async fn staff_look_only_with_a_reason_and_every_look_is_audited(app: TestApp) {
    seed(&app, "u-audit").await;
    let path = "/v1/admin/subjects/u-audit/records";
    let no_reason = app
        .get(path)
        .bearer_auth(staff_token("agent-7", StaffRole::Support))
        .send()
        .await
        .unwrap();
    error_of(no_reason, 422).await;
    let editor = app
        .get(&format!("{path}?reason=curious"))
        .bearer_auth(staff_token("ed", StaffRole::PolicyEditor))
        .send()
        .await
        .unwrap();
    error_of(editor, 403).await;
    let user = app
        .get(&format!("{path}?reason=x"))
        .bearer_auth(user_token("u-audit"))
        .send()
        .await
        .unwrap();
    error_of(user, 401).await;
    let response = app
        .get(&format!(
            "{path}?reason=ticket%2042%3A%20user%20asked%20about%20their%20phone"
        ))
        .bearer_auth(staff_token("agent-7", StaffRole::Support))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let audit = body["audit_log"].as_array().unwrap();
    assert_eq!(audit.len(), 1, "only the allowed look is logged: {audit:?}");
    assert_eq!(
        audit[0]["staff"],
        Value::Null,
        "support sees no staff member's identity"
    );
    assert_eq!(audit[0]["role"], "support");
    assert_eq!(
        audit[0]["reason"],
        "ticket 42: user asked about their phone"
    );
    assert!(audit[0]["at"].is_string());
    assert_eq!(
        category(&body["records"], "phone")["value"],
        "+7 701 234 56 78"
    );

    // The user sees the look in their own history: the role and the reason, not who.
    let mine: Value = app.get_json("/v1/me/data", user_token("u-audit")).await;
    let looks: Vec<&Value> = mine["consent_history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| kind_of(r) == "staff_access")
        .collect();
    assert_eq!(looks.len(), 1, "{mine}");
    let look = detail_of(looks[0]);
    assert_eq!(look["role"], "support");
    assert_eq!(look["action"], "read_records");
    assert_eq!(look["reason"], "ticket 42: user asked about their phone");
    assert!(!mine.to_string().contains("agent-7"), "no staff id: {mine}");

    // F11: nor in the export; only the privacy officer reads who looked.
    let export = app
        .get("/v1/me/export")
        .bearer_auth(user_token("u-audit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        export.contains("ticket 42"),
        "the look is in the export: {export}"
    );
    assert!(
        !export.contains("agent-7"),
        "no staff id in the export: {export}"
    );
    let officer: Value = app
        .get_json(
            &format!("{path}?reason=complaint%20review"),
            staff_token("dpo-1", StaffRole::PrivacyOfficer),
        )
        .await;
    assert_eq!(officer["audit_log"][0]["staff"], "agent-7");
    let support: Value = app
        .get_json(
            &format!("{path}?reason=follow-up"),
            staff_token("agent-8", StaffRole::Support),
        )
        .await;
    assert!(
        !support.to_string().contains("agent-7") && !support.to_string().contains("dpo-1"),
        "support sees no other staff member: {support}"
    );
}

both_databases!(
    my_data_shows_each_category_masked_with_source_purposes_and_recipients,
    the_export_is_unmasked_json_download_for_the_user_only,
    only_the_company_systems_upsert_held_data,
    staff_look_only_with_a_reason_and_every_look_is_audited,
);
