//! The command line's words: each command and its options, as `--help` shows them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;

use crate::alerts;
use crate::http::client::TrustedProxies;
use crate::http::limits;
use crate::retention::Retention;

#[derive(Parser, Debug)]
#[command(
    name = "consent-server",
    about = "dosmart.kz consent ledger and policy API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    #[command(flatten)]
    pub(super) serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Check the ledger: every chain (keyed with CONSENT_SERVER_SECRET), against the latest
    /// signed checkpoint, and the current state against a replay. Names what is broken.
    Verify {
        #[command(flatten)]
        db: DatabaseArgs,
        /// A user id; without it, every subject is checked.
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        retired: RetiredKeysArgs,
    },
    /// Sign a checkpoint of every chain's head now (the server also makes one regularly).
    Checkpoint {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Delete what is past its retention period (2.5) now (the server also does it daily):
    /// everything held about users whose agreement ended more than 3 years ago, leaving a signed
    /// anonymous proof of their consent; and IP addresses and user agents of the inactive.
    Purge {
        #[command(flatten)]
        db: DatabaseArgs,
        #[command(flatten)]
        retention: RetentionArgs,
        /// Purge as on this day or moment (RFC 3339, e.g. 2029-12-01) instead of now.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Print a signed token for development and tests: a user's; staff's with --role; the
    /// company's systems' with --service.
    Token {
        #[arg(long)]
        user: String,
        #[arg(long, value_enum, conflicts_with = "service")]
        role: Option<RoleArg>,
        #[arg(long)]
        service: bool,
        #[arg(long, default_value_t = 3600)]
        ttl_secs: i64,
        /// Print this many tokens, for users `<user>-0` to `<user>-<count - 1>`, one a line
        /// (load tests).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Signed consent receipts: make a signing key, or check a receipt without the server.
    Receipt {
        #[command(subcommand)]
        action: ReceiptAction,
    },
    /// Print device ids with their proofs, `<id> <proof>` a line, as the server would issue
    /// them (load tests; needs CONSENT_SERVER_SECRET).
    Devices {
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum ReceiptAction {
    /// Print a new signing key for CONSENT_RECEIPT_KEY, and its key id.
    Key,
    /// Check a receipt (a compact JWS, as downloaded) against a key set
    /// (`GET /v1/receipts/jwks.json`); exits 2 if it does not verify.
    Verify {
        file: PathBuf,
        #[arg(long)]
        jwks: PathBuf,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub(super) enum RoleArg {
    Support,
    PrivacyOfficer,
    PolicyEditor,
}

/// The receipt keys retired from signing whose receipts stay trusted.
#[derive(Args, Debug, Clone)]
pub(super) struct RetiredKeysArgs {
    /// Public halves (`x`, base64url) of receipt keys that signed before the current one,
    /// comma-separated; `consent-server receipt key` prints a key's.
    #[arg(long, env = "CONSENT_RECEIPT_RETIRED_KEYS", value_delimiter = ',')]
    pub(super) receipt_retired_keys: Vec<String>,
    /// A file of such public keys, one a line (`#` starts a comment).
    #[arg(long, env = "CONSENT_RECEIPT_RETIRED_KEYS_FILE")]
    pub(super) receipt_retired_keys_file: Option<PathBuf>,
}

impl RetiredKeysArgs {
    pub(super) fn keys(&self) -> Result<Vec<crate::receipts::Jwk>, String> {
        let from_file = match &self.receipt_retired_keys_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("--receipt-retired-keys-file {}: {e}", path.display()))?,
            None => String::new(),
        };
        let lines = from_file.lines().map(|l| l.split('#').next().unwrap_or(""));
        self.receipt_retired_keys
            .iter()
            .map(String::as_str)
            .chain(lines)
            .filter(|x| !x.trim().is_empty())
            .map(|x| {
                crate::receipts::Jwk::from_public(x)
                    .map_err(|e| format!("a retired receipt key: {e}"))
            })
            .collect()
    }
}

#[derive(Args, Debug, Clone)]
pub(super) struct DatabaseArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
    pub(super) database: String,
    /// The database of `--demo`, keyed with the public demo secret.
    #[arg(long, env = "CONSENT_DEMO")]
    pub(super) demo: bool,
}

#[derive(Args, Debug, Clone, Copy)]
pub(super) struct RetentionArgs {
    /// Days a signed-in user's IP addresses and user agents are kept after their last activity:
    /// the agreement's term plus 3 years (2.5).
    #[arg(long, env = "CONSENT_RETAIN_USER_DAYS", default_value_t = Retention::default().user_days)]
    pub(super) retain_user_days: i64,
    /// Days an anonymous device's IP addresses and user agents are kept after its last activity.
    #[arg(long, env = "CONSENT_RETAIN_DEVICE_DAYS", default_value_t = Retention::default().device_days)]
    pub(super) retain_device_days: i64,
}

impl RetentionArgs {
    pub(super) fn retention(self) -> Retention {
        Retention {
            user_days: self.retain_user_days,
            device_days: self.retain_device_days,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub(super) struct ServeArgs {
    #[arg(long, env = "CONSENT_BIND", default_value = "127.0.0.1:8080")]
    pub(super) bind: SocketAddr,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
    pub(super) database: String,
    /// Connections in the database pool (default: 5 for SQLite, which reads through them and
    /// writes through one more of its own; 4 per core of this machine for PostgreSQL). On
    /// PostgreSQL this bounds how many writes run at once.
    #[arg(long, env = "CONSENT_DB_POOL")]
    pub(super) db_pool: Option<u32>,
    /// An origin allowed to call the API from a browser (repeatable; the variable takes a
    /// comma-separated list).
    #[arg(
        long = "allow-origin",
        env = "CONSENT_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    pub(super) allow_origin: Vec<String>,
    /// Seed a sample user, sign the demo storefront in, and send `/` to it.
    #[arg(long, env = "CONSENT_DEMO")]
    pub(super) demo: bool,
    /// The built widget (`scripts/build-widget.sh`), served with the API when the folder exists.
    #[arg(
        long,
        alias = "static-dir",
        env = "CONSENT_WIDGET_DIR",
        default_value = "dist"
    )]
    pub(super) widget_dir: PathBuf,
    #[command(flatten)]
    pub(super) retention: RetentionArgs,
    /// Minutes between signed checkpoints of the ledger (0: only `consent-server checkpoint`).
    #[arg(long, env = "CONSENT_CHECKPOINT_MINUTES", default_value_t = 60)]
    pub(super) checkpoint_minutes: u64,
    /// The Company's postal address, printed in written applications (2.6) and shown beside
    /// them. Without it they point to the address given in the User Agreement.
    #[arg(long, env = "CONSENT_COMPANY_ADDRESS")]
    pub(super) company_address: Option<String>,
    /// Requests a minute one device or signed-in user may send (0: no limit).
    #[arg(long, env = "CONSENT_RATE_SUBJECT", default_value_t = limits::SUBJECT_PER_MINUTE)]
    pub(super) rate_subject: u32,
    /// How many of them may come at once.
    #[arg(long, env = "CONSENT_BURST_SUBJECT", default_value_t = limits::SUBJECT_BURST)]
    pub(super) burst_subject: u32,
    /// Requests a minute from one network address (0: no limit; set 0 behind a proxy that does
    /// not pass the client's address and limits by itself).
    #[arg(long, env = "CONSENT_RATE_ADDRESS", default_value_t = limits::ADDRESS_PER_MINUTE)]
    pub(super) rate_address: u32,
    /// How many of them may come at once.
    #[arg(long, env = "CONSENT_BURST_ADDRESS", default_value_t = limits::ADDRESS_BURST)]
    pub(super) burst_address: u32,
    /// Connections one network address may hold open at once (0: no cap). A trusted proxy's
    /// are not capped per address (`--trusted-proxy`).
    #[arg(long, env = "CONSENT_CONNECTIONS_PER_ADDRESS", default_value_t = limits::CONNECTIONS_PER_ADDRESS)]
    pub(super) connections_per_address: usize,
    /// A reverse proxy (an address or a network, repeatable; the variable takes a comma-separated
    /// list) whose `Forwarded` / `X-Forwarded-For` names the client: rate limits count, and
    /// evidence keeps, the client's address. From any other peer those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "CONSENT_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = TrustedProxies::parse_network
    )]
    pub(super) trusted_proxies: Vec<IpNet>,
    /// Connections open at once in all; keep it under the process's file descriptor limit.
    #[arg(long, env = "CONSENT_CONNECTIONS", default_value_t = limits::CONNECTIONS_TOTAL)]
    pub(super) connections: usize,
    #[command(flatten)]
    pub(super) retired: RetiredKeysArgs,
    /// Serve HTTPS (TLS 1.2 or 1.3) with this certificate chain, a PEM file; plain HTTP without.
    #[arg(long, env = "CONSENT_TLS_CERT", requires = "tls_key")]
    pub(super) tls_cert: Option<PathBuf>,
    /// The certificate's private key, a PEM file.
    #[arg(long, env = "CONSENT_TLS_KEY", requires = "tls_cert")]
    pub(super) tls_key: Option<PathBuf>,
    /// The operator receipts name (Law 94-V Art. 8).
    #[arg(
        long,
        env = "CONSENT_CONTROLLER_NAME",
        default_value = "AITU Sauda LLP"
    )]
    pub(super) controller_name: String,
    /// The operator's business identification number (BIN), stated in every receipt.
    #[arg(long, env = "CONSENT_CONTROLLER_BIN")]
    pub(super) controller_bin: Option<String>,
    /// Where the operator takes questions about personal data, stated in every receipt.
    #[arg(long, env = "CONSENT_CONTROLLER_CONTACT")]
    pub(super) controller_contact: Option<String>,
    /// Alert when one member of staff reads more users' records than this within an hour.
    #[arg(long, env = "CONSENT_ALERT_SUBJECTS_PER_HOUR", default_value_t = alerts::SUBJECTS_PER_HOUR)]
    pub(super) alert_subjects_per_hour: u32,
    /// Alert when staff endpoints refuse one source this many times within 10 minutes.
    #[arg(long, env = "CONSENT_ALERT_REFUSALS", default_value_t = alerts::REFUSALS)]
    pub(super) alert_refusals: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::ReceiptKey;

    /// Retired receipt keys come from the environment's list and from a file, one a line with
    /// comments; anything that is not an Ed25519 public key stops the server, named.
    #[test]
    fn retired_receipt_keys_are_read_from_the_list_and_the_file() {
        let (a, b) = (ReceiptKey::generate().jwk(), ReceiptKey::generate().jwk());
        let file = std::env::temp_dir().join(format!("retired-{}.txt", uuid::Uuid::new_v4()));
        std::fs::write(
            &file,
            format!("# retired 2026-12\n{}  # the demo's\n\n", b.x),
        )
        .unwrap();
        let args = RetiredKeysArgs {
            receipt_retired_keys: vec![a.x.clone()],
            receipt_retired_keys_file: Some(file.clone()),
        };
        assert_eq!(args.keys().unwrap(), vec![a.clone(), b]);
        let bad = RetiredKeysArgs {
            receipt_retired_keys: vec!["not-a-key".into()],
            receipt_retired_keys_file: None,
        };
        assert!(bad
            .keys()
            .unwrap_err()
            .contains("not an Ed25519 public key"));
        let _ = std::fs::remove_file(file);
    }

    /// `--trusted-proxy` takes networks and single addresses, repeated; anything else stops
    /// the server with the value named.
    #[test]
    fn trusted_proxies_are_networks_or_addresses() {
        let cli = Cli::try_parse_from([
            "consent-server",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "192.168.1.1",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve");
        };
        let proxies: Vec<String> = args.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(proxies, ["10.0.0.0/8", "192.168.1.1/32"]);
        let error =
            Cli::try_parse_from(["consent-server", "serve", "--trusted-proxy", "proxy.local"])
                .unwrap_err()
                .to_string();
        assert!(
            error.contains("`proxy.local` is not an address or a network"),
            "{error}"
        );
    }

    /// Every flag of `serve` can also be set from the environment, and `--help` names each
    /// variable: a deployment configures the server one way.
    #[test]
    fn every_serve_flag_has_an_environment_variable() {
        use clap::CommandFactory;
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let missing: Vec<String> = serve
            .get_arguments()
            .filter(|a| a.get_long().is_some() && a.get_long() != Some("help"))
            .filter(|a| a.get_env().is_none())
            .map(|a| a.get_long().unwrap().to_owned())
            .collect();
        assert!(missing.is_empty(), "no environment variable: {missing:?}");
        let help = serve.clone().render_long_help().to_string();
        assert!(help.contains("CONSENT_ALLOW_ORIGIN"), "{help}");
        assert!(help.contains("CONSENT_TRUSTED_PROXIES"), "{help}");
    }
}
