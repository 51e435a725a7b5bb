use axum::extract::State;
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{EventBatch, EventKind, EventsAccepted, UiEvent, MAX_EVENTS_PER_BATCH};

use super::extract::JsonBody;
use crate::auth::Subject;
use crate::consents::record_events;
use crate::error::{ApiError, ApiResult, BodyRefused, StoreFailed, SubjectRefused};
use crate::state::AppState;
use crate::store::Origin;
use crate::store::WriteTx;
use crate::visits::{write_for_subject, Visit};

/// A batch of UI events. Each carries a client-made UUID: a replayed event is accepted and
/// stored once. A batch is stored whole or not at all.
#[utoipa::path(post, path = "/v1/events", request_body = EventBatch,
    responses((status = 200, description = "How many were new", body = EventsAccepted), BodyRefused, SubjectRefused, StoreFailed),
    security(("user_token" = []), ("device_id" = [], "device_proof" = [])))]
pub async fn record(
    State(app): State<AppState>,
    subject: Subject,
    origin: Origin,
    WithRejection(Json(batch), _): JsonBody<EventBatch>,
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
    let editions = app.editions.read().await;
    for (i, event) in batch.events.iter().enumerate() {
        if event.kind == EventKind::PolicyAcceptedByButton && event.edition.is_none() {
            let message = format!("events[{i}]: an acceptance names its `edition`");
            return Err(ApiError::Invalid(message));
        }
        // Whatever edition an event names was shown to someone: it exists.
        if let Some(edition) = event.edition.as_ref().filter(|e| !editions.exists(e)) {
            return Err(ApiError::UnknownEdition(edition.to_string()));
        }
    }
    drop(editions);
    let visit = Visit::prepare(&app.editions, &subject, &origin).await;
    let visit = &visit;
    let stored = write_for_subject(&app.store, move |tx| {
        store_events(tx, visit, batch.events.clone())
    })
    .await?;
    Ok(Json(EventsAccepted { received, stored }))
}

/// One attempt at a `POST /v1/events` ([`write_for_subject`]); answers how many were new.
async fn store_events(mut tx: WriteTx, visit: &Visit, events: Vec<UiEvent>) -> ApiResult<usize> {
    let mut visit = visit.record(&mut tx).await?;
    let stored = record_events(&mut tx, &mut visit, events).await?;
    tx.commit().await?;
    Ok(stored)
}
