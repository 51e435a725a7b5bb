//! Idempotent writes: the same request sent twice under one `Idempotency-Key` is answered as
//! the first time and stores nothing.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::idempotency::{self, Earlier};
use crate::store::WriteTx;

/// The `Idempotency-Key` header, as the contract describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// A key of the client's (a UUID, typically): the same write sent again with the same key
    /// is answered as the first time and stores nothing. 1 to 100 visible ASCII characters.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,100}$")]
    idempotency_key: Option<String>,
}

/// The client's `Idempotency-Key`, if it sent one.
pub struct IdempotencyKey(Option<String>);

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(consent_core::api::IDEMPOTENCY_HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let key = value.to_str().map_err(|_| ApiError::BadIdempotencyKey)?;
        if !idempotency::valid_key(key) {
            return Err(ApiError::BadIdempotencyKey);
        }
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// One write as a client may send it twice: `route` and `body` tell a repeat from a different
/// request under the same key.
#[derive(Clone)]
pub struct OnceRequest {
    subject: String,
    key: Option<String>,
    hash: String,
}

impl IdempotencyKey {
    pub fn request(self, subject: &str, route: &str, body: &impl serde::Serialize) -> OnceRequest {
        let bytes = serde_json::to_vec(body).expect("request bodies serialise");
        OnceRequest {
            subject: subject.to_owned(),
            key: self.0,
            hash: idempotency::request_hash(route, &bytes),
        }
    }
}

/// What an idempotent write finds when it begins.
pub enum Once<R> {
    /// The same request was stored before under its key: its first answer, to give again;
    /// nothing is written.
    Repeat(R),
    /// The first time: do the work, then [`FirstTime::remember`] the answer.
    First(FirstTime),
}

/// The memory of an answer still to keep, in the same transaction as the write, so that a
/// write and the memory of it commit together or not at all.
pub struct FirstTime(Option<(String, String, String)>);

impl OnceRequest {
    /// Looks for an earlier answer, in the write's transaction with the subject's chain held,
    /// so that two copies of a write cannot both pass.
    pub async fn begin<R: serde::de::DeserializeOwned>(
        self,
        tx: &mut WriteTx,
    ) -> ApiResult<Once<R>> {
        let OnceRequest { subject, key, hash } = self;
        let Some(key) = key else {
            return Ok(Once::First(FirstTime(None)));
        };
        tx.lock_subject(&subject).await?;
        match idempotency::earlier(tx, &subject, &key, &hash).await? {
            Earlier::Same(answer) => serde_json::from_str(&answer)
                .map(Once::Repeat)
                .map_err(|e| {
                    ApiError::Store(crate::store::StoreError::Corrupt(format!(
                        "kept answer: {e}"
                    )))
                }),
            Earlier::Different => Err(ApiError::IdempotencyKeyReused),
            Earlier::None => Ok(Once::First(FirstTime(Some((subject, key, hash))))),
        }
    }
}

impl FirstTime {
    pub fn remember(self, tx: &mut WriteTx, answer: &impl serde::Serialize) {
        if let Some((subject, key, hash)) = self.0 {
            let kept = serde_json::to_string(answer).expect("answers serialise");
            idempotency::remember(tx, &subject, &key, &hash, &kept, crate::clock::now());
        }
    }
}
