//! The command line: `consent-server [serve]`, `consent-server verify`, `consent-server token`.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::auth::{self, Keys, Secret, StaffRole, MIN_SECRET_BYTES};
use crate::seal::{ServerKeys, DEMO_SECRET};
use std::io::Write as _;

use crate::alerts::{self, AlertRules};
use crate::limits::{self, Rate, RateLimits};
use crate::listen::TlsFiles;
use crate::receipts::ReceiptKey;
use crate::store::retention::{self, Retention};
use crate::store::{checkpoint, ledger, DatabaseUrl, Store};
use crate::{Application, Settings};
use consent_core::receipt::Controller;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "consent-server",
    about = "dosmart.kz consent ledger and policy API"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
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
enum ReceiptAction {
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
enum RoleArg {
    Support,
    PrivacyOfficer,
    PolicyEditor,
}

/// The receipt keys retired from signing whose receipts stay trusted.
#[derive(Args, Debug, Clone)]
struct RetiredKeysArgs {
    /// Public halves (`x`, base64url) of receipt keys that signed before the current one,
    /// comma-separated; `consent-server receipt key` prints a key's.
    #[arg(long, env = "CONSENT_RECEIPT_RETIRED_KEYS", value_delimiter = ',')]
    receipt_retired_keys: Vec<String>,
    /// A file of such public keys, one a line (`#` starts a comment).
    #[arg(long, env = "CONSENT_RECEIPT_RETIRED_KEYS_FILE")]
    receipt_retired_keys_file: Option<PathBuf>,
}

impl RetiredKeysArgs {
    fn keys(&self) -> Result<Vec<crate::receipts::Jwk>, String> {
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
struct DatabaseArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
    database: String,
    /// The database of `--demo`, keyed with the public demo secret.
    #[arg(long)]
    demo: bool,
}

#[derive(Args, Debug, Clone, Copy)]
struct RetentionArgs {
    /// Days a signed-in user's IP addresses and user agents are kept after their last activity:
    /// the agreement's term plus 3 years (2.5).
    #[arg(long, env = "CONSENT_RETAIN_USER_DAYS", default_value_t = Retention::default().user_days)]
    retain_user_days: i64,
    /// Days an anonymous device's IP addresses and user agents are kept after its last activity.
    #[arg(long, env = "CONSENT_RETAIN_DEVICE_DAYS", default_value_t = Retention::default().device_days)]
    retain_device_days: i64,
}

impl RetentionArgs {
    fn retention(self) -> Retention {
        Retention {
            user_days: self.retain_user_days,
            device_days: self.retain_device_days,
        }
    }
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    #[arg(long, env = "CONSENT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
    database: String,
    /// Connections in the database pool (default: 5 for SQLite, which reads through them and
    /// writes through one more of its own; 4 per core of this machine for PostgreSQL). On
    /// PostgreSQL this bounds how many writes run at once.
    #[arg(long, env = "CONSENT_DB_POOL")]
    db_pool: Option<u32>,
    /// An origin allowed to call the API from a browser (repeatable).
    #[arg(long = "allow-origin")]
    allow_origin: Vec<String>,
    /// Seed a sample user, sign the demo storefront in, and send `/` to it.
    #[arg(long)]
    demo: bool,
    /// The built widget (`scripts/build-widget.sh`), served with the API when the folder exists.
    #[arg(
        long,
        alias = "static-dir",
        env = "CONSENT_WIDGET_DIR",
        default_value = "dist"
    )]
    widget_dir: PathBuf,
    #[command(flatten)]
    retention: RetentionArgs,
    /// Minutes between signed checkpoints of the ledger (0: only `consent-server checkpoint`).
    #[arg(long, env = "CONSENT_CHECKPOINT_MINUTES", default_value_t = 60)]
    checkpoint_minutes: u64,
    /// The Company's postal address, printed in written applications (2.6) and shown beside
    /// them. Without it they point to the address given in the User Agreement.
    #[arg(long, env = "CONSENT_COMPANY_ADDRESS")]
    company_address: Option<String>,
    /// Requests a minute one device or signed-in user may send (0: no limit).
    #[arg(long, env = "CONSENT_RATE_SUBJECT", default_value_t = limits::SUBJECT_PER_MINUTE)]
    rate_subject: u32,
    /// How many of them may come at once.
    #[arg(long, env = "CONSENT_BURST_SUBJECT", default_value_t = limits::SUBJECT_BURST)]
    burst_subject: u32,
    /// Requests a minute from one network address (0: no limit; set 0 behind a proxy that does
    /// not pass the client's address and limits by itself).
    #[arg(long, env = "CONSENT_RATE_ADDRESS", default_value_t = limits::ADDRESS_PER_MINUTE)]
    rate_address: u32,
    /// How many of them may come at once.
    #[arg(long, env = "CONSENT_BURST_ADDRESS", default_value_t = limits::ADDRESS_BURST)]
    burst_address: u32,
    /// Connections one network address may hold open at once (0: no cap; set 0 behind a proxy,
    /// whose one address carries every client).
    #[arg(long, env = "CONSENT_CONNECTIONS_PER_ADDRESS", default_value_t = limits::CONNECTIONS_PER_ADDRESS)]
    connections_per_address: usize,
    /// Connections open at once in all; keep it under the process's file descriptor limit.
    #[arg(long, env = "CONSENT_CONNECTIONS", default_value_t = limits::CONNECTIONS_TOTAL)]
    connections: usize,
    #[command(flatten)]
    retired: RetiredKeysArgs,
    /// Serve HTTPS (TLS 1.2 or 1.3) with this certificate chain, a PEM file; plain HTTP without.
    #[arg(long, env = "CONSENT_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key, a PEM file.
    #[arg(long, env = "CONSENT_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The operator receipts name (Law 94-V Art. 8).
    #[arg(
        long,
        env = "CONSENT_CONTROLLER_NAME",
        default_value = "AITU Sauda LLP"
    )]
    controller_name: String,
    /// The operator's business identification number (BIN), stated in every receipt.
    #[arg(long, env = "CONSENT_CONTROLLER_BIN")]
    controller_bin: Option<String>,
    /// Where the operator takes questions about personal data, stated in every receipt.
    #[arg(long, env = "CONSENT_CONTROLLER_CONTACT")]
    controller_contact: Option<String>,
    /// Alert when one member of staff reads more users' records than this within an hour.
    #[arg(long, env = "CONSENT_ALERT_SUBJECTS_PER_HOUR", default_value_t = alerts::SUBJECTS_PER_HOUR)]
    alert_subjects_per_hour: u32,
    /// Alert when staff endpoints refuse one source this many times within 10 minutes.
    #[arg(long, env = "CONSENT_ALERT_REFUSALS", default_value_t = alerts::REFUSALS)]
    alert_refusals: u32,
}

