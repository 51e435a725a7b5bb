//! What a request carries (a JSON body, a query string, path segments, its language, where it
//! came from), whose every rejection is answered in the API's own error shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum_extra::extract::WithRejection;
use consent_core::Lang;
use serde::Deserialize;

use super::client::ClientAddress;
use crate::auth::{AuthenticatedUser, ServiceCaller, Staff, Subject};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::Origin;

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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// kk, ru or en; kk when absent.
    #[param(value_type = Option<Lang>)]
    pub(super) lang: Option<String>,
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
            .get::<ClientAddress>()
            .map(|ClientAddress(ip)| ip.to_string());
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

/// Who is asking, read by [`crate::auth`] from the request's headers and the state's keys.
macro_rules! from_credentials {
    ($($who:ty),*) => {$(
        impl FromRequestParts<AppState> for $who {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
                <$who>::of_request(&parts.headers, &app.keys)
            }
        }
    )*};
}

from_credentials!(Subject, AuthenticatedUser, ServiceCaller, Staff);
