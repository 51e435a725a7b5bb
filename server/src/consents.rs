//! Consent decisions: reading a subject's state, changing it, and the acceptance of editions
//! (1.5–1.6). Each change writes its ledger record and the current state in one transaction.

use consent_core::api::{Acceptance, AcceptanceMethod, ConsentState, PurposeState};
use consent_core::{catalog, EditionVersion, PurposeId, Timestamp};
use serde_json::json;

use crate::auth::Subject;
use crate::error::ApiResult;
use crate::store::ledger::{self, NewRecord, Origin};
use crate::store::{records, Store, StoreError, Tx};
use crate::AppState;

/// The subject's state as of now.
pub async fn state(app: &AppState, subject: &str) -> ApiResult<ConsentState> {
    let today = crate::clock::now().date();
    let current = app.editions.read().await.current(today).clone();
    let choices = records::choices(&app.store, subject).await?;
    let accepted = records::acceptance(&app.store, subject)
        .await?
        .map(|a| Acceptance {
            edition: a.edition,
            method: a.method,
            at: a.at,
        });
    let purposes = catalog()
        .purposes
        .iter()
        .map(|p| {
            let chosen = choices.get(&p.id);
            PurposeState {
                purpose: p.id,
                necessary: p.is_necessary(),
                granted: p.is_necessary() || chosen.is_some_and(|c| c.granted),
                changed_at: chosen.map(|c| c.changed_at),
            }
        })
        .collect();
    Ok(ConsentState {
        current_accepted: accepted
            .as_ref()
            .is_some_and(|a| a.edition == current.version),
        current_edition: current.version.clone(),
        deemed_accepted_from: current.deemed_accepted_from(),
        accepted,
        answered: !choices.is_empty(),
        purposes,
    })
}

/// Everything a per-subject request does before its own work: notes the activity, links a
/// signed-in user's earlier anonymous device, and applies 1.6: whoever accepted an earlier
/// edition and goes on using the service 7 days after a new one is published has accepted it.
pub async fn on_visit(app: &AppState, subject: &Subject, origin: &Origin) -> ApiResult<()> {
    let key = subject.key();
    let now = crate::clock::now();
    let current = app.editions.read().await.current(now.date()).clone();
    let accepted = records::acceptance(&app.store, &key).await?;
    let deemed = accepted.as_ref().is_some_and(|a| {
        a.edition != current.version && now.date() >= current.deemed_accepted_from()
    });
    let device_to_link = match subject {
        Subject::User {
            id,
            device: Some(device),
        } => Some((id.clone(), device.as_str().to_owned())),
        _ => None,
    };
    let device_choices = match &device_to_link {
        Some((_, device)) => records::choices(&app.store, &format!("device:{device}")).await?,
        None => Default::default(),
    };
    let user_has_choices = !records::choices(&app.store, &key).await?.is_empty();
    let (store, origin) = (app.store.clone(), origin.clone());
    app.store
        .write(move |tx| {
            Box::pin(async move {
                records::touch(tx, &key, now).await?;
                if deemed {
                    accept(
                        &store,
                        tx,
                        &key,
                        &current.version,
                        AcceptanceMethod::DeemedByContinuedUse,
                        now,
                        &origin,
                    )
                    .await?;
                }
                if let Some((user, device)) = device_to_link {
                    let first_link = records::link_device(tx, &device, &user, now).await?;
                    // Choices made before signing in carry over, unless the account has its own.
                    if first_link && !user_has_choices && !device_choices.is_empty() {
                        let carried: Vec<(PurposeId, bool)> = device_choices
                            .iter()
                            .map(|(p, c)| (*p, c.granted))
                            .collect();
                        for (purpose, granted) in &carried {
                            records::set_choice(tx, &key, *purpose, *granted, now).await?;
                        }
                        let body =
                            json!({ "from_device": device, "choices": carried_map(&carried) });
                        append(
                            &store,
                            tx,
                            &key,
                            "choices_carried_from_device",
                            now,
                            body,
                            &origin,
                        )
                        .await?;
                    }
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    Ok(())
}

fn carried_map(choices: &[(PurposeId, bool)]) -> serde_json::Map<String, serde_json::Value> {
    choices
        .iter()
        .map(|(p, g)| (p.as_str().to_owned(), json!(g)))
        .collect()
}

pub async fn append(
    store: &Store,
    tx: &mut Tx,
    subject: &str,
    kind: &str,
    at: Timestamp,
    body: serde_json::Value,
    origin: &Origin,
) -> Result<i64, StoreError> {
    ledger::append(
        store,
        tx,
        NewRecord {
            subject,
            kind,
            at,
            body,
            origin,
        },
    )
    .await
}

/// Records that the subject accepted an edition, in the ledger and the current state.
pub async fn accept(
    store: &Store,
    tx: &mut Tx,
    subject: &str,
    edition: &EditionVersion,
    method: AcceptanceMethod,
    at: Timestamp,
    origin: &Origin,
) -> Result<(), StoreError> {
    records::set_acceptance(tx, subject, edition, method, at).await?;
    let body = json!({ "edition": edition, "method": records::method_name(method) });
    append(store, tx, subject, "edition_accepted", at, body, origin).await?;
    Ok(())
}
