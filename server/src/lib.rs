//! The consent server: the ledger of choices, the policy and purpose API, and the report of
//! what is held about a user. `main.rs` only parses the command line; everything else is here
//! so the tests start the real server on port 0.

pub mod alerts;
pub mod auth;
mod changes;
pub mod cli;
pub mod clock;
mod consents;
mod demo;
pub mod editions;
pub mod error;
mod json;
pub mod limits;
pub mod listen;
pub mod receipts;
pub mod routes;
pub mod seal;
pub mod store;
mod texts;
pub mod vital;
pub mod widget_files;
mod withdrawals;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::RwLock;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::auth::Keys;
use crate::editions::Editions;
use crate::store::retention::Retention;
use crate::store::{Store, StoreError};
use crate::widget_files::WidgetFiles;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Shared, not cloned with the state for every request: the token secrets are kept once.
    pub keys: Arc<Keys>,
    pub editions: Arc<RwLock<Editions>>,
    /// Where written applications of 2.6 are sent, shown in them and beside them.
    pub company_address: Option<Arc<str>>,
    pub alert_rules: alerts::AlertRules,
    pub refusals: Arc<alerts::Refusals>,
    /// How long data is kept (2.5).
    pub retention: Retention,
    /// Signs consent receipts.
    pub receipts: Arc<receipts::Signer>,
    /// What changed between two editions, as asked so far.
    pub comparisons: Arc<changes::Comparisons>,
}

pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: crate::store::DatabaseUrl,
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
    pub limits: limits::RateLimits,
    /// Connections open at once, per network address and in all.
    pub connections: limits::ConnectionLimits,
    /// Serve HTTPS with these; plain HTTP (behind a proxy) without.
    pub tls: Option<listen::TlsFiles>,
    /// When staff access raises an alert (3.2.2).
    pub alerts: alerts::AlertRules,
    /// The key that signs receipts; `None`: the one `--demo` makes and keeps in the database.
    pub receipt_key: Option<receipts::ReceiptKey>,
    /// The public halves of keys that signed receipts before `receipt_key`: still published
    /// and trusted. A key found only in the database is not.
    pub receipt_retired_keys: Vec<receipts::Jwk>,
    /// Who the receipts name as the operator (Law 94-V Art. 8).
    pub controller: consent_core::receipt::Controller,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("--allow-origin `{0}` is not an origin like https://dosmart.kz")]
    BadOrigin(String),
    #[error("cannot read the widget in {0}: {1}")]
    Widget(PathBuf, std::io::Error),
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
    connections: limits::ConnectionLimits,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let store = Store::connect(&settings.database_url, settings.keys.server.clone()).await?;
        Editions::install_shipped(&store).await?;
        let editions = Editions::load(&store).await?;
        let receipt_key = receipts::install(&store, settings.receipt_key.clone()).await?;
        let state = AppState {
            store,
            keys: Arc::new(settings.keys.clone()),
            editions: Arc::new(RwLock::new(editions)),
            company_address: settings.company_address.as_deref().map(Arc::from),
            alert_rules: settings.alerts,
            refusals: Default::default(),
            retention: settings.retention,
            receipts: Arc::new(receipts::Signer {
                trusted: receipts::trusted_keys(&receipt_key, &settings.receipt_retired_keys),
                key: receipt_key,
                controller: settings.controller.clone(),
            }),
            comparisons: Default::default(),
        };
        vital::spawn(refresh_editions(state.clone()));
        if settings.purge_daily {
            vital::spawn(purge_daily(state.store.clone(), settings.retention));
        }
        if let Some(every) = settings.checkpoint_every {
            vital::spawn(checkpoint_every(state.store.clone(), every));
        }
        let mut router = routes::api();
        if settings.demo {
            demo::seed(&state).await?;
            router = router.merge(demo::routes());
        }
        let limiters = limits::Limiters::new(settings.limits, state.keys.clone());
        let mut router = router
            .route_layer(middleware::from_fn_with_state(limiters, limits::limit))
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                alerts::watch_refusals,
            ))
            .route_layer(middleware::from_fn(log_request))
            .with_state(state.clone())
            // Routes with bodies set their own limit; this is for the rest.
            .layer(DefaultBodyLimit::max(limits::body::SMALL))
            .layer(RequestBodyTimeoutLayer::new(limits::BODY_TIMEOUT))
            .layer(cors(&settings.allowed_origins)?)
            .layer(CatchPanicLayer::custom(|_| server_error_response()));
        if let Some(dir) = &settings.widget_dir {
            let files = WidgetFiles::load(dir).map_err(|e| StartError::Widget(dir.clone(), e))?;
            tracing::info!(files = files.len(), "serving the built widget");
            router = router.fallback_service(files.router());
        }
        let router = router.layer(middleware::from_fn(every_answer));
        let tls = match &settings.tls {
            Some(files) => Some(files.acceptor().map_err(StartError::Tls)?),
            None => None,
        };
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(|e| StartError::Bind(settings.bind, e))?;
        Ok(Application {
            listener,
            router,
            state,
            tls,
            connections: settings.connections,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        listen::serve(self.listener, self.router, self.tls, self.connections).await
    }
}

