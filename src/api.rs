//! The only place that talks HTTP: the consent server's `/v1` API.

use consent_core::api::{
    ConsentState, ConsentUpdate, ConsentUpdated, EditionChanges, ErrorBody, EventBatch,
    EventsAccepted, MyData, PolicyResponse, ReceiptDownload, DEVICE_HEADER, DEVICE_PROOF_HEADER,
    IDEMPOTENCY_HEADER,
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
    /// Who the token speaks for, worked out once when it is handed over.
    static SPEAKER: RefCell<Speaker> = const { RefCell::new(Speaker::Device) };
}

pub fn configure(config: &WidgetConfig) {
    BASE.with(|b| *b.borrow_mut() = config.api_base.trim_end_matches('/').to_owned());
    set_token(config.token.clone());
}

/// The site or app signed the user in or refreshed their token.
pub fn set_token(token: Option<String>) {
    let speaker = match token.as_deref() {
        Some(token) => Speaker::Account(account_tag(token)),
        None => Speaker::Device,
    };
    SPEAKER.with(|s| *s.borrow_mut() = speaker);
    TOKEN.with(|t| *t.borrow_mut() = token);
}

pub fn signed_in() -> bool {
    TOKEN.with(|t| t.borrow().is_some())
}

/// Who the widget speaks for now: the account of the token it holds, or this device.
pub fn speaking_for() -> Speaker {
    SPEAKER.with(|s| s.borrow().clone())
}

/// Who made a write that waits to be sent. The server keeps each subject's idempotency keys
/// apart, so a write is sent again only as the one who made it: sent as another, a repeat
/// would be stored a second time.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(into = "String")]
pub enum Speaker {
    /// Whoever the widget speaks for when it is sent: reads, and writes kept by a widget
    /// from before writes were marked.
    #[default]
    Current,
    /// Nobody was signed in: sent without a token, as the device.
    Device,
    /// A signed-in account, told apart from others by a hash of the token's `sub` (neither
    /// the token nor the user's id is kept on the device).
    Account(String),
}

/// Kept as text, `device` or `account:<tag>` (a plain string costs the wasm less than an enum).
impl From<Speaker> for String {
    fn from(speaker: Speaker) -> String {
        match speaker {
            Speaker::Current => String::new(),
            Speaker::Device => "device".into(),
            Speaker::Account(tag) => format!("account:{tag}"),
        }
    }
}

impl crate::json::Read for Speaker {
    fn read(value: &wasm_bindgen::JsValue) -> Result<Speaker, crate::json::Unreadable> {
        String::read(value).map(Speaker::from)
    }
}

impl From<String> for Speaker {
    fn from(kept: String) -> Speaker {
        match kept.strip_prefix("account:") {
            Some(tag) => Speaker::Account(tag.to_owned()),
            None if kept == "device" => Speaker::Device,
            None => Speaker::Current,
        }
    }
}

impl Speaker {
    /// Whether a write made by `self` speaks for `now`.
    pub fn is(&self, now: &Speaker) -> bool {
        self == now || *self == Speaker::Current
    }

    /// Whether a write made by `self` can be sent while the widget speaks for `now`: the
    /// device's can always (without the token), an account's only with its own token.
    pub fn may_send_while(&self, now: &Speaker) -> bool {
        self == now || !matches!(self, Speaker::Account(_))
    }
}

/// A hash of the token's `sub`, which stays the same when the token is refreshed. A token
/// that does not say its `sub` stands for any signed-in account.
fn account_tag(token: &str) -> String {
    let sub = token
        .split('.')
        .nth(1)
        .and_then(base64url_text)
        .and_then(|payload| js_sys::JSON::parse(&payload).ok())
        .and_then(|claims| js_sys::Reflect::get(&claims, &"sub".into()).ok())
        .and_then(|sub| sub.as_string())
        .unwrap_or_default();
    // FNV-1a: a stable tag, not a secret.
    let hash = sub.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash.to_string()
}

fn base64url_text(part: &str) -> Option<String> {
    let mut standard: String = part
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    gloo_utils::window().atob(&standard).ok()
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: offline, refused, or timed out. Worth trying again later.
    Unreachable,
    /// The server answered with an error it explains.
    Rejected { status: u16, body: ErrorBody },
    /// The server failed; worth trying again later.
    ServerFailed(u16),
    /// The server asks to be asked again after a while (`Retry-After`): too many requests
    /// (429), or its database is away (503).
    Busy { status: u16, after_ms: u32 },
    /// The answer was not what this widget understands.
    Unreadable(String),
}

impl ApiError {
    pub fn is_worth_retrying(&self) -> bool {
        match self {
            ApiError::Unreachable | ApiError::ServerFailed(_) | ApiError::Busy { .. } => true,
            ApiError::Rejected { status, .. } => *status == 408 || *status == 429,
            ApiError::Unreadable(_) => false,
        }
    }

