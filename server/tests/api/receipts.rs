//! Signed consent receipts (Law 94-V Art. 8): every consent change and withdrawal is answered
//! with a compact JWS that anyone can check against the published keys, offline too.

use crate::both_databases;
use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn part(jws: &str, index: usize) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(jws.split('.').nth(index).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn purpose<'a>(claims: &'a Value, id: &str) -> &'a Value {
    claims["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {claims}"))
}

/// The hash and previous hash of the subject's last record of `kind`, as stored.
async fn stored_link(app: &TestApp, subject: &str, kind: &str) -> (String, String) {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let row = sqlx::query("SELECT hash, prev_hash FROM ledger WHERE subject = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1")
        .bind(subject)
        .bind(kind)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    (row.get("hash"), row.get("prev_hash"))
}

/// `consent-server receipt verify` on a receipt and a key set, as files, with no server and no
/// database: exit code and output.
async fn verify_offline(jws: &str, jwks: &Value) -> (i32, String) {
    let dir =
        std::env::temp_dir().join(format!("consent-receipt-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("receipt.jws"), jws).unwrap();
    std::fs::write(dir.join("jwks.json"), jwks.to_string()).unwrap();
    let receipt = dir.join("receipt.jws").display().to_string();
    let keys = dir.join("jwks.json").display().to_string();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
        .args(["receipt", "verify", &receipt, "--jwks", &keys])
        .env_clear()
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

async fn a_consent_change_is_answered_with_a_receipt_anyone_can_check(app: TestApp) {
    let user = "u-receipt";
    let name = "Әлия Түбіртек";
    let held = json!({ "items": [{ "category": "full_name", "value": name, "source": "user" }] });
    assert_eq!(app.upsert_data(user, &held).await.status(), 200);
    let token = user_token(user);
    let choices = json!({ "contests_publicity": true, "surveys": false, "cross_border": true });
    let response = app
        .put_consents_with_key(&token, choices, "receipt-key-1")
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    let jws = updated["receipt"]["signed"]
        .as_str()
        .expect("a signed receipt")
        .to_owned();

    let header = part(&jws, 0);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "consent-receipt+jwt");
    let jwks = app.public_json("/v1/receipts/jwks.json").await;
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"]),
        (&json!("OKP"), &json!("Ed25519"))
    );
    let members = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        key["x"].as_str().unwrap()
    );
    let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes()));
    assert_eq!(
        header["kid"], thumbprint,
        "the kid is the key's RFC 7638 thumbprint"
    );
    assert_eq!(key["kid"], thumbprint);

    let claims = part(&jws, 1);
    assert_eq!(claims["jti"], updated["receipt"]["receipt_id"]);
    assert_eq!(claims["jurisdiction"], "KZ");
    assert_eq!(claims["controller"]["name"], "AITU Sauda LLP");
    assert_eq!(claims["controller"]["bin"], CONTROLLER_BIN);
    assert_eq!(
        claims["subject"]["name"], name,
        "the name, when signed in and held"
    );
    let pseudonym = claims["subject"]["id"].as_str().unwrap();
    assert!(
        pseudonym.len() == 64 && !pseudonym.contains(user),
        "{pseudonym}"
    );
    let publicity = purpose(&claims, "contests_publicity");
    assert_eq!(publicity["state"], "granted");
    assert_eq!(
        publicity["clauses"],
        json!(["2.2.5"]),
        "in the notice's language"
    );
    assert!(
        !publicity["data_categories"].as_array().unwrap().is_empty(),
        "{publicity}"
    );
    assert_eq!(purpose(&claims, "surveys")["state"], "refused");
    assert_eq!(purpose(&claims, "service")["state"], "necessary");
    assert_eq!(claims["publication"]["granted"], true);
    assert_eq!(claims["cross_border"]["granted"], true);
    assert!(claims["third_parties"]
        .as_array()
        .unwrap()
        .contains(&json!("cross_border")));
    assert_eq!(
        claims["term"],
        json!({ "years_after_agreement": 3, "clause": "2.5" })
    );
    assert_eq!(claims["withdrawal"]["clause"], "2.6");
    // The notice: the hash of the exact Markdown, which anyone can fetch and hash again.
    assert_eq!(claims["notice"]["edition"], "2026-11");
    assert_eq!(
        claims["notice"]["language"], "ru",
        "the language the choices were made in"
    );
    assert_eq!(
        claims["notice"]["source"],
        "/v1/policy/2026-11/source?lang=ru"
    );
    let source = app.public("/v1/policy/2026-11/source?lang=ru").await;
    assert_eq!(
        source.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let source = source.text().await.unwrap();
    assert_eq!(
        source,
        include_str!("../../../policy/editions/2026-11/ru.md")
    );
    assert_eq!(
        claims["notice"]["sha256"],
        hex::encode(Sha256::digest(source.as_bytes()))
    );
    // The record it proves, as the ledger holds it.
    let (hash, prev_hash) = stored_link(&app, &format!("user:{user}"), "choices").await;
    assert_eq!(
        (&claims["record"]["hash"], &claims["record"]["prev_hash"]),
        (&json!(hash), &json!(prev_hash))
    );

    // The same request again: the same receipt, not a second one.
    let again = app
        .put_consents_with_key(
            &token,
            json!({ "contests_publicity": true, "surveys": false, "cross_border": true }),
            "receipt-key-1",
        )
        .await;
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["receipt"]["signed"], json!(jws));

    // Downloaded again from "my data", with a text a person reads, in their language; the
    // file as downloaded is what the command checks. Nobody else gets it.
    let id = updated["receipt"]["receipt_id"].as_str().unwrap();
    let download = app
        .get_json(&format!("/v1/me/receipts/{id}?lang=kk"), &token)
        .await;
    assert_eq!(download["signed"], json!(jws));
    let text = download["text"].as_str().unwrap();
    for line in [
        "Келісім туралы түбіртек",
        "Оператор: AITU Sauda LLP, БСН 123456789012",
        "Субъект: Әлия Түбіртек",
        "Конкурстар және жариялау (2.2.5): келісім берілді",
        "Сауалнамалар (2.2.6): бас тартылды",
        "Трансшекаралық беру: иә",
    ] {
        assert!(text.contains(line), "{line} in:\n{text}");
    }
    let issued = consent_core::Timestamp::parse(
        updated["receipt"]["at"]
            .as_str()
            .expect("the receipt's time"),
    )
    .unwrap();
    let issued_line = format!("Берілген күні: {} (UTC+5; ", issued.kazakhstan_minute());
    assert!(
        text.contains(&issued_line),
        "the time as read in Kazakhstan, then the instant: {issued_line} in:\n{text}"
    );
    assert!(text.trim_end().ends_with(&jws), "{text}");
    assert_eq!(
        verify_offline(text, &jwks).await.0,
        0,
        "the downloaded file verifies"
    );
    let stranger = app
        .get(&format!("/v1/me/receipts/{id}"))
        .bearer_auth(user_token("u-stranger"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(stranger, 404).await["error"], "not_found");

    // Offline: valid as issued; one character changed anywhere, and it is not.
    let (code, out) = verify_offline(&jws, &jwks).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("valid: receipt"), "{out}");
    let payload_at = jws.find('.').unwrap() + 10;
    let mut tampered = jws.clone().into_bytes();
    tampered[payload_at] = if tampered[payload_at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let (code, out) = verify_offline(&String::from_utf8(tampered).unwrap(), &jwks).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("INVALID"), "{out}");
}

