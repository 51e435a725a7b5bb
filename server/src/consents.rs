//! Consent decisions: reading a subject's state, changing it, and the acceptance of editions
//! (1.5–1.6). Each change writes its ledger record and the current state in one transaction,
//! and everything a decision depends on is read inside that transaction, with the subject's
//! chain locked: two requests at once cannot both decide the same thing.

use consent_core::api::{
    Acceptance, AcceptanceMethod, ConsentState, ConsentUpdate, ConsentUpdated, EventKind,
    PurposeState, Receipt, UiEvent,
};
use consent_core::{catalog, EditionVersion, LedgerRecord, PurposeId, Timestamp};
use sqlx::AnyConnection;

use crate::auth::{DeviceId, Subject, UserId};
use crate::editions::EditionsAt;
use crate::error::{ApiError, ApiResult};
use crate::store::ledger::{self, Origin};
use crate::store::records::{self, Choice};
use crate::store::{Store, StoreError, WriteTx};
use crate::withdrawals::WithdrawalWriter;
use crate::AppState;
use std::collections::BTreeMap;

/// The subject's state as of now, outside any write.
pub async fn state(app: &AppState, subject: &str) -> ApiResult<ConsentState> {
    let editions = app.editions.read().await.at(crate::clock::now());
    let mut conn = app.store.pool().acquire().await.map_err(StoreError::from)?;
    Ok(state_in(&mut conn, &editions, subject).await?)
}

/// The subject's state as `conn` sees it.
pub async fn state_in(
    conn: &mut AnyConnection,
    editions: &EditionsAt,
    subject: &str,
) -> Result<ConsentState, StoreError> {
    let now = records::subject_now(&mut *conn, subject, None).await?;
    Ok(state_of(&now.choices, now.accepted, editions))
}

/// The state that `choices` and `accepted` make, against the editions in force.
pub fn state_of(
    choices: &BTreeMap<PurposeId, Choice>,
    accepted: Option<Acceptance>,
    editions: &EditionsAt,
) -> ConsentState {
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
    ConsentState {
        current_accepted: accepted
            .as_ref()
            .is_some_and(|a| a.edition == editions.current),
        current_edition: editions.current.clone(),
        deemed_accepted_from: editions.deemed_accepted_from,
        accepted,
        answered: !choices.is_empty(),
        purposes,
    }
}

/// What a per-subject request records besides its own work, in the same transaction: the
/// activity; the link of a signed-in user's anonymous device (and the choices made on it); and
/// 1.6: whoever accepted an earlier edition and goes on using the service 7 days after a new
/// one is published has accepted it.
pub struct Visit {
    key: String,
    now: Timestamp,
    origin: Origin,
    editions: EditionsAt,
    /// A signed-in user's request naming the anonymous device they used before (its proof
    /// checked by the extractor).
    link: Option<(UserId, DeviceId)>,
    /// The signed-in user the subject is.
    user: Option<UserId>,
}

impl Visit {
    /// Reads nothing from the database: every decision is taken in [`Visit::record`].
    pub async fn prepare(app: &AppState, subject: &Subject, origin: &Origin) -> Visit {
        let now = crate::clock::now();
        let link = match subject {
            Subject::User {
                id,
                device: Some(device),
            } => Some((id.clone(), device.clone())),
            _ => None,
        };
        Visit {
            key: subject.key(),
            now,
            origin: origin.clone(),
            editions: app.editions.read().await.at(now),
            link,
            user: subject.user().cloned(),
        }
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

    pub fn editions(&self) -> &EditionsAt {
        &self.editions
    }

    /// Records the visit in the caller's transaction, with the subject's chain locked first.
    /// What a request then writes for the subject takes the [`Recorded`] visit this gives: it
    /// cannot be written unlocked, or without its visit.
    pub async fn record(&self, tx: &mut WriteTx) -> ApiResult<Recorded<'_>> {
        let (key, now, origin) = (self.key.as_str(), self.now, &self.origin);
        tx.lock_subject(key).await?;
        let user = self.user.as_ref().map(UserId::as_str);
        let held = records::subject_now(&mut *tx, key, user).await?;
        // A device an account signed in from is that account's until the link: signed out,
        // whoever uses the browser next gets a device of their own, and nothing they do joins
        // the account (a shared browser).
        if user.is_none() && held.device_linked {
            return Err(ApiError::DeviceSignedOut);
        }
        tx.keep_head(key, held.head);
        records::touch(tx, key, now);
        let mut recorded = Recorded {
            visit: self,
            accepted: held.accepted,
            choices: held.choices,
            full_name: held.full_name,
        };
        let deemed = self.editions.current_deemed_accepted
            && recorded
                .accepted
                .as_ref()
                .is_some_and(|a| a.edition != self.editions.current);
        if deemed {
            let method = AcceptanceMethod::DeemedByContinuedUse;
            recorded.accept(tx, &self.editions.current, method).await?;
        }
        if let Some((user, device)) = &self.link {
            if records::link_device(tx, device.as_str(), user.as_str(), now).await? {
                recorded.carry_device_choices(tx, device, origin).await?;
            }
        }
        Ok(recorded)
    }

