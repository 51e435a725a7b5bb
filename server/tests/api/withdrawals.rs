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
    assert!(
        text.contains(COMPANY_ADDRESS),
        "the address to send it to: {text}"
    );
    assert_eq!(body["application"]["address"], COMPANY_ADDRESS);
    // Contests are not tied to the User Agreement: 2.6's warning is not given for them.
    assert!(body.get("consequences").is_none(), "{body}");
    assert!(!text.contains("прекращение"), "{text}");
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
        .map(|e| json!(kind_of(e)))
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
}

/// Turning a purpose off and saving is the withdrawal of 2.6, recorded as one with its
/// application; a repeat of the same write records nothing more.
async fn turning_a_granted_purpose_off_is_a_withdrawal(app: TestApp) {
    let token = user_token("u-switch-off");
    store_name(&app, "u-switch-off", "Сәрсенова Айгерім").await;
    let first = app
        .put_consents(&token, json!({ "surveys": true, "research": true }))
        .await;
    let first: Value = first.json().await.unwrap();
    assert!(
        first.get("withdrawal").is_none(),
        "granting is no withdrawal: {first}"
    );

    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "surveys": false, "research": true, "promotion": false });
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = app.put_consents_with_key(&token, body.clone(), &key).await;
        assert_eq!(response.status(), 200);
        answers.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(
        answers[0], answers[1],
        "a repeat is answered as the first time"
    );
    let withdrawal = &answers[0]["withdrawal"];
    // Promotion was never on: refusing it withdraws nothing.
    assert_eq!(withdrawal["purposes"], json!(["surveys"]), "{withdrawal}");
    let text = withdrawal["application"]["text"].as_str().unwrap();
    assert!(
        text.contains("Сәрсенова Айгерім") && text.contains("Опросы (п. 2.2.6)"),
        "{text}"
    );
    assert!(text.contains(COMPANY_ADDRESS));
    assert!(!granted(&app.consents(&token).await, "surveys"));

    let withdrawals: Vec<Value> = app
        .ledger_of("u-switch-off")
        .await
        .into_iter()
        .filter(|e| kind_of(e) == "withdrawal")
        .collect();
    assert_eq!(withdrawals.len(), 1, "recorded once: {withdrawals:?}");
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
    turning_a_granted_purpose_off_is_a_withdrawal,
);