async fn a_withdrawal_is_answered_with_its_own_signed_receipt(app: TestApp) {
    let token = user_token("u-receipt-w");
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    let response = app
        .withdraw(&token, &json!({ "purposes": ["surveys"], "lang": "ru" }))
        .await;
    assert_eq!(response.status(), 200);
    let recorded: Value = response.json().await.unwrap();
    let jws = recorded["signed_receipt"]
        .as_str()
        .expect("a signed receipt");
    let claims = part(jws, 1);
    assert_eq!(claims["jti"], recorded["withdrawal_id"]);
    assert_eq!(purpose(&claims, "surveys")["state"], "refused");
    assert_eq!(claims["notice"]["language"], "ru");
    assert_eq!(claims["subject"]["name"], Value::Null, "no name is held");
    let (hash, _) = stored_link(&app, "user:u-receipt-w", "withdrawal").await;
    assert_eq!(claims["record"]["hash"], hash);
    let jwks = app.public_json("/v1/receipts/jwks.json").await;
    assert_eq!(verify_offline(jws, &jwks).await.0, 0);
}

async fn receipts_signed_before_the_key_was_replaced_still_verify(app: TestApp) {
    let token = user_token("u-receipt-k");
    let first: Value = app
        .put_consents(&token, json!({ "surveys": true }))
        .await
        .json()
        .await
        .unwrap();
    let old = first["receipt"]["signed"].as_str().unwrap().to_owned();
    // The key that signed is retired in configuration: its public half stays vouched for.
    let retired = consent_server::receipts::ReceiptKey::from_seed_hex(RECEIPT_KEY)
        .unwrap()
        .jwk();
    let replaced = app
        .same_database_with(|s| {
            s.receipt_key = Some(consent_server::receipts::ReceiptKey::generate());
            s.receipt_retired_keys = vec![retired];
        })
        .await;
    let second: Value = replaced
        .put_consents(&token, json!({ "surveys": false }))
        .await
        .json()
        .await
        .unwrap();
    let new = second["receipt"]["signed"].as_str().unwrap();
    assert_ne!(part(&old, 0)["kid"], part(new, 0)["kid"]);
    let jwks = replaced.public_json("/v1/receipts/jwks.json").await;
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "the retired key stays published: {jwks}"
    );
    assert_eq!(verify_offline(&old, &jwks).await.0, 0, "the old receipt");
    assert_eq!(verify_offline(new, &jwks).await.0, 0, "the new one");
    // A key set without the key that signed: not verified.
    let only_new = json!({ "keys": [jwks["keys"][0]] });
    let (code, out) = verify_offline(&old, &only_new).await;
    assert_eq!(code, 2);
    assert!(out.contains("not in the key set"), "{out}");
}

