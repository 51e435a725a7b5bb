//! The ledger: every consent change and UI event of a subject, append-only, each record
//! carrying a keyed hash (HMAC, key outside the database) of its fields and of the subject's
//! previous record. An edited, removed or inserted record breaks the chain at that point, and
//! without the key nobody can make a chain that passes again. Signed checkpoints of every
//! chain's head ([`crate::ledger::checkpoint`]) catch what a chain alone cannot: records cut off its
//! end, or a chain deleted whole.
//!
//! Where a request came from (IP, user agent) is kept beside the chain, in `origins`, and the
//! record holds only a keyed hash of it: the retention purge (2.5) deletes origins without
//! breaking any chain.

use super::chain::{ChainHead, Origin, Pending, GENESIS};
use super::db::{Store, WriteTx};
use super::error::{During, StoreError};
use super::row::Row;
use super::sql;
use consent_core::api::{Acceptance, ChainReport, LedgerEntry};
use consent_core::{catalog, LedgerRecord, PurposeId, Timestamp};
use std::collections::BTreeMap;

/// How an edition's acceptance is stored (`LedgerRecord::EditionAccepted`, snake case).
const ACCEPTANCE_KIND: &str = "edition_accepted";

/// A chain's head as a signed checkpoint saw it ([`crate::ledger::checkpoint`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    /// The chain's subject as a keyed hash ([`crate::seal::ServerKeys::subject_ref`]); in
    /// checkpoints made before those, the subject itself.
    pub subject: String,
    pub seq: i64,
    pub hash: String,
}

struct Stored {
    subject: String,
    seq: i64,
    kind: String,
    at: i64,
    body: String,
    origin_ref: Option<String>,
    prev_hash: String,
    hash: String,
    ip: Option<String>,
    user_agent: Option<String>,
    /// Whether the origin row is still there (not purged).
    origin_kept: bool,
}

impl Stored {
    fn from_row(row: &Row) -> Result<Stored, StoreError> {
        Ok(Stored {
            subject: row.try_get("subject")?,
            seq: row.try_get("seq")?,
            kind: row.try_get("kind")?,
            at: row.try_get("at")?,
            body: row.try_get("body")?,
            origin_ref: row.try_get("origin_ref")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            origin_kept: row.try_get::<Option<String>>("kept_ref")?.is_some(),
        })
    }

    fn expected_hash(&self, store: &Store) -> String {
        record_hash(
            store,
            &self.prev_hash,
            &self.subject,
            self.seq,
            &self.kind,
            self.at,
            &self.body,
            self.origin_ref.as_deref(),
        )
    }

