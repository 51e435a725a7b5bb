//! A subject's current state as stored: choices, the accepted edition, activity, UI events
//! and the devices a user signed in from. The ledger holds the history; these rows, the now.

use super::chain::ChainHead;
use super::db::{Store, WriteTx};
use super::error::{DbError, During, StoreError};
use super::row::Row;
use super::sql::{self, placeholders, On, ROWS_PER_STATEMENT};
use super::values::{corrupt, spelled, unspelled};
use consent_core::api::{Acceptance, AcceptanceMethod};
use consent_core::{DataCategoryId, EditionVersion, PurposeId, Timestamp};
use std::collections::BTreeMap;

pub struct Choice {
    pub granted: bool,
    pub changed_at: Timestamp,
}

/// A row's choice of `purpose`; `None` for a purpose removed from the catalog since, which no
/// longer applies (it stays in the ledger).
fn choice_from(row: &Row, purpose: &str) -> Result<Option<(PurposeId, Choice)>, StoreError> {
    let Ok(id) = PurposeId::parse(purpose) else {
        return Ok(None);
    };
    let choice = Choice {
        granted: row.try_get::<i64>("granted")? == 1,
        changed_at: Timestamp(row.try_get("changed_at")?),
    };
    Ok(Some((id, choice)))
}

/// A subject's acceptance, choices and chain head, read in one statement. A write reads it once
/// it holds the subject's chain, and decides from it: it does not see here the rows it stores
/// itself (they go in when it ends), so it keeps what it changes in memory.
pub struct SubjectNow {
    pub accepted: Option<Acceptance>,
    pub choices: BTreeMap<PurposeId, Choice>,
    pub head: ChainHead,
    /// A signed-in user's full name as held: what their receipts and written applications
    /// name them by.
    pub full_name: Option<String>,
    /// The subject is a device some account signed in from.
    pub device_linked: bool,
}

/// The category of a user's full name.
pub(crate) fn full_name() -> DataCategoryId {
    DataCategoryId::parse("full_name").expect("in the catalog")
}

/// `user` is the signed-in user the subject is, if any.
pub async fn subject_now<'a>(
    db: impl Into<On<'a>>,
    subject: &str,
    user: Option<&str>,
) -> Result<SubjectNow, StoreError> {
    // One row per choice, or one row of NULL choice when there is none; the acceptance, the
    // head and the name repeat on each.
    let rows = sql::query(
        "SELECT c.purpose, c.granted, c.changed_at, a.edition, a.method, a.at, h.seq, h.hash,
            (SELECT value FROM subject_data WHERE user_id = $2 AND category = $3) AS full_name,
            (SELECT COUNT(*) FROM device_links WHERE device = $4) AS linked
         FROM (SELECT 1 AS one) k
         LEFT JOIN acceptances a ON a.subject = $1
         LEFT JOIN (SELECT seq, hash FROM ledger WHERE subject = $1 ORDER BY seq DESC LIMIT 1) h ON 1 = 1
         LEFT JOIN consent_state c ON c.subject = $1",
    )
    .bind(subject)
    .bind(user)
    .bind(full_name().as_str())
    .bind(subject.strip_prefix(consent_core::SubjectKey::DEVICES))
    .fetch_all(db)
    .await
    .during("read the subject's state")?;
    let first = rows.first().ok_or(StoreError::Database {
        operation: "read the subject's state",
        source: DbError::NoRow,
    })?;
    let accepted = match first.try_get::<Option<String>>("edition")? {
        Some(edition) => Some(acceptance_from(first, edition)?),
        None => None,
    };
    let head = match first.try_get::<Option<i64>>("seq")? {
        Some(seq) => Some((seq, first.try_get("hash")?)),
        None => None,
    };
    let mut choices = BTreeMap::new();
    for row in &rows {
        if let Some(purpose) = row.try_get::<Option<String>>("purpose")? {
            if let Some((id, choice)) = choice_from(row, &purpose)? {
                choices.insert(id, choice);
            }
        }
    }
    Ok(SubjectNow {
        accepted,
        choices,
        head: ChainHead::from_last(head),
        full_name: first.try_get("full_name")?,
        device_linked: first.try_get::<i64>("linked")? > 0,
    })
}

/// Sets the subject's choices, all in one statement, when the write ends.
pub fn set_choices(tx: &mut WriteTx, subject: &str, choices: &[(PurposeId, bool)], at: Timestamp) {
    if choices.is_empty() {
        return;
    }
    let sql = format!(
        "INSERT INTO consent_state (subject, purpose, granted, changed_at) VALUES {}
         ON CONFLICT (subject, purpose) DO UPDATE SET granted = excluded.granted, changed_at = excluded.changed_at",
        placeholders(1, choices.len(), 4)
    );
    let mut query = sql::query(&sql);
    for (purpose, granted) in choices {
        query = query
            .bind(subject)
            .bind(purpose.as_str())
            .bind(i64::from(*granted))
            .bind(at.millis());
    }
    tx.defer(query);
}