/// Editions published through another instance (several servers on one PostgreSQL) reach this
/// one within this time.
const EDITIONS_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

async fn refresh_editions(state: AppState) {
    loop {
        tokio::time::sleep(EDITIONS_REFRESH).await;
        match Editions::load(&state.store).await {
            Ok(editions) => *state.editions.write().await = editions,
            Err(e) => tracing::warn!(error = %e, "could not refresh the policy editions"),
        }
    }
}

/// The retention purge (2.5), at start and then once a day.
async fn purge_daily(store: Store, retention: Retention) {
    loop {
        match store::retention::purge(&store, retention, clock::now()).await {
            Ok(purged) => tracing::info!(
                users = purged.user_origins,
                devices = purged.device_origins,
                erased_users = purged.erased_users,
                "data past its retention period deleted"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the retention purge failed; it runs again tomorrow")
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(86_400)).await;
    }
}

async fn checkpoint_every(store: Store, every: std::time::Duration) {
    loop {
        tokio::time::sleep(every).await;
        match store::checkpoint::make(&store).await {
            Ok(c) => {
                tracing::info!(id = c.id, subjects = c.heads.len(), digest = %c.digest, "ledger checkpoint signed")
            }
            Err(e) => tracing::warn!(error = %e, "could not make a ledger checkpoint"),
        }
    }
}

fn server_error_response() -> Response {
    let body = consent_core::api::ErrorBody {
        error: "internal".into(),
        message: "the server could not complete the request; nothing was changed".into(),
    };
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(body),
    )
        .into_response()
}

/// What every answer gets: a deadline; no content sniffing, no referrer; and, when it is about a
/// person, never kept by a browser or a proxy. One layer, since each costs every request.
async fn every_answer(request: Request, next: Next) -> Response {
    let personal = is_personal(request.uri().path());
    let mut response = limits::within_deadline(next.run(request)).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if personal {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The routes whose answers are about a subject: their choices, events, withdrawals, data, or
/// staff's view of them.
fn is_personal(path: &str) -> bool {
    ["/v1/consents", "/v1/events", "/v1/withdrawals"].contains(&path)
        || path.starts_with("/v1/me/")
        || path.starts_with("/v1/admin/")
}

fn cors(origins: &[String]) -> Result<CorsLayer, StartError> {
    let origins = origins
        .iter()
        .map(|o| {
            let valid =
                (o.starts_with("https://") || o.starts_with("http://")) && !o.ends_with('/');
            valid
                .then(|| HeaderValue::from_str(o).ok())
                .flatten()
                .ok_or_else(|| StartError::BadOrigin(o.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::PUT, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(consent_core::api::DEVICE_HEADER),
            HeaderName::from_static(consent_core::api::DEVICE_PROOF_HEADER),
            HeaderName::from_static(consent_core::api::IDEMPOTENCY_HEADER),
        ])
        .expose_headers([
            header::CONTENT_LANGUAGE,
            header::CONTENT_DISPOSITION,
            HeaderName::from_static(consent_core::api::DEVICE_HEADER),
            HeaderName::from_static(consent_core::api::DEVICE_PROOF_HEADER),
        ]))
}

/// One line per request: method, route template (never the concrete path, which may hold a
/// user id), status and time. No headers, no query, no body: they carry tokens and personal data.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(%method, route, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    response
}
