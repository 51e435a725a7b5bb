//! What a flaky network and a hostile signed-in user do: writes sent twice, device ids taken
//! from another browser, the same chain written from many requests at once.

use crate::both_databases;
use crate::helpers::*;
use serde_json::{json, Value};

fn choices_body(surveys: bool) -> Value {
    json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": surveys } })
}

async fn put_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.put("/v1/consents")
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn count(ledger: &[Value], kind: &str) -> usize {
    ledger.iter().filter(|e| kind_of(e) == kind).count()
}

/// The answer to a stored write was lost and the client sends it again.
async fn a_repeated_write_is_answered_as_the_first_and_stored_once(app: TestApp) {
    let token = user_token("u-retry");
    let key = uuid::Uuid::new_v4().to_string();
    let first: Value = put_with_key(&app, &token, &key, &choices_body(true))
        .await
        .json()
        .await
        .unwrap();
    let again = put_with_key(&app, &token, &key, &choices_body(true)).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again["receipt"]["receipt_id"], first["receipt"]["receipt_id"],
        "the first answer"
    );
    assert_eq!(
        count(&app.ledger_of("u-retry").await, "choices"),
        1,
        "stored once"
    );

    let other = put_with_key(&app, &token, &key, &choices_body(false)).await;
    assert_eq!(
        error_of(other, 422).await["error"],
        "idempotency_key_reused"
    );
    assert!(
        granted(&app.consents(&token).await, "surveys"),
        "the different body stored nothing"
    );

    // Keys are per subject: another user's write with the same key is their own.
    let stranger = put_with_key(&app, &user_token("u-stranger"), &key, &choices_body(false)).await;
    assert_eq!(stranger.status(), 200);

    let withdraw = |key: &'static str| {
        app.post("/v1/withdrawals")
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({ "purposes": ["surveys"], "lang": "ru" }))
            .send()
    };
    let first: Value = withdraw("w-1").await.unwrap().json().await.unwrap();
    let again: Value = withdraw("w-1").await.unwrap().json().await.unwrap();
    assert_eq!(first["withdrawal_id"], again["withdrawal_id"]);
    assert_eq!(count(&app.ledger_of("u-retry").await, "withdrawal"), 1);
    let bad_key = app
        .put("/v1/consents")
        .bearer_auth(&token)
        .header("Idempotency-Key", "")
        .json(&choices_body(true))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(bad_key, 400).await["error"], "bad_idempotency_key");
}

