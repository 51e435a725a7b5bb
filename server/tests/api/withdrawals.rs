use crate::both_databases;
use crate::helpers::*;
use serde_json::{json, Value};

async fn store_name(app: &TestApp, user: &str, name: &str) {
    let response = app
        .upsert_data(
            user,
            &json!({ "items": [{ "category": "full_name", "value": name, "source": "user" }] }),
        )
        .await;
    assert_eq!(response.status(), 200);
}

async fn withdrawal_refuses_from_now_and_returns_the_signed_application_text(app: TestApp) {
    let token = user_token("u-withdraw");
    store_name(&app, "u-withdraw", "Иванов Иван Иванович").await;
    assert_eq!(
        app.put_consents(
            &token,
            json!({ "contests_publicity": true, "surveys": true })
        )
        .await
        .status(),
        200
    );

    let response = app
        .withdraw(
            &token,
            &json!({ "purposes": ["contests_publicity"], "lang": "ru" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let text = body["application"]["text"].as_str().unwrap();
    assert_eq!(body["application"]["language"], "ru");
    assert!(text.contains("Иванов Иван Иванович"), "{text}");
    assert!(text.contains("Конкурсы и публикация (п. 2.2.5)"), "{text}");
    assert!(text.contains("ЗАЯВЛЕНИЕ") && text.contains("2.6"));
    assert!(text.contains(body["withdrawal_id"].as_str().unwrap()));
    assert!(body["consequences"]
        .as_str()
        .unwrap()
        .contains("приостановление или прекращение"));
    assert!(body["application"]["filename"]
        .as_str()
        .unwrap()
        .ends_with(".txt"));

    let state = app.consents(&token).await;
    assert!(!granted(&state, "contests_publicity"), "withdrawn from now");
    assert!(granted(&state, "surveys"), "others untouched");
    let kinds: Vec<Value> = app
        .ledger_of("u-withdraw")
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert!(kinds.contains(&json!("withdrawal")));
}

async fn kazakh_application_and_english_consequences(app: TestApp) {
    let token = user_token("u-kk");
    for (lang, application_lang, needle) in [("kk", "kk", "ӨТІНІШ"), ("en", "ru", "ЗАЯВЛЕНИЕ")]
    {
        let body: Value = app
            .withdraw(
                &token,
                &json!({ "purposes": ["promotion", "promotion"], "lang": lang }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["application"]["language"], application_lang);
        assert!(body["application"]["text"]
            .as_str()
            .unwrap()
            .contains(needle));
        assert_eq!(
            body["purposes"],
            json!(["promotion"]),
            "duplicates are one purpose"
        );
    }
    let body: Value = app
        .withdraw(&token, &json!({ "purposes": ["surveys"], "lang": "en" }))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["consequences"]
        .as_str()
        .unwrap()
        .contains("suspended or ended"));
}

async fn necessary_purposes_cannot_be_withdrawn(app: TestApp) {
    let token = user_token("u-nec");
    let response = app
        .withdraw(
            &token,
            &json!({ "purposes": ["promotion", "service"], "lang": "kk" }),
        )
        .await;
    let error = error_of(response, 422).await;
    assert_eq!(error["error"], "necessary_purpose");
    assert!(error["message"].as_str().unwrap().contains("2.7"));
    let empty = app
        .withdraw(&token, &json!({ "purposes": [], "lang": "kk" }))
        .await;
    error_of(empty, 422).await;
    assert!(app.ledger_of("u-nec").await.is_empty());
}

both_databases!(
    withdrawal_refuses_from_now_and_returns_the_signed_application_text,
    kazakh_application_and_english_consequences,
    necessary_purposes_cannot_be_withdrawn,
);
