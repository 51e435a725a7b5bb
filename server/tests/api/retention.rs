//! Storage for the agreement's term plus 3 years (2.5): the company reports the end of a
//! user's agreement, and the purge, run as of a chosen day, erases everything held about the
//! user once 3 years have passed. The ledger keeps a signed, anonymous proof, and still verifies.

use crate::both_databases;
use crate::helpers::*;
use consent_server::auth::StaffRole;
use serde_json::{json, Value};

/// Every text value in every table of the database, for looking for what must be gone.
async fn everything_stored(app: &TestApp) -> String {
    use sqlx::{Column, Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let list = if app.database_url.starts_with("sqlite") {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 5) <> '_sqlx'"
    } else {
        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' AND substr(tablename, 1, 5) <> '_sqlx'"
    };
    let tables: Vec<String> = sqlx::query(list)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name"))
        .collect();
    assert!(tables.len() >= 10, "{tables:?}");
    let mut text = String::new();
    for table in tables {
        for row in sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            for column in row.columns() {
                if let Ok(Some(value)) = row.try_get::<Option<String>, _>(column.ordinal()) {
                    text.push_str(&value);
                    text.push('\n');
                }
            }
        }
    }
    text
}

async fn report_end(app: &TestApp, user: &str, at: &str, token: Option<&str>) -> reqwest::Response {
    let request = app
        .post(&format!("/v1/admin/subjects/{user}/agreement-ended"))
        .json(&json!({ "at": at }));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

/// The moment `days` days from now (before it, when negative), as the API writes moments.
fn days_from_now(days: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    consent_core::Timestamp(now + (days * 86_400_000.0) as i64).to_string()
}

/// The retention period of a signed-in user's data: 3 years and a day of a leap year.
const KEEP_DAYS: f64 = (3 * 365 + 1) as f64;
/// When the agreements of these tests ended: well inside the retention period.
const ENDED_DAYS_AGO: f64 = 1000.0;

async fn purge_as_of(app: &TestApp, day: &str) -> String {
    let output = app.command(&["purge", "--as-of", day]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn a_user_is_erased_3_years_after_their_agreement_ended_and_the_ledger_still_verifies(
    app: TestApp,
) {
    let (user, name, phone) = ("u-ended-2022", "Ерасыл Өшірілетін", "+77019998877");
    let token = user_token(user);
    let device = new_device();
    app.answer_as_device(&device, json!({ "promotion": true }))
        .await;
    app.consents_from_device(&token, &device).await; // signs in: the device is linked
    assert_eq!(
        app.put_consents(
            &token,
            json!({ "surveys": true, "contests_publicity": true })
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": false }))
            .await
            .status(),
        200
    ); // a withdrawal
    let held = json!({ "items": [
        { "category": "full_name", "value": name, "source": "user" },
        { "category": "phone", "value": phone, "source": "user" },
    ] });
    assert_eq!(app.upsert_data(user, &held).await.status(), 200);
    let staff = staff_token("dpo-ret", StaffRole::PrivacyOfficer);
    let reason = format!("call from {name}");
    assert_eq!(app.staff_look(user, &reason, &staff).await.status(), 200);
    // Someone whose agreement goes on.
    let other = user_token("u-still-here");
    assert_eq!(
        app.put_consents(&other, json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    let theirs = json!({ "items": [{ "category": "full_name", "value": "Дана Қалатын", "source": "user" }] });
    assert_eq!(app.upsert_data("u-still-here", &theirs).await.status(), 200);
    let checkpoint = app.command(&["checkpoint"]).await;
    assert!(checkpoint.status.success());
    let before = everything_stored(&app).await;
    assert!(before.contains(user) && before.contains(name) && before.contains(&device.id));

    // The report: refused without the service's token, or for a day still to come.
    assert_eq!(
        report_end(&app, user, &days_from_now(-ENDED_DAYS_AGO), None)
            .await
            .status(),
        401
    );
    let service = service_token();
    let future = report_end(&app, user, "2099-01-01T00:00:00Z", Some(&service)).await;
    assert!(message_of(future, 422).await.contains("future"));
    let ended = days_from_now(-ENDED_DAYS_AGO);
    let recorded = report_end(&app, user, &ended, Some(&service)).await;
    assert_eq!(recorded.status(), 200);
    let recorded: Value = recorded.json().await.unwrap();
    assert_eq!(recorded["ended_at"], ended);
    let erased_after = consent_core::Timestamp::parse(recorded["erased_after"].as_str().unwrap())
        .unwrap()
        .millis()
        - consent_core::Timestamp::parse(&ended).unwrap().millis();
    assert_eq!(
        erased_after,
        (KEEP_DAYS * 86_400_000.0) as i64,
        "3 years and a day"
    );

    // A day before the 3 years are up: nothing goes.
    let early = purge_as_of(&app, &days_from_now(KEEP_DAYS - ENDED_DAYS_AGO - 1.0)).await;
    assert!(early.contains("about 0 users"), "{early}");
    assert!(app
        .get_json("/v1/me/data?lang=ru", &token)
        .await
        .to_string()
        .contains("Ерасыл"));

    let due = purge_as_of(&app, &days_from_now(KEEP_DAYS - ENDED_DAYS_AGO + 1.0)).await;
    assert!(due.contains("about 1 users"), "{due}");
    // Nothing in any table names the user, their device, their name or their phone (looked
    // at before the user comes back, which starts a new record of their visit).
    let after = everything_stored(&app).await;
    for (what, value) in [
        ("user id", user),
        ("name", name),
        ("phone", phone),
        ("device", device.id.as_str()),
    ] {
        assert!(
            !after.contains(value),
            "the {what} is still stored:\n{after}"
        );
    }
    // F8: nor do the database's own bytes: SQLite's file and its WAL, read as bytes.
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        for (what, value) in [("name", name), ("phone", phone), ("user id", user)] {
            let found = bytes.windows(value.len()).any(|w| w == value.as_bytes());
            assert!(
                !found,
                "the {what} is still in the bytes of {path} or its WAL"
            );
        }
    }
    // "My data" holds nothing, and the consent is as for someone new.
    let report = app.get_json("/v1/me/data?lang=ru", &token).await;
    assert!(
        report["categories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["held"] == false),
        "{report}"
    );
    assert_eq!(report["consent_history"], json!([]), "{report}");
    assert_eq!(app.consents(&token).await["answered"], false);
    // The other user is untouched.
    assert_eq!(app.consents(&other).await["answered"], true);
    assert!(after.contains("u-still-here") && after.contains("Дана Қалатын"));

    // The ledger still verifies: the checkpoint's head of the erased chain is proven by its
    // signed erasure, which says what consent the chain ended on.
    let verified = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{stdout}");
    // The user's chain and that of the device they used before signing in.
    assert!(stdout.contains("2 erased under 2.5, 0 broken"), "{stdout}");
    let chain = app
        .get_json(
            &format!("/v1/admin/subjects/{user}/verify?reason=after%20erasure"),
            &staff,
        )
        .await;
    assert_eq!(chain["intact"], true, "{chain}");
    assert!(
        after.contains(r#""granted":["contests_publicity","promotion""#),
        "the proof keeps the consent: {after}"
    );
    // A proof edited in the database no longer matches its signature.
    app.sql("UPDATE erasures SET records = records + 1")
        .await
        .unwrap();
    let tampered = app.command(&["verify"]).await;
    assert_eq!(
        tampered.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&tampered.stdout)
    );
}

/// The user's agreement ends, and the purge erases them (3 years on).
async fn erase(app: &TestApp, user: &str) {
    let ended = report_end(
        app,
        user,
        &days_from_now(-ENDED_DAYS_AGO),
        Some(&service_token()),
    )
    .await;
    assert_eq!(ended.status(), 200);
    let due = purge_as_of(app, &days_from_now(KEEP_DAYS - ENDED_DAYS_AGO + 1.0)).await;
    assert!(due.contains("about 1 users"), "{due}");
}

async fn verify_all(app: &TestApp) -> (Option<i32>, String) {
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout)
}

/// F6: a user erased who comes back starts a new chain. The checkpoints cover it, and the
/// erasure of the old one does not excuse its deletion; erased again, it has its own proof.
async fn a_returning_users_new_chain_is_held_to_the_checkpoint_and_erased_with_its_own_proof(
    app: TestApp,
) {
    let answer = |user: &'static str| {
        let app = app.clone_client();
        async move {
            let token = user_token(user);
            let answered = app.put_consents(&token, json!({ "surveys": true })).await;
            assert_eq!(answered.status(), 200);
        }
    };
    for user in ["u-returns", "u-returns-twice"] {
        answer(user).await;
        assert!(app.command(&["checkpoint"]).await.status.success());
        erase(&app, user).await;
        answer(user).await; // back: a new chain
    }
    assert!(app.command(&["checkpoint"]).await.status.success());
    let (code, stdout) = verify_all(&app).await;
    assert_eq!(code, Some(0), "{stdout}");

    // The second chain is erased in its turn, with a proof of its own beside the first.
    erase(&app, "u-returns-twice").await;
    let (code, stdout) = verify_all(&app).await;
    assert_eq!(code, Some(0), "{stdout}");
    let proofs = app.count_all("erasures").await;
    assert_eq!(proofs, 3, "one proof per chain erased");

    // The returning user's new chain deleted: nothing excuses it.
    app.drop_ledger_guards().await;
    for table in [
        "ledger",
        "consent_state",
        "acceptances",
        "activity",
        "origins",
    ] {
        app.sql(&format!(
            "DELETE FROM {table} WHERE subject = 'user:u-returns'"
        ))
        .await
        .unwrap();
    }
    let (code, stdout) = verify_all(&app).await;
    assert_eq!(code, Some(2), "{stdout}");
    assert!(
        stdout.contains("is gone, and no erasure since explains it"),
        "{stdout}"
    );
}

/// An end date long past made the next purge erase the user at once, irreversibly. It is
/// bounded, and nothing is erased within the grace period after a report, which can be
/// withdrawn meanwhile.
async fn an_agreement_end_is_bounded_and_can_be_withdrawn_before_anything_is_erased(app: TestApp) {
    let (user, service) = ("u-mistaken-end", service_token());
    let token = user_token(user);
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": true }))
            .await
            .status(),
        200
    );
    let long_ago = report_end(&app, user, "2003-01-01T00:00:00Z", Some(&service)).await;
    assert!(
        message_of(long_ago, 422).await.contains("retention period"),
        "an end in 2003 is refused"
    );
    // Just inside the retention period: due at once, but not before the grace period is over.
    let recorded = report_end(&app, user, &days_from_now(1.0 - KEEP_DAYS), Some(&service)).await;
    let recorded: Value = recorded.json().await.unwrap();
    let grace_from_now = consent_core::Timestamp::parse(recorded["erased_after"].as_str().unwrap())
        .unwrap()
        .millis()
        - consent_core::Timestamp::parse(&days_from_now(0.0))
            .unwrap()
            .millis();
    let grace_days = grace_from_now as f64 / 86_400_000.0;
    assert!((29.9..30.1).contains(&grace_days), "{recorded}");
    let tomorrow = purge_as_of(&app, &days_from_now(2.0)).await;
    assert!(tomorrow.contains("about 0 users"), "{tomorrow}");
    assert_eq!(app.consents(&token).await["answered"], true);

    // The report was a mistake: withdrawn, and the purge a month on erases no one.
    let withdraw = || {
        app.delete(&format!("/v1/admin/subjects/{user}/agreement-ended"))
            .bearer_auth(&service)
            .send()
    };
    assert_eq!(withdraw().await.unwrap().status(), 200);
    let again = withdraw().await.unwrap();
    assert_eq!(error_of(again, 404).await["error"], "not_found");
    let month_on = purge_as_of(&app, &days_from_now(40.0)).await;
    assert!(month_on.contains("about 0 users"), "{month_on}");
    assert_eq!(app.consents(&token).await["answered"], true);
}

both_databases!(
    an_agreement_end_is_bounded_and_can_be_withdrawn_before_anything_is_erased,
    a_user_is_erased_3_years_after_their_agreement_ended_and_the_ledger_still_verifies,
    a_returning_users_new_chain_is_held_to_the_checkpoint_and_erased_with_its_own_proof
);
