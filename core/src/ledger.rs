//! What the consent ledger holds: one variant per kind of record, the company's evidence of
//! every consent change and of everything done with a subject's records. The server writes
//! records from this type and reads them back into it; the widget shows the subject's history
//! from it. Served as `{"<kind>": {…}}` (serde's plainest form, the cheapest to read in the
//! wasm); the ledger keeps the kind and the body in columns of their own.
//!
//! Ids in records are checked ids ([`PurposeId`], [`DeviceId`], …): a purpose is never removed
//! from the catalog while the ledger names it (retired purposes stay, marked so).

use crate::catalog::{DataCategoryId, PurposeId};
use crate::date::Timestamp;
use crate::lang::Lang;
use crate::policy::EditionVersion;
use crate::subject::DeviceId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerRecord {
    /// The subject answered: granted or refused, purpose by purpose, with the edition and the
    /// language they were shown.
    Choices {
        receipt_id: String,
        choices: BTreeMap<PurposeId, bool>,
        policy_version: EditionVersion,
        language_shown: Lang,
    },
    /// At a user's first sign-in from a device, the choices made on it carried to the account.
    ChoicesCarriedFromDevice {
        from_device: DeviceId,
        choices: BTreeMap<PurposeId, bool>,
    },
    /// An edition accepted, by the button or by continued use (1.6).
    EditionAccepted {
        edition: EditionVersion,
        method: AcceptanceMethod,
    },
    /// Something the subject did in the widget: no evidence of consent by itself.
    Event(UiEvent),
    /// Consent to purposes withdrawn (2.6), with the written application in `language`.
    Withdrawal {
        withdrawal_id: String,
        purposes: Vec<PurposeId>,
        language: Lang,
    },
    /// The company's systems changed what they hold (2.3): which categories, never the values.
    DataUpdated {
        by: String,
        categories: Vec<DataCategoryId>,
    },
    /// A member of staff looked at the subject's records (3.5). Who it was is in the audit
    /// log, which only a privacy officer reads; the subject sees the role and the reason.
    StaffAccess {
        role: StaffRole,
        action: StaffAction,
        reason: String,
    },
    /// A new edition of the policy, in the company's own chain ([`crate::SubjectKey::Company`]):
    /// in force from `published`, in these languages.
    EditionPublished {
        edition: EditionVersion,
        published: crate::date::CalendarDate,
        languages: Vec<Lang>,
    },
}

impl LedgerRecord {
    /// What the record does to the subject's consent: the purposes it sets, and how. Every
    /// other kind leaves the consent as it was.
    pub fn consent_changes(&self) -> Vec<(PurposeId, bool)> {
        match self {
            LedgerRecord::Choices { choices, .. }
            | LedgerRecord::ChoicesCarriedFromDevice { choices, .. } => {
                choices.iter().map(|(p, g)| (*p, *g)).collect()
            }
            LedgerRecord::Withdrawal { purposes, .. } => {
                purposes.iter().map(|p| (*p, false)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The roles staff act in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Looks at a user's records to answer them; every look is audited (3.5).
    Support,
    /// May also verify ledgers.
    PrivacyOfficer,
    /// Publishes new editions of the policy.
    PolicyEditor,
}

/// What staff did with a subject's records.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffAction {
    ReadRecords,
    VerifyLedger,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_written_as_its_kind_and_read_back() {
        let record = LedgerRecord::Withdrawal {
            withdrawal_id: "w-1".into(),
            purposes: vec![PurposeId::parse("contests_publicity").unwrap()],
            language: Lang::Kk,
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["withdrawal"]["purposes"][0], "contests_publicity");
        assert_eq!(
            serde_json::from_value::<LedgerRecord>(json).unwrap(),
            record
        );
    }

    #[test]
    fn a_record_naming_an_unknown_purpose_is_refused_not_dropped() {
        let stored = r#"{"choices":{"receipt_id":"r","choices":{"spam":true},
            "policy_version":"2026-11","language_shown":"kk"}}"#;
        let err = serde_json::from_str::<LedgerRecord>(stored).unwrap_err();
        assert!(err.to_string().contains("spam"), "{err}");
    }

    #[test]
    fn only_answers_and_withdrawals_change_consent() {
        let publicity = PurposeId::parse("contests_publicity").unwrap();
        let withdrawal = LedgerRecord::Withdrawal {
            withdrawal_id: "w".into(),
            purposes: vec![publicity],
            language: Lang::Ru,
        };
        assert_eq!(withdrawal.consent_changes(), vec![(publicity, false)]);
        let look = LedgerRecord::StaffAccess {
            role: StaffRole::Support,
            action: StaffAction::ReadRecords,
            reason: "ticket 7".into(),
        };
        assert!(look.consent_changes().is_empty());
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcceptanceMethod {
    /// The user pressed a button that accepts the edition (1.6).
    Button,
    /// The user went on using the service 7 days after publication (1.6).
    DeemedByContinuedUse,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    BannerShown,
    AcceptAll,
    RefuseOptional,
    ChoicesOpened,
    ChoicesSaved,
    DialogClosed,
    PolicyOpened,
    PolicyAcceptedByButton,
    UpdateNoticeShown,
    LanguageChanged,
    WithdrawalStarted,
    WithdrawalRequested,
    MyDataOpened,
    ExportDownloaded,
    GpcHonoured,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiEvent {
    /// Made by the client: the same event sent twice is stored once.
    pub id: uuid::Uuid,
    pub kind: EventKind,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<PurposeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<EditionVersion>,
}
