//! Accepting connections: plain HTTP (behind a proxy that terminates TLS) or HTTPS of our own
//! with rustls, TLS 1.2 at least (3.4). A connection holds a file descriptor and some memory
//! for as long as it is open, so none is open for nothing: each must bring its first request's
//! headers within [`HEADER_TIMEOUT`] (whatever it sends meanwhile: nothing, part of the HTTP/2
//! preface, headers byte by byte) and is closed after [`IDLE_TIMEOUT`] with no request in
//! flight; and one address, and all together, hold at most so many at once.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::http::client::TrustedProxies;
use crate::http::limits::{ConnectionLimits, HEADER_TIMEOUT};

/// A connection with no request in flight for this long is closed; the client opens another
/// when it needs one.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The certificate chain and private key, PEM files, of `--tls-cert` and `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The protocol versions served: TLS 1.0 and 1.1 handshakes are refused (3.4).
const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

impl TlsFiles {
    pub fn acceptor(&self) -> Result<TlsAcceptor, String> {
        let read_error =
            |path: &Path, e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| read_error(&self.cert, &e))?;
        if certs.is_empty() {
            return Err(read_error(&self.cert, &"no certificate in it"));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| read_error(&self.key, &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(VERSIONS)
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("the certificate and the key do not make a pair: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Serves `router` on `listener` until Ctrl-C, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    trusted_proxies: TrustedProxies,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let open = Arc::new(OpenConnections::new(limits, trusted_proxies));
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, as axum::serve does, and go on.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Over a cap the connection is closed at once: it frees the listen queue for others.
        let Some(slot) = open.admit(peer.ip()) else {
            tracing::debug!("a connection over the cap closed");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            let activity = Arc::new(Activity::new());
            let requests = activity.clone();
            let service = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let in_flight = requests.begin();
                let answer = router.clone().oneshot(request);
                async move {
                    let answer = answer.await;
                    drop(in_flight);
                    answer
                }
            });
            let builder = connection_builder();
            let served = async {
                match tls {
                    None => {
                        let connection =
                            builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
                        watcher.watch(connection).await
                    }
                    Some(acceptor) => {
                        let Some(stream) = handshake(&acceptor, tcp).await else {
                            return Ok(());
                        };
                        let connection =
                            builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        watcher.watch(connection).await
                    }
                }
            };
            tokio::select! {
                // A client that goes away mid-request is no fault of ours: debug, not warn.
                served = served => if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                _ = activity.stalled() => tracing::debug!("a stalled connection closed"),
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The connections open now, per address and in all.
struct OpenConnections {
    limits: ConnectionLimits,
    /// Not capped per address: one proxy carries every client's connections.
    proxies: TrustedProxies,
    total: AtomicUsize,
    per_address: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place; given back when the connection ends.
struct Slot {
    open: Arc<OpenConnections>,
    address: IpAddr,
}

impl OpenConnections {
    fn new(limits: ConnectionLimits, proxies: TrustedProxies) -> OpenConnections {
        OpenConnections {
            limits,
            proxies,
            total: AtomicUsize::new(0),
            per_address: Mutex::new(HashMap::new()),
        }
    }

    fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        let mut per_address = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let held = per_address.get(&address).copied().unwrap_or(0);
        let over_address = self.limits.per_address.is_some_and(|cap| held >= cap.get())
            && !self.proxies.contains(address);
        if over_address || self.total.load(Ordering::Relaxed) >= self.limits.total.get() {
            return None;
        }
        per_address.insert(address, held + 1);
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            open: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_address = self
            .open
            .per_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(held) = per_address.get_mut(&self.address) {
            *held -= 1;
            if *held == 0 {
                per_address.remove(&self.address);
            }
        }
        self.open.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a connection is doing: how many of its requests are in flight, and since when none is.
struct Activity {
    in_flight: AtomicUsize,
    /// Since when no request is in flight (the connection's opening, at first), and whether
    /// one has come yet.
    idle_since: Mutex<(Instant, bool)>,
}

struct InFlight(Arc<Activity>);

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new((Instant::now(), false)),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    /// Resolves once the connection has had no request in flight for its limit: the header
    /// deadline before its first request, the idle timeout after.
    async fn stalled(&self) {
        loop {
            let (since, served) = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
            let limit = if served { IDLE_TIMEOUT } else { HEADER_TIMEOUT };
            tokio::time::sleep_until(since + limit).await;
            let (now_since, _) = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
            if self.in_flight.load(Ordering::SeqCst) == 0 && now_since == since {
                return;
            }
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                // Requests have their own deadline (REQUEST_TIMEOUT); look again after it.
                *self.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), true);
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut idle = self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        *idle = (Instant::now(), true);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn connection_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    builder
}

/// The TLS handshake, within the header deadline. A refused one (an old protocol version, no
/// shared cipher) is logged without the peer's address.
async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake refused");
            None
        }
        Err(_) => None,
    }
}
