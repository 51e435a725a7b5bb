//! Durability under SIGKILL: a server process under concurrent writes is killed at random
//! moments, 20 times, and started again on the same database. Every write it answered 2xx for
//! must be there afterwards (consent changes by their receipt, UI events by their id), and
//! `consent-server verify` must pass: no chain broken, no state the ledger does not explain.

use crate::both_databases;
use crate::helpers::*;
use serde_json::{json, Value};
use sqlx::{Connection, Row};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KILLS: usize = 20;
const WRITERS: usize = 8;

#[derive(Default)]
struct Acknowledged {
    receipts: BTreeSet<String>,
    events: BTreeSet<String>,
}

/// One writer: consent changes and event batches, one after another, each for a subject of
/// its own turn; what the server answered 2xx for is noted.
async fn write_until_refused(
    server: TestApp,
    writer: usize,
    round: usize,
    seen: Arc<Mutex<Acknowledged>>,
) {
    for i in 0.. {
        let token = user_token(&format!("crash-{writer}-{}", i % 5));
        let body = json!({ "policy_version": "2026-11", "lang": "kk",
            "choices": { "surveys": i % 2 == 0, "research": (i + round).is_multiple_of(3) } });
        let Ok(response) = server
            .put("/v1/consents")
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        if response.status() == 200 {
            let Ok(answer) = response.json::<Value>().await else {
                return;
            };
            let receipt = answer["receipt"]["receipt_id"].as_str().unwrap().to_owned();
            seen.lock().unwrap().receipts.insert(receipt);
        }
        let event = event("choices_saved");
        let id = event["id"].as_str().unwrap().to_owned();
        let batch = json!({ "events": [event] });
        let Ok(response) = server
            .post("/v1/events")
            .bearer_auth(&token)
            .json(&batch)
            .send()
            .await
        else {
            return;
        };
        if response.status() == 200 {
            seen.lock().unwrap().events.insert(id);
        }
    }
}

/// Milliseconds of load before the next kill: 150 to 650, from a fresh UUID's bits.
fn random_pause() -> Duration {
    Duration::from_millis(150 + (uuid::Uuid::new_v4().as_u128() % 500) as u64)
}

async fn stored(app: &TestApp) -> (BTreeSet<String>, BTreeSet<String>) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut receipts = BTreeSet::new();
    for row in sqlx::query("SELECT body FROM ledger WHERE kind = 'choices'")
        .fetch_all(&mut conn)
        .await
        .unwrap()
    {
        let body: Value = serde_json::from_str(&row.get::<String, _>("body")).unwrap();
        receipts.insert(body["receipt_id"].as_str().unwrap().to_owned());
    }
    let events = sqlx::query("SELECT event_id FROM events")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>("event_id"))
        .collect();
    (receipts, events)
}

async fn acknowledged_writes_survive_sigkill(app: TestApp) {
    let seen = Arc::new(Mutex::new(Acknowledged::default()));
    for round in 0..KILLS {
        let mut process = app.another_process().await;
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(write_until_refused(
                    process.app.clone_client(),
                    w,
                    round,
                    seen.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(random_pause()).await;
        process.kill().await;
        for writer in writers {
            writer.await.unwrap();
        }
    }
    let verified = app.command(&["verify"]).await;
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success(),
        "verify after {KILLS} kills: {report}"
    );

    let (receipts, events) = stored(&app).await;
    let seen = seen.lock().unwrap();
    let lost_receipts = seen.receipts.difference(&receipts).count();
    let lost_events = seen.events.difference(&events).count();
    let backend = app.database_url.split(':').next().unwrap();
    {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "crash test ({backend}, {KILLS} SIGKILLs, {WRITERS} writers): consent changes acknowledged {}, found {}, lost {lost_receipts}; \
             events acknowledged {}, found {}, lost {lost_events}; verify: ok",
            seen.receipts.len(),
            seen.receipts.len() - lost_receipts,
            seen.events.len(),
            seen.events.len() - lost_events,
        );
    }
    assert!(seen.receipts.len() > 100, "the load reached the server");
    assert_eq!(lost_receipts, 0, "an acknowledged consent change was lost");
    assert_eq!(lost_events, 0, "an acknowledged event was lost");
}

both_databases!(acknowledged_writes_survive_sigkill,);
