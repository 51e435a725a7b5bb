use axum::extract::State;
use consent_core::api::{AcceptanceMethod, ConsentState, ConsentUpdate, ConsentUpdated, Receipt};
use consent_core::catalog;
use serde_json::json;

use crate::auth::Subject;
use crate::consents::{accept, append, state, Visit};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::store::ledger::Origin;
use crate::store::{records, StoreError};
use crate::AppState;

/// Per purpose, granted or refused and when; the edition accepted and how.
#[utoipa::path(get, path = "/v1/consents",
    responses((status = 200, description = "The subject's consent state", body = ConsentState), (status = 401, description = "Bad token", body = consent_core::api::ErrorBody)),
    security(("user_token" = []), ("device_id" = [])))]
pub async fn read(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
) -> ApiResult<Json<ConsentState>> {
    Visit::prepare(&app, &subject, &origin)
        .await?
        .record_alone(&app.store)
        .await?;
    Ok(Json(state(&app, &subject.key()).await?))
}

/// Records the user's choices, with a receipt. Necessary purposes cannot be refused (2.7).
#[utoipa::path(put, path = "/v1/consents",
    responses((status = 200, description = "New state and receipt", body = ConsentUpdated), (status = 422, description = "Unknown purpose or edition, a necessary purpose refused", body = consent_core::api::ErrorBody)),
    security(("user_token" = []), ("device_id" = [])))]
pub async fn update(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    Json(body): Json<ConsentUpdate>,
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
    let visit = Visit::prepare(&app, &subject, &origin).await?;
    let (key, now) = (visit.key().to_owned(), visit.now());
    let receipt = Receipt {
        receipt_id: uuid::Uuid::new_v4().to_string(),
        subject: key.clone(),
        choices: body.choices.clone(),
        policy_version: body.policy_version.clone(),
        language_shown: body.lang,
        at: now,
    };
    // Answering the banner of the edition in force accepts it by button (1.6), once.
    let accepts_current =
        body.policy_version == *visit.current_edition() && !visit.current_accepted();
    let store = app.store.clone();
    let record = receipt.clone();
    app.store
        .write(move |tx| {
            Box::pin(async move {
                visit.record(&store, tx).await?;
                let origin = visit.origin();
                for (purpose, granted) in &record.choices {
                    if !catalog().purpose_by_id(*purpose).is_necessary() {
                        records::set_choice(tx, &record.subject, *purpose, *granted, now).await?;
                    }
                }
                let body = json!({
                    "receipt_id": record.receipt_id,
                    "choices": record.choices,
                    "policy_version": record.policy_version,
                    "language_shown": record.language_shown,
                });
                append(&store, tx, &record.subject, "choices", now, body, origin).await?;
                if accepts_current {
                    accept(
                        &store,
                        tx,
                        &record.subject,
                        &record.policy_version,
                        AcceptanceMethod::Button,
                        now,
                        origin,
                    )
                    .await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    Ok(Json(ConsentUpdated {
        state: state(&app, &key).await?,
        receipt,
    }))
}
