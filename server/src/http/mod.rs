//! The HTTP layer: the routes, one module per resource; what requests carry; the limits and the
//! connections; the contract (`openapi`). Handlers call the capabilities; nothing below imports
//! from here.

mod admin;
mod catalog;
pub mod client;
mod consents;
mod events;
mod extract;
mod health;
pub mod limits;
pub mod listen;
mod my_data;
mod once;
pub mod openapi;
mod policy;
mod receipts;
mod refusals;
pub mod widget_files;
mod withdrawals;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use std::path::{Path, PathBuf};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::state::AppState;
use client::TrustedProxies;
use limits::RateLimits;
use widget_files::WidgetFiles;

/// What the router is built with besides the state.
pub struct Serving<'a> {
    pub allowed_origins: &'a [String],
    pub limits: RateLimits,
    /// The built widget (`dist/`), served when given.
    pub widget_dir: Option<&'a Path>,
    /// The reverse proxies whose forwarded client addresses are believed.
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error("--allow-origin `{0}` is not an origin like https://dosmart.kz")]
    BadOrigin(String),
    #[error("cannot read the widget in {0}: {1}")]
    Widget(PathBuf, std::io::Error),
}

/// The API's routes (and any others the application adds, such as the demo's) behind every
/// layer a request passes: limits, refusal alerts, the log line, body limits and deadlines,
/// CORS, and the answer's headers.
pub fn router(
    routes: Router<AppState>,
    state: &AppState,
    serving: Serving<'_>,
) -> Result<Router, RouterError> {
    let limiters = limits::Limiters::new(serving.limits, state.keys.clone());
    let mut router = routes
        .route_layer(middleware::from_fn_with_state(limiters, limits::limit))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refusals::watch_refusals,
        ))
        .route_layer(middleware::from_fn(log_request))
        .with_state(state.clone())
        // Routes with bodies set their own limit; this is for the rest.
        .layer(DefaultBodyLimit::max(limits::body::SMALL))
        .layer(RequestBodyTimeoutLayer::new(limits::BODY_TIMEOUT))
        .layer(cors(serving.allowed_origins)?)
        .layer(CatchPanicLayer::custom(|_| server_error_response()));
    if let Some(dir) = serving.widget_dir {
        let files =
            WidgetFiles::load(dir).map_err(|e| RouterError::Widget(dir.to_path_buf(), e))?;
        tracing::info!(files = files.len(), "serving the built widget");
        router = router.fallback_service(files.router());
    }
    // Outermost: every layer and handler after it reads the client's address it finds.
    Ok(router
        .layer(middleware::from_fn(every_answer))
        .layer(middleware::from_fn_with_state(
            serving.trusted_proxies,
            client::resolve,
        )))
}

pub fn api() -> Router<AppState> {
    use limits::body;
    let up_to = DefaultBodyLimit::max;
    Router::new()
        .route("/v1/policy", get(policy::current))
        .route("/v1/policy/current", get(policy::in_force))
        .route("/v1/policy/{version}", get(policy::by_version))
        .route("/v1/policy/{version}/source", get(policy::source))
        .route("/v1/policy/{version}/changes", get(policy::changes))
        .route("/v1/receipts/jwks.json", get(receipts::jwks))
        .route("/v1/purposes", get(catalog::purposes))
        .route("/v1/data-categories", get(catalog::data_categories))
        .route("/v1/catalog", get(catalog::whole))
        .route("/v1/texts", get(catalog::texts))
        .route(
            "/v1/consents",
            get(consents::read)
                .put(consents::update)
                .layer(up_to(body::SMALL)),
        )
        .route(
            "/v1/events",
            post(events::record).layer(up_to(body::EVENTS)),
        )
        .route(
            "/v1/withdrawals",
            post(withdrawals::request).layer(up_to(body::SMALL)),
        )
        .route("/v1/me/data", get(my_data::report))
        .route("/v1/me/export", get(my_data::export))
        .route("/v1/me/receipts/{id}", get(my_data::receipt))
        .route(
            "/v1/admin/editions",
            post(policy::publish).layer(up_to(body::EDITION)),
        )
        .route(
            "/v1/admin/subjects/{user}/data",
            put(admin::upsert_data).layer(up_to(body::HELD_DATA)),
        )
        .route("/v1/admin/subjects/{user}/records", get(admin::records))
        .route("/v1/admin/subjects/{user}/verify", get(admin::verify))
        .route("/v1/admin/alerts", get(admin::alerts))
        .route(
            "/v1/admin/subjects/{user}/agreement-ended",
            post(admin::agreement_ended).delete(admin::agreement_end_cancelled),
        )
        .route("/v1/checkpoints/latest", get(admin::latest_checkpoint))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
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

fn cors(origins: &[String]) -> Result<CorsLayer, RouterError> {
    let origins = origins
        .iter()
        .map(|o| {
            let valid =
                (o.starts_with("https://") || o.starts_with("http://")) && !o.ends_with('/');
            valid
                .then(|| HeaderValue::from_str(o).ok())
                .flatten()
                .ok_or_else(|| RouterError::BadOrigin(o.clone()))
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