    /// A purged origin is fine; a kept one must still be what the record was made with.
    fn origin_intact(&self, store: &Store) -> bool {
        match (&self.origin_ref, self.origin_kept) {
            (Some(reference), true) => {
                *reference
                    == origin_ref(
                        store,
                        &self.subject,
                        self.seq,
                        self.ip.as_deref(),
                        self.user_agent.as_deref(),
                    )
            }
            (None, true) => false,
            (_, false) => true,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn record_hash(
    store: &Store,
    prev: &str,
    subject: &str,
    seq: i64,
    kind: &str,
    at: i64,
    body: &str,
    origin_ref: Option<&str>,
) -> String {
    store.keys().chain_mac(&[
        prev.as_bytes(),
        subject.as_bytes(),
        seq.to_string().as_bytes(),
        kind.as_bytes(),
        at.to_string().as_bytes(),
        body.as_bytes(),
        origin_ref.unwrap_or("\u{0}").as_bytes(),
    ])
}

fn origin_ref(
    store: &Store,
    subject: &str,
    seq: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> String {
    store.keys().chain_mac(&[
        b"origin",
        subject.as_bytes(),
        seq.to_string().as_bytes(),
        ip.unwrap_or("\u{0}").as_bytes(),
        user_agent.unwrap_or("\u{0}").as_bytes(),
    ])
}

/// Origins are matched on the subject too: each is written with its record's subject, and
/// the condition lets the database read both sides by subject, where matching on `ref` alone
/// let PostgreSQL plan a hash join over the whole `origins` table once it was large. An origin
/// whose subject was changed reads as purged, as a deleted one does.
const SELECT_CHAIN: &str =
    "SELECT l.subject, l.seq, l.kind, l.at, l.body, l.origin_ref, l.prev_hash, l.hash,
        o.ref AS kept_ref, o.ip, o.user_agent
    FROM ledger l LEFT JOIN origins o ON o.ref = l.origin_ref AND o.subject = $1
    WHERE l.subject = $1 ORDER BY l.seq";

/// Appends `record` to the subject's chain, with where the request came from (`None` for what
/// needs no such evidence: UI events, the company's own records); returns its sequence number.
/// The record is written when the write ends, together with the others it appended, in one
/// statement ([`super::chain::inserts`]): nothing in a write reads the rows it appends.
pub async fn append(
    tx: &mut WriteTx,
    subject: &str,
    at: Timestamp,
    record: &LedgerRecord,
    origin: Option<&Origin>,
) -> Result<i64, StoreError> {
    let head = head(tx, subject).await?;
    let (seq, prev_hash) = (head.seq + 1, head.hash);
    let at = at.millis();
    let origin = origin.map(|o| {
        let reference = origin_ref(
            tx.store(),
            subject,
            seq,
            o.ip.as_deref(),
            o.user_agent.as_deref(),
        );
        (reference, o.clone())
    });
    let (kind, body) = stored_form(record);
    let origin_ref = origin.as_ref().map(|(reference, _)| reference.clone());
    let hash = record_hash(
        tx.store(),
        &prev_hash,
        subject,
        seq,
        &kind,
        at,
        &body,
        origin_ref.as_deref(),
    );
    tx.keep_head(
        subject,
        ChainHead {
            seq,
            hash: hash.clone(),
        },
    );
    tx.pending.push(Pending {
        subject: subject.to_owned(),
        seq,
        kind,
        at,
        body,
        prev_hash,
        hash,
        origin,
    });
    Ok(seq)
}

/// The last record of `kind` this write appended to `subject`'s chain, and the hash before it:
/// what a receipt of the write proves.
pub fn appended(
    tx: &WriteTx,
    subject: &str,
    kind: &str,
) -> Option<consent_core::receipt::RecordLink> {
    tx.pending
        .iter()
        .rev()
        .find(|p| p.subject == subject && p.kind == kind)
        .map(|p| consent_core::receipt::RecordLink {
            seq: p.seq,
            hash: p.hash.clone(),
            prev_hash: p.prev_hash.clone(),
        })
}

/// The subject's chain held for this write, and its head: read once, then kept.
async fn head(tx: &mut WriteTx, subject: &str) -> Result<ChainHead, StoreError> {
    tx.lock_subject(subject).await?;
    if let Some(head) = tx.known_head(subject) {
        return Ok(head);
    }
    let head = super::chain::read_head(&mut *tx, subject).await?;
    tx.keep_head(subject, head.clone());
    Ok(head)
}

/// The kind and the body's JSON, as the ledger keeps them (and the hash covers them).
fn stored_form(record: &LedgerRecord) -> (String, String) {
    let tagged: BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(&serde_json::to_string(record).expect("a record serialises"))
            .expect("a record is its kind and its body");
    let (kind, body) = tagged.into_iter().next().expect("one kind");
    (kind, body.get().to_owned())
}

/// A stored record read back into its type.
fn parse_stored(kind: &str, body: &str) -> Result<LedgerRecord, StoreError> {
    let json = format!("{{{}:{body}}}", serde_json::Value::from(kind));
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("ledger record of kind `{kind}`: {e}")))
}

async fn chain(conn: &mut sqlx::AnyConnection, subject: &str) -> Result<Vec<Stored>, StoreError> {
    sql::query(SELECT_CHAIN)
        .bind(subject)
        .fetch_all(conn)
        .await
        .during("read a subject's chain")?
        .iter()
        .map(Stored::from_row)
        .collect()
}

/// The subject's records, oldest first, with where each came from while that is kept.
pub async fn entries(
    conn: &mut sqlx::AnyConnection,
    subject: &str,
) -> Result<Vec<LedgerEntry>, StoreError> {
    chain(conn, subject)
        .await?
        .into_iter()
        .map(|r| {
            Ok(LedgerEntry {
                seq: r.seq,
                at: Timestamp(r.at),
                record: parse_stored(&r.kind, &r.body)?,
                ip: r.ip,
                user_agent: r.user_agent,
            })
        })
        .collect()
}

/// Walks the subject's chain and names the first record that does not match (a changed field,
/// a gap or insertion in the numbering, a link to a hash other than its predecessor's, an
/// edited origin); then checks the chain against the head a signed checkpoint saw, and the
/// current state against a replay of the chain.
pub async fn verify(
    store: &Store,
    subject: &str,
    checkpointed: Option<&Head>,
) -> Result<ChainReport, StoreError> {
    let mut conn = store.pool().acquire().await.during("read a chain")?;
    let records = chain(&mut conn, subject).await?;
    let count = records.len() as i64;
    let report = |first_broken: Option<i64>, problem: Option<String>| ChainReport {
        subject: subject.to_owned(),
        records: count,
        intact: first_broken.is_none() && problem.is_none(),
        first_broken,
        problem,
    };
    let mut prev = GENESIS.to_owned();
    for (expected_seq, record) in (1..).zip(&records) {
        let intact = record.seq == expected_seq
            && record.prev_hash == prev
            && record.hash == record.expected_hash(store)
            && record.origin_intact(store);
        if !intact {
            let problem = format!("record {} does not match its chain", record.seq);
            return Ok(report(Some(record.seq), Some(problem)));
        }
        prev = record.hash.clone();
    }
    if let Some(head) = checkpointed {
        let seen = records.iter().find(|r| r.seq == head.seq);
        if seen.map(|r| &r.hash) != Some(&head.hash) {
            // The first record missing or changed, where there is one to name.
            let (first, problem) = if records.is_empty() {
                let seen = head.seq;
                (
                    None,
                    format!("the chain is gone: the last checkpoint saw {seen} records"),
                )
            } else if count < head.seq {
                let seen = head.seq;
                let problem = format!(
                    "records were cut off: the last checkpoint saw {seen}, the ledger has {count}"
                );
                (Some(count + 1), problem)
            } else {
                let seq = head.seq;
                (
                    Some(seq),
                    format!("record {seq} is not the one the last checkpoint saw"),
                )
            };
            return Ok(report(first, Some(problem)));
        }
    }
    let now = super::subjects::subject_now(store.pool(), subject, None).await?;
    let stored: BTreeMap<PurposeId, bool> =
        now.choices.iter().map(|(p, c)| (*p, c.granted)).collect();
    let replayed = replay(&records)?;
    if stored != replayed {
        let problem = format!(
            "the current state is not what the ledger says: it holds {stored:?}, the ledger gives {replayed:?}"
        );
        return Ok(report(None, Some(problem)));
    }
    let accepted = last_acceptance(&records)?;
    if now.accepted != accepted {
        let problem = format!(
            "the acceptance held is not what the ledger says: it holds {}, the ledger gives {}",
            acceptance_text(now.accepted.as_ref()),
            acceptance_text(accepted.as_ref())
        );
        return Ok(report(None, Some(problem)));
    }
    Ok(report(None, None))
}

/// The edition acceptance the subject's records end with (button or continued use, 1.6):
/// what `acceptances` must hold. Only a newer edition's acceptance is ever appended.
fn last_acceptance(records: &[Stored]) -> Result<Option<Acceptance>, StoreError> {
    let mut last = None;
    for stored in records.iter().filter(|r| r.kind == ACCEPTANCE_KIND) {
        if let LedgerRecord::EditionAccepted { edition, method } =
            parse_stored(&stored.kind, &stored.body)?
        {
            last = Some(Acceptance {
                edition,
                method,
                at: Timestamp(stored.at),
            });
        }
    }
    Ok(last)
}

#[cfg(test)]
#[test]
fn the_acceptance_kind_is_spelled_as_stored() {
    let record = LedgerRecord::EditionAccepted {
        edition: consent_core::EditionVersion::parse("2026-11").unwrap(),
        method: consent_core::api::AcceptanceMethod::Button,
    };
    assert_eq!(stored_form(&record).0, ACCEPTANCE_KIND);
}

fn acceptance_text(acceptance: Option<&Acceptance>) -> String {
    match acceptance {
        Some(a) => format!("{} ({:?}, at {})", a.edition, a.method, a.at.millis()),
        None => "none".into(),
    }
}

/// The choices the subject's records add up to: what `consent_state` must hold.
fn replay(records: &[Stored]) -> Result<BTreeMap<PurposeId, bool>, StoreError> {
    let mut state = BTreeMap::new();
    for stored in records {
        let record = parse_stored(&stored.kind, &stored.body)?;
        for (purpose, granted) in record.consent_changes() {
            if !catalog().purpose_by_id(purpose).is_necessary() {
                state.insert(purpose, granted);
            }
        }
    }
    Ok(state)
}

/// Every subject with a ledger or a current state (a state with no ledger behind it is itself
/// a finding).
pub async fn subjects(store: &Store) -> Result<Vec<String>, StoreError> {
    sql::query(
        "SELECT subject FROM ledger UNION SELECT subject FROM consent_state UNION SELECT subject FROM activity UNION SELECT subject FROM acceptances ORDER BY subject",
    )
    .fetch_all(store.pool())
    .await
    .during("list the ledger's subjects")?
    .iter()
    .map(|row| row.try_get("subject"))
    .collect()
}