    /// For requests that only read: the visit is their one write. Answers the subject's state
    /// as it leaves it.
    pub async fn record_alone(self, store: &Store) -> ApiResult<ConsentState> {
        let visit = &self;
        write_for_subject(store, move |tx| visit.record_and_commit(tx)).await
    }

    async fn record_and_commit(&self, mut tx: WriteTx) -> ApiResult<ConsentState> {
        let state = self.record(&mut tx).await?.state();
        tx.commit().await?;
        Ok(state)
    }
}

/// Runs `write`, which records a visit and commits, in a write that reads the subject before it
/// takes SQLite's writer ([`Store::begin_for_subject`]). If another process wrote the subject
/// meanwhile, nothing of it was stored, and it runs once more on the writer from the start,
/// where no other process can write: the client is answered as if it had run once.
pub async fn write_for_subject<T, F>(
    store: &Store,
    mut write: impl FnMut(WriteTx) -> F,
) -> ApiResult<T>
where
    F: std::future::Future<Output = ApiResult<T>>,
{
    match write(store.begin_for_subject().await?).await {
        Err(ApiError::Store(StoreError::Changed)) => write(store.begin().await?).await,
        done => done,
    }
}

/// A visit recorded in the current write, with the subject's chain held, and the subject's
/// acceptance and choices as this write leaves them: read once, kept as the write changes them.
pub struct Recorded<'v> {
    visit: &'v Visit,
    accepted: Option<Acceptance>,
    choices: BTreeMap<PurposeId, Choice>,
    full_name: Option<String>,
}

impl std::ops::Deref for Recorded<'_> {
    type Target = Visit;

    fn deref(&self) -> &Visit {
        self.visit
    }
}

impl Recorded<'_> {
    /// Records that the subject accepted an edition, in the ledger and the current state:
    /// once, and never an older edition over a newer one. `false` when there was nothing to
    /// record.
    pub async fn accept(
        &mut self,
        tx: &mut WriteTx,
        edition: &EditionVersion,
        method: AcceptanceMethod,
    ) -> Result<bool, StoreError> {
        let (subject, at) = (self.key(), self.now());
        if let Some(before) = &self.accepted {
            if !self.editions.is_newer(edition, &before.edition) {
                return Ok(false);
            }
        }
        records::set_acceptance(tx, subject, edition, method, at);
        let record = LedgerRecord::EditionAccepted {
            edition: edition.clone(),
            method,
        };
        ledger::append(tx, subject, at, &record, Some(self.origin())).await?;
        self.accepted = Some(Acceptance {
            edition: edition.clone(),
            method,
            at,
        });
        Ok(true)
    }

    /// The subject's state as this write leaves it.
    pub fn state(&self) -> ConsentState {
        state_of(&self.choices, self.accepted.clone(), self.editions())
    }

    /// The signed-in user's full name as held, which their receipts and written applications
    /// name them by.
    pub fn full_name(&self) -> Option<&str> {
        self.full_name.as_deref()
    }

    /// The subject's choice of each purpose as this write leaves it.
    pub fn choices(&self) -> &BTreeMap<PurposeId, Choice> {
        &self.choices
    }

    /// Sets the subject's choices, now.
    pub fn set_choices(&mut self, tx: &mut WriteTx, choices: &[(PurposeId, bool)]) {
        let changed_at = self.now();
        records::set_choices(tx, self.key(), choices, changed_at);
        for (purpose, granted) in choices {
            let granted = *granted;
            self.choices.insert(
                *purpose,
                Choice {
                    granted,
                    changed_at,
                },
            );
        }
    }

    /// At the first sign-in from a device, what was chosen on it carries over to the account:
    /// purpose by purpose, and only where the account has not chosen since.
    async fn carry_device_choices(
        &mut self,
        tx: &mut WriteTx,
        device: &DeviceId,
        origin: &Origin,
    ) -> Result<(), StoreError> {
        let device_key = device.subject().to_string();
        let on_device = records::subject_now(&mut *tx, &device_key, None)
            .await?
            .choices;
        let carried: Vec<(PurposeId, bool)> = on_device
            .into_iter()
            .filter(|(purpose, on_device)| {
                self.choices
                    .get(purpose)
                    .is_none_or(|mine| mine.changed_at < on_device.changed_at)
            })
            .map(|(purpose, choice)| (purpose, choice.granted))
            .collect();
        if carried.is_empty() {
            return Ok(());
        }
        self.set_choices(tx, &carried);
        let record = LedgerRecord::ChoicesCarriedFromDevice {
            from_device: device.clone(),
            choices: carried.into_iter().collect(),
        };
        let (account, now) = (self.key().to_owned(), self.now());
        ledger::append(tx, &account, now, &record, Some(origin)).await?;
        Ok(())
    }
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
    let mut seen = records::stored_events(tx, &key, &ids).await?;
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
    records::claim_events(tx, &key, &claims);
    Ok(claims.len())
}
