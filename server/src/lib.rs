//! The consent server: the ledger of choices, the policy and purpose API, and the report of
//! what is held about a user. `main.rs` only parses the command line; everything else is here
//! so the tests start the real server on port 0.
//!
//! The layers, from the top down (`server/README.md` draws them; `scripts/house.py` keeps them):
//! the application ([`app`], [`cli`], [`demo`]) → [`http`] → [`state`] → the capabilities
//! ([`visits`], [`consents`], [`withdrawals`], [`receipts`], [`ledger`], [`retention`], [`alerts`],
//! [`editions`], [`auth`]) → [`error`] → [`store`] → the base ([`clock`], [`seal`], [`vital`],
//! [`texts`]).

pub mod alerts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
mod consents;
mod demo;
pub mod editions;
pub mod error;
pub mod http;
pub mod ledger;
pub mod receipts;
pub mod retention;
pub mod seal;
mod settings;
pub mod state;
pub mod store;
mod texts;
mod visits;
pub mod vital;
mod withdrawals;

pub use app::{Application, StartError};
pub use settings::Settings;
pub use state::AppState;
