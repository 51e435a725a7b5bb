use axum::extract::State;
use consent_core::api::{
    AcceptanceMethod, EventBatch, EventKind, EventsAccepted, MAX_EVENTS_PER_BATCH,
};

use crate::auth::Subject;
use crate::consents::{accept, append, Visit};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::store::ledger::Origin;
use crate::store::{records, StoreError};
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
    let mut ids = Vec::with_capacity(received);
    for (i, event) in batch.events.iter().enumerate() {
        ids.push(
            uuid::Uuid::try_parse(&event.id)
                .map_err(|_| ApiError::Invalid(format!("events[{i}].id must be a UUID")))?,
        );
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
    let store = app.store.clone();
    let stored = app
        .store
        .write(move |tx| {
            Box::pin(async move {
                visit.record(&store, tx).await?;
                let (key, now, origin) = (visit.key(), visit.now(), visit.origin());
                let mut stored = 0;
                for (event, id) in batch.events.iter().zip(&ids) {
                    if !records::claim_event(tx, key, id).await? {
                        continue;
                    }
                    let body = serde_json::to_value(event).expect("an event serialises");
                    // A UI event is no evidence of consent: it keeps no IP or user agent.
                    let seq = append(&store, tx, key, "event", now, body, None).await?;
                    records::set_event_seq(tx, key, id, seq).await?;
                    if let (EventKind::PolicyAcceptedByButton, Some(edition)) =
                        (event.kind, &event.edition)
                    {
                        let method = AcceptanceMethod::Button;
                        accept(
                            &store,
                            tx,
                            key,
                            edition,
                            method,
                            now,
                            origin,
                            visit.editions(),
                        )
                        .await?;
                    }
                    stored += 1;
                }
                Ok::<_, StoreError>(stored)
            })
        })
        .await?;
    Ok(Json(EventsAccepted { received, stored }))
}
