//! Storage for the agreement's term plus 3 years (2.5). The company's systems report when a
//! user's agreement ended; once the 3 years have passed, everything held about the user goes:
//! what the company held (2.3), where requests came from, device links, written applications,
//! the current state, and the chain itself. What stays is an erasure: a signed, anonymous proof
//! that a chain of so many records, ending in this hash, existed, with the consent it ended on.
//! The checkpoints name chains only by keyed hashes, so `verify` matches the erasure to the
//! head a checkpoint saw, and nothing left names the user.

use crate::store::{sql, During, Store, StoreError};
use consent_core::{SubjectKey, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// What an erasure keeps of the consent a chain ended on: no value, no name, no time of day
/// beyond the chain's first and last record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub granted: Vec<String>,
    pub refused: Vec<String>,
    pub accepted_edition: Option<String>,
    pub withdrawals: i64,
}

#[derive(Debug, Clone)]
pub struct Erasure {
    pub anon: String,
    pub erased_at: Timestamp,
    pub records: i64,
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub head_hash: String,
    pub summary: String,
    pub signature: String,
}

impl Erasure {
    /// The exact text that is signed.
    fn statement(&self) -> String {
        format!(
            "dosmart-consent erasure v1\nanon {}\nerased_at {}\nrecords {}\nfirst_at {:?}\nlast_at {:?}\nhead {}\nsummary {}\n",
            self.anon, self.erased_at, self.records, self.first_at, self.last_at, self.head_hash, self.summary
        )
    }

    pub fn is_authentic(&self, store: &Store) -> bool {
        crate::seal::signature_is_valid(
            &store.keys().public_key_hex(),
            self.statement().as_bytes(),
            &self.signature,
        )
    }
}

/// Days between a report of an agreement's end and the first purge that may act on it: time
/// for a mistaken report to be cancelled before anything is erased, which cannot be undone.
pub const GRACE_DAYS: i64 = 30;

/// A report withdrawn within its grace period: `false` when there was none to withdraw.
pub async fn agreement_end_cancelled(store: &Store, user: &UserId) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let done = sql::query("DELETE FROM agreements WHERE user_id = $1")
        .bind(user.as_str())
        .execute(&mut tx)
        .await
        .during("cancel the end of an agreement")?;
    tx.commit().await?;
    Ok(done > 0)
}

/// The company's systems say when a user's agreement ended; a later report replaces it.
pub async fn agreement_ended(
    store: &Store,
    user: &UserId,
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    sql::query(
        "INSERT INTO agreements (user_id, ended_at, reported_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET ended_at = excluded.ended_at, reported_at = excluded.reported_at",
    )
    .bind(user.as_str())
    .bind(at.millis())
    .bind(crate::clock::now().millis())
    .execute(&mut tx)
    .await
    .during("record the end of an agreement")?;
    tx.commit().await
}

/// Erases every user whose agreement ended more than `keep_days` before `now`; returns how many.
pub async fn erase_expired(
    store: &Store,
    keep_days: i64,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let cutoff = now.millis() - keep_days * consent_core::date::DAY_MS;
    let reported_before = now.millis() - GRACE_DAYS * consent_core::date::DAY_MS;
    let due: Vec<String> = sql::query(
        "SELECT user_id FROM agreements WHERE ended_at < $1 AND reported_at < $2 ORDER BY user_id",
    )
    .bind(cutoff)
    .bind(reported_before)
    .fetch_all(store.pool())
    .await
    .during("find agreements past their retention")?
    .iter()
    .map(|row| row.try_get("user_id"))
    .collect::<Result<_, _>>()?;
    // Each erasure is dated when it is made, whatever day the purge runs as of: it must come
    // after every checkpoint that saw the chain it ends.
    for user in &due {
        erase(store, user).await?;
    }
    Ok(due.len() as u64)
}

/// One user's erasure, in one write, with the chains of the devices they used before signing
/// in: each proof is stored in the same commit as the deletions, so there is never a chain
/// gone without its proof, nor a proof beside its chain.
async fn erase(store: &Store, user_id: &str) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let devices: Vec<String> = sql::query("SELECT device FROM device_links WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut tx)
        .await
        .during("read the devices to erase")?
        .iter()
        .map(|row| row.try_get("device"))
        .collect::<Result<_, _>>()?;
    let mut subjects: Vec<String> = devices
        .iter()
        .map(|d| SubjectKey::DEVICES.to_owned() + d)
        .collect();
    subjects.push(SubjectKey::USERS.to_owned() + user_id);
    // Always in one order, so that two erasures never wait on each other.
    subjects.sort();
    for subject in &subjects {
        erase_chain(&mut tx, store, subject).await?;
    }
    for statement in [
        "DELETE FROM subject_data WHERE user_id = $1",
        "DELETE FROM device_links WHERE user_id = $1",
        "DELETE FROM agreements WHERE user_id = $1",
    ] {
        sql::query(statement)
            .bind(user_id)
            .execute(&mut tx)
            .await
            .during("erase a user's data")?;
    }
    tx.commit().await
}

