//! What a signed consent receipt states (its JWS payload), after the Kantara Consent Receipt
//! 1.1 and ISO/IEC TS 27560, with what Law 94-V Art. 8 asks a consent to state: the operator
//! (name and BIN), the subject, the term, the third parties, any cross-border transfer,
//! publication in public sources, and the data collected.

use crate::catalog::Recipient;
use crate::catalog::{DataCategoryId, PurposeId};
use crate::lang::Lang;
use crate::policy::EditionVersion;
use serde::{Deserialize, Serialize};

/// The JWS header's `typ`.
pub const RECEIPT_TYPE: &str = "consent-receipt+jwt";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptClaims {
    /// The receipt's format, as Kantara names its versions.
    pub version: String,
    /// The receipt id (also in the ledger record it proves).
    pub jti: String,
    /// When it was issued, seconds since 1970.
    pub iat: i64,
    pub jurisdiction: String,
    pub controller: Controller,
    pub subject: ReceiptSubject,
    pub purposes: Vec<PurposeGiven>,
    pub term: Term,
    /// Who receives data for a purpose that is on (4.1–4.3, 2.2.7).
    pub third_parties: Vec<Recipient>,
    pub cross_border: Granted,
    pub publication: Granted,
    pub notice: Notice,
    pub withdrawal: WithdrawalMethod,
    pub record: RecordLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    pub name: String,
    /// The business identification number, when configured.
    pub bin: Option<String>,
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSubject {
    /// A keyed hash of the subject: the same person always has the same one, and it names no
    /// one without the server's key.
    pub id: String,
    /// The name, when signed in and held (2.3).
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentGiven {
    Granted,
    Refused,
    /// Processing the service needs; not a matter of consent (2.7).
    Necessary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeGiven {
    pub id: PurposeId,
    pub state: ConsentGiven,
    /// Where the policy says it, in the notice's language.
    pub clauses: Vec<String>,
    /// The data of 2.3 used for it.
    pub data_categories: Vec<DataCategoryId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// Kept for the agreement's term and this many years after it ends.
    pub years_after_agreement: u32,
    pub clause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    pub granted: bool,
    pub clauses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub edition: EditionVersion,
    pub language: Lang,
    /// SHA-256 of the exact Markdown of that edition in that language, served at `source`.
    pub sha256: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalMethod {
    /// A written application to the Company (2.6).
    pub method: String,
    pub clause: String,
}

/// The ledger record the receipt proves, and the one before it in the subject's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLink {
    pub seq: i64,
    pub hash: String,
    pub prev_hash: String,
}
