//! Storage: embedded SQLite by default, PostgreSQL when the URL names one. One set of portable
//! SQL serves both ([`sql`]): through sqlx's `Any` driver, except SQLite's writes, which run on
//! one rusqlite connection ([`group`]); where the dialects differ, [`schema`] says so.
//!
//! Inside, from the bottom up: [`error`] and [`url`]; [`group`], [`row`] and [`sql`]; the
//! chain's bookkeeping in a write ([`chain`]); the store and its writes ([`db`]); then the
//! tables' queries ([`ledger`], [`editions`], [`subjects`], [`held`], [`withdrawals`],
//! [`audit`], [`idempotency`]). Each imports the ones it uses
//! directly; this face only names them.

pub mod audit;
mod chain;
mod db;
pub mod editions;
mod error;
mod group;
pub mod held;
pub mod idempotency;
pub mod ledger;
mod row;
mod schema;
pub mod sql;
pub mod subjects;
#[cfg(test)]
mod tests;
mod url;
mod values;
pub mod withdrawals;

pub use chain::{ChainHead, Origin};
pub use db::{Store, WriteTx};
pub use error::{During, StoreError};
pub use row::Row;
pub use url::{Backend, BadDatabaseUrl, DatabaseUrl};
pub use values::sha256_hex;
