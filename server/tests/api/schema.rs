use crate::both_databases;
use crate::helpers::*;
use serde_json::json;

/// A database made while the schema was kept in the server's own `schema_version` table is
/// taken over by the sqlx migrations: nothing runs twice, nothing is lost, writes go on.
async fn a_database_from_before_the_sqlx_migrations_is_taken_over(app: TestApp) {
    let token = user_token("u-old");
    let saved = app.put_consents(&token, json!({ "surveys": true })).await;
    assert_eq!(saved.status(), 200);
    app.sql(
        "DROP TABLE _sqlx_migrations;
         CREATE TABLE schema_version (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL);
         INSERT INTO schema_version (name, applied_at) VALUES
           ('initial', 1), ('ledger append-only', 2),
           ('keyed chain, origins kept apart, per-subject idempotency, checkpoints', 3),
           ('truncate and checkpoint guards', 4);",
    )
    .await
    .unwrap();

    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("ok      user:u-old: 2 records"), "{stdout}");
    assert!(
        app.sql("SELECT 1 FROM schema_version").await.is_err(),
        "the old table is retired"
    );
    app.sql("SELECT version FROM _sqlx_migrations")
        .await
        .unwrap();
    let again = app.put_consents(&token, json!({ "surveys": false })).await;
    assert_eq!(again.status(), 200);
    let twice = app.command(&["verify"]).await;
    assert!(twice.status.success(), "a second start migrates nothing");
}

/// A URL naming no supported database stops the command before anything is opened, names
/// the option, and does not repeat a password it may hold.
#[tokio::test]
async fn a_bad_database_url_is_a_configuration_error() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
        .args([
            "verify",
            "--database",
            "mysql://root:hunter2@db.internal/consent",
        ])
        .env("CONSENT_SERVER_SECRET", "x".repeat(32))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--database"), "{stderr}");
    assert!(stderr.contains("is not a database URL"), "{stderr}");
    assert!(stderr.contains("mysql:"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// When a statement fails, the error says which operation it was for.
async fn a_failed_statement_names_its_operation(app: TestApp) {
    app.sql("DROP TABLE consent_state").await.unwrap();
    let output = app.command(&["verify"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("cannot list the ledger's subjects: "),
        "{stderr}"
    );
}

both_databases!(
    a_database_from_before_the_sqlx_migrations_is_taken_over,
    a_failed_statement_names_its_operation,
);
