//! The HTTP API, one module per resource.

mod admin;
mod catalog;
mod consents;
mod events;
mod my_data;
pub mod openapi;
mod policy;
mod withdrawals;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use axum::Router;
use consent_core::Lang;
use serde::Deserialize;
use std::net::SocketAddr;

use crate::error::{ApiError, ApiResult};
use crate::store::ledger::Origin;
use crate::AppState;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/v1/policy", get(policy::current))
        .route("/v1/policy/{version}", get(policy::by_version))
        .route("/v1/purposes", get(catalog::purposes))
        .route("/v1/data-categories", get(catalog::data_categories))
        .route("/v1/consents", get(consents::read).put(consents::update))
        .route("/v1/events", post(events::record))
        .route("/v1/withdrawals", post(withdrawals::request))
        .route("/v1/me/data", get(my_data::report))
        .route("/v1/me/export", get(my_data::export))
        .route("/v1/admin/editions", post(policy::publish))
        .route("/v1/admin/subjects/{user}/data", put(admin::upsert_data))
        .route("/v1/admin/subjects/{user}/records", get(admin::records))
        .route("/v1/admin/subjects/{user}/verify", get(admin::verify))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(healthz))
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The server is up")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LangQuery {
    /// kk, ru or en; kk when absent.
    lang: Option<String>,
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
