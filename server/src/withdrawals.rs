//! Withdrawal of consent (2.6): refused from now on, recorded once, and the written application
//! the clause asks for, for both ways of asking: `POST /v1/withdrawals`, and turning purposes
//! off in `PUT /v1/consents`.

use consent_core::api::{Withdrawal, WrittenApplication};
use consent_core::{catalog, Lang, LedgerRecord, PurposeId};

use crate::store::ledger;
use crate::store::withdrawals;
use crate::store::{StoreError, WriteTx};
use crate::texts::{self, ApplicationFields, ListedPurpose};
use crate::visits::{Recorded, Visit};

/// Withdraws consent purposes in the caller's transaction.
pub struct WithdrawalWriter {
    address: Option<std::sync::Arc<str>>,
}

impl WithdrawalWriter {
    /// `address`: where written applications go (2.6), shown in them.
    pub fn new(address: Option<std::sync::Arc<str>>) -> WithdrawalWriter {
        WithdrawalWriter { address }
    }

    /// Refuses `purposes` (consent purposes, sorted, none twice) from now on, keeps the written
    /// application and appends one `withdrawal` record to the ledger. The application is in the
    /// published language nearest to `lang`.
    pub async fn withdraw(
        &self,
        tx: &mut WriteTx,
        visit: &mut Recorded<'_>,
        purposes: Vec<PurposeId>,
        lang: Lang,
    ) -> Result<Withdrawal, StoreError> {
        let withdrawal = self.draft(visit, visit.full_name(), purposes, lang);
        let refused: Vec<_> = withdrawal.purposes.iter().map(|p| (*p, false)).collect();
        visit.set_choices(tx, &refused);
        let (key, now) = (visit.key(), visit.now());
        let application = &withdrawal.application;
        withdrawals::insert_withdrawal(
            tx,
            &withdrawal.withdrawal_id,
            key,
            now,
            application.language,
            &withdrawal.purposes,
            &application.text,
        );
        let record = LedgerRecord::Withdrawal {
            withdrawal_id: withdrawal.withdrawal_id.clone(),
            purposes: withdrawal.purposes.clone(),
            language: application.language,
        };
        ledger::append(tx, key, now, &record, Some(visit.origin())).await?;
        Ok(withdrawal)
    }

    fn draft(
        &self,
        visit: &Visit,
        name: Option<&str>,
        purposes: Vec<PurposeId>,
        lang: Lang,
    ) -> Withdrawal {
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
                name,
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
