//! What staff did with a subject's records (3.5), kept for the subject and the officer.

use super::db::{Store, WriteTx};
use super::error::{During, StoreError};
use super::sql::{self};
use super::values::{spelled, unspelled};
use consent_core::api::StaffLook;
use consent_core::ledger::{StaffAction, StaffRole};
use consent_core::Timestamp;

pub struct AuditEntry<'a> {
    pub staff: &'a str,
    pub role: StaffRole,
    pub subject: &'a str,
    pub action: StaffAction,
    pub reason: &'a str,
    pub at: Timestamp,
}

pub async fn insert_audit(tx: &mut WriteTx, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
    sql::query("INSERT INTO audit_log (id, staff, role, subject, action, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(entry.staff)
        .bind(spelled(entry.role))
        .bind(entry.subject)
        .bind(spelled(entry.action))
        .bind(entry.reason)
        .bind(entry.at.millis())
        .execute(&mut *tx)
        .await
        .during("write the audit log")?;
    Ok(())
}

/// Whether a reader of the audit log learns which member of staff looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffNamed {
    /// The privacy officer.
    Named,
    /// The user, and every other role: the role and the reason, not who (3.5).
    Unnamed,
}

pub async fn audit_of(
    store: &Store,
    subject: &str,
    named: StaffNamed,
) -> Result<Vec<StaffLook>, StoreError> {
    sql::query(
        "SELECT staff, role, action, reason, at FROM audit_log WHERE subject = $1 ORDER BY at",
    )
    .bind(subject)
    .fetch_all(store.pool())
    .await
    .during("read the audit log")?
    .iter()
    .map(|row| {
        Ok(StaffLook {
            staff: match named {
                StaffNamed::Named => Some(row.try_get("staff")?),
                StaffNamed::Unnamed => None,
            },
            role: unspelled("staff role", row.try_get("role")?)?,
            action: unspelled("staff action", row.try_get("action")?)?,
            reason: row.try_get("reason")?,
            at: Timestamp(row.try_get("at")?),
        })
    })
    .collect()
}