    /// The device id was not issued by this server, its proof was lost, what is kept is no
    /// device id at all, or an account signed in from it and has signed out: take a new one.
    /// (Every 401 the server names `device_…` says this device id will not do.)
    fn is_unknown_device(&self) -> bool {
        matches!(self, ApiError::Rejected { status: 401, body }
            if body.error.starts_with("device_") || body.error == "bad_device_id")
    }

    /// The token expired (or was revoked) while the request waited: a fresh one will do.
    pub fn needs_fresh_token(&self) -> bool {
        matches!(self, ApiError::Rejected { status: 401, body } if body.error == "unauthorized")
    }

    /// The server says this request can never succeed as it is: sending it again is pointless.
    pub fn is_impossible(&self) -> bool {
        matches!(self, ApiError::Rejected { status: 422, body } if matches!(
            body.error.as_str(),
            "necessary_purpose" | "unknown_edition" | "invalid_body" | "invalid" | "idempotency_key_reused"
        ))
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Rejected { status, .. }
            | ApiError::ServerFailed(status)
            | ApiError::Busy { status, .. } => *status,
            ApiError::Unreachable | ApiError::Unreadable(_) => 0,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ApiError::Unreachable => "unreachable",
            ApiError::Rejected { body, .. } => &body.error,
            ApiError::ServerFailed(_) => "server_failed",
            ApiError::Busy { .. } => "busy",
            ApiError::Unreadable(_) => "unreadable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Unreachable => "network".into(),
            ApiError::Rejected { body, .. } => body.message.clone(),
            ApiError::ServerFailed(status) => format!("HTTP {status}"),
            ApiError::Busy { status, after_ms } => {
                format!("HTTP {status}: retry in {} s", after_ms / 1000)
            }
            ApiError::Unreadable(what) => what.clone(),
        }
    }
}

fn url(path: &str) -> String {
    BASE.with(|b| format!("{}{path}", b.borrow()))
}

fn with_identity(builder: RequestBuilder, speaker: &Speaker) -> RequestBuilder {
    let builder = match storage::device() {
        Some(device) => builder
            .header(DEVICE_HEADER, &device.id)
            .header(DEVICE_PROOF_HEADER, &device.proof),
        None => builder,
    };
    if *speaker == Speaker::Device {
        return builder;
    }
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
    if let Some(after_ms) = retry_after_ms(&response) {
        return Err(ApiError::Busy {
            status: response.status(),
            after_ms,
        });
    }
    match response.status() {
        200..=299 => Ok(response),
        status @ 500..=599 => Err(ApiError::ServerFailed(status)),
        status => {
            let text = response.text().await.unwrap_or_default();
            let body = crate::json::from_text::<ErrorBody>(&text).unwrap_or(ErrorBody {
                error: "http".into(),
                message: format!("HTTP {status}"),
            });
            Err(ApiError::Rejected { status, body })
        }
    }
}

/// How long a 429 or 503 asks the client to wait, from its `Retry-After` seconds.
fn retry_after_ms(response: &Response) -> Option<u32> {
    if !matches!(response.status(), 429 | 503) {
        return None;
    }
    let secs: u32 = response.headers().get("Retry-After")?.trim().parse().ok()?;
    Some(secs.clamp(1, 3_600) * 1_000)
}

// The waiting is done by futures that are not generic, and only the reading of the text is
// generic: a generic future is compiled again, whole, for every type it answers with.

/// Sends the request and reads the answer as `T`.
async fn call<T: crate::json::Read>(
    request: RequestBuilder,
    body: Option<String>,
) -> Result<T, ApiError> {
    parsed(&call_text(request, body).await?)
}

async fn call_text(request: RequestBuilder, body: Option<String>) -> Result<String, ApiError> {
    text_of(send(request, body).await?).await
}

async fn read<T: crate::json::Read>(response: Response) -> Result<T, ApiError> {
    parsed(&text_of(response).await?)
}

async fn text_of(response: Response) -> Result<String, ApiError> {
    response
        .text()
        .await
        .map_err(|e| ApiError::Unreadable(e.to_string()))
}

fn parsed<T: crate::json::Read>(text: &str) -> Result<T, ApiError> {
    crate::json::from_text(text).map_err(ApiError::Unreadable)
}

/// A request about this user or device: it carries who is asking, and the idempotency key of
/// a write. A device the server does not recognise (no valid proof) is forgotten, a new one is
/// taken, and the request goes once more: for every identified request, writes and reads alike.
async fn send_identified(
    method: fn(&str) -> RequestBuilder,
    path: &str,
    body: Option<String>,
    speaker: &Speaker,
    key: Option<&str>,
) -> Result<Response, ApiError> {
    let build = || {
        let builder = with_identity(method(&url(path)), speaker);
        match key {
            Some(key) => builder.header(IDEMPOTENCY_HEADER, key),
            None => builder,
        }
    };
    match send(build(), body.clone()).await {
        Err(e) if e.is_unknown_device() => {
            storage::forget_device();
            ensure_device(speaker).await?;
            send(build(), body).await
        }
        other => other,
    }
}

