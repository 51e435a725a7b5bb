//! The HTTP API, one module per resource.

mod admin;
mod catalog;
mod consents;
mod events;
mod my_data;
pub mod openapi;
mod policy;
mod receipts;
mod withdrawals;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use axum::Router;
use consent_core::Lang;
use serde::Deserialize;
use std::net::SocketAddr;

use crate::error::{ApiError, ApiResult};
use crate::store::idempotency::{self, Earlier};
use crate::store::ledger::Origin;
use crate::store::WriteTx;
use crate::AppState;

pub fn api() -> Router<AppState> {
    use crate::limits::body;
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
        .route("/healthz", get(healthz))
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The server is up", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// kk, ru or en; kk when absent.
    #[param(value_type = Option<Lang>)]
    lang: Option<String>,
}

/// The `Idempotency-Key` header, as the contract describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// A key of the client's (a UUID, typically): the same write sent again with the same key
    /// is answered as the first time and stores nothing. 1 to 100 visible ASCII characters.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,100}$")]
    idempotency_key: Option<String>,
}

impl LangQuery {
    pub fn lang(&self) -> ApiResult<Lang> {
        match &self.lang {
            None => Ok(Lang::Kk),
            Some(code) => Lang::parse(code).map_err(|e| ApiError::UnknownLanguage(e.to_string())),
        }
    }
}

/// Longest user agent kept; beyond it is noise, and evidence does not need it.
const USER_AGENT_CHARS: usize = 512;

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(USER_AGENT_CHARS).collect());
        Ok(Origin { ip, user_agent })
    }
}

/// A free-text field of a request: present, not blank, not longer than the API allows.
pub fn bounded_text(field: &str, text: &str) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::Invalid(format!("`{field}` must not be empty")));
    }
    if text.chars().count() > consent_core::api::MAX_TEXT_CHARS {
        return Err(ApiError::Invalid(format!(
            "`{field}` is longer than {} characters",
            consent_core::api::MAX_TEXT_CHARS
        )));
    }
    Ok(())
}

/// The client's `Idempotency-Key`, if it sent one.
pub struct IdempotencyKey(Option<String>);

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(consent_core::api::IDEMPOTENCY_HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let key = value.to_str().map_err(|_| ApiError::BadIdempotencyKey)?;
        if !idempotency::valid_key(key) {
            return Err(ApiError::BadIdempotencyKey);
        }
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// One write as a client may send it twice: `route` and `body` tell a repeat from a different
/// request under the same key.
#[derive(Clone)]
pub struct OnceRequest {
    subject: String,
    key: Option<String>,
    hash: String,
}

impl IdempotencyKey {
    pub fn request(self, subject: &str, route: &str, body: &impl serde::Serialize) -> OnceRequest {
        let bytes = serde_json::to_vec(body).expect("request bodies serialise");
        OnceRequest {
            subject: subject.to_owned(),
            key: self.0,
            hash: idempotency::request_hash(route, &bytes),
        }
    }
}

/// What an idempotent write finds when it begins.
pub enum Once<R> {
    /// The same request was stored before under its key: its first answer, to give again;
    /// nothing is written.
    Repeat(R),
    /// The first time: do the work, then [`FirstTime::remember`] the answer.
    First(FirstTime),
}

/// The memory of an answer still to keep, in the same transaction as the write, so that a
/// write and the memory of it commit together or not at all.
pub struct FirstTime(Option<(String, String, String)>);

impl OnceRequest {
    /// Looks for an earlier answer, in the write's transaction with the subject's chain held,
    /// so that two copies of a write cannot both pass.
    pub async fn begin<R: serde::de::DeserializeOwned>(
        self,
        tx: &mut WriteTx,
    ) -> ApiResult<Once<R>> {
        let OnceRequest { subject, key, hash } = self;
        let Some(key) = key else {
            return Ok(Once::First(FirstTime(None)));
        };
        tx.lock_subject(&subject).await?;
        match idempotency::earlier(tx, &subject, &key, &hash).await? {
            Earlier::Same(answer) => serde_json::from_str(&answer)
                .map(Once::Repeat)
                .map_err(|e| {
                    ApiError::Store(crate::store::StoreError::Corrupt(format!(
                        "kept answer: {e}"
                    )))
                }),
            Earlier::Different => Err(ApiError::IdempotencyKeyReused),
            Earlier::None => Ok(Once::First(FirstTime(Some((subject, key, hash))))),
        }
    }
}

impl FirstTime {
    pub fn remember(self, tx: &mut WriteTx, answer: &impl serde::Serialize) {
        if let Some((subject, key, hash)) = self.0 {
            let kept = serde_json::to_string(answer).expect("answers serialise");
            idempotency::remember(tx, &subject, &key, &hash, &kept, crate::clock::now());
        }
    }
}
