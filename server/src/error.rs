use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use consent_core::api::ErrorBody;
use consent_core::PurposeId;
use utoipa::IntoResponses;

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
    #[error("`Authorization` must be `Bearer <token>`: the scheme, one space, then the token")]
    BadAuthorization,
    #[error("`Authorization`: a token is at most {0} bytes")]
    TokenTooLong(usize),
    #[error("this device id comes without a valid `X-Consent-Device-Proof`: use the id and proof the server issued (GET /v1/consents without a device issues a new one)")]
    DeviceNotProven,
    #[error("an account signed in from this device id: signed out, the browser takes a new one (GET /v1/consents without a device issues it), so that nothing done now joins that account")]
    DeviceSignedOut,
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
    #[error("the body is larger than this operation accepts")]
    TooLarge,
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
    #[error("the request took longer than {0} s and was stopped: send it again, with the same `Idempotency-Key`, to learn whether it was stored")]
    TimedOut(u64),
    #[error("the body did not arrive whole in time")]
    BodyNotRead,
    #[error("too many requests from this {0}: try again in {1} s")]
    RateLimited(LimitedBy, u64),
}

/// Whose requests a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedBy {
    Subject,
    Address,
}

impl std::fmt::Display for LimitedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitedBy::Subject => "device or user",
            LimitedBy::Address => "network address",
        })
    }
}

/// How long a client waits before it sends again while the database is away.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            NoSubject => (StatusCode::UNAUTHORIZED, "no_subject"),
            InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
            // A device id is a credential: one that cannot be one is refused as any bad one.
            BadDeviceId => (StatusCode::UNAUTHORIZED, "bad_device_id"),
            BadAuthorization => (StatusCode::BAD_REQUEST, "bad_authorization"),
            TokenTooLong(_) => (StatusCode::BAD_REQUEST, "token_too_long"),
            DeviceNotProven => (StatusCode::UNAUTHORIZED, "device_not_proven"),
            DeviceSignedOut => (StatusCode::UNAUTHORIZED, "device_signed_out"),
            IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            BadIdempotencyKey => (StatusCode::BAD_REQUEST, "bad_idempotency_key"),
            InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            InvalidBody(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            NotJson => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json"),
            TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            UnknownLanguage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_language"),
            UnknownEdition(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_edition"),
            NecessaryPurpose(_) => (StatusCode::UNPROCESSABLE_ENTITY, "necessary_purpose"),
            Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Store(e) if e.is_unavailable() => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            TimedOut(_) => (StatusCode::SERVICE_UNAVAILABLE, "timed_out"),
            BodyNotRead => (StatusCode::REQUEST_TIMEOUT, "body_not_read"),
            RateLimited(..) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut retry_after = None;
        let message = match &self {
            // The cause names tables and constraints, never the values of a row.
            ApiError::Store(cause) if cause.is_unavailable() => {
                tracing::warn!(error = %cause, "the database is unavailable");
                retry_after = Some(UNAVAILABLE_RETRY_SECS);
                format!("the database cannot be reached just now; nothing was changed: try again in {UNAVAILABLE_RETRY_SECS} s")
            }
            ApiError::Store(cause) => {
                tracing::error!(error = %cause, "request failed in the store");
                self.to_string()
            }
            ApiError::RateLimited(_, secs) => {
                retry_after = Some(*secs);
                self.to_string()
            }
            _ => self.to_string(),
        };
        let body = ErrorBody {
            error: code.to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

// ---- the error answers each operation documents in the contract (GET /v1/openapi.json) ----

/// A JSON body the operation cannot take; nothing is stored.
#[derive(IntoResponses)]
pub enum BodyRefused {
    #[response(
        status = 400,
        description = "The body is not valid JSON (`invalid_json`), or a header is malformed (`bad_idempotency_key`)"
    )]
    NotValidJson(ErrorBody),
    #[response(
        status = 413,
        description = "The body is larger than the operation accepts (`too_large`)"
    )]
    TooLarge(ErrorBody),
    #[response(
        status = 415,
        description = "The body is not sent as `Content-Type: application/json` (`not_json`)"
    )]
    NotJson(ErrorBody),
    #[response(
        status = 422,
        description = "The body is JSON but not what the operation takes, named in the message (`invalid_body`, `invalid`, `unknown_edition`, `necessary_purpose`, `idempotency_key_reused`); nothing was stored"
    )]
    Invalid(ErrorBody),
}

/// Whose records: a user's token, or a device id with its proof.
#[derive(IntoResponses)]
pub enum SubjectRefused {
    #[response(
        status = 400,
        description = "`Authorization` is not `Bearer <token>` (`bad_authorization`), or its token is too long (`token_too_long`)"
    )]
    Malformed(ErrorBody),
    #[response(
        status = 401,
        description = "No token and no device (`no_subject`), a bad or expired token (`unauthorized`), a device id that is not a UUID (`bad_device_id`), without its proof (`device_not_proven`), or one an account signed in from, used signed out (`device_signed_out`)"
    )]
    Unauthorized(ErrorBody),
}

/// A token of the right kind is required.
#[derive(IntoResponses)]
pub enum TokenRefused {
    #[response(
        status = 400,
        description = "`Authorization` is not `Bearer <token>` (`bad_authorization`), or its token is too long (`token_too_long`)"
    )]
    Malformed(ErrorBody),
    #[response(
        status = 401,
        description = "No token, or a bad, expired or other kind of token (`unauthorized`)"
    )]
    Unauthorized(ErrorBody),
}

/// A staff token in one of the operation's roles is required.
#[derive(IntoResponses)]
pub enum StaffRefused {
    #[response(
        status = 400,
        description = "`Authorization` is not `Bearer <token>` (`bad_authorization`), or its token is too long (`token_too_long`)"
    )]
    Malformed(ErrorBody),
    #[response(
        status = 401,
        description = "No staff token, or a bad or expired one (`unauthorized`)"
    )]
    Unauthorized(ErrorBody),
    #[response(
        status = 403,
        description = "The staff member's role may not do this (`forbidden`)"
    )]
    Forbidden(ErrorBody),
}

/// The query string or a path segment is not what the operation takes.
#[derive(IntoResponses)]
pub enum QueryRefused {
    #[response(
        status = 400,
        description = "The query string or the path cannot be read (`invalid_query`, `invalid_path`)"
    )]
    Unreadable(ErrorBody),
    #[response(
        status = 422,
        description = "A parameter's value is not allowed, named in the message (`unknown_language`, `invalid`)"
    )]
    Invalid(ErrorBody),
}

/// The store failed or cannot be reached; nothing was changed.
#[derive(IntoResponses)]
pub enum StoreFailed {
    #[response(
        status = 500,
        description = "The store failed; nothing was changed (`internal`)"
    )]
    Internal(ErrorBody),
    #[response(
        status = 503,
        description = "The database cannot be reached just now (`unavailable`, with `Retry-After`); nothing was changed"
    )]
    Unavailable(ErrorBody),
}
