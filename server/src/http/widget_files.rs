//! The built widget (`scripts/build-widget.sh` → `dist/`), served as a CDN would: from memory,
//! brotli or gzip by `Accept-Encoding` (compressed at build time), content-hashed files cached
//! for a year, the loader `consent.js` for five minutes with an ETag (a deploy reaches every
//! visitor within that time, and a loader only ever names the wasm of its own build), and the
//! widget's own pages under a Content-Security-Policy it runs under.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

struct File {
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    etag: HeaderValue,
    content_type: &'static str,
    cache: &'static str,
    policy: Option<&'static str>,
}

#[derive(Clone, Default)]
pub struct WidgetFiles(Arc<HashMap<String, File>>);

/// No inline script anywhere; the wasm needs `'wasm-unsafe-eval'`.
const PAGE_POLICY: &str =
    "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
/// The in-app page also refuses to be framed by any site (clickjacking).
const APP_POLICY: &str =
    "script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

impl WidgetFiles {
    /// Reads every file of the folder once; the `.br` and `.gz` beside a file are its encodings.
    pub fn load(dir: &Path) -> std::io::Result<WidgetFiles> {
        let mut files = HashMap::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if !path.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
                continue;
            }
            let identity = Bytes::from(std::fs::read(&path)?);
            let beside = |ext: &str| {
                std::fs::read(dir.join(format!("{name}.{ext}")))
                    .ok()
                    .map(Bytes::from)
            };
            let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&identity)[..12]));
            files.insert(
                name.clone(),
                File {
                    brotli: beside("br"),
                    gzip: beside("gz"),
                    etag: HeaderValue::from_str(&etag).expect("hex is a header value"),
                    content_type: content_type(&name),
                    cache: cache_control(&name),
                    policy: page_policy(&name),
                    identity,
                },
            );
        }
        Ok(WidgetFiles(Arc::new(files)))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A router that answers the widget's files; it sits outside the API's CORS rules, since
    /// these files are public and a module import from another origin needs CORS.
    pub fn router(self) -> Router {
        Router::new().fallback(serve).with_state(self)
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        // The loader's TypeScript declarations (`consent.d.ts`) and its integrity value: text
        // to read, not to run.
        Some("ts") | Some("sri") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `consent-widget-0123456789abcdef.js`: a name that changes with the content.
fn is_content_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn cache_control(name: &str) -> &'static str {
    if is_content_hashed(name) {
        "public, max-age=31536000, immutable"
    } else if name.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=300"
    }
}

fn page_policy(name: &str) -> Option<&'static str> {
    match name {
        "app.html" => Some(APP_POLICY),
        _ if name.ends_with(".html") => Some(PAGE_POLICY),
        _ => None,
    }
}

fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut fields = part.trim().split(';');
            let name = fields.next().unwrap_or_default().trim();
            let refused =
                fields.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case(encoding) && !refused
        })
}

async fn serve(State(files): State<WidgetFiles>, request: Request) -> Response {
    let name = request.uri().path().trim_start_matches('/');
    let Some(file) = files.0.get(name) else {
        let body = consent_core::api::ErrorBody {
            error: "not_found".into(),
            message: format!(
                "there is no `/{}` here",
                name.chars().take(80).collect::<String>()
            ),
        };
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    let headers = request.headers();
    let (body, encoding) = match (&file.brotli, &file.gzip) {
        (Some(br), _) if accepts(headers, "br") => (br, Some("br")),
        (_, Some(gz)) if accepts(headers, "gzip") => (gz, Some("gzip")),
        _ => (&file.identity, None),
    };
    let mut response = Response::new(Body::empty());
    let out = response.headers_mut();
    out.insert(header::ETAG, file.etag.clone());
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(file.cache));
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Some(policy) = file.policy {
        out.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    if headers.get(header::IF_NONE_MATCH) == Some(&file.etag) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Some(encoding) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    *response.body_mut() = Body::from(body.clone());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(is_content_hashed("consent-widget-0123456789abcdef.js"));
        assert!(is_content_hashed("consent-widget-0123456789abcdef_bg.wasm"));
        assert!(is_content_hashed("consent-0123456789abcdef.css"));
        assert!(!is_content_hashed("consent.js"));
        assert!(!is_content_hashed("consent-widget.js"));
        assert_eq!(cache_control("consent.js"), "public, max-age=300");
    }

    #[test]
    fn encodings_refused_with_q_zero_are_not_chosen() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert!(accepts(&headers, "gzip"));
        assert!(!accepts(&headers, "br"));
    }
}
