//! A chain's bookkeeping inside a write: the head each chain is at, the records the write
//! appended and not yet stored, and the statements that store them when it ends. What the
//! records say, and their hashes, is [`super::ledger`]'s.

use super::error::{During, StoreError};
use super::sql::{placeholders, query, On, Query, ROWS_PER_STATEMENT};

/// The hash the first record of a subject chains to.
pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a request came from: evidence of consent, shown to the subject in "my data", deleted
/// by the retention purge; never logged.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A record appended in the current write, not yet written.
pub struct Pending {
    pub(super) subject: String,
    pub(super) seq: i64,
    pub(super) kind: String,
    pub(super) at: i64,
    pub(super) body: String,
    pub(super) prev_hash: String,
    pub(super) hash: String,
    /// The keyed reference and where the request came from.
    pub(super) origin: Option<(String, Origin)>,
}

/// The statements that store the records a write appended, at its end: their origins, then
/// the records, each in as few statements as the rows allow.
pub fn inserts(pending: Vec<Pending>) -> Vec<Query<'static>> {
    let mut inserts = Vec::new();
    let with_origin: Vec<&Pending> = pending.iter().filter(|p| p.origin.is_some()).collect();
    for rows in with_origin.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO origins (ref, subject, ip, user_agent, at) VALUES {}",
            placeholders(1, rows.len(), 5)
        );
        let mut query = query(&sql);
        for row in rows {
            let (reference, origin) = row.origin.as_ref().expect("filtered");
            query = query
                .bind(reference.as_str())
                .bind(row.subject.as_str())
                .bind(origin.ip.as_deref())
                .bind(origin.user_agent.as_deref())
                .bind(row.at);
        }
        inserts.push(query.into_owned());
    }
    for rows in pending.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO ledger (subject, seq, kind, at, body, origin_ref, prev_hash, hash) VALUES {}",
            placeholders(1, rows.len(), 8)
        );
        let mut query = query(&sql);
        for row in rows {
            query = query
                .bind(row.subject.as_str())
                .bind(row.seq)
                .bind(row.kind.as_str())
                .bind(row.at)
                .bind(row.body.as_str())
                .bind(row.origin.as_ref().map(|(reference, _)| reference.as_str()))
                .bind(row.prev_hash.as_str())
                .bind(row.hash.as_str());
        }
        inserts.push(query.into_owned());
    }
    inserts
}

/// The last record of a chain: its number and hash (0 and the genesis hash for none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub(super) seq: i64,
    pub(super) hash: String,
}

impl ChainHead {
    /// The head as a read beside other rows found it: no record (`None`) for an empty chain.
    pub(crate) fn from_last(last: Option<(i64, String)>) -> ChainHead {
        match last {
            Some((seq, hash)) => ChainHead { seq, hash },
            None => ChainHead {
                seq: 0,
                hash: GENESIS.to_owned(),
            },
        }
    }
}

pub async fn read_head<'a>(db: impl Into<On<'a>>, subject: &str) -> Result<ChainHead, StoreError> {
    let row = query("SELECT seq, hash FROM ledger WHERE subject = $1 ORDER BY seq DESC LIMIT 1")
        .bind(subject)
        .fetch_optional(db)
        .await
        .during("read the chain's head")?;
    let last = match row {
        Some(row) => Some((row.try_get("seq")?, row.try_get("hash")?)),
        None => None,
    };
    Ok(ChainHead::from_last(last))
}
