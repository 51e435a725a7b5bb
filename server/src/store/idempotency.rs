//! Writes that may be sent twice: a client that lost the answer sends the same write again
//! with the same `Idempotency-Key`. The first answer is kept with the write, in the same
//! transaction, so a repeat is answered from it and stores nothing.

use super::{sql, During, StoreError, WriteTx};
use sha2::{Digest, Sha256};

/// A client's key: 1 to 100 visible ASCII characters (a UUID, typically).
pub fn valid_key(key: &str) -> bool {
    (1..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What was stored before under the same subject and key.
pub enum Earlier {
    None,
    /// The same request: here is the answer it got.
    Same(String),
    /// Another request under the same key: a client bug, refused.
    Different,
}

pub fn request_hash(route: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

/// Call with the subject's chain locked, so that two copies of a write cannot both pass.
pub async fn earlier(
    tx: &mut WriteTx,
    subject: &str,
    key: &str,
    request_hash: &str,
) -> Result<Earlier, StoreError> {
    let row = sql::query(
        "SELECT request_hash, response FROM idempotency WHERE subject = $1 AND idempotency_key = $2",
    )
    .bind(subject)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await
        .during("look up an idempotency key")?;
    Ok(match row {
        None => Earlier::None,
        Some(row) if row.try_get::<String>("request_hash")? == request_hash => {
            Earlier::Same(row.try_get("response")?)
        }
        Some(_) => Earlier::Different,
    })
}

/// Keeps the first answer under the key, when the write ends.
pub fn remember(
    tx: &mut WriteTx,
    subject: &str,
    key: &str,
    request_hash: &str,
    response: &str,
    at: consent_core::Timestamp,
) {
    let query = sql::query("INSERT INTO idempotency (subject, idempotency_key, request_hash, response, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(subject)
        .bind(key)
        .bind(request_hash)
        .bind(response)
        .bind(at.millis());
    tx.defer(query);
}