async fn an_edition_source_is_served_as_published_in_kk_and_ru_only(app: TestApp) {
    let ru = app.public("/v1/policy/2026-11/source?lang=ru").await;
    assert_eq!(ru.status(), 200);
    assert_eq!(ru.headers()["content-language"], "ru");
    assert_eq!(
        ru.text().await.unwrap(),
        include_str!("../../../policy/editions/2026-11/ru.md")
    );
    let en = app.public("/v1/policy/2026-11/source?lang=en").await;
    assert!(message_of(en, 404).await.contains("kk and ru"));
    let unknown = app.public("/v1/policy/1999-01/source?lang=kk").await;
    assert_eq!(error_of(unknown, 404).await["error"], "not_found");
}

/// F7: keys were trusted from the database, so one `INSERT` made a forged receipt verify.
async fn a_receipt_key_planted_in_the_database_is_neither_published_nor_trusted(app: TestApp) {
    let token = user_token("u-receipt-forged");
    let answered: Value = app
        .put_consents(&token, json!({ "surveys": true }))
        .await
        .json()
        .await
        .unwrap();
    let genuine = answered["receipt"]["signed"].as_str().unwrap().to_owned();
    let attacker = consent_server::receipts::ReceiptKey::generate();
    let planted = attacker.jwk();
    app.sql(&format!(
        "INSERT INTO receipt_keys (kid, x, seed, added_at) VALUES ('{}', '{}', NULL, 0)",
        planted.kid, planted.x
    ))
    .await
    .unwrap();
    let mut claims = consent_server::receipts::claims_of(&genuine).unwrap();
    claims.jti = "forged".into();
    let forged = attacker.sign(&claims);

    let restarted = app.same_database_with(|_| {}).await;
    let jwks = restarted.public_json("/v1/receipts/jwks.json").await;
    assert!(
        !jwks.to_string().contains(&planted.kid),
        "the planted key is not published: {jwks}"
    );
    let (code, out) = verify_offline(&forged, &jwks).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not in the key set"), "{out}");
    assert_eq!(verify_offline(&genuine, &jwks).await.0, 0);

    let output = app
        .command_with(&["verify"], &[("CONSENT_RECEIPT_KEY", RECEIPT_KEY)])
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!("BROKEN  receipt key {}", planted.kid)),
        "{stdout}"
    );
}

both_databases!(
    a_receipt_key_planted_in_the_database_is_neither_published_nor_trusted,
    a_consent_change_is_answered_with_a_receipt_anyone_can_check,
    a_withdrawal_is_answered_with_its_own_signed_receipt,
    receipts_signed_before_the_key_was_replaced_still_verify,
    an_edition_source_is_served_as_published_in_kk_and_ru_only
);
