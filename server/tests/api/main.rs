//! The server over HTTP, every endpoint, against SQLite and PostgreSQL.

mod helpers;

mod adversary;
mod auth;
mod bad_input;
mod consents;
mod crash;
mod events;
mod fuzz;
mod hardening;
mod ledger;
mod my_data;
mod policy;
mod receipts;
mod retention;
mod schema;
mod trust;
mod withdrawals;
