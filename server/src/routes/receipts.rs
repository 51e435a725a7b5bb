use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::openapi::StoreFailed;
use crate::error::ApiResult;
use crate::receipts::Jwks;
use crate::AppState;

/// Every public key that has signed consent receipts, the retired ones too: a receipt stays
/// checkable for as long as it is kept.
#[utoipa::path(get, path = "/v1/receipts/jwks.json",
    responses((status = 200, description = "The receipt keys (JWK set, Ed25519)", body = Jwks), StoreFailed))]
pub async fn jwks(State(app): State<AppState>) -> ApiResult<Response> {
    let keys = crate::receipts::published_keys(&app.store).await?;
    let cache = HeaderValue::from_static("public, max-age=300");
    Ok(([(axum::http::header::CACHE_CONTROL, cache)], Json(keys)).into_response())
}