/// A row's acceptance of `edition`.
fn acceptance_from(row: &Row, edition: String) -> Result<Acceptance, StoreError> {
    let method: String = row.try_get("method")?;
    Ok(Acceptance {
        edition: EditionVersion::parse(&edition).ok_or_else(|| corrupt("edition", &edition))?,
        method: unspelled("acceptance method", method)?,
        at: Timestamp(row.try_get("at")?),
    })
}

/// Stores the subject's acceptance when the write ends.
pub fn set_acceptance(
    tx: &mut WriteTx,
    subject: &str,
    edition: &EditionVersion,
    method: AcceptanceMethod,
    at: Timestamp,
) {
    let query = sql::query(
        "INSERT INTO acceptances (subject, edition, method, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (subject) DO UPDATE SET edition = excluded.edition, method = excluded.method, at = excluded.at",
    )
    .bind(subject)
    .bind(edition.as_str())
    .bind(spelled(method))
    .bind(at.millis());
    tx.defer(query);
}

pub async fn last_seen(store: &Store, subject: &str) -> Result<Option<Timestamp>, StoreError> {
    sql::query("SELECT last_seen FROM activity WHERE subject = $1")
        .bind(subject)
        .fetch_optional(store.pool())
        .await
        .during("read the subject's last visit")?
        .map(|row| row.try_get::<i64>("last_seen").map(Timestamp))
        .transpose()
}

/// Stores the subject's last visit when the write ends.
pub fn touch(tx: &mut WriteTx, subject: &str, at: Timestamp) {
    let query = sql::query(
        "INSERT INTO activity (subject, last_seen) VALUES ($1, $2)
         ON CONFLICT (subject) DO UPDATE SET last_seen = excluded.last_seen",
    )
    .bind(subject)
    .bind(at.millis());
    tx.defer(query);
}

/// Which of `ids` this subject has stored before (replays). Ids are per subject: one
/// subject's id never suppresses another's event.
pub async fn stored_events(
    tx: &mut WriteTx,
    subject: &str,
    ids: &[uuid::Uuid],
) -> Result<Vec<uuid::Uuid>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT event_id FROM events WHERE subject = $1 AND event_id IN ({})",
        placeholders(2, ids.len(), 1)
    );
    let mut query = sql::query(&sql).bind(subject);
    for id in ids {
        query = query.bind(id.hyphenated().to_string());
    }
    let rows = query
        .fetch_all(&mut *tx)
        .await
        .during("look up event ids")?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("event_id")?;
            uuid::Uuid::parse_str(&id).map_err(|_| corrupt("event id", &id))
        })
        .collect()
}

/// Records new event ids, each with the number of the ledger record that holds it, when the
/// write ends.
pub fn claim_events(tx: &mut WriteTx, subject: &str, claims: &[(uuid::Uuid, i64)]) {
    for rows in claims.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO events (subject, event_id, seq) VALUES {}",
            placeholders(1, rows.len(), 3)
        );
        let mut query = sql::query(&sql);
        for (id, seq) in rows {
            query = query
                .bind(subject)
                .bind(id.hyphenated().to_string())
                .bind(*seq);
        }
        tx.defer(query);
    }
}

/// Links a device to a user; `true` the first time. A device linked to anyone stays theirs:
/// it is never linked again, to them or to another account.
pub async fn link_device(
    tx: &mut WriteTx,
    device: &str,
    user_id: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sql::query("INSERT INTO device_links (device, user_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT (device) DO NOTHING")
        .bind(device)
        .bind(user_id)
        .bind(at.millis())
        .execute(&mut *tx)
        .await
        .during("link a device to a user")?;
    Ok(done == 1)
}

/// The devices a user signed in from, each with when it was linked: what the device's chain
/// holds from before then is the user's; what comes after (someone else on the same browser,
/// signed out) is not.
pub async fn linked_devices(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<Vec<(String, Timestamp)>, StoreError> {
    sql::query("SELECT device, linked_at FROM device_links WHERE user_id = $1 ORDER BY linked_at")
        .bind(user_id)
        .fetch_all(conn)
        .await
        .during("read a user's devices")?
        .iter()
        .map(|row| Ok((row.try_get("device")?, Timestamp(row.try_get("linked_at")?))))
        .collect()
}
