//! What every request may reach: [`AppState`], made once at the start by `app.rs`. The HTTP
//! layer takes it whole; each capability takes only the parts it uses, so none depends on all.

use std::sync::Arc;
use tokio::sync::RwLock;

use crate::alerts::{AlertRules, Refusals};
use crate::auth::Keys;
use crate::editions::changes::Comparisons;
use crate::editions::Editions;
use crate::receipts::Signer;
use crate::retention::Retention;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Shared, not cloned with the state for every request: the token secrets are kept once.
    pub keys: Arc<Keys>,
    pub editions: Arc<RwLock<Editions>>,
    /// Where written applications of 2.6 are sent, shown in them and beside them.
    pub company_address: Option<Arc<str>>,
    pub alert_rules: AlertRules,
    pub refusals: Arc<Refusals>,
    /// How long data is kept (2.5).
    pub retention: Retention,
    /// Signs consent receipts.
    pub receipts: Arc<Signer>,
    /// What changed between two editions, as asked so far.
    pub comparisons: Arc<Comparisons>,
}
