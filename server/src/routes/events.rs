use axum::extract::State;
use consent_core::api::{
    AcceptanceMethod, EventBatch, EventKind, EventsAccepted, MAX_EVENTS_PER_BATCH,
};
use consent_core::LedgerRecord;

use crate::auth::Subject;
use crate::consents::{accept, Visit};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::store::ledger::{self, Origin};
use crate::store::records;
use crate::AppState;

/// A batch of UI events. Each carries a client-made UUID: a replayed event is accepted and
/// stored once. A batch is stored whole or not at all.
#[utoipa::path(post, path = "/v1/events",
    responses((status = 200, description = "How many were new", body = EventsAccepted), (status = 422, description = "A bad event; none stored", body = consent_core::api::ErrorBody)),
    security(("user_token" = []), ("device_id" = [])))]
pub async fn record(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    Json(batch): Json<EventBatch>,
) -> ApiResult<Json<EventsAccepted>> {
    let received = batch.events.len();
    if received == 0 {
        return Err(ApiError::Invalid("`events` is empty".into()));
    }
    if received > MAX_EVENTS_PER_BATCH {
        return Err(ApiError::Invalid(format!(
            "a batch holds at most {MAX_EVENTS_PER_BATCH} events, this one {received}"
        )));
    }
    for (i, event) in batch.events.iter().enumerate() {
        if event.kind == EventKind::PolicyAcceptedByButton {
            let edition = event.edition.as_ref().ok_or_else(|| {
                ApiError::Invalid(format!("events[{i}]: an acceptance names its `edition`"))
            })?;
            if !app.editions.read().await.exists(edition) {
                return Err(ApiError::UnknownEdition(edition.to_string()));
            }
        }
    }
    let visit = Visit::prepare(&app, &subject, &origin).await;
    let mut tx = app.store.begin().await?;
    visit.record(&mut tx).await?;
    let (key, now) = (visit.key(), visit.now());
    let mut stored = 0;
    for event in batch.events {
        if !records::claim_event(&mut tx, key, &event.id).await? {
            continue;
        }
        let accepted = match (event.kind, &event.edition) {
            (EventKind::PolicyAcceptedByButton, Some(edition)) => Some(edition.clone()),
            _ => None,
        };
        let id = event.id;
        // A UI event is no evidence of consent: it keeps no IP or user agent.
        let seq = ledger::append(&mut tx, key, now, &LedgerRecord::Event(event), None).await?;
        records::set_event_seq(&mut tx, key, &id, seq).await?;
        if let Some(edition) = accepted {
            accept(&mut tx, &visit, &edition, AcceptanceMethod::Button).await?;
        }
        stored += 1;
    }
    tx.commit().await?;
    Ok(Json(EventsAccepted { received, stored }))
}