/// The same write sent from two tabs at once, with the same key: one record.
async fn the_same_write_at_once_from_two_places_is_stored_once(app: TestApp) {
    let token = user_token("u-race");
    let key = uuid::Uuid::new_v4().to_string();
    let sends: Vec<_> = (0..6)
        .map(|_| {
            tokio::spawn(
                app.put("/v1/consents")
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&choices_body(true))
                    .send(),
            )
        })
        .collect();
    let mut receipts = std::collections::BTreeSet::new();
    for send in sends {
        let response = send.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        receipts.insert(body["receipt"]["receipt_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(receipts.len(), 1, "one answer for all");
    assert_eq!(count(&app.ledger_of("u-race").await, "choices"), 1);
}

/// Two server processes on one database (and, on PostgreSQL, no process-wide lock: writes run
/// at once up to the pool's size), writing the same subjects at once: every chain stays valid
/// and every answered write is there.
async fn two_processes_writing_the_same_subjects_keep_every_chain_valid(app: TestApp) {
    let other = app.another_process().await;
    let users = ["u-two-a", "u-two-b", "u-two-c"];
    let mut sends = Vec::new();
    for i in 0..48 {
        let server = if i % 2 == 0 { &app } else { &other.app };
        let token = user_token(users[i % users.len()]);
        let put = server
            .put("/v1/consents")
            .bearer_auth(&token)
            .json(&choices_body(i % 4 < 2))
            .send();
        let batch = json!({ "events": [event("banner_shown"), event("choices_saved")] });
        let post = server
            .post("/v1/events")
            .bearer_auth(&token)
            .json(&batch)
            .send();
        sends.push(tokio::spawn(put));
        sends.push(tokio::spawn(post));
    }
    for send in sends {
        assert_eq!(send.await.unwrap().unwrap().status(), 200);
    }
    let output = app.command(&["verify"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for user in users {
        let ledger = app.ledger_of(user).await;
        assert_eq!(
            count(&ledger, "choices"),
            16,
            "{user}: every answered write is there"
        );
        assert_eq!(count(&ledger, "event"), 32, "{user}");
        assert!(
            stdout.contains(&format!("ok      user:{user}:")),
            "{stdout}"
        );
    }
}

/// Writes that arrive together are committed together (SQLite) or side by side (PostgreSQL),
/// and one that fails midway rolls back alone: its 5xx, nothing of it stored, every other
/// write answered 200 and there.
async fn a_write_failing_midway_rolls_back_alone(app: TestApp) {
    let doom = if app.database_url.starts_with("sqlite") {
        "CREATE TRIGGER doomed BEFORE INSERT ON consent_state WHEN NEW.subject = 'user:u-doomed'
         BEGIN SELECT RAISE(ABORT, 'doomed'); END;"
    } else {
        "CREATE FUNCTION doomed() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.subject = 'user:u-doomed' THEN RAISE EXCEPTION 'doomed'; END IF; RETURN NEW; END; $$;
         CREATE TRIGGER doomed BEFORE INSERT ON consent_state FOR EACH ROW EXECUTE FUNCTION doomed();"
    };
    app.sql(doom).await.unwrap();
    let sends: Vec<_> = (0..30)
        .map(|i| {
            let user = if i % 10 == 5 {
                "u-doomed".to_owned()
            } else {
                format!("u-fine-{i}")
            };
            let put = app
                .put("/v1/consents")
                .bearer_auth(user_token(&user))
                .json(&choices_body(true))
                .send();
            (user, tokio::spawn(put))
        })
        .collect();
    for (user, send) in sends {
        let status = send.await.unwrap().unwrap().status();
        let expected = if user == "u-doomed" { 500 } else { 200 };
        assert_eq!(status, expected, "{user}");
    }
    for i in (0..30).filter(|i| i % 10 != 5) {
        assert_eq!(
            count(&app.ledger_of(&format!("u-fine-{i}")).await, "choices"),
            1
        );
    }
    assert!(app.ledger_of("u-doomed").await.is_empty());
    assert_eq!(
        app.count_rows("activity", "user:u-doomed").await,
        0,
        "not even its visit, written before the failing statement"
    );
    let output = app.command(&["verify"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Many appends to one chain at the same moment keep it whole.
async fn simultaneous_appends_to_one_chain_keep_it_valid(app: TestApp) {
    let token = user_token("u-busy");
    let sends: Vec<_> = (0..24)
        .map(|i| {
            let body = choices_body(i % 2 == 0);
            let batch = json!({ "events": [event("banner_shown")] });
            let put = app
                .put("/v1/consents")
                .bearer_auth(&token)
                .json(&body)
                .send();
            let post = app
                .post("/v1/events")
                .bearer_auth(&token)
                .json(&batch)
                .send();
            (tokio::spawn(put), tokio::spawn(post))
        })
        .collect();
    for (put, post) in sends {
        assert_eq!(put.await.unwrap().unwrap().status(), 200);
        assert_eq!(post.await.unwrap().unwrap().status(), 200);
    }
    let report = app
        .get_json(
            "/v1/admin/subjects/u-busy/verify?reason=concurrency%20check",
            staff_token("dpo", consent_server::auth::StaffRole::PrivacyOfficer),
        )
        .await;
    assert_eq!(report["intact"], true, "{report}");
    // Each "off" that lands after an "on" is a withdrawal too: how many depends on the order.
    let withdrawals = app
        .ledger_of("u-busy")
        .await
        .iter()
        .filter(|e| kind_of(e) == "withdrawal")
        .count();
    assert_eq!(
        report["records"],
        24 + 24 + 1 + withdrawals,
        "24 choices, 24 events, 1 acceptance, {withdrawals} withdrawals"
    );
}

/// A new visitor gets a device id and its proof from the server.
async fn a_new_device_is_issued_with_a_proof_that_later_requests_carry(app: TestApp) {
    let response = app.get("/v1/consents").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-consent-device"]
        .to_str()
        .unwrap()
        .to_owned();
    let proof = response.headers()["x-consent-device-proof"]
        .to_str()
        .unwrap()
        .to_owned();
    let state: Value = response.json().await.unwrap();
    assert_eq!(state["answered"], false);
    let device = Device { id, proof };
    app.answer_as_device(&device, json!({ "surveys": true }))
        .await;
    // Read back as that device alone: its answer is there.
    let read: Value = app
        .get("/v1/consents")
        .device(&device)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(granted(&read, "surveys"));
}

/// Someone reads another browser's device id (it sits in localStorage) and sends it.
async fn a_device_id_without_its_proof_is_refused_and_never_linked(app: TestApp) {
    let victim = new_device();
    app.answer_as_device(&victim, json!({ "surveys": true }))
        .await;

    let attacker = user_token("u-attacker");
    for proof in [None, Some("00".repeat(32)), Some(new_device().proof)] {
        let mut request = app
            .get("/v1/consents")
            .bearer_auth(&attacker)
            .header("X-Consent-Device", &victim.id);
        if let Some(proof) = &proof {
            request = request.header("X-Consent-Device-Proof", proof);
        }
        let refused = error_of(request.send().await.unwrap(), 401).await;
        assert_eq!(refused["error"], "device_not_proven");
    }
    let export: Value = app.get_json("/v1/me/export", &attacker).await;
    assert!(
        !export.to_string().contains(&victim.id),
        "the attacker sees nothing of the device"
    );
    assert!(
        !granted(&app.consents(&attacker).await, "surveys"),
        "nothing carried over"
    );

    // The owner signs in from their browser: the device is theirs, once.
    let owner = user_token("u-owner");
    let linked = app.consents_from_device(&owner, &victim).await;
    assert!(
        granted(&linked, "surveys"),
        "the owner's device choices carried over"
    );
    let export: Value = app.get_json("/v1/me/export", &owner).await;
    assert!(export.to_string().contains(&victim.id));
}

/// Even with the proof (a stolen browser profile), a device linked to one account is never
/// merged into a second one.
async fn a_device_linked_to_one_account_is_not_merged_into_another(app: TestApp) {
    let device = new_device();
    app.answer_as_device(&device, json!({ "surveys": true }))
        .await;
    app.consents_from_device(&user_token("u-first"), &device)
        .await;
    let second = user_token("u-second");
    let state = app.consents_from_device(&second, &device).await;
    assert!(
        !granted(&state, "surveys"),
        "no choices carried into the second account"
    );
    let export: Value = app.get_json("/v1/me/export", &second).await;
    assert!(
        !export.to_string().contains(&device.id),
        "its history is not shown to the second account"
    );
}

/// Choices made on a device before the account's own later ones never override them.
async fn device_choices_never_override_the_accounts_later_choices(app: TestApp) {
    let device = new_device();
    app.answer_as_device(&device, json!({ "surveys": true, "research": true }))
        .await;
    let token = user_token("u-later");
    // Later, on another device already signed in, the account refuses surveys.
    assert_eq!(
        app.put_consents(&token, json!({ "surveys": false }))
            .await
            .status(),
        200
    );
    let state = app.consents_from_device(&token, &device).await;
    assert!(
        !granted(&state, "surveys"),
        "the account's later refusal stands"
    );
    assert!(
        granted(&state, "research"),
        "what the account never chose carries over"
    );
}

/// Event ids are the subject's own, and the same UUID written in capitals is the same id.
async fn events_are_deduplicated_per_subject_with_normalised_ids(app: TestApp) {
    let id = uuid::Uuid::new_v4().to_string();
    let with_id = |id: &str| json!({ "events": [{ "id": id, "kind": "banner_shown", "at": "2026-11-25T10:00:00.000Z" }] });
    let stored = |response: reqwest::Response| async move {
        response.json::<Value>().await.unwrap()["stored"].clone()
    };
    assert_eq!(
        stored(app.post_events(&user_token("u-a"), &with_id(&id)).await).await,
        1
    );
    assert_eq!(
        stored(app.post_events(&user_token("u-b"), &with_id(&id)).await).await,
        1,
        "another subject's id suppresses nothing"
    );
    assert_eq!(
        stored(
            app.post_events(&user_token("u-a"), &with_id(&id.to_uppercase()))
                .await
        )
        .await,
        0,
        "a replay in capitals"
    );
}

both_databases!(
    writes_cut_off_mid_way_leave_the_writer_usable,
    a_write_failing_midway_rolls_back_alone,
    two_processes_writing_the_same_subjects_keep_every_chain_valid,
    a_repeated_write_is_answered_as_the_first_and_stored_once,
    the_same_write_at_once_from_two_places_is_stored_once,
    simultaneous_appends_to_one_chain_keep_it_valid,
    a_new_device_is_issued_with_a_proof_that_later_requests_carry,
    a_device_id_without_its_proof_is_refused_and_never_linked,
    a_device_linked_to_one_account_is_not_merged_into_another,
    device_choices_never_override_the_accounts_later_choices,
    events_are_deduplicated_per_subject_with_normalised_ids,
);

/// Clients that give up mid-write (a closed tab, a navigation) leave nothing stuck: writes cut
/// off at every stage, then every write after them is stored and answered.
async fn writes_cut_off_mid_way_leave_the_writer_usable(app: TestApp) {
    let impatient = reqwest::Client::new();
    let mut cut = 0;
    for i in 0..300u64 {
        let token = user_token(&format!("u-impatient-{i}"));
        let body = json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": i % 2 == 0 } });
        let sent = impatient
            .put(format!("{}/v1/consents", app.base))
            .bearer_auth(&token)
            .json(&body)
            // From a few microseconds to a few milliseconds: the server is cut off at every
            // stage of a write, the group's BEGIN included.
            .timeout(std::time::Duration::from_micros(20 + (i * 37) % 4000))
            .send()
            .await;
        cut += usize::from(sent.is_err());
    }
    assert!(cut > 0, "some writes were cut off");
    for i in 0..20 {
        let token = user_token(&format!("u-patient-{i}"));
        let response = app.put_consents(&token, json!({ "surveys": true })).await;
        assert_eq!(
            response.status(),
            200,
            "write {i} after {cut} cut off: {}",
            response.text().await.unwrap()
        );
    }
}
