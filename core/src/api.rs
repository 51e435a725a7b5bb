//! Bodies of the HTTP API under `/v1`, shared so the widget and the server read and write the
//! same shapes. Request bodies refuse unknown fields: a misspelt field is an error, not a no-op.

use crate::catalog::{CategoryGroup, Masking, NecessaryGround, Sensitivity};
use crate::catalog::{DataCategoryId, PurposeId};
use crate::date::{CalendarDate, Timestamp};
use crate::lang::Lang;
use crate::policy::{EditionVersion, PolicyEdition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// At most this many events in one `POST /v1/events`.
pub const MAX_EVENTS_PER_BATCH: usize = 100;
/// At most this many characters in any free-text field of a request.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The header that carries the anonymous device id of a visitor who is not signed in.
pub const DEVICE_HEADER: &str = "x-consent-device";
/// The server's signature of the device id, issued with it: without it a device id is refused,
/// so an id read out of one browser cannot be used from another account or browser.
pub const DEVICE_PROOF_HEADER: &str = "x-consent-device-proof";
/// A client-made id of one write (`PUT /v1/consents`, `POST /v1/withdrawals`): the same write
/// sent again after a lost answer is stored once and answered as the first time.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Every error the API answers: a stable code and a sentence for people.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResponse {
    pub version: EditionVersion,
    pub published: CalendarDate,
    /// Continued use from this date counts as acceptance (1.6): publication + 7 calendar days.
    pub deemed_accepted_from: CalendarDate,
    pub current: bool,
    pub requested_language: Lang,
    /// The language of `edition`: the requested one if published in it, else its fallback.
    pub language: Lang,
    pub edition: PolicyEdition,
}

