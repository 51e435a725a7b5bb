//! The ledger as someone with database access but not the server's secret would attack it.

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

/// Two consent changes, an acceptance and two UI events: five records.
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

async fn the_ledger_refuses_updates_deletes_and_truncation(app: TestApp) {
    build_history(&app, "u-append").await;
    let update = app
        .sql("UPDATE ledger SET body = '{}' WHERE subject = 'user:u-append'")
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = app
        .sql("DELETE FROM ledger WHERE subject = 'user:u-append'")
        .await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    if !app.is_sqlite() {
        let truncate = app.sql("TRUNCATE ledger").await;
        assert!(truncate.unwrap_err().to_string().contains("append-only"));
    }
    let report = verify(&app, "u-append").await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(
        report["records"], 6,
        "2 choices, 1 withdrawal (surveys off), 1 acceptance, 2 events"
    );
}

/// Every stored field is covered: body, time, previous hash, and the kept IP and user agent.
async fn an_edit_to_any_field_is_found_by_verify_and_the_command(app: TestApp) {
    let edits = [
        (
            "body",
            "body = replace(body, '\"surveys\":false', '\"surveys\":true')",
        ),
        ("time", "at = at + 1"),
        ("previous hash", "prev_hash = hash"),
    ];
    for i in 0..edits.len() {
        build_history(&app, &format!("u-edit-{i}")).await;
    }
    build_history(&app, "u-origin").await;
    build_history(&app, "u-honest").await;
    app.drop_ledger_guards().await;
    for (i, (what, edit)) in edits.iter().enumerate() {
        app.sql(&format!(
            "UPDATE ledger SET {edit} WHERE subject = 'user:u-edit-{i}' AND seq = 3"
        ))
        .await
        .unwrap();
        let report = verify(&app, &format!("u-edit-{i}")).await;
        assert_eq!(report["intact"], false, "{what}: {report}");
        assert_eq!(report["first_broken"], 3, "{what}: {report}");
    }
    app.sql("UPDATE origins SET ip = '10.0.0.66' WHERE subject = 'user:u-origin'")
        .await
        .unwrap();
    assert_eq!(
        verify(&app, "u-origin").await["intact"],
        false,
        "an edited IP"
    );
    assert_eq!(verify(&app, "u-honest").await["intact"], true);

    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("BROKEN  user:u-edit-0: record 3 does not match its chain"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok      user:u-honest: 6 records"),
        "{stdout}"
    );
}

/// Without the key a rewritten chain cannot be made to pass: here the insider rewrites a record
/// and recomputes every later hash with the unkeyed SHA-256 the ledger used to use.
async fn a_deleted_middle_record_or_a_rechained_history_is_found(app: TestApp) {
    build_history(&app, "u-gap").await;
    build_history(&app, "u-rechained").await;
    app.drop_ledger_guards().await;
    app.sql("DELETE FROM ledger WHERE subject = 'user:u-gap' AND seq = 2")
        .await
        .unwrap();
    let report = verify(&app, "u-gap").await;
    assert_eq!(report["first_broken"], 3, "{report}");

    app.sql("UPDATE ledger SET hash = 'f00d' || substr(hash, 5) WHERE subject = 'user:u-rechained' AND seq = 4")
        .await
        .unwrap();
    app.sql("UPDATE ledger SET prev_hash = 'f00d' || substr(prev_hash, 5) WHERE subject = 'user:u-rechained' AND seq = 5")
        .await
        .unwrap();
    let report = verify(&app, "u-rechained").await;
    assert_eq!(report["first_broken"], 4, "{report}");
}

/// What a chain alone cannot show: its newest records cut off, or the chain deleted whole.
/// The signed checkpoint can; and a checkpoint edited to match fails its signature.
async fn truncation_and_deleted_chains_are_found_against_the_signed_checkpoint(app: TestApp) {
    build_history(&app, "u-cut").await;
    build_history(&app, "u-gone").await;
    build_history(&app, "u-kept").await;
    let made = app.command(&["checkpoint"]).await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let published: Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(
        published["subjects"], 4,
        "three users and the company's editions"
    );
    assert_eq!(app.public_json("/v1/checkpoints/latest").await, published);
    assert!(
        !published.to_string().contains("u-kept"),
        "a published checkpoint names no one"
    );

    app.drop_ledger_guards().await;
    app.sql("DELETE FROM ledger WHERE subject = 'user:u-cut' AND seq >= 4")
        .await
        .unwrap();
    app.sql("DELETE FROM ledger WHERE subject = 'user:u-gone'")
        .await
        .unwrap();
    let cut = verify(&app, "u-cut").await;
    assert_eq!(cut["intact"], false);
    assert!(
        cut["problem"].as_str().unwrap().contains("cut off"),
        "{cut}"
    );
    let gone = verify(&app, "u-gone").await;
    assert!(gone["problem"].as_str().unwrap().contains("gone"), "{gone}");
    assert_eq!(verify(&app, "u-kept").await["intact"], true);

    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("BROKEN  user:u-gone: the chain is gone"),
        "{stdout}"
    );
    assert!(
        stdout.contains("BROKEN  user:u-cut: records were cut off"),
        "{stdout}"
    );

    // Hiding it by editing the stored checkpoint breaks the checkpoint's signature.
    app.sql("UPDATE checkpoints SET heads = '[]', digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'")
        .await
        .unwrap();
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("does not match its signature"), "{stdout}");
}

