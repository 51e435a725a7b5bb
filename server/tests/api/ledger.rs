use crate::both_databases;
use crate::helpers::*;
use consent_server::auth::StaffRole;
use serde_json::{json, Value};

async fn verify(app: &TestApp, user: &str) -> Value {
    app.get_json(
        &format!("/v1/admin/subjects/{user}/verify?reason=periodic%20integrity%20check"),
        staff_token("dpo", StaffRole::PrivacyOfficer),
    )
    .await
}

async fn build_history(app: &TestApp, user: &str) {
    let token = user_token(user);
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": false, "promotion": true }))
            .await
            .status(),
        200
    );
    let batch = json!({ "events": [event("banner_shown"), event("choices_saved")] });
    assert_eq!(app.post_events(&token, &batch).await.status(), 200);
}

async fn the_ledger_refuses_updates_and_deletes(app: TestApp) {
    build_history(&app, "u-append").await;
    let update = app
        .sql("UPDATE ledger SET body = '{}' WHERE subject = 'user:u-append'")
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = app
        .sql("DELETE FROM ledger WHERE subject = 'user:u-append'")
        .await;
    assert!(delete.is_err());
    let report = verify(&app, "u-append").await;
    assert_eq!(report["intact"], true);
    assert_eq!(report["records"], 5, "2 choices, 1 acceptance, 2 events");
}

/// Someone with database access removes the guard and edits a record: the chain names it.
async fn a_tampered_record_is_found_by_verify_and_the_command(app: TestApp) {
    build_history(&app, "u-tamper").await;
    build_history(&app, "u-honest").await;
    let drop_guard = if app.database_url.starts_with("sqlite") {
        "DROP TRIGGER ledger_no_update"
    } else {
        "DROP TRIGGER ledger_no_change ON ledger"
    };
    app.sql(drop_guard).await.unwrap();
    app.sql("UPDATE ledger SET body = replace(body, '\"surveys\":false', '\"surveys\":true') WHERE subject = 'user:u-tamper' AND seq = 3")
        .await
        .unwrap();

    let report = verify(&app, "u-tamper").await;
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_broken"], 3);
    assert_eq!(verify(&app, "u-honest").await["intact"], true);

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
        .args(["verify", "--database", &app.database_url])
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("BROKEN  user:u-tamper: record 3"),
        "{stdout}"
    );
    assert!(stdout.contains("ok      user:u-honest"), "{stdout}");
}

both_databases!(
    the_ledger_refuses_updates_and_deletes,
    a_tampered_record_is_found_by_verify_and_the_command
);

#[tokio::test]
async fn the_server_refuses_to_start_without_a_token_secret_and_says_why() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
        .args(["--bind", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .env_remove("CONSENT_JWT_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("CONSENT_JWT_SECRET"));
}