/// An edition's version and dates: what `GET /v1/policy/current` answers for the edition in
/// force (the loader asks it to notice a new edition without the widget), and what publishing
/// one answers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionDates {
    pub version: EditionVersion,
    pub published: CalendarDate,
    pub deemed_accepted_from: CalendarDate,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseLink {
    /// As the catalog cites it: `2.2.5` or `4.2`.
    pub reference: String,
    /// The anchor of that clause or item in the policy view.
    pub anchor: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeView {
    pub id: PurposeId,
    pub necessary: bool,
    pub ground: Option<NecessaryGround>,
    pub default_granted: bool,
    pub title: String,
    pub summary: String,
    /// The language the clause references are in (the policy's, when `en` was asked for).
    pub clause_language: Lang,
    pub clauses: Vec<ClauseLink>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCategoryView {
    pub id: DataCategoryId,
    pub name: String,
    pub group: CategoryGroup,
    pub sensitivity: Sensitivity,
    pub masking: Masking,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentUpdate {
    /// The edition the user was shown when choosing.
    pub policy_version: EditionVersion,
    /// The language the user was shown.
    pub lang: Lang,
    pub choices: BTreeMap<PurposeId, bool>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub edition: EditionVersion,
    pub method: AcceptanceMethod,
    pub at: Timestamp,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeState {
    pub purpose: PurposeId,
    pub necessary: bool,
    pub granted: bool,
    /// When the user last chose; `None` while the default applies.
    pub changed_at: Option<Timestamp>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    pub current_edition: EditionVersion,
    pub deemed_accepted_from: CalendarDate,
    /// The newest edition accepted, and how.
    pub accepted: Option<Acceptance>,
    /// Whether the current edition is accepted: the widget shows the update notice otherwise.
    pub current_accepted: bool,
    /// Whether the user has answered the banner at all.
    pub answered: bool,
    pub purposes: Vec<PurposeState>,
}

impl ConsentState {
    pub fn granted(&self, purpose: PurposeId) -> bool {
        self.purposes
            .iter()
            .any(|p| p.purpose == purpose && p.granted)
    }
}

/// Proof of one consent decision, for the user to keep.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: String,
    /// `user:…` or `device:…`.
    pub subject: String,
    pub choices: BTreeMap<PurposeId, bool>,
    pub policy_version: EditionVersion,
    pub language_shown: Lang,
    pub at: Timestamp,
    /// The same receipt signed by the operator: a compact JWS (EdDSA) anyone can check with
    /// `GET /v1/receipts/jwks.json`, stating the controller, the purposes, the term, the
    /// recipients and the notice (Law 94-V Art. 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentUpdated {
    pub state: ConsentState,
    pub receipt: Receipt,
    /// Consent purposes this update turned off that were on: a withdrawal, recorded as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// 1 to 100 events.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub events: Vec<UiEvent>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsAccepted {
    pub received: usize,
    /// New events; the rest were replays of events already stored.
    pub stored: usize,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    pub purposes: Vec<PurposeId>,
    /// The language of the written application: kk or ru (en gets ru, the application must be
    /// in a language of the agreement).
    pub lang: Lang,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenApplication {
    pub language: Lang,
    pub filename: String,
    pub text: String,
    /// Where the signed application goes (2.6): the Company's address, from the server's
    /// configuration; `None` where none is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A withdrawal (2.6) the server recorded: by turning consent purposes off and saving, or by
/// `POST /v1/withdrawals`. The application is the user's proof of it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub withdrawal_id: String,
    pub purposes: Vec<PurposeId>,
    pub application: WrittenApplication,
    /// 2.6: that the User Agreement may be suspended or ended, only where a withdrawn purpose
    /// is tied to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequences: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecorded {
    #[serde(flatten)]
    pub withdrawal: Withdrawal,
    pub at: Timestamp,
    pub state: ConsentState,
    /// The withdrawal's signed receipt (see [`Receipt::signed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_receipt: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// Given by the user.
    User,
    /// Collected by the company's services.
    Company,
    /// From third parties under contract (2.4).
    ThirdParty,
    /// From open sources (2.4).
    OpenSource,
}

pub use crate::catalog::Recipient;
pub use crate::ledger::{AcceptanceMethod, EventKind, UiEvent};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldItem {
    pub category: DataCategoryId,
    /// Not blank, at most 2000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "[^\\s]")
    )]
    pub value: String,
    pub source: DataSource,
    #[serde(default)]
    pub since: Option<Timestamp>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDataUpsert {
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub items: Vec<HeldItem>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldCategory {
    pub category: DataCategoryId,
    pub name: String,
    pub sensitivity: Sensitivity,
    pub held: bool,
    /// Masked as the catalog says: partly for phone and email, not at all for sensitive data.
    pub value: Option<String>,
    pub since: Option<Timestamp>,
    pub source: Option<DataSource>,
    pub purposes: Vec<PurposeId>,
    pub recipients: Vec<Recipient>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: i64,
    pub at: Timestamp,
    /// What the record says: its kind, and what a record of that kind holds.
    pub record: crate::ledger::LedgerRecord,
    /// Personal data too: shown to the subject, never logged.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What changed from one edition of the policy to another, clause by clause, in one language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionChanges {
    pub from: EditionVersion,
    pub to: EditionVersion,
    pub language: Lang,
    /// In the order of the new edition, then what it no longer has.
    pub clauses: Vec<ClauseChange>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseChange {
    /// As published, e.g. `2.2.`
    pub number: String,
    pub change: ClauseChangeKind,
    /// The clause's words: for a changed clause, what stayed, what went and what came.
    pub words: Vec<WordRun>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClauseChangeKind {
    Added,
    Removed,
    Changed,
}

/// Words that stayed, were removed or were added, in order.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordRun {
    pub change: WordChange,
    pub text: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordChange {
    Same,
    Removed,
    Added,
}

/// A signed receipt to download: the JWS, and a text of it a person can read.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDownload {
    pub receipt_id: String,
    pub signed: String,
    /// What the receipt states, in the language asked for, then the JWS and how to check it.
    pub text: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyData {
    pub subject: String,
    pub generated_at: Timestamp,
    /// 2.5: where the data is kept.
    pub storage_location: String,
    /// 2.5: how long.
    pub retention: String,
    pub categories: Vec<HeldCategory>,
    pub consents: ConsentState,
    pub consent_history: Vec<LedgerEntry>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionPublication {
    /// The edition's Markdown source in each published language (kk and ru).
    pub sources: BTreeMap<Lang, String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub subject: String,
    pub records: i64,
    pub intact: bool,
    /// The sequence number of the first record whose hash does not match.
    pub first_broken: Option<i64>,
    /// What is wrong, for people: a broken link, records missing against the latest signed
    /// checkpoint, a current state the ledger does not explain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// How many held values the company's systems stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataStored {
    pub stored: usize,
}

/// One look of staff at a subject's records, from the audit log (3.5): when, in which role and
/// why. Who it was is named only to the privacy officer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLook {
    /// The member of staff: only in what a privacy officer reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    pub role: crate::ledger::StaffRole,
    pub action: crate::ledger::StaffAction,
    pub reason: String,
    pub at: Timestamp,
}

/// What staff see of a user: the records unmasked, and who looked at them before.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffRecords {
    pub records: MyData,
    pub audit_log: Vec<StaffLook>,
}

/// A withdrawal as kept, with the text of its written application (2.6).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWithdrawal {
    pub withdrawal_id: String,
    pub at: Timestamp,
    pub language: Lang,
    pub purposes: Vec<PurposeId>,
    pub application: String,
}

/// The user's download of everything held about them, unmasked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Export {
    pub export_of: String,
    pub data: MyData,
    pub withdrawals: Vec<StoredWithdrawal>,
    /// Who of the staff looked at these records, when and why (3.5).
    pub staff_access: Vec<StaffLook>,
}
