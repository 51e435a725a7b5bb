//! Consent decisions: reading a subject's state and changing it, by an answer or by the events
//! of the widget (an acceptance by button, 1.6). Each change is written in the visit's
//! transaction ([`crate::visits`]), with the subject's chain locked.

use consent_core::api::{
    AcceptanceMethod, ConsentState, ConsentUpdate, ConsentUpdated, EventKind, Receipt, UiEvent,
};
use consent_core::{catalog, LedgerRecord, PurposeId};
use sqlx::AnyConnection;
use tokio::sync::RwLock;

use crate::editions::{Editions, EditionsAt};
use crate::error::ApiResult;
use crate::store::ledger;
use crate::store::subjects;
use crate::store::{Store, StoreError, WriteTx};
use crate::visits::{state_of, Recorded};
use crate::withdrawals::WithdrawalWriter;

/// The subject's state as of now, outside any write.
pub async fn state(
    store: &Store,
    editions: &RwLock<Editions>,
    subject: &str,
) -> ApiResult<ConsentState> {
    let editions = editions.read().await.at(crate::clock::now());
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(state_in(&mut conn, &editions, subject).await?)
}

/// The subject's state as `conn` sees it.
pub async fn state_in(
    conn: &mut AnyConnection,
    editions: &EditionsAt,
    subject: &str,
) -> Result<ConsentState, StoreError> {
    let now = subjects::subject_now(&mut *conn, subject, None).await?;
    Ok(state_of(&now.choices, now.accepted, editions))
}

/// Records a subject's answer (`update`, already checked against the catalog and the editions)
/// in the visit's transaction: the new choices, the `choices` record with its receipt, a
/// withdrawal (2.6) for what was on and is now off, and the acceptance of the edition in force
/// when it is the one answered (1.6). Answers with the state it leaves, built from what it
/// read and wrote.
pub async fn save_choices(
    tx: &mut WriteTx,
    visit: &mut Recorded<'_>,
    writer: &WithdrawalWriter,
    update: ConsentUpdate,
) -> Result<ConsentUpdated, StoreError> {
    let (key, now) = (visit.key().to_owned(), visit.now());
    // Decided under the subject's lock, against the choices this write replaces.
    let withdrawn: Vec<PurposeId> = update
        .choices
        .iter()
        .filter(|(p, granted)| !**granted && visit.choices().get(*p).is_some_and(|c| c.granted))
        .map(|(purpose, _)| *purpose)
        .collect();
    let receipt = Receipt {
        receipt_id: uuid::Uuid::new_v4().to_string(),
        subject: key.clone(),
        choices: update.choices,
        policy_version: update.policy_version,
        language_shown: update.lang,
        at: now,
        signed: None,
    };
    // What is withdrawn is refused by the withdrawal below, once.
    let changed: Vec<(PurposeId, bool)> = receipt
        .choices
        .iter()
        .filter(|(p, _)| !catalog().purpose_by_id(**p).is_necessary() && !withdrawn.contains(p))
        .map(|(p, granted)| (*p, *granted))
        .collect();
    visit.set_choices(tx, &changed);
    let record = LedgerRecord::Choices {
        receipt_id: receipt.receipt_id.clone(),
        choices: receipt.choices.clone(),
        policy_version: receipt.policy_version.clone(),
        language_shown: receipt.language_shown,
    };
    ledger::append(tx, &key, now, &record, Some(visit.origin())).await?;
    let withdrawal = if withdrawn.is_empty() {
        None
    } else {
        let lang = receipt.language_shown;
        Some(writer.withdraw(tx, visit, withdrawn, lang).await?)
    };
    if receipt.policy_version == visit.editions().current {
        let edition = receipt.policy_version.clone();
        visit.accept(tx, &edition, AcceptanceMethod::Button).await?;
    }
    Ok(ConsentUpdated {
        state: visit.state(),
        receipt,
        withdrawal,
    })
}

/// Stores a batch of UI events in the visit's transaction: each once per subject (a replay,
/// or the same id twice in the batch, is skipped), with no IP or user agent, since a UI event
/// is no evidence of consent; an acceptance by button also accepts its edition (1.6). Answers
/// how many were new.
pub async fn record_events(
    tx: &mut WriteTx,
    visit: &mut Recorded<'_>,
    events: Vec<UiEvent>,
) -> Result<usize, StoreError> {
    let (key, now) = (visit.key().to_owned(), visit.now());
    let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.id).collect();
    let mut seen = subjects::stored_events(tx, &key, &ids).await?;
    let mut claims = Vec::new();
    for event in events {
        if seen.contains(&event.id) {
            continue;
        }
        seen.push(event.id);
        let accepted = match (event.kind, &event.edition) {
            (EventKind::PolicyAcceptedByButton, Some(edition)) => Some(edition.clone()),
            _ => None,
        };
        let id = event.id;
        let seq = ledger::append(tx, &key, now, &LedgerRecord::Event(event), None).await?;
        claims.push((id, seq));
        if let Some(edition) = accepted {
            visit.accept(tx, &edition, AcceptanceMethod::Button).await?;
        }
    }
    subjects::claim_events(tx, &key, &claims);
    Ok(claims.len())
}
