use axum::extract::State;
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{WithdrawalRecorded, WithdrawalRequest};
use consent_core::{catalog, Lang, PurposeId};

use super::extract::JsonBody;
use super::once::{IdempotencyKey, IdempotencyKeyHeader, Once, OnceRequest};
use crate::auth::Subject;
use crate::error::{ApiError, ApiResult, BodyRefused, StoreFailed, SubjectRefused};
use crate::receipts::Decision;
use crate::state::AppState;
use crate::store::Origin;
use crate::store::WriteTx;
use crate::visits::{write_for_subject, Visit};
use crate::withdrawals::WithdrawalWriter;

/// Withdraws consent to purposes (2.6): refused from now on, the request recorded, and the
/// written application returned for the user to sign and send. Necessary purposes cannot be
/// withdrawn (2.7). Turning purposes off in `PUT /v1/consents` is the same withdrawal.
#[utoipa::path(post, path = "/v1/withdrawals", params(IdempotencyKeyHeader), request_body = WithdrawalRequest,
    responses((status = 200, description = "Recorded, with the written application", body = WithdrawalRecorded), BodyRefused, SubjectRefused, StoreFailed),
    security(("user_token" = []), ("device_id" = [], "device_proof" = [])))]
pub async fn request(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    idempotency: IdempotencyKey,
    WithRejection(Json(body), _): JsonBody<WithdrawalRequest>,
) -> ApiResult<Json<WithdrawalRecorded>> {
    let mut purposes = body.purposes.clone();
    purposes.sort();
    purposes.dedup();
    if purposes.is_empty() {
        return Err(ApiError::Invalid("`purposes` names no purpose".into()));
    }
    if let Some(necessary) = purposes
        .iter()
        .find(|p| catalog().purpose_by_id(**p).is_necessary())
    {
        return Err(ApiError::NecessaryPurpose(*necessary));
    }
    let visit = Visit::prepare(&app.editions, &subject, &origin).await;
    let request = idempotency.request(visit.key(), "POST /v1/withdrawals", &body);
    let writer = WithdrawalWriter::new(app.company_address.clone());
    let (app, visit, writer, lang) = (&app, &visit, &writer, body.lang);
    let recorded = write_for_subject(&app.store, move |tx| {
        withdraw(
            tx,
            app,
            visit,
            request.clone(),
            writer,
            purposes.clone(),
            lang,
        )
    })
    .await?;
    Ok(Json(recorded))
}

/// One attempt at a `POST /v1/withdrawals` ([`write_for_subject`]).
async fn withdraw(
    mut tx: WriteTx,
    app: &AppState,
    visit: &Visit,
    request: OnceRequest,
    writer: &WithdrawalWriter,
    purposes: Vec<PurposeId>,
    lang: Lang,
) -> ApiResult<WithdrawalRecorded> {
    let first = match request.begin(&mut tx).await? {
        Once::Repeat(answer) => return Ok(answer),
        Once::First(first) => first,
    };
    let mut visit = visit.record(&mut tx).await?;
    let withdrawal = writer.withdraw(&mut tx, &mut visit, purposes, lang).await?;
    let mut recorded = WithdrawalRecorded {
        withdrawal,
        at: visit.now(),
        state: visit.state(),
        signed_receipt: None,
    };
    let decision = Decision {
        receipt_id: &recorded.withdrawal.withdrawal_id,
        at: recorded.at,
        subject: visit.key(),
        name: visit.full_name(),
        state: &recorded.state,
        edition: &recorded.state.current_edition,
        language: lang,
        record_kind: "withdrawal",
    };
    recorded.signed_receipt = Some(app.receipts.sign(&mut tx, &app.editions, decision).await?);
    first.remember(&mut tx, &recorded);
    tx.commit().await?;
    Ok(recorded)
}
