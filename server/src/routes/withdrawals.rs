use axum::extract::State;
use consent_core::api::{WithdrawalRecorded, WithdrawalRequest, WrittenApplication};
use consent_core::{catalog, DataCategoryId};
use serde_json::json;

use super::{write_once, IdempotencyKey};
use crate::auth::Subject;
use crate::consents::{append, state_in, Visit};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::store::ledger::Origin;
use crate::store::records;
use crate::texts::{self, ApplicationFields, ListedPurpose};
use crate::AppState;

/// Withdraws consent to purposes (2.6): refused from now on, the request recorded, and the
/// written application returned for the user to sign and send. Necessary purposes cannot be
/// withdrawn (2.7).
#[utoipa::path(post, path = "/v1/withdrawals",
    responses((status = 200, description = "Recorded, with the written application", body = WithdrawalRecorded), (status = 422, description = "A necessary or unknown purpose", body = consent_core::api::ErrorBody)),
    security(("user_token" = []), ("device_id" = [])))]
pub async fn request(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    idempotency: IdempotencyKey,
    Json(body): Json<WithdrawalRequest>,
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
    let (key, now) = (visit.key().to_owned(), visit.now());
    let id = uuid::Uuid::new_v4().to_string();
    let language = texts::application_language(body.lang);
    let name = match &subject {
        Subject::User { id, .. } => records::held(&app.store, id)
            .await?
            .remove(&DataCategoryId::parse("full_name").expect("in the catalog"))
            .map(|held| held.value),
        Subject::Device(_) => None,
    };
    let listed: Vec<ListedPurpose> = purposes
        .iter()
        .map(|p| {
            let purpose = catalog().purpose_by_id(*p);
            ListedPurpose {
                title: purpose.title.get(language).to_owned(),
                clauses: purpose.clauses_in(language).to_vec(),
            }
        })
        .collect();
    let text = texts::written_application(
        language,
        &ApplicationFields {
            name: name.as_deref(),
            subject: &key,
            edition: visit.editions().current.as_str(),
            date: now.kazakhstan_date(),
            reference: &id,
            purposes: &listed,
        },
    );

    let application = WrittenApplication {
        language,
        filename: format!("withdrawal-{}.txt", now.kazakhstan_date()),
        text,
    };
    let consequences = texts::withdrawal_consequences(body.lang).to_owned();
    let store = app.store.clone();
    let recorded = write_once(&app.store, request, move |tx| {
        Box::pin(async move {
            visit.record(&store, tx).await?;
            for purpose in &purposes {
                records::set_choice(tx, &key, *purpose, false, now).await?;
            }
            records::insert_withdrawal(tx, &id, &key, now, language, &purposes, &application.text)
                .await?;
            let record = json!({ "withdrawal_id": id, "purposes": purposes, "language": language });
            append(
                &store,
                tx,
                &key,
                "withdrawal",
                now,
                record,
                Some(visit.origin()),
            )
            .await?;
            let state = state_in(tx, visit.editions(), &key).await?;
            Ok(WithdrawalRecorded {
                application,
                consequences,
                state,
                withdrawal_id: id,
                at: now,
                purposes,
            })
        })
    })
    .await?;
    Ok(Json(recorded))
}
