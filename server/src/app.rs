//! The server assembled: the store opened, the state made, the background work started, the
//! HTTP router built and bound. `main.rs` and the tests start it here.

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::RwLock;

use crate::editions::Editions;
use crate::http::client::TrustedProxies;
use crate::http::limits::ConnectionLimits;
use crate::retention::{self, Retention};
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use crate::{clock, demo, http, ledger, receipts, vital};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error(transparent)]
    Http(#[from] http::RouterError),
    #[error("cannot serve HTTPS: {0}")]
    Tls(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
    connections: ConnectionLimits,
    trusted_proxies: TrustedProxies,
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
        let mut routes = http::api();
        if settings.demo {
            demo::seed(&state).await?;
            routes = routes.merge(demo::routes());
        }
        let serving = http::Serving {
            allowed_origins: &settings.allowed_origins,
            limits: settings.limits,
            widget_dir: settings.widget_dir.as_deref(),
            trusted_proxies: settings.trusted_proxies.clone(),
        };
        let router = http::router(routes, &state, serving)?;
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
            trusted_proxies: settings.trusted_proxies,
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
        http::listen::serve(
            self.listener,
            self.router,
            self.tls,
            self.connections,
            self.trusted_proxies,
        )
        .await
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
        match retention::purge(&store, retention, clock::now()).await {
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
        match ledger::checkpoint::make(&store).await {
            Ok(c) => {
                tracing::info!(id = c.id, subjects = c.heads.len(), digest = %c.digest, "ledger checkpoint signed")
            }
            Err(e) => tracing::warn!(error = %e, "could not make a ledger checkpoint"),
        }
    }
}
