use axum::extract::State;
use consent_core::api::{Withdrawal, WithdrawalRecorded, WithdrawalRequest, WrittenApplication};
use consent_core::{catalog, DataCategoryId, Lang, PurposeId};
use serde_json::json;

use super::{write_once, IdempotencyKey};
use crate::auth::Subject;
use crate::consents::{append, state_in, Visit};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::store::ledger::Origin;
use crate::store::{records, StoreError, Tx};
use crate::texts::{self, ApplicationFields, ListedPurpose};
use crate::AppState;

/// Withdraws consent to purposes (2.6): refused from now on, the request recorded, and the
/// written application returned for the user to sign and send. Necessary purposes cannot be
/// withdrawn (2.7). Turning purposes off in `PUT /v1/consents` is the same withdrawal.
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
    let writer = WithdrawalWriter::new(&app, &subject).await?;
    let withdrawal = writer.draft(&visit, purposes, body.lang);
    let store = app.store.clone();
    let recorded = write_once(&app.store, request, move |tx| {
        Box::pin(async move {
            visit.record(&store, tx).await?;
            store_withdrawal(&store, tx, &visit, &withdrawal).await?;
            let state = state_in(tx, visit.editions(), visit.key()).await?;
            Ok(WithdrawalRecorded {
                withdrawal,
                at: visit.now(),
                state,
            })
        })
    })
    .await?;
    Ok(Json(recorded))
}

/// What a withdrawal needs from outside the transaction: the Company's address and the
/// user's name for the application.
pub struct WithdrawalWriter {
    name: Option<String>,
    address: Option<std::sync::Arc<str>>,
}

impl WithdrawalWriter {
    pub async fn new(app: &AppState, subject: &Subject) -> ApiResult<WithdrawalWriter> {
        let name = match subject {
            Subject::User { id, .. } => records::held(&app.store, id.as_str())
                .await?
                .remove(&DataCategoryId::parse("full_name").expect("in the catalog"))
                .map(|held| held.value),
            Subject::Device(_) => None,
        };
        Ok(WithdrawalWriter {
            name,
            address: app.company_address.clone(),
        })
    }

    /// The withdrawal of `purposes` (consent purposes, sorted, none twice) with its written
    /// application, in the language the agreement is published in nearest to `lang`.
    pub fn draft(&self, visit: &Visit, purposes: Vec<PurposeId>, lang: Lang) -> Withdrawal {
        let id = uuid::Uuid::new_v4().to_string();
        let language = texts::application_language(lang);
        let now = visit.now();
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
        let agreement_at_stake = purposes
            .iter()
            .any(|p| catalog().purpose_by_id(*p).withdrawal_may_end_agreement);
        let text = texts::written_application(
            language,
            &ApplicationFields {
                name: self.name.as_deref(),
                subject: visit.key(),
                edition: visit.editions().current.as_str(),
                date: now.kazakhstan_date(),
                reference: &id,
                purposes: &listed,
                address: self.address.as_deref(),
                agreement_at_stake,
            },
        );
        Withdrawal {
            withdrawal_id: id,
            purposes,
            application: WrittenApplication {
                language,
                filename: format!("withdrawal-{}.txt", now.kazakhstan_date()),
                text,
                address: self.address.as_deref().map(str::to_owned),
            },
            consequences: agreement_at_stake
                .then(|| texts::withdrawal_consequences(lang).to_owned()),
        }
    }
}

/// Stores a withdrawal in the caller's transaction: the purposes refused from now on, the
/// application kept, and one `withdrawal` record in the ledger.
pub async fn store_withdrawal(
    store: &crate::store::Store,
    tx: &mut Tx,
    visit: &Visit,
    withdrawal: &Withdrawal,
) -> Result<(), StoreError> {
    let (key, now) = (visit.key(), visit.now());
    for purpose in &withdrawal.purposes {
        records::set_choice(tx, key, *purpose, false, now).await?;
    }
    let application = &withdrawal.application;
    records::insert_withdrawal(
        tx,
        &withdrawal.withdrawal_id,
        key,
        now,
        application.language,
        &withdrawal.purposes,
        &application.text,
    )
    .await?;
    let record = json!({
        "withdrawal_id": withdrawal.withdrawal_id,
        "purposes": withdrawal.purposes,
        "language": application.language,
    });
    append(
        store,
        tx,
        key,
        "withdrawal",
        now,
        record,
        Some(visit.origin()),
    )
    .await?;
    Ok(())
}