/// A write as this user or device; a visitor who arrived offline gets their device now.
async fn write<T: crate::json::Read>(
    method: fn(&str) -> RequestBuilder,
    path: &str,
    value: &impl serde::Serialize,
    speaker: &Speaker,
    key: Option<&str>,
) -> Result<T, ApiError> {
    parsed(&write_text(method, path, body(value), speaker, key).await?)
}

async fn write_text(
    method: fn(&str) -> RequestBuilder,
    path: &str,
    body: Option<String>,
    speaker: &Speaker,
    key: Option<&str>,
) -> Result<String, ApiError> {
    ensure_device(speaker).await?;
    text_of(send_identified(method, path, body, speaker, key).await?).await
}

fn body<T: serde::Serialize>(value: &T) -> Option<String> {
    Some(crate::json::to_text(value))
}

/// The server issues a device its id with a proof, in the headers of `GET /v1/consents` asked
/// without one; both are kept in localStorage and sent from then on.
fn keep_issued_device(response: &Response) {
    let headers = response.headers();
    if let (Some(id), Some(proof)) = (headers.get(DEVICE_HEADER), headers.get(DEVICE_PROOF_HEADER))
    {
        storage::keep_device(&id, &proof);
    }
}

/// A write as the device needs one, whether or not someone is signed in now.
async fn ensure_device(speaker: &Speaker) -> Result<(), ApiError> {
    if storage::device().is_none() && (*speaker == Speaker::Device || !signed_in()) {
        let response = send(Request::get(&url("/v1/consents")), None).await?;
        keep_issued_device(&response);
    }
    Ok(())
}

/// A read about whoever the widget speaks for now.
async fn get_identified(path: &str) -> Result<Response, ApiError> {
    send_identified(Request::get, path, None, &Speaker::Current, None).await
}

/// The state of this user or device (a browser with no device yet gets one with it).
pub async fn consents() -> Result<ConsentState, ApiError> {
    let response = get_identified("/v1/consents").await?;
    keep_issued_device(&response);
    read(response).await
}

/// `key` makes a repeat (after a lost answer) safe: the server stores the change once, when
/// it is sent as the same `speaker`.
pub async fn put_consents(
    update: &ConsentUpdate,
    key: &str,
    speaker: &Speaker,
) -> Result<ConsentUpdated, ApiError> {
    write(Request::put, "/v1/consents", update, speaker, Some(key)).await
}

/// Events are stored once by their ids when sent as the `speaker` who recorded them.
pub async fn post_events(
    batch: &EventBatch,
    speaker: &Speaker,
) -> Result<EventsAccepted, ApiError> {
    write(Request::post, "/v1/events", batch, speaker, None).await
}

/// Both catalogs, as JSON text for `consent_core::catalog::install`.
pub async fn catalog() -> Result<String, ApiError> {
    call_text(Request::get(&url("/v1/catalog")), None).await
}

/// The widget's words in `lang`, as JSON text for `i18n::install_text`.
pub async fn texts(lang: Lang) -> Result<String, ApiError> {
    call_text(Request::get(&url(&format!("/v1/texts?lang={lang}"))), None).await
}

pub async fn policy(lang: Lang) -> Result<PolicyResponse, ApiError> {
    call(Request::get(&url(&format!("/v1/policy?lang={lang}"))), None).await
}

pub async fn my_data(lang: Lang) -> Result<MyData, ApiError> {
    let path = format!("/v1/me/data?lang={lang}");
    read(get_identified(&path).await?).await
}

/// What changed in edition `to` since `from`, in `lang`'s published language.
pub async fn changes(
    to: &consent_core::EditionVersion,
    from: &consent_core::EditionVersion,
    lang: Lang,
) -> Result<EditionChanges, ApiError> {
    let path = format!("/v1/policy/{to}/changes?from={from}&lang={lang}");
    call(Request::get(&url(&path)), None).await
}

/// One of the user's signed receipts, with its text in `lang`.
pub async fn receipt(id: &str, lang: Lang) -> Result<ReceiptDownload, ApiError> {
    let path = format!("/v1/me/receipts/{id}?lang={lang}");
    read(get_identified(&path).await?).await
}

/// The full export, as the text of the JSON file.
pub async fn export() -> Result<String, ApiError> {
    get_identified("/v1/me/export")
        .await?
        .text()
        .await
        .map_err(|e| ApiError::Unreadable(e.to_string()))
}

/// Demo only: a token for the sample user from the demo server.
pub async fn demo_token(token_url: &str) -> Result<String, ApiError> {
    struct Token(String);
    impl crate::json::Read for Token {
        fn read(value: &wasm_bindgen::JsValue) -> Result<Token, crate::json::Unreadable> {
            crate::json::field(crate::json::object(value)?, "token").map(Token)
        }
    }
    let Token(token) = call(Request::get(token_url), None).await?;
    Ok(token)
}
