//! How values are spelled in the tables, and what a value read back that is not as written
//! is called.

use sha2::{Digest, Sha256};

use super::error::StoreError;

pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} `{value}`"))
}

/// A unit variant's name as serde spells it (snake_case), for the text columns that keep it.
pub(super) fn spelled(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => unreachable!("a unit variant is spelled as a string, not {other:?}"),
    }
}

/// A text column read back into the enum [`spelled`] wrote.
pub(super) fn unspelled<T: serde::de::DeserializeOwned>(
    what: &str,
    name: String,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.clone()))
        .map_err(|_| corrupt(what, &name))
}

/// An edition source's SHA-256, hex: the notice hash a receipt states, which anyone can compute
/// again from `GET /v1/policy/{version}/source`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
