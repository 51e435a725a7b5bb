use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use consent_core::api::ErrorBody;
use consent_core::PurposeId;

use crate::store::StoreError;

/// Every way a request can fail, each with the status and code a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("send a bearer token or an `X-Consent-Device` header (a UUID)")]
    NoSubject,
    #[error("the query string cannot be read: {0}")]
    InvalidQuery(String),
    #[error("the path cannot be read: {0}")]
    InvalidPath(String),
    #[error("`X-Consent-Device` must be a UUID")]
    BadDeviceId,
    #[error("this device id comes without a valid `X-Consent-Device-Proof`: use the id and proof the server issued (GET /v1/consents without a device issues a new one)")]
    DeviceNotProven,
    #[error("this `Idempotency-Key` was used for a different request")]
    IdempotencyKeyReused,
    #[error("`Idempotency-Key` must be 1 to 100 visible ASCII characters")]
    BadIdempotencyKey,
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidBody(String),
    #[error("send the body as `Content-Type: application/json`")]
    NotJson,
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    UnknownLanguage(String),
    #[error("there is no policy edition `{0}`")]
    UnknownEdition(String),
    #[error("purpose `{0}` is necessary for the service and cannot be refused or withdrawn (clause 2.7: not while the law requires the processing or an obligation to the company is open)")]
    NecessaryPurpose(PurposeId),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the server could not complete the request; nothing was changed")]
    Store(#[from] StoreError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            NoSubject => (StatusCode::UNAUTHORIZED, "no_subject"),
            InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
            BadDeviceId => (StatusCode::UNAUTHORIZED, "bad_device_id"),
            DeviceNotProven => (StatusCode::UNAUTHORIZED, "device_not_proven"),
            IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            BadIdempotencyKey => (StatusCode::BAD_REQUEST, "bad_idempotency_key"),
            InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            InvalidBody(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            NotJson => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json"),
            TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            UnknownLanguage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_language"),
            UnknownEdition(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_edition"),
            NecessaryPurpose(_) => (StatusCode::UNPROCESSABLE_ENTITY, "necessary_purpose"),
            Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Store(cause) = &self {
            // The cause names tables and constraints, never the values of a row.
            tracing::error!(error = %cause, "request failed in the store");
        }
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
