//! How long where-from evidence (IP address, user agent) is kept (2.5). The chained records stay;
//! only the `origins` rows go, so every chain still verifies after a purge.

pub mod erasure;

use crate::store::{sql, During, Store, StoreError};
use consent_core::SubjectKey;
use consent_core::Timestamp;

use consent_core::date::DAY_MS;

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Signed-in users: the agreement's term plus 3 years (2.5). Everything held about a user
    /// goes this long after the company reports the end of their agreement; before that
    /// report, where-from evidence goes this long after the user's last activity.
    pub user_days: i64,
    /// Anonymous devices: from their last activity.
    pub device_days: i64,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            user_days: 3 * 365 + 1,
            device_days: 365,
        }
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub user_origins: u64,
    pub device_origins: u64,
    /// Users whose agreement ended more than the retention period ago, erased whole.
    pub erased_users: u64,
}

/// Deletes the origins of subjects inactive for longer than their period.
pub async fn purge(
    store: &Store,
    retention: Retention,
    now: Timestamp,
) -> Result<Purged, StoreError> {
    let purge_kind = |prefix: &'static str, days: i64| {
        let store = store.clone();
        let cutoff = now.millis() - days * DAY_MS;
        async move {
            let done = sql::query(
                "DELETE FROM origins WHERE subject LIKE $1 AND at < $2
                 AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.subject = origins.subject AND a.last_seen >= $3)",
            )
            .bind(format!("{prefix}%"))
            .bind(cutoff)
            .bind(cutoff)
            .execute(store.pool())
            .await
            .during("purge origins past retention")?;
            Ok::<_, StoreError>(done)
        }
    };
    let purged = Purged {
        erased_users: erasure::erase_expired(store, retention.user_days, now).await?,
        user_origins: purge_kind(SubjectKey::USERS, retention.user_days).await?,
        device_origins: purge_kind(SubjectKey::DEVICES, retention.device_days).await?,
    };
    if purged.erased_users + purged.user_origins + purged.device_origins > 0 {
        leave_no_copies(store).await?;
    }
    Ok(purged)
}

/// Deleted rows must not stay readable where the database keeps its bytes.
///
/// SQLite overwrites what a deletion frees (`secure_delete`, set on every connection); the
/// WAL still holds the pages as they were before, so it is checkpointed into the file and
/// truncated. PostgreSQL marks deleted rows dead and leaves them in the table's files until
/// VACUUM: VACUUM here makes their space reusable and drops them from every index. The bytes
/// leave the files only with `VACUUM FULL` of these tables, which locks them while it rewrites
/// them: docs/security.md says when to run it.
async fn leave_no_copies(store: &Store) -> Result<(), StoreError> {
    match store.backend() {
        crate::store::Backend::Sqlite => {
            // Readers on old snapshots can hold the checkpoint back: a few tries.
            for _ in 0..10 {
                let row = sql::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(store.pool())
                    .await
                    .during("checkpoint the WAL after a purge")?;
                if row.try_get::<i64>("busy")? == 0 {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            tracing::warn!("the WAL could not be emptied after a purge: readers held it");
            Ok(())
        }
        crate::store::Backend::Postgres => {
            for table in PURGED_TABLES {
                sql::query(format!("VACUUM (ANALYZE) {table}"))
                    .execute(store.pool())
                    .await
                    .during("vacuum after a purge")?;
            }
            Ok(())
        }
    }
}

/// The tables an erasure or purge deletes from.
pub const PURGED_TABLES: &[&str] = &[
    "ledger",
    "origins",
    "events",
    "idempotency",
    "consent_state",
    "acceptances",
    "activity",
    "withdrawals",
    "receipts",
    "audit_log",
    "subject_data",
    "device_links",
    "agreements",
];
