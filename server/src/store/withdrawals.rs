//! Withdrawals (2.6) as stored, with their written applications.

use super::db::{Store, WriteTx};
use super::error::{During, StoreError};
use super::sql::{self};
use super::values::corrupt;
use consent_core::api::StoredWithdrawal;
use consent_core::{Lang, PurposeId, Timestamp};

/// Stores a withdrawal's written application when the write ends.
pub fn insert_withdrawal(
    tx: &mut WriteTx,
    id: &str,
    subject: &str,
    at: Timestamp,
    lang: Lang,
    purposes: &[PurposeId],
    application: &str,
) {
    let query = sql::query("INSERT INTO withdrawals (id, subject, at, language, purposes, application) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(subject)
        .bind(at.millis())
        .bind(lang.code())
        .bind(serde_json::to_string(purposes).expect("ids serialise"))
        .bind(application);
    tx.defer(query);
}

/// The subject's withdrawals with their written applications, oldest first.
pub async fn withdrawals_of(
    store: &Store,
    subject: &str,
) -> Result<Vec<StoredWithdrawal>, StoreError> {
    sql::query("SELECT id, at, language, purposes, application FROM withdrawals WHERE subject = $1 ORDER BY at")
        .bind(subject)
        .fetch_all(store.pool())
        .await
        .during("read the withdrawals")?
        .iter()
        .map(|row| {
            let purposes: String = row.try_get("purposes")?;
            let language: String = row.try_get("language")?;
            Ok(StoredWithdrawal {
                withdrawal_id: row.try_get("id")?,
                at: Timestamp(row.try_get("at")?),
                language: Lang::parse(&language).map_err(|_| corrupt("language", &language))?,
                purposes: serde_json::from_str(&purposes)
                    .map_err(|e| StoreError::Corrupt(format!("withdrawal purposes: {e}")))?,
                application: row.try_get("application")?,
            })
        })
        .collect()
}