pub async fn run(cli: Cli) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Verify { db, user, retired }) => verify(&db, user, &retired).await,
        Some(Command::Checkpoint { db }) => make_checkpoint(&db).await,
        Some(Command::Purge {
            db,
            retention,
            as_of,
        }) => purge(&db, retention.retention(), as_of.as_deref()).await,
        Some(Command::Token {
            user,
            role,
            service,
            ttl_secs,
            count,
        }) => token(&user, role, service, ttl_secs, count),
        Some(Command::Devices { count }) => devices(count),
        Some(Command::Receipt { action }) => receipt(action),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("consent-server: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A secret from the environment: absent, or at least `MIN_SECRET_BYTES` long.
fn env_secret(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(value) if value.len() >= MIN_SECRET_BYTES => Ok(Some(value)),
        Ok(_) => Err(format!("{name} must be at least {MIN_SECRET_BYTES} bytes")),
        Err(_) => Ok(None),
    }
}

fn secret_from_env(name: &str) -> Result<Option<Secret>, String> {
    Ok(env_secret(name)?.map(|value| Secret::new(value.as_bytes())))
}

fn random_secret() -> Secret {
    let bytes: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    Secret::new(bytes.as_bytes())
}

/// `CONSENT_SERVER_SECRET` keys the ledger, proves device ids and signs checkpoints; `--demo`
/// uses a public one of its own.
fn server_keys(demo: bool) -> Result<Arc<ServerKeys>, String> {
    const NAME: &str = "CONSENT_SERVER_SECRET";
    match (env_secret(NAME)?, demo) {
        (Some(_), true) => Err(format!(
            "refusing to start: --demo keys its ledger with a public secret; unset {NAME}"
        )),
        (Some(secret), false) => Ok(Arc::new(ServerKeys::from_secret(secret.as_bytes()))),
        (None, true) => Ok(Arc::new(ServerKeys::from_secret(DEMO_SECRET))),
        (None, false) => Err(format!(
            "set {NAME} (at least {MIN_SECRET_BYTES} bytes): it keys the ledger's chain, proves device ids and signs checkpoints; \
             keep it outside the database"
        )),
    }
}

