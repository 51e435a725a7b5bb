//! The command line: `consent-server [serve]`, `consent-server verify`, `consent-server token`.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::auth::{self, Keys, Secret, StaffRole, MIN_SECRET_BYTES};
use crate::store::{ledger, Store};
use crate::{Application, Settings};

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
    Serve(ServeArgs),
    /// Check the hash chains of the ledger; names the first broken record of each subject.
    Verify {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
        database: String,
        /// A user id; without it, every subject is checked.
        #[arg(long)]
        user: Option<String>,
    },
    /// Print a signed token for development: a user's, or staff's with --role.
    Token {
        #[arg(long)]
        user: String,
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        #[arg(long, default_value_t = 3600)]
        ttl_secs: i64,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum RoleArg {
    Support,
    PrivacyOfficer,
    PolicyEditor,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    #[arg(long, env = "CONSENT_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://consent.db")]
    database: String,
    /// An origin allowed to call the API from a browser (repeatable).
    #[arg(long = "allow-origin")]
    allow_origin: Vec<String>,
    /// Seed a sample user and serve the widget and a demo page.
    #[arg(long)]
    demo: bool,
    /// Where the built widget is (trunk's output).
    #[arg(long, default_value = "dist")]
    static_dir: PathBuf,
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
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Verify { database, user }) => verify(&database, user).await,
        Some(Command::Token {
            user,
            role,
            ttl_secs,
        }) => token(&user, role, ttl_secs),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("consent-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn secret_from_env(name: &str) -> Result<Option<Secret>, String> {
    match std::env::var(name) {
        Ok(value) if value.len() >= MIN_SECRET_BYTES => Ok(Some(Secret::new(value.as_bytes()))),
        Ok(_) => Err(format!("{name} must be at least {MIN_SECRET_BYTES} bytes")),
        Err(_) => Ok(None),
    }
}

fn random_secret() -> Secret {
    let bytes: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    Secret::new(bytes.as_bytes())
}

fn keys(demo: bool) -> Result<Keys, String> {
    let user = match (secret_from_env("CONSENT_JWT_SECRET")?, demo) {
        (Some(secret), _) => secret,
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
    })
}

async fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let settings = Settings {
        bind: args.bind,
        database_url: args.database.clone(),
        keys: keys(args.demo)?,
        allowed_origins: args.allow_origin,
        demo: args.demo,
        static_dir: Some(args.static_dir),
    };
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let addr = app.local_addr();
    if args.demo {
        println!("\n  dosmart consent demo: open http://{addr}/\n");
    }
    tracing::info!(%addr, backend = ?app.state().store.backend(), "listening");
    app.run_until_stopped().await.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn verify(database: &str, user: Option<String>) -> Result<ExitCode, String> {
    let store = Store::connect(database).await.map_err(|e| e.to_string())?;
    let subjects = match user {
        Some(user) => vec![auth::user_key(&user)],
        None => ledger::subjects(&store).await.map_err(|e| e.to_string())?,
    };
    let mut broken = 0;
    for subject in &subjects {
        let report = ledger::verify(&store, subject)
            .await
            .map_err(|e| e.to_string())?;
        match report.first_broken {
            None => println!("ok      {subject}: {} records", report.records),
            Some(seq) => {
                broken += 1;
                println!(
                    "BROKEN  {subject}: record {seq} of {} does not match its chain",
                    report.records
                );
            }
        }
    }
    println!("{} subjects checked, {broken} broken", subjects.len());
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn token(user: &str, role: Option<RoleArg>, ttl_secs: i64) -> Result<ExitCode, String> {
    let (env, audience, role) = match role {
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
    println!("{}", auth::issue(&secret, audience, user, role, ttl_secs));
    Ok(ExitCode::SUCCESS)
}
