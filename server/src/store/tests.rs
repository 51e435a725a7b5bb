//! The store's writes against a real SQLite file: group commits, readers, other processes.

use super::sql::query;
use crate::seal::ServerKeys;
use crate::store::{DatabaseUrl, Store};
use std::sync::Arc;

async fn sqlite_store(name: &str) -> (Store, std::path::PathBuf) {
    sqlite_store_with(name, |url| url).await
}

async fn sqlite_store_with(
    name: &str,
    configure: impl FnOnce(DatabaseUrl) -> DatabaseUrl,
) -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("consent-sql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url: DatabaseUrl = format!("sqlite://{}", dir.join("t.db").display())
        .parse()
        .unwrap();
    let keys = Arc::new(ServerKeys::from_secret(
        b"a test secret of enough length here",
    ));
    (Store::connect(&configure(url), keys).await.unwrap(), dir)
}

/// A write that read its subject before taking SQLite's writer stores nothing when another
/// process wrote that subject meanwhile: its decisions were taken from a state that is gone.
/// The other process's record stays, the chain stays whole, and the write sent again passes.
#[tokio::test]
async fn a_write_whose_subject_another_process_changed_meanwhile_stores_nothing() {
    use crate::store::{ledger, StoreError};
    use consent_core::LedgerRecord;
    let (store, dir) = sqlite_store("changed").await;
    let url: DatabaseUrl = format!("sqlite://{}", dir.join("t.db").display())
        .parse()
        .unwrap();
    let other_process = Store::connect(&url, store.keys.clone()).await.unwrap();
    let subject = "devices/changed";
    // A record that changes no current state: only the chain is at stake here.
    let record = LedgerRecord::DataUpdated {
        by: "crm".into(),
        categories: Vec::new(),
    };
    let now = crate::clock::now();

    let mut late = store.begin_for_subject().await.unwrap();
    ledger::append(&mut late, subject, now, &record, None)
        .await
        .unwrap();
    let mut first = other_process.begin().await.unwrap();
    ledger::append(&mut first, subject, now, &record, None)
        .await
        .unwrap();
    first.commit().await.unwrap();
    assert!(matches!(late.commit().await, Err(StoreError::Changed)));

    let mut again = store.begin_for_subject().await.unwrap();
    ledger::append(&mut again, subject, now, &record, None)
        .await
        .unwrap();
    again.commit().await.unwrap();
    let seqs: Vec<i64> = query("SELECT seq FROM ledger WHERE subject = $1 ORDER BY seq")
        .bind(subject)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("seq").unwrap())
        .collect();
    assert_eq!(
        seqs,
        [1, 2],
        "the other process's record, then the one sent again"
    );
    let report = ledger::verify(&store, subject, None).await.unwrap();
    assert!(report.intact, "{report:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Joined, each statement's values keep their places (`$9` and on included), a table
/// written again starts the next statement, and what is not an `INSERT` runs alone.
/// A value bound to the wrong parameter would store one field in another's column.
#[tokio::test]
async fn a_parameter_takes_its_numbered_value_wherever_it_first_appears() {
    let (store, dir) = sqlite_store("order").await;
    let mut tx = store.begin().await.unwrap();
    query("INSERT INTO activity (last_seen, subject) VALUES ($2, $1)")
        .bind("devices/a")
        .bind(41_i64)
        .execute(&mut tx)
        .await
        .unwrap();
    let row = query("SELECT $2 AS second, $1 AS first, last_seen FROM activity WHERE subject = $1")
        .bind("devices/a")
        .bind(7_i64)
        .fetch_one(&mut tx)
        .await
        .unwrap();
    assert_eq!(row.try_get::<String>("first").unwrap(), "devices/a");
    assert_eq!(row.try_get::<i64>("second").unwrap(), 7);
    assert_eq!(row.try_get::<i64>("last_seen").unwrap(), 41);
    tx.commit().await.unwrap();
    // The readers (sqlx) see the committed row, read the same way.
    let row = query("SELECT last_seen FROM activity WHERE subject = $1")
        .bind("devices/a")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<i64>("last_seen").unwrap(), 41);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The writing connection is the one whose commits are answered 2xx: it must wait for the
/// disk, as the readers' settings say.
#[tokio::test]
async fn the_writing_connection_commits_to_disk_before_answering() {
    let (store, dir) = sqlite_store("durable").await;
    let mut tx = store.begin().await.unwrap();
    let read = |sql: &'static str| query(sql);
    let synchronous = read("PRAGMA synchronous").fetch_one(&mut tx).await.unwrap();
    let journal = read("PRAGMA journal_mode")
        .fetch_one(&mut tx)
        .await
        .unwrap();
    // 2 is FULL.
    assert_eq!(synchronous.try_get::<i64>("synchronous").unwrap(), 2);
    assert_eq!(journal.try_get::<String>("journal_mode").unwrap(), "wal");
    drop(tx);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The writer makes no checkpoints of its own: the copier copies the WAL back into the
/// database file, and the WAL starts over instead of filling the disk.
#[tokio::test]
async fn the_wal_is_copied_back_and_starts_over_under_a_stream_of_writes() {
    let (store, dir) = sqlite_store_with("wal", |url| url.with_wal_pages_to_restart(64)).await;
    let padding = "x".repeat(3_000);
    let mut writes = Vec::new();
    for writer in 0..8 {
        let (store, padding) = (store.clone(), padding.clone());
        writes.push(tokio::spawn(async move {
            for n in 0..400_i64 {
                let mut tx = store.begin().await.unwrap();
                query("INSERT INTO activity (subject, last_seen) VALUES ($1, $2)")
                    .bind(format!("devices/{writer}-{n}-{padding}"))
                    .bind(n)
                    .execute(&mut tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for write in writes {
        write.await.unwrap();
    }
    let count = query("SELECT COUNT(*) AS n FROM activity")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(count.try_get::<i64>("n").unwrap(), 3_200);
    let size = |suffix: &str| {
        std::fs::metadata(dir.join(format!("t.db{suffix}")))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    // 3,200 rows of 3 KB. Copied back, the database file holds them. Every page written
    // passed through the WAL, so a WAL that never started over would be at least as large
    // as the database; starting over, it stays near what one of the copier's rounds sees
    // written (about 6 MB here; 64 pages is when the writer asks).
    let (database, wal) = (size(""), size("-wal"));
    assert!(database > 9_600_000, "database file: {database} bytes");
    assert!(wal < database / 2, "WAL: {wal} bytes, database: {database}");
    std::fs::remove_dir_all(dir).unwrap();
}
