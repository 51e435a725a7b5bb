//! Signed checkpoints of the ledger: the head (last sequence number and hash) of every
//! subject's chain at one moment, digested and signed with the server's Ed25519 key.
//!
//! The digest, the count and the signature can be published (`GET /v1/checkpoints/latest`)
//! without naming anyone; the heads themselves stay in the database. `verify` holds every
//! chain to the latest checkpoint, so records cut off a chain's end or a chain deleted whole
//! are found, and a checkpoint edited in the database fails its signature.

pub use crate::store::ledger::Head;
use crate::store::{sql, During, Store, StoreError};
use consent_core::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub struct Checkpoint {
    pub id: i64,
    pub at: Timestamp,
    pub heads: Vec<Head>,
    pub digest: String,
    pub signature: String,
}

/// What may be published: nothing in it names a subject.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishedCheckpoint {
    pub id: i64,
    pub at: Timestamp,
    pub subjects: usize,
    /// SHA-256 over every head, in subject order.
    pub digest: String,
    /// Ed25519 over the checkpoint's statement (see `statement`), hex.
    pub signature: String,
    pub public_key: String,
}

impl Checkpoint {
    pub fn published(&self, store: &Store) -> PublishedCheckpoint {
        PublishedCheckpoint {
            id: self.id,
            at: self.at,
            subjects: self.heads.len(),
            digest: self.digest.clone(),
            signature: self.signature.clone(),
            public_key: store.keys().public_key_hex(),
        }
    }

    /// Whether the heads are those that were signed, under this server's key.
    pub fn is_authentic(&self, store: &Store) -> bool {
        digest(&self.heads) == self.digest
            && crate::seal::signature_is_valid(
                &store.keys().public_key_hex(),
                statement(self.id, self.at, self.heads.len(), &self.digest).as_bytes(),
                &self.signature,
            )
    }

    /// The head this checkpoint saw of `subject`'s chain.
    pub fn head_of(&self, store: &Store, subject: &str) -> Option<&Head> {
        let find = |key: &str| {
            self.heads
                .binary_search_by(|h| h.subject.as_str().cmp(key))
                .ok()
                .map(|i| &self.heads[i])
        };
        find(&store.keys().subject_ref(subject)).or_else(|| find(subject))
    }
}

/// The exact text that is signed.
pub fn statement(id: i64, at: Timestamp, subjects: usize, digest: &str) -> String {
    format!("dosmart-consent ledger checkpoint v1\nid {id}\nat {at}\nsubjects {subjects}\ndigest {digest}\n")
}

fn digest(heads: &[Head]) -> String {
    let mut h = Sha256::new();
    for head in heads {
        for field in [
            head.subject.as_bytes(),
            head.seq.to_string().as_bytes(),
            head.hash.as_bytes(),
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field);
        }
    }
    hex::encode(h.finalize())
}

