//! What a request carries (a JSON body, a query string, path segments), whose every rejection
//! is answered in the API's own error shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;

use crate::error::ApiError;

/// A JSON request body; a bad one is refused with [`ApiError`].
pub type JsonBody<T> = WithRejection<axum::Json<T>, ApiError>;

/// A query string read into `T`; one that cannot be is refused with [`ApiError`].
pub type QueryOf<T> = WithRejection<axum::extract::Query<T>, ApiError>;

/// Path segments read into `T`.
pub type PathOf<T> = WithRejection<axum::extract::Path<T>, ApiError>;

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::InvalidQuery(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::InvalidPath(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => ApiError::InvalidJson(e.body_text()),
            JsonRejection::JsonDataError(e) => ApiError::InvalidBody(clean(&e.body_text())),
            JsonRejection::MissingJsonContentType(_) => ApiError::NotJson,
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge
            }
            // The body broke off or came too slowly (`RequestBodyTimeoutLayer`).
            JsonRejection::BytesRejection(_) => ApiError::BodyNotRead,
            other => ApiError::InvalidBody(other.body_text()),
        }
    }
}

/// serde's message after axum's prefix, e.g. "choices: unknown purpose `spam` at line 1".
fn clean(text: &str) -> String {
    text.trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .to_owned()
}
