//! The command line: `consent-server [serve]`, `consent-server verify`, `consent-server token`.
//! The words are in [`args`], the secrets in [`secrets`], what each command does in
//! [`commands`].

mod args;
mod commands;
mod secrets;

use std::process::ExitCode;

pub use args::Cli;
use args::Command;
use commands::*;

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