/// Takes and stores a checkpoint of every chain's head now.
pub async fn make(store: &Store) -> Result<Checkpoint, StoreError> {
    let at = crate::clock::now();
    // The heads are one statement's snapshot: appends after it extend chains past what this
    // checkpoint saw, which `verify` allows. Checkpoints are numbered one at a time, across
    // processes too.
    let mut tx = store.begin().await?;
    tx.lock_subject("checkpoints").await?;
    let mut heads: Vec<Head> = sql::query(
        "SELECT l.subject, l.seq, l.hash FROM ledger l
         JOIN (SELECT subject, MAX(seq) AS seq FROM ledger GROUP BY subject) h
           ON l.subject = h.subject AND l.seq = h.seq
         ORDER BY l.subject",
    )
    .fetch_all(&mut tx)
    .await
    .during("read every chain's head")?
    .iter()
    .map(|row| {
        Ok(Head {
            subject: store.keys().subject_ref(&row.try_get::<String>("subject")?),
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        })
    })
    .collect::<Result<_, StoreError>>()?;
    heads.sort_by(|a, b| a.subject.cmp(&b.subject));
    let id: i64 = sql::query("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM checkpoints")
        .fetch_one(&mut tx)
        .await
        .during("number the next checkpoint")?
        .try_get("id")?;
    let digest = digest(&heads);
    let signature = store
        .keys()
        .sign(statement(id, at, heads.len(), &digest).as_bytes());
    sql::query(
        "INSERT INTO checkpoints (id, at, heads, digest, signature) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at.millis())
    .bind(serde_json::to_string(&heads).expect("heads serialise"))
    .bind(&digest)
    .bind(&signature)
    .execute(&mut tx)
    .await
    .during("store a checkpoint")?;
    tx.commit().await?;
    Ok(Checkpoint {
        id,
        at,
        heads,
        digest,
        signature,
    })
}

pub async fn latest(store: &Store) -> Result<Option<Checkpoint>, StoreError> {
    let Some(row) = sql::query(
        "SELECT id, at, heads, digest, signature FROM checkpoints ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await
    .during("read the latest checkpoint")?
    else {
        return Ok(None);
    };
    let heads: String = row.try_get("heads")?;
    Ok(Some(Checkpoint {
        id: row.try_get("id")?,
        at: Timestamp(row.try_get("at")?),
        heads: serde_json::from_str(&heads)
            .map_err(|e| StoreError::Corrupt(format!("checkpoint heads: {e}")))?,
        digest: row.try_get("digest")?,
        signature: row.try_get("signature")?,
    }))
}

/// The latest checkpoint, if it is authentic; an error naming the problem if it is not.
pub async fn latest_authentic(
    store: &Store,
) -> Result<Result<Option<Checkpoint>, String>, StoreError> {
    Ok(match latest(store).await? {
        Some(checkpoint) if !checkpoint.is_authentic(store) => Err(format!(
            "checkpoint {} does not match its signature: it was changed in the database",
            checkpoint.id
        )),
        other => Ok(other),
    })
}

/// A chain the checkpoint saw that the ledger no longer has is fine only if it was erased
/// under 2.5: a signed erasure, made after the checkpoint, of at least as many records as the
/// checkpoint saw. Otherwise, what is wrong.
pub async fn erased_under_retention(
    store: &Store,
    checkpoint_at: Timestamp,
    head: &Head,
) -> Result<Result<crate::retention::erasure::Erasure, String>, StoreError> {
    // Checkpoints made before subjects were hashed name them as they are.
    let anon = if consent_core::SubjectKey::parse(&head.subject).is_ok() {
        store.keys().subject_ref(&head.subject)
    } else {
        head.subject.clone()
    };
    Ok(match crate::retention::erasure::find(store, &anon, checkpoint_at).await? {
        Some(e) if e.is_authentic(store) && e.records >= head.seq => Ok(e),
        Some(_) => Err(format!(
            "the erasure of chain {anon} does not match its signature or what the checkpoint saw"
        )),
        None => Err(format!(
            "a chain the checkpoint saw ({anon}, {} records) is gone, and no erasure since explains it",
            head.seq
        )),
    })
}

/// One subject's chain, held to the latest checkpoint.
pub async fn verify_subject(
    store: &Store,
    subject: &str,
) -> Result<consent_core::api::ChainReport, StoreError> {
    match latest_authentic(store).await? {
        Ok(checkpoint) => {
            let head = checkpoint.as_ref().and_then(|c| c.head_of(store, subject));
            let mut report = crate::store::ledger::verify(store, subject, head).await?;
            if let (Some(head), 0) = (head, report.records) {
                let at = checkpoint.as_ref().map_or(Timestamp(0), |c| c.at);
                if erased_under_retention(store, at, head).await?.is_ok() {
                    report.intact = true;
                    report.problem = None;
                }
            }
            Ok(report)
        }
        Err(problem) => {
            let mut report = crate::store::ledger::verify(store, subject, None).await?;
            report.intact = false;
            report.problem = Some(problem);
            Ok(report)
        }
    }
}
