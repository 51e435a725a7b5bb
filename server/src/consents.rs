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

/// What a per-subject request records besides its own work, in the same transaction: the
/// activity; the link of a signed-in user's earlier anonymous device (and the choices made on
/// it); and 1.6: whoever accepted an earlier edition and goes on using the service 7 days after
/// a new one is published has accepted it.
pub struct Visit {
    key: String,
    now: Timestamp,
    origin: Origin,
    /// The edition in force, and whether this visit is the continued use that accepts it.
    current: EditionVersion,
    deemed: bool,
    accepted_before: Option<EditionVersion>,
    link: Option<DeviceLink>,
}

/// A signed-in user's request that names the anonymous device they used before.
struct DeviceLink {
    user: String,
    device: String,
    /// The device's choices, when the account has none of its own.
    carried: Vec<(PurposeId, bool)>,
}

impl Visit {
    /// Reads what the visit needs; writes nothing.
    pub async fn prepare(app: &AppState, subject: &Subject, origin: &Origin) -> ApiResult<Visit> {
        let key = subject.key();
        let now = crate::clock::now();
        let current = app.editions.read().await.current(now.date()).clone();
        let accepted_before = records::acceptance(&app.store, &key)
            .await?
            .map(|a| a.edition);
        let deemed = accepted_before.as_ref().is_some_and(|edition| {
            *edition != current.version && now.date() >= current.deemed_accepted_from()
        });
        let link = match subject {
            Subject::User {
                id,
                device: Some(device),
            } => {
                let device = device.as_str().to_owned();
                // Choices made before signing in carry over, unless the account has its own.
                let carried = if records::choices(&app.store, &key).await?.is_empty() {
                    records::choices(&app.store, &format!("device:{device}"))
                        .await?
                        .iter()
                        .map(|(p, c)| (*p, c.granted))
                        .collect()
                } else {
                    Vec::new()
                };
                Some(DeviceLink {
                    user: id.clone(),
                    device,
                    carried,
                })
            }
            _ => None,
        };
        Ok(Visit {
            key,
            now,
            origin: origin.clone(),
            current: current.version,
            deemed,
            accepted_before,
            link,
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn current_edition(&self) -> &EditionVersion {
        &self.current
    }

    /// Whether the edition in force is accepted once this visit is recorded.
    pub fn current_accepted(&self) -> bool {
        self.deemed || self.accepted_before.as_ref() == Some(&self.current)
    }

    /// Records the visit in the caller's transaction.
    pub async fn record(&self, store: &Store, tx: &mut Tx) -> Result<(), StoreError> {
        let (key, now, origin) = (&self.key, self.now, &self.origin);
        records::touch(tx, key, now).await?;
        if self.deemed {
            accept(
                store,
                tx,
                key,
                &self.current,
                AcceptanceMethod::DeemedByContinuedUse,
                now,
                origin,
            )
            .await?;
        }
        if let Some(DeviceLink {
            user,
            device,
            carried,
        }) = &self.link
        {
            let first_link = records::link_device(tx, device, user, now).await?;
            if first_link && !carried.is_empty() {
                for (purpose, granted) in carried {
                    records::set_choice(tx, key, *purpose, *granted, now).await?;
                }
                let body = json!({ "from_device": device, "choices": carried_map(carried) });
                append(
                    store,
                    tx,
                    key,
                    "choices_carried_from_device",
                    now,
                    body,
                    origin,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// For requests that only read: the visit is their one write.
    pub async fn record_alone(self, store: &Store) -> Result<(), StoreError> {
        let for_tx = store.clone();
        store
            .write(move |tx| Box::pin(async move { self.record(&for_tx, tx).await }))
            .await
    }
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
