//! Throughput and latency of the real server over HTTP on loopback: consent changes (ledger
//! append + state, committed with `synchronous = FULL`), event batches, and policy reads.
//! Prints figures; asserts nothing. `cargo bench -p consent-server [-- postgres]`.

use consent_server::auth::{self, Keys, Secret};
use consent_server::{Application, Settings};
use serde_json::json;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-user-secret-0123456789abcdef0123456789";
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() {
    let postgres = std::env::args().any(|a| a == "postgres");
    let database_url = if postgres {
        fresh_postgres_database().await
    } else {
        let path = std::env::temp_dir().join(format!(
            "consent-bench-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        format!("sqlite://{}", path.display())
    };
    let app = Application::build(Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.parse().expect("a database URL"),
        keys: Keys {
            user: Secret::new(SECRET.as_bytes()),
            service: None,
            staff: None,
            server: std::sync::Arc::new(consent_server::seal::ServerKeys::from_secret(
                SECRET.as_bytes(),
            )),
        },
        allowed_origins: vec![],
        demo: false,
        widget_dir: None,
        retention: Default::default(),
        purge_daily: false,
        checkpoint_every: None,
        company_address: None,
        limits: consent_server::http::limits::RateLimits::off(),
        connections: Default::default(),
        trusted_proxies: Default::default(),
        tls: None,
        receipt_key: Some(consent_server::receipts::ReceiptKey::generate()),
        receipt_retired_keys: Vec::new(),
        controller: consent_core::receipt::Controller {
            name: "AITU Sauda LLP".into(),
            bin: None,
            contact: None,
        },
        alerts: Default::default(),
    })
    .await
    .expect("server starts");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    println!(
        "backend: {}",
        if postgres {
            "PostgreSQL"
        } else {
            "SQLite (WAL, synchronous=FULL)"
        }
    );

    run("PUT /v1/consents (ledger append + state)", 2_000, |i| {
        let token = auth::issue(&Secret::new(SECRET.as_bytes()), auth::USER_AUDIENCE, &format!("bench-{}", i % 500), None, 600);
        http.put(format!("{base}/v1/consents"))
            .bearer_auth(token)
            .json(&json!({ "policy_version": "2026-11", "lang": "kk", "choices": { "surveys": i % 2 == 0, "research": true } }))
    })
    .await;
    run("POST /v1/events (batch of 20)", 500, |i| {
        let token = auth::issue(&Secret::new(SECRET.as_bytes()), auth::USER_AUDIENCE, &format!("bench-{}", i % 500), None, 600);
        let events: Vec<_> = (0..20)
            .map(|_| json!({ "id": uuid::Uuid::new_v4().to_string(), "kind": "banner_shown", "at": "2026-11-25T10:00:00.000Z" }))
            .collect();
        http.post(format!("{base}/v1/events")).bearer_auth(token).json(&json!({ "events": events }))
    })
    .await;
    run("GET /v1/policy?lang=ru (28 KB)", 2_000, |_| {
        http.get(format!("{base}/v1/policy?lang=ru"))
    })
    .await;
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

/// A database of its own on the local PostgreSQL (`BENCH_POSTGRES_URL` names the admin one).
async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL is reachable");
    let name = format!("consent_t_bench_{}", uuid::Uuid::new_v4().simple());
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    format!(
        "{}/{name}",
        admin.rsplit_once('/').expect("a database URL").0
    )
}

async fn run(name: &str, total: usize, request: impl Fn(usize) -> reqwest::RequestBuilder) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    for chunk in (0..total).collect::<Vec<_>>().chunks(CONCURRENCY) {
        let calls = chunk.iter().map(|i| {
            let builder = request(*i);
            async move {
                let t = Instant::now();
                let response = builder.send().await.expect("request");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("body");
                t.elapsed()
            }
        });
        latencies.extend(futures_join(calls).await);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    println!(
        "{name:<44} {total:>5} requests, {CONCURRENCY} concurrent: {:>7.0} req/s   p50 {:>6.2} ms   p95 {:>6.2} ms   p99 {:>6.2} ms",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.95),
        pct(0.99),
    );
}

async fn futures_join<F: std::future::Future<Output = Duration> + Send + 'static>(
    calls: impl Iterator<Item = F>,
) -> Vec<Duration> {
    let handles: Vec<_> = calls.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
