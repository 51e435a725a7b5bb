use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Bodies at most this large; a consent change or a full event batch is far smaller.
pub const BODY_LIMIT: usize = 64 * 1024;

/// `axum::Json` whose every rejection is answered in the API's own error shape.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonSyntaxError(e) => ApiError::InvalidJson(e.body_text()),
                JsonRejection::JsonDataError(e) => ApiError::InvalidBody(clean(&e.body_text())),
                JsonRejection::MissingJsonContentType(_) => ApiError::NotJson,
                JsonRejection::BytesRejection(_) => ApiError::TooLarge(BODY_LIMIT),
                other => ApiError::InvalidBody(other.body_text()),
            }),
        }
    }
}

/// serde's message after axum's prefix, e.g. "choices: unknown purpose `spam` at line 1".
fn clean(text: &str) -> String {
    text.trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .to_owned()
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
