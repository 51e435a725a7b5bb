use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::receipts::Jwks;
use crate::state::AppState;

/// The public key that signs consent receipts now and the retired ones configuration still
/// vouches for: a receipt stays checkable for as long as it is kept.
#[utoipa::path(get, path = "/v1/receipts/jwks.json",
    responses((status = 200, description = "The receipt keys (JWK set, Ed25519)", body = Jwks)))]
pub async fn jwks(State(app): State<AppState>) -> Response {
    let keys = app.receipts.trusted.clone();
    let cache = HeaderValue::from_static("public, max-age=300");
    ([(axum::http::header::CACHE_CONTROL, cache)], Json(keys)).into_response()
}
