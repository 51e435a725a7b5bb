//! What each command does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use consent_core::receipt::Controller;

use super::args::{DatabaseArgs, ReceiptAction, RetiredKeysArgs, RoleArg, ServeArgs};
use super::secrets::{keys, receipt_key, secret_from_env, server_keys};
use crate::alerts::AlertRules;
use crate::auth::{self, StaffRole};
use crate::http::client::TrustedProxies;
use crate::http::limits::{self, Rate, RateLimits};
use crate::http::listen::TlsFiles;
use crate::ledger::checkpoint;
use crate::receipts::ReceiptKey;
use crate::retention::{self, Retention};
use crate::store::{ledger, DatabaseUrl, Store};
use crate::{Application, Settings};

pub(super) async fn serve(args: ServeArgs) -> Result<ExitCode, String> {
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
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
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
pub(super) fn database_url(raw: &str) -> Result<DatabaseUrl, String> {
    raw.parse().map_err(|e| format!("--database: {e}"))
}

pub(super) async fn open(db: &DatabaseArgs) -> Result<Store, String> {
    Store::connect(&database_url(&db.database)?, server_keys(db.demo)?)
        .await
        .map_err(|e| e.to_string())
}

pub(super) async fn verify(
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
pub(super) async fn unvouched_receipt_keys(
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

pub(super) async fn make_checkpoint(db: &DatabaseArgs) -> Result<ExitCode, String> {
    let store = open(db).await?;
    let made = checkpoint::make(&store).await.map_err(|e| e.to_string())?;
    let published = serde_json::to_string_pretty(&made.published(&store)).expect("serialises");
    println!("{published}");
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn purge(
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

pub(super) fn token(
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

pub(super) fn devices(count: usize) -> Result<ExitCode, String> {
    let keys = server_keys(false)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let (id, proof) = auth::issue_device(&keys);
        writeln!(out, "{} {proof}", id.as_str()).map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A day (its start, in UTC) or an RFC 3339 moment.
pub(super) fn as_of_moment(text: &str) -> Option<consent_core::Timestamp> {
    consent_core::Timestamp::parse(text)
        .or_else(|| consent_core::Timestamp::parse(&format!("{text}T00:00:00Z")))
}

pub(super) fn receipt(action: ReceiptAction) -> Result<ExitCode, String> {
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