fn keys(demo: bool) -> Result<Keys, String> {
    let user = match (secret_from_env("CONSENT_JWT_SECRET")?, demo) {
        // The demo page hands a token to anyone who asks: never one that real sites accept.
        (Some(_), true) => {
            return Err("refusing to start: --demo hands out user tokens to anyone, so it must not \
                 know the real CONSENT_JWT_SECRET; unset it for the demo"
                .into())
        }
        (Some(secret), false) => secret,
        // Demo tokens are issued by the demo page itself; nothing outside can forge them.
        (None, true) => random_secret(),
        (None, false) => {
            return Err(format!(
                "refusing to start: set CONSENT_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes), the HS256 secret \
                 of the users' tokens, or pass --demo for a demonstration with a random one"
            ))
        }
    };
    let or_demo = |s: Option<Secret>| s.or_else(|| demo.then(random_secret));
    Ok(Keys {
        user,
        service: or_demo(secret_from_env("CONSENT_SERVICE_SECRET")?),
        staff: or_demo(secret_from_env("CONSENT_STAFF_SECRET")?),
        server: server_keys(demo)?,
    })
}

async fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let settings = Settings {
        bind: args.bind,
        database_url: database_url(&args.database)?.with_pool_size(args.db_pool),
        keys: keys(args.demo)?,
        allowed_origins: args.allow_origin,
        demo: args.demo,
        widget_dir: args.widget_dir.is_dir().then_some(args.widget_dir),
        retention: args.retention.retention(),
        purge_daily: true,
        checkpoint_every: (args.checkpoint_minutes > 0)
            .then(|| std::time::Duration::from_secs(args.checkpoint_minutes * 60)),
        company_address: args
            .company_address
            .filter(|a| !a.trim().is_empty())
            .or_else(|| args.demo.then(|| crate::demo::COMPANY_ADDRESS.to_owned())),
        limits: RateLimits {
            per_subject: Rate::per_minute(args.rate_subject, args.burst_subject),
            per_address: Rate::per_minute(args.rate_address, args.burst_address),
        },
        connections: limits::ConnectionLimits::new(args.connections_per_address, args.connections),
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| TlsFiles { cert, key }),
        alerts: AlertRules {
            subjects_per_hour: args.alert_subjects_per_hour,
            refusals: args.alert_refusals.max(1),
        },
        receipt_key: receipt_key(args.demo)?,
        receipt_retired_keys: args.retired.keys()?,
        controller: Controller {
            name: args.controller_name,
            bin: args.controller_bin.filter(|b| !b.trim().is_empty()),
            contact: args.controller_contact.filter(|c| !c.trim().is_empty()),
        },
    };
    if settings.controller.bin.is_none() {
        tracing::warn!("--controller-bin is not set: receipts will not state the operator's BIN (Law 94-V Art. 8)");
    }
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let addr = app.local_addr();
    let scheme = app.scheme();
    if args.demo {
        println!("\n  dosmart consent demo: open {scheme}://{addr}/\n");
    }
    tracing::info!(%addr, scheme, backend = ?app.state().store.backend(), "listening");
    app.run_until_stopped().await.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// Checked here, not by clap, whose message would repeat the URL with any password in it.
fn database_url(raw: &str) -> Result<DatabaseUrl, String> {
    raw.parse().map_err(|e| format!("--database: {e}"))
}

async fn open(db: &DatabaseArgs) -> Result<Store, String> {
    Store::connect(&database_url(&db.database)?, server_keys(db.demo)?)
        .await
        .map_err(|e| e.to_string())
}

