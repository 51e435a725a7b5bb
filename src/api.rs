//! The only place that talks HTTP: the consent server's `/v1` API.

use consent_core::api::{
    ConsentState, ConsentUpdate, ConsentUpdated, ErrorBody, EventBatch, EventsAccepted, MyData,
    PolicyResponse, WithdrawalRecorded, WithdrawalRequest, DEVICE_HEADER,
};
use consent_core::Lang;
use gloo_net::http::{Request, RequestBuilder, Response};
use std::cell::RefCell;

use crate::config::WidgetConfig;
use crate::storage;

/// A request that has not answered in this time is treated as failed (and retried later).
const TIMEOUT_MS: u32 = 8_000;

thread_local! {
    static BASE: RefCell<String> = const { RefCell::new(String::new()) };
    static TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn configure(config: &WidgetConfig) {
    BASE.with(|b| *b.borrow_mut() = config.api_base.trim_end_matches('/').to_owned());
    set_token(config.token.clone());
}

/// The site or app signed the user in or refreshed their token.
pub fn set_token(token: Option<String>) {
    TOKEN.with(|t| *t.borrow_mut() = token);
}

pub fn signed_in() -> bool {
    TOKEN.with(|t| t.borrow().is_some())
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, refused, or timed out. Worth trying again later.
    Unreachable,
    /// The server answered with an error it explains.
    Rejected { status: u16, body: ErrorBody },
    /// The server failed; worth trying again later.
    ServerFailed(u16),
    /// The answer was not what this widget understands.
    Unreadable(String),
}

impl ApiError {
    pub fn is_worth_retrying(&self) -> bool {
        match self {
            ApiError::Unreachable | ApiError::ServerFailed(_) => true,
            ApiError::Rejected { status, .. } => *status == 408 || *status == 429,
            ApiError::Unreadable(_) => false,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unreachable => "network".into(),
            ApiError::Rejected { body, .. } => body.message.clone(),
            ApiError::ServerFailed(status) => format!("HTTP {status}"),
            ApiError::Unreadable(what) => what.clone(),
        }
    }
}

fn url(path: &str) -> String {
    BASE.with(|b| format!("{}{path}", b.borrow()))
}

fn with_identity(builder: RequestBuilder) -> RequestBuilder {
    let builder = builder.header(DEVICE_HEADER, &storage::device_id());
    match TOKEN.with(|t| t.borrow().clone()) {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

async fn send(builder: RequestBuilder, body: Option<String>) -> Result<Response, ApiError> {
    let controller = web_sys::AbortController::new().map_err(|_| ApiError::Unreachable)?;
    let builder = builder.abort_signal(Some(&controller.signal()));
    let request = match body {
        Some(json) => builder
            .header("Content-Type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Unreadable(e.to_string()))?;
    let _timeout = gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || controller.abort());
    let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
    match response.status() {
        200..=299 => Ok(response),
        status @ 500..=599 => Err(ApiError::ServerFailed(status)),
        status => {
            let body = response.json::<ErrorBody>().await.unwrap_or(ErrorBody {
                error: "http".into(),
                message: format!("HTTP {status}"),
            });
            Err(ApiError::Rejected { status, body })
        }
    }
}

/// Sends the request and reads the answer as `T`.
async fn call<T: serde::de::DeserializeOwned>(
    request: RequestBuilder,
    body: Option<String>,
) -> Result<T, ApiError> {
    send(request, body)
        .await?
        .json::<T>()
        .await
        .map_err(|e| ApiError::Unreadable(e.to_string()))
}

/// A request about this user or device: it carries who is asking.
fn identified(method: fn(&str) -> RequestBuilder, path: &str) -> RequestBuilder {
    with_identity(method(&url(path)))
}

fn body<T: serde::Serialize>(value: &T) -> Option<String> {
    Some(serde_json::to_string(value).expect("request bodies serialise"))
}

pub async fn consents() -> Result<ConsentState, ApiError> {
    call(identified(Request::get, "/v1/consents"), None).await
}

pub async fn put_consents(update: &ConsentUpdate) -> Result<ConsentUpdated, ApiError> {
    call(identified(Request::put, "/v1/consents"), body(update)).await
}

pub async fn post_events(batch: &EventBatch) -> Result<EventsAccepted, ApiError> {
    call(identified(Request::post, "/v1/events"), body(batch)).await
}

pub async fn withdraw(request: &WithdrawalRequest) -> Result<WithdrawalRecorded, ApiError> {
    call(identified(Request::post, "/v1/withdrawals"), body(request)).await
}

pub async fn policy(lang: Lang) -> Result<PolicyResponse, ApiError> {
    call(Request::get(&url(&format!("/v1/policy?lang={lang}"))), None).await
}

pub async fn my_data(lang: Lang) -> Result<MyData, ApiError> {
    call(
        identified(Request::get, &format!("/v1/me/data?lang={lang}")),
        None,
    )
    .await
}

/// The full export, as the text of the JSON file.
pub async fn export() -> Result<String, ApiError> {
    send(identified(Request::get, "/v1/me/export"), None)
        .await?
        .text()
        .await
        .map_err(|e| ApiError::Unreadable(e.to_string()))
}

/// Demo only: a token for the sample user from the demo server.
pub async fn demo_token(token_url: &str) -> Result<String, ApiError> {
    #[derive(serde::Deserialize)]
    struct Token {
        token: String,
    }
    let token: Token = call(Request::get(token_url), None).await?;
    Ok(token.token)
}
