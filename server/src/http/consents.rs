use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{
    ConsentState, ConsentUpdate, ConsentUpdated, DEVICE_HEADER, DEVICE_PROOF_HEADER,
};
use consent_core::catalog;

use super::extract::JsonBody;
use super::once::{IdempotencyKey, IdempotencyKeyHeader, Once, OnceRequest};
use crate::auth::{issue_device, Subject};
use crate::consents::{save_choices, state};
use crate::error::{ApiError, ApiResult, BodyRefused, StoreFailed, SubjectRefused};
use crate::receipts::Decision;
use crate::state::AppState;
use crate::store::Origin;
use crate::store::WriteTx;
use crate::visits::{write_for_subject, Visit};
use crate::withdrawals::WithdrawalWriter;

/// Per purpose, granted or refused and when; the edition accepted and how. A request that
/// names nobody gets the state of a new device, and that device's id and proof in the
/// `X-Consent-Device` and `X-Consent-Device-Proof` headers: the widget keeps both and sends them.
#[utoipa::path(get, path = "/v1/consents",
    responses((status = 200, description = "The subject's consent state; for a new device, with its id and proof in `X-Consent-Device` and `X-Consent-Device-Proof`", body = ConsentState), SubjectRefused, StoreFailed),
    security(("user_token" = []), ("device_id" = [], "device_proof" = []), ()))]
pub async fn read(
    State(app): State<AppState>,
    subject: Result<Subject, ApiError>,
    origin: Origin,
) -> ApiResult<Response> {
    let subject = match subject {
        Ok(subject) => subject,
        Err(ApiError::NoSubject) => {
            let (device, proof) = issue_device(&app.keys.server);
            let key = Subject::Device(device.clone()).key();
            let mut headers = HeaderMap::new();
            headers.insert(
                DEVICE_HEADER,
                device.as_str().parse().expect("a UUID is a header value"),
            );
            headers.insert(
                DEVICE_PROOF_HEADER,
                proof.parse().expect("hex is a header value"),
            );
            // Nothing is stored for the new device until it says something.
            return Ok(
                (headers, Json(state(&app.store, &app.editions, &key).await?)).into_response(),
            );
        }
        Err(other) => return Err(other),
    };
    let state = Visit::prepare(&app.editions, &subject, &origin)
        .await
        .record_alone(&app.store)
        .await?;
    Ok(Json(state).into_response())
}

/// Records the user's choices, with a receipt. Necessary purposes cannot be refused (2.7).
/// With an `Idempotency-Key`, a repeat of the same request is answered as the first time and
/// stores nothing.
#[utoipa::path(put, path = "/v1/consents", params(IdempotencyKeyHeader), request_body = ConsentUpdate,
    responses((status = 200, description = "New state and receipt", body = ConsentUpdated), BodyRefused, SubjectRefused, StoreFailed),
    security(("user_token" = []), ("device_id" = [], "device_proof" = [])))]
pub async fn update(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    idempotency: IdempotencyKey,
    WithRejection(Json(body), _): JsonBody<ConsentUpdate>,
) -> ApiResult<Json<ConsentUpdated>> {
    if body.choices.is_empty() {
        return Err(ApiError::Invalid("`choices` names no purpose".into()));
    }
    if let Some((purpose, _)) = body
        .choices
        .iter()
        .find(|(p, granted)| !**granted && catalog().purpose_by_id(**p).is_necessary())
    {
        return Err(ApiError::NecessaryPurpose(*purpose));
    }
    if !app.editions.read().await.exists(&body.policy_version) {
        return Err(ApiError::UnknownEdition(body.policy_version.to_string()));
    }
    let visit = Visit::prepare(&app.editions, &subject, &origin).await;
    let request = idempotency.request(visit.key(), "PUT /v1/consents", &body);
    let writer = WithdrawalWriter::new(app.company_address.clone());
    let (app, visit, writer) = (&app, &visit, &writer);
    let updated = write_for_subject(&app.store, move |tx| {
        save(tx, app, visit, request.clone(), writer, body.clone())
    })
    .await?;
    Ok(Json(updated))
}

/// One attempt at a `PUT /v1/consents` ([`write_for_subject`]).
async fn save(
    mut tx: WriteTx,
    app: &AppState,
    visit: &Visit,
    request: OnceRequest,
    writer: &WithdrawalWriter,
    body: ConsentUpdate,
) -> ApiResult<ConsentUpdated> {
    let first = match request.begin(&mut tx).await? {
        Once::Repeat(answer) => return Ok(answer),
        Once::First(first) => first,
    };
    let mut visit = visit.record(&mut tx).await?;
    let mut updated = save_choices(&mut tx, &mut visit, writer, body).await?;
    let receipt = &updated.receipt;
    let decision = Decision {
        receipt_id: &receipt.receipt_id,
        at: receipt.at,
        subject: &receipt.subject,
        name: visit.full_name(),
        state: &updated.state,
        edition: &receipt.policy_version,
        language: receipt.language_shown,
        record_kind: "choices",
    };
    let signed = app.receipts.sign(&mut tx, &app.editions, decision).await?;
    updated.receipt.signed = Some(signed);
    first.remember(&mut tx, &updated);
    tx.commit().await?;
    Ok(updated)
}