async fn verify(
    db: &DatabaseArgs,
    user: Option<String>,
    retired: &RetiredKeysArgs,
) -> Result<ExitCode, String> {
    let store = open(db).await?;
    let fail = |e: crate::store::StoreError| e.to_string();
    let unvouched = unvouched_receipt_keys(&store, retired).await?;
    let latest = match checkpoint::latest_authentic(&store).await.map_err(fail)? {
        Ok(latest) => latest,
        Err(problem) => {
            println!("BROKEN  {problem}");
            return Ok(ExitCode::from(2));
        }
    };
    let one = user.is_some();
    let subjects: Vec<String> = match user {
        Some(user) => vec![auth::UserId::parse(&user)
            .map_err(|e| format!("--user: {e}"))?
            .subject()
            .to_string()],
        None => ledger::subjects(&store).await.map_err(fail)?,
    };
    match &latest {
        Some(c) => println!(
            "held to checkpoint {} of {} ({} chains)",
            c.id,
            c.at,
            c.heads.len()
        ),
        None => println!("no checkpoint yet: chains checked on their own"),
    }
    let (mut broken, mut erased, mut checked) = (0, 0, subjects.len());
    let mut seen = BTreeSet::new();
    // Chains the checkpoint saw that the ledger no longer has, by their key in the checkpoint:
    // the subject and the problem, where another table still names them.
    let mut named_gone = BTreeMap::new();
    for subject in &subjects {
        let head = latest.as_ref().and_then(|c| c.head_of(&store, subject));
        let report = ledger::verify(&store, subject, head).await.map_err(fail)?;
        match (report.problem, head) {
            (None, _) => println!("ok      {subject}: {} records", report.records),
            (Some(problem), Some(head)) if report.records == 0 => {
                named_gone.insert(head.subject.clone(), (subject.clone(), problem));
                continue;
            }
            (Some(problem), _) => {
                broken += 1;
                println!("BROKEN  {subject}: {problem}");
            }
        }
        seen.extend(head.map(|h| h.subject.clone()));
    }
    // A chain deleted whole is missing from the ledger but not from the checkpoint: it passes
    // only as an erasure under 2.5, with its signed proof.
    let gone = latest
        .iter()
        .flat_map(|c| c.heads.iter())
        .filter(|h| !seen.contains(&h.subject))
        .filter(|h| !one || named_gone.contains_key(&h.subject));
    for head in gone {
        let named = named_gone.get(&head.subject);
        checked += usize::from(named.is_none());
        let checkpoint_at = latest.as_ref().map_or(consent_core::Timestamp(0), |c| c.at);
        match checkpoint::erased_under_retention(&store, checkpoint_at, head)
            .await
            .map_err(fail)?
        {
            Ok(e) => {
                erased += 1;
                let label = named.map_or(e.anon.as_str(), |(subject, _)| subject.as_str());
                println!(
                    "erased  {label}: {} records, proven by its signed erasure (2.5)",
                    e.records
                );
            }
            Err(problem) => {
                broken += 1;
                match named {
                    Some((subject, problem)) => println!("BROKEN  {subject}: {problem}"),
                    None => println!("BROKEN  {problem}"),
                }
            }
        }
    }
    for kid in &unvouched {
        broken += 1;
        println!("BROKEN  receipt key {kid}: in the database, but configuration does not vouch for it (CONSENT_RECEIPT_KEY, CONSENT_RECEIPT_RETIRED_KEYS): never trusted");
    }
    println!("{checked} subjects checked, {erased} erased under 2.5, {broken} broken");
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The receipt key rows configuration does not vouch for; none checked (and said so) where
/// no receipt key is configured here to vouch with.
async fn unvouched_receipt_keys(
    store: &Store,
    retired: &RetiredKeysArgs,
) -> Result<Vec<String>, String> {
    let Ok(seed) = std::env::var("CONSENT_RECEIPT_KEY") else {
        println!("receipt keys not checked: set CONSENT_RECEIPT_KEY (and CONSENT_RECEIPT_RETIRED_KEYS) to check them");
        return Ok(Vec::new());
    };
    let current =
        ReceiptKey::from_seed_hex(&seed).map_err(|e| format!("CONSENT_RECEIPT_KEY: {e}"))?;
    let trusted = crate::receipts::trusted_keys(&current, &retired.keys()?);
    crate::receipts::unvouched_keys(store, &trusted)
        .await
        .map_err(|e| e.to_string())
}

async fn make_checkpoint(db: &DatabaseArgs) -> Result<ExitCode, String> {
    let store = open(db).await?;
    let made = checkpoint::make(&store).await.map_err(|e| e.to_string())?;
    let published = serde_json::to_string_pretty(&made.published(&store)).expect("serialises");
    println!("{published}");
    Ok(ExitCode::SUCCESS)
}

async fn purge(
    db: &DatabaseArgs,
    retention: Retention,
    as_of: Option<&str>,
) -> Result<ExitCode, String> {
    let now = match as_of {
        None => crate::clock::now(),
        Some(text) => as_of_moment(text).ok_or_else(|| {
            format!("--as-of `{text}` is not a date (2029-12-01) or an RFC 3339 time")
        })?,
    };
    let store = open(db).await?;
    let purged = retention::purge(&store, retention, now)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "erased everything held about {} users whose agreement ended more than {} days before {now}",
        purged.erased_users, retention.user_days
    );
    println!(
        "deleted the IP addresses and user agents of {} user records and {} device records",
        purged.user_origins, purged.device_origins
    );
    Ok(ExitCode::SUCCESS)
}

