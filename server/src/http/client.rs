//! Who the client is behind a reverse proxy. The connection's peer is the client unless it is
//! a proxy the operator named (`--trusted-proxy`): then the address the proxy forwarded, in
//! `Forwarded` (RFC 7239) or `X-Forwarded-For`, is. Read from the right, each hop a trusted
//! proxy added vouches for the next one to its left, up to the first address no trusted
//! proxy owns: that is the client. A forwarded address from anyone else is ignored, so no
//! client can pick the address its requests are counted and recorded under.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The proxies whose forwarded client addresses are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

/// The client's address, as [`resolve`] found it: what rate limits count and evidence keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(networks.into())
    }

    /// `10.0.0.0/8`, or one address (`10.0.0.7`, a /32 or /128).
    pub fn parse_network(text: &str) -> Result<IpNet, String> {
        let text = text.trim();
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("`{text}` is not an address or a network like 10.0.0.0/8"))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_hops(headers).into_iter().rev() {
            // An address a proxy could not name (`unknown`, an obfuscated one, garbage) ends
            // the walk at the last one a trusted proxy vouched for.
            let Some(address) = hop else { break };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

/// Puts the request's [`ClientAddress`] in its extensions, for every layer and handler after.
pub async fn resolve(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let client = proxies.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// The forwarded addresses, the original client first: `Forwarded`'s `for=` values when the
/// request has that header, else `X-Forwarded-For`'s. `None` for one that is no address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().map(str::to_owned).unwrap_or_default())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| address(value))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .flat_map(|line| line.split(','))
        .map(address)
        .collect()
}

/// `192.0.2.7`, `192.0.2.7:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            let inner = text.strip_prefix('[')?.split(']').next()?;
            inner.parse::<IpAddr>().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            networks
                .iter()
                .map(|n| TrustedProxies::parse_network(n).unwrap())
                .collect(),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let forged = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(
            trusted.client(ip("198.51.100.4"), &forged),
            ip("198.51.100.4")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &forged),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.168.1.1"]);
        // The client put a forged address first; the proxies appended the one they saw.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.1.2.3")]);
        assert_eq!(trusted.client(ip("192.168.1.1"), &chain), ip("203.0.113.9"));
        let rfc = headers(&[(
            "forwarded",
            r#"for=1.1.1.1, for="[2001:db8::7]:4711";proto=https, For=10.1.2.3:80"#,
        )]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &rfc), ip("2001:db8::7"));
        // No header: the proxy itself.
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // An address a proxy could not name stops the walk at the last trusted hop.
        let unknown = headers(&[("forwarded", "for=unknown, for=10.1.2.3")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &unknown), ip("10.1.2.3"));
    }

    #[test]
    fn networks_and_single_addresses_are_read_and_nonsense_is_named() {
        assert!(proxies(&["127.0.0.1"]).contains(ip("127.0.0.1")));
        assert!(proxies(&["127.0.0.0/8"]).contains(ip("::ffff:127.0.0.9")));
        assert!(!proxies(&["127.0.0.0/8"]).contains(ip("128.0.0.1")));
        let error = TrustedProxies::parse_network("10.0.0.0/33").unwrap_err();
        assert!(error.contains("10.0.0.0/33"), "{error}");
    }
}