/// `consent_state` decides what runs on the page: it must be what the ledger says.
async fn a_current_state_the_ledger_does_not_explain_is_found(app: TestApp) {
    build_history(&app, "u-state").await;
    assert_eq!(verify(&app, "u-state").await["intact"], true);
    app.sql("UPDATE consent_state SET granted = 1 WHERE subject = 'user:u-state' AND purpose = 'surveys'")
        .await
        .unwrap();
    let report = verify(&app, "u-state").await;
    assert_eq!(report["intact"], false);
    assert!(
        report["problem"]
            .as_str()
            .unwrap()
            .contains("current state"),
        "{report}"
    );
    assert!(granted(
        &app.consents(&user_token("u-state")).await,
        "surveys"
    ));
    // A state planted for someone with no ledger at all is found by the command.
    app.sql("INSERT INTO consent_state (subject, purpose, granted, changed_at) VALUES ('user:u-planted', 'research', 1, 0)")
        .await
        .unwrap();
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("BROKEN  user:u-planted: the current state is not what the ledger says"),
        "{stdout}"
    );
}

/// F5: the acceptance held decides whether the user is asked again: it must be what the
/// ledger's acceptances (button or continued use) add up to.
async fn an_acceptance_deleted_altered_or_planted_is_found(app: TestApp) {
    build_history(&app, "u-acc-gone").await;
    build_history(&app, "u-acc-edited").await;
    build_history(&app, "u-acc-kept").await;
    for user in ["u-acc-gone", "u-acc-edited"] {
        assert_eq!(verify(&app, user).await["intact"], true, "{user}");
    }
    app.sql("DELETE FROM acceptances WHERE subject = 'user:u-acc-gone'")
        .await
        .unwrap();
    app.sql("UPDATE acceptances SET method = 'deemed_by_continued_use' WHERE subject = 'user:u-acc-edited'")
        .await
        .unwrap();
    for user in ["u-acc-gone", "u-acc-edited"] {
        let report = verify(&app, user).await;
        assert_eq!(report["intact"], false, "{user}");
        assert!(
            report["problem"]
                .as_str()
                .unwrap()
                .contains("the acceptance held is not what the ledger says"),
            "{report}"
        );
    }
    assert_eq!(verify(&app, "u-acc-kept").await["intact"], true);
    app.sql("INSERT INTO acceptances (subject, edition, method, at) VALUES ('user:u-acc-planted', '2026-11', 'button', 0)")
        .await
        .unwrap();
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    for user in ["u-acc-gone", "u-acc-edited", "u-acc-planted"] {
        assert!(
            stdout.contains(&format!("BROKEN  user:{user}: the acceptance held")),
            "{user}: {stdout}"
        );
    }
}

/// IP addresses and user agents go after their period (2.5); every chain still verifies.
async fn the_retention_purge_deletes_origins_and_verify_still_passes(app: TestApp) {
    let device = new_device();
    let answered = app
        .put("/v1/consents")
        .device(&device)
        .header("User-Agent", "Gecko/old-visitor")
        .json(
            &json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": false } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    build_history(&app, "u-recent").await;
    // The anonymous device (its choice and its acceptance) was last seen 13 months ago.
    let long_ago = consent_core::Timestamp::parse("2025-10-01T00:00:00.000Z")
        .unwrap()
        .millis();
    let device_key = format!("device:{}", device.id);
    app.sql(&format!(
        "UPDATE activity SET last_seen = {long_ago} WHERE subject = '{device_key}'"
    ))
    .await
    .unwrap();
    app.sql(&format!(
        "UPDATE origins SET at = {long_ago} WHERE subject = '{device_key}'"
    ))
    .await
    .unwrap();

    let output = app.command(&["purge"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("of 0 user records and 2 device records"),
        "{stdout}"
    );

    let history = app.ledger_of("u-recent").await;
    assert!(
        history.iter().any(|e| e["ip"] == "127.0.0.1"),
        "recent users keep theirs"
    );
    let events: Vec<&Value> = history.iter().filter(|e| kind_of(e) == "event").collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| e["ip"].is_null() && e["user_agent"].is_null()),
        "UI events carry no IP"
    );
    let verified = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("ok      {device_key}: 2 records")),
        "{stdout}"
    );
}

both_databases!(
    the_ledger_refuses_updates_deletes_and_truncation,
    an_edit_to_any_field_is_found_by_verify_and_the_command,
    a_deleted_middle_record_or_a_rechained_history_is_found,
    truncation_and_deleted_chains_are_found_against_the_signed_checkpoint,
    a_current_state_the_ledger_does_not_explain_is_found,
    the_retention_purge_deletes_origins_and_verify_still_passes,
    an_acceptance_deleted_altered_or_planted_is_found,
);

#[tokio::test]
async fn the_server_refuses_to_start_without_its_secrets_and_says_why() {
    for (unset, expected) in [
        ("CONSENT_JWT_SECRET", "CONSENT_JWT_SECRET"),
        ("CONSENT_SERVER_SECRET", "CONSENT_SERVER_SECRET"),
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
            .args(["--bind", "127.0.0.1:0", "--database", "sqlite::memory:"])
            .env("CONSENT_JWT_SECRET", USER_SECRET)
            .env("CONSENT_SERVER_SECRET", SERVER_SECRET)
            .env_remove(unset)
            .output()
            .await
            .unwrap();
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(expected),
            "{unset}"
        );
    }
}

#[tokio::test]
async fn demo_mode_refuses_to_start_with_a_real_token_secret() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consent-server"))
        .args([
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--database",
            "sqlite::memory:",
        ])
        .env("CONSENT_JWT_SECRET", USER_SECRET)
        .env_remove("CONSENT_SERVER_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--demo hands out user tokens to anyone"),
        "{stderr}"
    );
}
