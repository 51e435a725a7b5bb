use axum::extract::State;
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{WithdrawalRecorded, WithdrawalRequest};
use consent_core::catalog;

use super::openapi::{BodyRefused, StoreFailed, SubjectRefused};
use super::{IdempotencyKey, IdempotencyKeyHeader, Once};
use crate::auth::Subject;
use crate::consents::Visit;
use crate::error::{ApiError, ApiResult};
use crate::json::JsonBody;
use crate::receipts::Decision;
use crate::store::ledger::Origin;
use crate::withdrawals::WithdrawalWriter;
use crate::AppState;

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
    let visit = Visit::prepare(&app, &subject, &origin).await;
    let request = idempotency.request(visit.key(), "POST /v1/withdrawals", &body);
    let writer = WithdrawalWriter::new(&app);
    let mut tx = app.store.begin().await?;
    let first = match request.begin(&mut tx).await? {
        Once::Repeat(answer) => return Ok(Json(answer)),
        Once::First(first) => first,
    };
    let mut visit = visit.record(&mut tx).await?;
    let withdrawal = writer
        .withdraw(&mut tx, &mut visit, purposes, body.lang)
        .await?;
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
        language: body.lang,
        record_kind: "withdrawal",
    };
    recorded.signed_receipt = Some(app.receipts.sign(&mut tx, &app, decision).await?);
    first.remember(&mut tx, &recorded);
    tx.commit().await?;
    Ok(Json(recorded))
}
