//! What the server is started with: read from the command line and the environment by `cli`,
//! or made by a test.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::alerts::AlertRules;
use crate::auth::Keys;
use crate::http::client::TrustedProxies;
use crate::http::limits::{ConnectionLimits, RateLimits};
use crate::http::listen::TlsFiles;
use crate::receipts::{Jwk, ReceiptKey};
use crate::retention::Retention;
use crate::store::DatabaseUrl;

pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub keys: Keys,
    pub allowed_origins: Vec<String>,
    /// Seed a sample user, sign the demo page in, and send `/` to the demo storefront.
    pub demo: bool,
    /// The built widget (`dist/`), served when given.
    pub widget_dir: Option<PathBuf>,
    /// How long IP addresses and user agents are kept (2.5).
    pub retention: Retention,
    /// Purge expired origins at start and then daily; off where the `purge` command is run
    /// instead (a cron job, or a test of the command).
    pub purge_daily: bool,
    /// How often a signed checkpoint of the ledger is made; `None`: only by the command.
    pub checkpoint_every: Option<std::time::Duration>,
    /// The Company's postal address for written applications (2.6).
    pub company_address: Option<String>,
    /// Requests per subject and per network address.
    pub limits: RateLimits,
    /// Connections open at once, per network address and in all.
    pub connections: ConnectionLimits,
    /// Reverse proxies whose forwarded client addresses are believed; their own connections
    /// are not capped per address.
    pub trusted_proxies: TrustedProxies,
    /// Serve HTTPS with these; plain HTTP (behind a proxy) without.
    pub tls: Option<TlsFiles>,
    /// When staff access raises an alert (3.2.2).
    pub alerts: AlertRules,
    /// The key that signs receipts; `None`: the one `--demo` makes and keeps in the database.
    pub receipt_key: Option<ReceiptKey>,
    /// The public halves of keys that signed receipts before `receipt_key`: still published
    /// and trusted. A key found only in the database is not.
    pub receipt_retired_keys: Vec<Jwk>,
    /// Who the receipts name as the operator (Law 94-V Art. 8).
    pub controller: consent_core::receipt::Controller,
}