/// A chain and all that is kept beside it, replaced by its signed erasure.
async fn erase_chain(
    tx: &mut crate::store::WriteTx,
    store: &Store,
    subject: &str,
) -> Result<(), StoreError> {
    tx.lock_subject(subject).await?;
    let chain = sql::query(
        "SELECT COUNT(*) AS records, MIN(at) AS first_at, MAX(at) AS last_at,
            (SELECT hash FROM ledger WHERE subject = $1 ORDER BY seq DESC LIMIT 1) AS head
         FROM ledger WHERE subject = $1",
    )
    .bind(subject)
    .fetch_one(&mut *tx)
    .await
    .during("read the chain to erase")?;
    let mut erasure = Erasure {
        anon: store.keys().subject_ref(subject),
        erased_at: crate::clock::now(),
        records: chain.try_get("records")?,
        first_at: chain.try_get("first_at")?,
        last_at: chain.try_get("last_at")?,
        head_hash: chain.try_get::<Option<String>>("head")?.unwrap_or_default(),
        summary: serde_json::to_string(&summary(tx, subject).await?).expect("serialises"),
        signature: String::new(),
    };
    erasure.signature = store.keys().sign(erasure.statement().as_bytes());
    sql::query(
        "INSERT INTO erasures (anon, erased_at, records, first_at, last_at, head_hash, summary, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (anon, erased_at) DO NOTHING",
    )
    .bind(&erasure.anon)
    .bind(erasure.erased_at.millis())
    .bind(erasure.records)
    .bind(erasure.first_at)
    .bind(erasure.last_at)
    .bind(&erasure.head_hash)
    .bind(&erasure.summary)
    .bind(&erasure.signature)
    .execute(&mut *tx)
    .await
    .during("store the proof of an erased chain")?;
    let by_subject = [
        "INSERT INTO erasing (subject) VALUES ($1)",
        "DELETE FROM ledger WHERE subject = $1",
        "DELETE FROM erasing WHERE subject = $1",
        "DELETE FROM origins WHERE subject = $1",
        "DELETE FROM events WHERE subject = $1",
        "DELETE FROM idempotency WHERE subject = $1",
        "DELETE FROM consent_state WHERE subject = $1",
        "DELETE FROM acceptances WHERE subject = $1",
        "DELETE FROM activity WHERE subject = $1",
        "DELETE FROM withdrawals WHERE subject = $1",
        "DELETE FROM receipts WHERE subject = $1",
    ];
    for statement in by_subject {
        sql::query(statement)
            .bind(subject)
            .execute(&mut *tx)
            .await
            .during("erase a user's records")?;
    }
    // Staff looks stay accountable, without whose records they were or the words of the reason.
    sql::query(
        "UPDATE audit_log SET subject = $1, reason = '(erased under 2.5)' WHERE subject = $2",
    )
    .bind(format!("erased:{}", erasure.anon))
    .bind(subject)
    .execute(&mut *tx)
    .await
    .during("anonymise the audit log of an erased user")?;
    Ok(())
}

async fn summary(tx: &mut crate::store::WriteTx, subject: &str) -> Result<Summary, StoreError> {
    let mut summary = Summary {
        granted: Vec::new(),
        refused: Vec::new(),
        accepted_edition: None,
        withdrawals: 0,
    };
    let states = sql::query(
        "SELECT purpose, granted FROM consent_state WHERE subject = $1 ORDER BY purpose",
    )
    .bind(subject)
    .fetch_all(&mut *tx)
    .await
    .during("read the state to erase")?;
    for row in &states {
        let purpose: String = row.try_get("purpose")?;
        if row.try_get::<i64>("granted")? != 0 {
            summary.granted.push(purpose);
        } else {
            summary.refused.push(purpose);
        }
    }
    summary.accepted_edition = sql::query("SELECT edition FROM acceptances WHERE subject = $1")
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await
        .during("read the acceptance to erase")?
        .map(|row| row.try_get("edition"))
        .transpose()?;
    summary.withdrawals =
        sql::query("SELECT COUNT(*) AS n FROM ledger WHERE subject = $1 AND kind = 'withdrawal'")
            .bind(subject)
            .fetch_one(&mut *tx)
            .await
            .during("count the withdrawals to erase")?
            .try_get("n")?;
    Ok(summary)
}

/// The erasure of the chain a checkpoint names by `anon`, if there is one.
/// The first erasure of a chain of `anon` made at or after `since`: only an erasure made after
/// a checkpoint saw a chain can explain that chain's absence. A user erased who came back has
/// a new chain, which an erasure from before it does not cover.
pub async fn find(
    store: &Store,
    anon: &str,
    since: Timestamp,
) -> Result<Option<Erasure>, StoreError> {
    let Some(row) = sql::query(
        "SELECT anon, erased_at, records, first_at, last_at, head_hash, summary, signature FROM erasures
         WHERE anon = $1 AND erased_at >= $2 ORDER BY erased_at LIMIT 1",
    )
    .bind(anon)
    .bind(since.millis())
    .fetch_optional(store.pool())
    .await
    .during("read an erasure")?
    else {
        return Ok(None);
    };
    Ok(Some(Erasure {
        anon: row.try_get("anon")?,
        erased_at: Timestamp(row.try_get("erased_at")?),
        records: row.try_get("records")?,
        first_at: row.try_get("first_at")?,
        last_at: row.try_get("last_at")?,
        head_hash: row.try_get("head_hash")?,
        summary: row.try_get("summary")?,
        signature: row.try_get("signature")?,
    }))
}
