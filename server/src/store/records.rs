//! The current-state tables beside the ledger: kept in the same transaction as the ledger
//! record that explains each change.

use super::sql::{self, On};
use super::{placeholders, During, Store, StoreError, WriteTx, ROWS_PER_STATEMENT};
use consent_core::api::{Acceptance, AcceptanceMethod, DataSource, StaffLook, StoredWithdrawal};
use consent_core::ledger::{StaffAction, StaffRole};
use consent_core::{
    DataCategoryId, EditionVersion, Lang, LedgerRecord, PolicyEdition, PurposeId, SubjectKey,
    Timestamp,
};
use std::collections::BTreeMap;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}

/// A unit variant's name as serde spells it (snake_case), for the text columns that keep it.
fn spelled(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => unreachable!("a unit variant is spelled as a string, not {other:?}"),
    }
}

/// A text column read back into the enum [`spelled`] wrote.
fn unspelled<T: serde::de::DeserializeOwned>(what: &str, name: String) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.clone()))
        .map_err(|_| corrupt(what, &name))
}

/// An edition source's SHA-256, hex: the notice hash a receipt states, which anyone can compute
/// again from `GET /v1/policy/{version}/source`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

// ---- editions ----

/// Stores the languages of one new edition and records its publication in the company's
/// chain of the ledger.
pub async fn publish_edition(
    tx: &mut WriteTx,
    languages: &[PolicyEdition],
    at: Timestamp,
) -> Result<(), StoreError> {
    let Some(first) = languages.first() else {
        return Ok(());
    };
    for edition in languages {
        let document = serde_json::to_string(edition).expect("an edition serialises");
        sql::query(
            "INSERT INTO editions (version, language, published, document, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(edition.version.as_str())
        .bind(edition.language.code())
        .bind(edition.published.to_string())
        .bind(document)
        .bind(at.millis())
        .execute(&mut *tx)
        .await
        .during("store an edition")?;
    }
    let record = LedgerRecord::EditionPublished {
        edition: first.version.clone(),
        published: first.published,
        languages: languages.iter().map(|e| e.language).collect(),
    };
    let company = SubjectKey::Company.to_string();
    super::ledger::append(tx, &company, at, &record, None).await?;
    Ok(())
}

/// Keeps an edition's exact Markdown per language; what is kept already stays as it is.
pub async fn keep_sources(
    tx: &mut WriteTx,
    version: &str,
    sources: &[(Lang, &str)],
) -> Result<(), StoreError> {
    for (lang, source) in sources {
        sql::query(
            "INSERT INTO edition_sources (version, language, source) VALUES ($1, $2, $3)
             ON CONFLICT (version, language) DO NOTHING",
        )
        .bind(version)
        .bind(lang.code())
        .bind(*source)
        .execute(&mut *tx)
        .await
        .during("keep an edition's source")?;
    }
    Ok(())
}

/// An edition's Markdown as published in `lang`.
pub async fn edition_source(
    store: &Store,
    version: &str,
    lang: Lang,
) -> Result<Option<String>, StoreError> {
    sql::query("SELECT source FROM edition_sources WHERE version = $1 AND language = $2")
        .bind(version)
        .bind(lang.code())
        .fetch_optional(store.pool())
        .await
        .during("read an edition's source")?
        .map(|row| row.try_get("source"))
        .transpose()
}

/// The SHA-256 of every kept source, by edition and language.
pub async fn source_hashes(store: &Store) -> Result<Vec<(String, String, String)>, StoreError> {
    sql::query("SELECT version, language, source FROM edition_sources")
        .fetch_all(store.pool())
        .await
        .during("read the editions' sources")?
        .iter()
        .map(|row| {
            let source: String = row.try_get("source")?;
            let hash = sha256_hex(source.as_bytes());
            Ok((row.try_get("version")?, row.try_get("language")?, hash))
        })
        .collect()
}

pub async fn all_editions(store: &Store) -> Result<Vec<PolicyEdition>, StoreError> {
    sql::query("SELECT document FROM editions ORDER BY created_at, version, language")
        .fetch_all(store.pool())
        .await
        .during("read the editions")?
        .iter()
        .map(|row| {
            let text: String = row.try_get("document")?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("edition document: {e}")))
        })
        .collect()
}

// ---- consent state ----

pub struct Choice {
    pub granted: bool,
    pub changed_at: Timestamp,
}

/// A row's choice of `purpose`; `None` for a purpose removed from the catalog since, which no
/// longer applies (it stays in the ledger).
fn choice_from(row: &sql::Row, purpose: &str) -> Result<Option<(PurposeId, Choice)>, StoreError> {
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
    pub head: super::ledger::ChainHead,
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
        source: sql::DbError::NoRow,
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
        head: super::ledger::ChainHead::from_last(head),
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

// ---- acceptance of editions and activity (1.6) ----

/// A row's acceptance of `edition`.
fn acceptance_from(row: &sql::Row, edition: String) -> Result<Acceptance, StoreError> {
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

// ---- events (idempotency index) ----

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

// ---- devices linked to users ----

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

// ---- what is held about a user (2.3) ----

pub struct HeldValue {
    pub value: String,
    pub source: DataSource,
    pub since: Timestamp,
}

pub async fn upsert_held(
    tx: &mut WriteTx,
    user_id: &str,
    category: DataCategoryId,
    held: &HeldValue,
    at: Timestamp,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO subject_data (user_id, category, value, source, since, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, category) DO UPDATE SET value = excluded.value, source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(category.as_str())
    .bind(&held.value)
    .bind(spelled(held.source))
    .bind(held.since.millis())
    .bind(at.millis())
    .execute(&mut *tx)
    .await
        .during("store a held value")?;
    Ok(())
}

pub async fn held(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<BTreeMap<DataCategoryId, HeldValue>, StoreError> {
    let rows =
        sql::query("SELECT category, value, source, since FROM subject_data WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await
            .during("read the held data")?;
    let mut out = BTreeMap::new();
    for row in rows {
        let category: String = row.try_get("category")?;
        let id =
            DataCategoryId::parse(&category).map_err(|_| corrupt("data category", &category))?;
        let source: String = row.try_get("source")?;
        out.insert(
            id,
            HeldValue {
                value: row.try_get("value")?,
                source: unspelled("data source", source)?,
                since: Timestamp(row.try_get("since")?),
            },
        );
    }
    Ok(out)
}

// ---- withdrawals (2.6) and staff audit (3.5) ----

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
