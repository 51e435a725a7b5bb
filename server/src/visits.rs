//! A visit: what a per-subject request records besides its own work, and the write it gives
//! the consents and withdrawals that follow. Each change writes its ledger record and the
//! current state in one transaction, and everything a decision depends on is read inside that
//! transaction, with the subject's chain locked: two requests at once cannot both decide the
//! same thing. The acceptance of editions (1.5–1.6) is decided here.

use consent_core::api::{Acceptance, AcceptanceMethod, ConsentState, PurposeState};
use consent_core::{catalog, EditionVersion, LedgerRecord, PurposeId, Timestamp};
use std::collections::BTreeMap;
use tokio::sync::RwLock;

use crate::auth::{DeviceId, Subject, UserId};
use crate::editions::{Editions, EditionsAt};
use crate::error::{ApiError, ApiResult};
use crate::store::subjects;
use crate::store::subjects::Choice;
use crate::store::{ledger, Origin};
use crate::store::{Store, StoreError, WriteTx};

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
    pub async fn prepare(editions: &RwLock<Editions>, subject: &Subject, origin: &Origin) -> Visit {
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
            editions: editions.read().await.at(now),
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
        let held = subjects::subject_now(&mut *tx, key, user).await?;
        // A device an account signed in from is that account's until the link: signed out,
        // whoever uses the browser next gets a device of their own, and nothing they do joins
        // the account (a shared browser).
        if user.is_none() && held.device_linked {
            return Err(ApiError::DeviceSignedOut);
        }
        tx.keep_head(key, held.head);
        subjects::touch(tx, key, now);
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
            if subjects::link_device(tx, device.as_str(), user.as_str(), now).await? {
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
        subjects::set_acceptance(tx, subject, edition, method, at);
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
        subjects::set_choices(tx, self.key(), choices, changed_at);
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
        let on_device = subjects::subject_now(&mut *tx, &device_key, None)
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
