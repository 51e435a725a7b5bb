use clap::Parser;
use consent_server::cli::{run, Cli};

/// Every request allocates (JSON, rows, the receipt's parts), much of it inside SQLite's one
/// writer's turn: glibc's malloc and free took 13 % of a write benchmark's samples.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    run(Cli::parse()).await
}
