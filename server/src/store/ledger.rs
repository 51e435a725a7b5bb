//! The ledger: every consent change and UI event of a subject, append-only, each record
//! carrying the hash of the subject's previous one, so that an edited, removed or inserted
//! record breaks the chain at that point.

use super::{Row, Store, StoreError, Tx};
use consent_core::api::{ChainReport, LedgerEntry};
use consent_core::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::Row as _;

/// The hash the first record of a subject chains to.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a request came from: kept in the record as evidence of consent, and shown to the
/// subject in "my data"; never logged.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub struct NewRecord<'a> {
    pub subject: &'a str,
    pub kind: &'a str,
    pub at: Timestamp,
    pub body: serde_json::Value,
    pub origin: &'a Origin,
}

struct Stored {
    subject: String,
    seq: i64,
    kind: String,
    at: i64,
    body: String,
    ip: Option<String>,
    user_agent: Option<String>,
    prev_hash: String,
    hash: String,
}

impl Stored {
    fn from_row(row: &Row) -> Result<Stored, StoreError> {
        Ok(Stored {
            subject: row.try_get("subject")?,
            seq: row.try_get("seq")?,
            kind: row.try_get("kind")?,
            at: row.try_get("at")?,
            body: row.try_get("body")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    fn expected_hash(&self) -> String {
        record_hash(
            &self.prev_hash,
            &self.subject,
            self.seq,
            &self.kind,
            self.at,
            &self.body,
            self.ip.as_deref(),
            self.user_agent.as_deref(),
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn record_hash(
    prev: &str,
    subject: &str,
    seq: i64,
    kind: &str,
    at: i64,
    body: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different records serialise to the same bytes.
    for field in [
        prev,
        subject,
        &seq.to_string(),
        kind,
        &at.to_string(),
        body,
        ip.unwrap_or("\u{0}"),
        user_agent.unwrap_or("\u{0}"),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

const COLUMNS: &str = "subject, seq, kind, at, body, ip, user_agent, prev_hash, hash";

/// Appends a record to the subject's chain; returns its sequence number.
pub async fn append(store: &Store, tx: &mut Tx, record: NewRecord<'_>) -> Result<i64, StoreError> {
    Store::lock_subject(store.backend(), tx, record.subject).await?;
    let head =
        sqlx::query("SELECT seq, hash FROM ledger WHERE subject = $1 ORDER BY seq DESC LIMIT 1")
            .bind(record.subject)
            .fetch_optional(&mut **tx)
            .await?;
    let (seq, prev_hash) = match head {
        Some(row) => (
            row.try_get::<i64, _>("seq")? + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_owned()),
    };
    let body = record.body.to_string();
    let (ip, user_agent) = (
        record.origin.ip.as_deref(),
        record.origin.user_agent.as_deref(),
    );
    let hash = record_hash(
        &prev_hash,
        record.subject,
        seq,
        record.kind,
        record.at.millis(),
        &body,
        ip,
        user_agent,
    );
    sqlx::query(&format!(
        "INSERT INTO ledger ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(record.subject)
    .bind(seq)
    .bind(record.kind)
    .bind(record.at.millis())
    .bind(body)
    .bind(ip)
    .bind(user_agent)
    .bind(prev_hash)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

async fn chain(store: &Store, subject: &str) -> Result<Vec<Stored>, StoreError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq"
    ))
    .bind(subject)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(Stored::from_row)
    .collect()
}

/// The subject's records, oldest first.
pub async fn entries(store: &Store, subject: &str) -> Result<Vec<LedgerEntry>, StoreError> {
    chain(store, subject)
        .await?
        .into_iter()
        .map(|r| {
            Ok(LedgerEntry {
                seq: r.seq,
                at: Timestamp(r.at),
                detail: serde_json::value::RawValue::from_string(r.body)
                    .map_err(|e| StoreError::Corrupt(format!("ledger body: {e}")))?,
                kind: r.kind,
                ip: r.ip,
                user_agent: r.user_agent,
            })
        })
        .collect()
}

/// Walks the subject's chain and names the first record that does not match: a changed field,
/// a gap or insertion in the numbering, or a link to a hash other than its predecessor's.
pub async fn verify(store: &Store, subject: &str) -> Result<ChainReport, StoreError> {
    let records = chain(store, subject).await?;
    let mut prev = GENESIS.to_owned();
    let mut first_broken = None;
    for (expected_seq, record) in (1..).zip(&records) {
        let intact = record.seq == expected_seq
            && record.prev_hash == prev
            && record.hash == record.expected_hash();
        if !intact {
            first_broken = Some(record.seq);
            break;
        }
        prev = record.hash.clone();
    }
    Ok(ChainReport {
        subject: subject.to_owned(),
        records: records.len() as i64,
        intact: first_broken.is_none(),
        first_broken,
    })
}

/// Every subject with a ledger, for `consent-server verify --all`.
pub async fn subjects(store: &Store) -> Result<Vec<String>, StoreError> {
    sqlx::query("SELECT DISTINCT subject FROM ledger ORDER BY subject")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|row| Ok(row.try_get("subject")?))
        .collect()
}
