//! Accepting connections: plain HTTP (behind a proxy that terminates TLS) or HTTPS of our own
//! with rustls, TLS 1.2 at least (3.4). Each connection gets a deadline for its request
//! headers, so a client that sends them byte by byte holds nothing for long.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::limits::HEADER_TIMEOUT;

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
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
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
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request)
            });
            let builder = connection_builder();
            let served = match tls {
                None => {
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
                    watcher.watch(connection).await
                }
                Some(acceptor) => {
                    let Some(stream) = handshake(&acceptor, tcp).await else {
                        return;
                    };
                    let connection =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection).await
                }
            };
            // A client that goes away mid-request is no fault of ours: debug, not warn.
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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