fn token(
    user: &str,
    role: Option<RoleArg>,
    service: bool,
    ttl_secs: i64,
    count: Option<usize>,
) -> Result<ExitCode, String> {
    let (env, audience, role) = match role {
        None if service => ("CONSENT_SERVICE_SECRET", auth::SERVICE_AUDIENCE, None),
        None => ("CONSENT_JWT_SECRET", auth::USER_AUDIENCE, None),
        Some(r) => (
            "CONSENT_STAFF_SECRET",
            auth::STAFF_AUDIENCE,
            Some(match r {
                RoleArg::Support => StaffRole::Support,
                RoleArg::PrivacyOfficer => StaffRole::PrivacyOfficer,
                RoleArg::PolicyEditor => StaffRole::PolicyEditor,
            }),
        ),
    };
    let secret = secret_from_env(env)?.ok_or_else(|| format!("set {env} to sign the token"))?;
    let users: Vec<String> = match count {
        None => vec![user.to_owned()],
        Some(n) => (0..n).map(|i| format!("{user}-{i}")).collect(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for user in users {
        let token = auth::issue(&secret, audience, &user, role, ttl_secs);
        writeln!(out, "{token}").map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn devices(count: usize) -> Result<ExitCode, String> {
    let keys = server_keys(false)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let (id, proof) = auth::issue_device(&keys);
        writeln!(out, "{} {proof}", id.as_str()).map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A day (its start, in UTC) or an RFC 3339 moment.
fn as_of_moment(text: &str) -> Option<consent_core::Timestamp> {
    consent_core::Timestamp::parse(text)
        .or_else(|| consent_core::Timestamp::parse(&format!("{text}T00:00:00Z")))
}

/// `CONSENT_RECEIPT_KEY`; `--demo` makes one and keeps it in its database instead.
fn receipt_key(demo: bool) -> Result<Option<ReceiptKey>, String> {
    const NAME: &str = "CONSENT_RECEIPT_KEY";
    match (std::env::var(NAME).ok(), demo) {
        (Some(_), true) => Err(format!(
            "refusing to start: --demo signs receipts with a key of its own; unset {NAME}"
        )),
        (Some(seed), false) => ReceiptKey::from_seed_hex(&seed)
            .map(Some)
            .map_err(|e| format!("{NAME}: {e}")),
        (None, true) => Ok(None),
        (None, false) => Err(format!(
            "set {NAME}, the Ed25519 key that signs consent receipts (`consent-server receipt key` makes one)"
        )),
    }
}

fn receipt(action: ReceiptAction) -> Result<ExitCode, String> {
    match action {
        ReceiptAction::Key => {
            let key = ReceiptKey::generate();
            println!("CONSENT_RECEIPT_KEY={}", key.seed_hex());
            println!("kid {}", key.jwk().kid);
            println!(
                "public {} (for CONSENT_RECEIPT_RETIRED_KEYS once it is replaced)",
                key.jwk().x
            );
            Ok(ExitCode::SUCCESS)
        }
        ReceiptAction::Verify { file, jwks } => {
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
            };
            let keys: crate::receipts::Jwks = serde_json::from_str(&read(&jwks)?)
                .map_err(|e| format!("{}: not a JWK set: {e}", jwks.display()))?;
            // A downloaded receipt is a readable text with the JWS in it; a bare JWS will do.
            let text = read(&file)?;
            let jws = crate::receipts::jws_in(&text).unwrap_or(&text);
            match crate::receipts::verify(jws, &keys) {
                Ok(claims) => {
                    println!(
                        "valid: receipt {} of {}",
                        claims.jti, claims.controller.name
                    );
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&claims).expect("claims serialise")
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(refused) => {
                    println!("INVALID: {refused}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
