//! The shared types read field by field from what the browser's `JSON.parse` made.
//!
//! serde's derived readers are made for any format: each struct gets a visitor for a map and
//! one for a list, a state machine over field names, and a copy of that per answer type
//! inlined wherever an answer is awaited. Here a struct is read by asking the browser's object
//! for each field by name, which is all JSON from the server needs, and costs the wasm a
//! fraction of those bytes. Errors are plain strings, never Rust's formatting of what was
//! found: the widget never shows such details, and the log says which field or variant was
//! wrong.
//!
//! The names are the ones serde writes for these types (the server's answers): the widget's
//! tests write every type with serde_json and read it back here. A field missing from a type's
//! list below does not compile: the struct is built with all its fields named.

use consent_core::api::{
    Acceptance, AcceptanceMethod, ClauseChange, ClauseChangeKind, ConsentState, ConsentUpdate,
    ConsentUpdated, EditionChanges, ErrorBody, EventKind, EventsAccepted, HeldCategory,
    LedgerEntry, MyData, PolicyResponse, PurposeState, Receipt, ReceiptDownload, UiEvent,
    Withdrawal, WordChange, WordRun, WrittenApplication,
};
use consent_core::catalog::{
    CategoryGroup, Masking, NecessaryGround, RawCatalog, RawCategory, RawPurpose, Recipient,
    Sensitivity,
};
use consent_core::lang::Localized;
use consent_core::ledger::{LedgerRecord, StaffAction, StaffRole};
use consent_core::policy::{Block, Clause, PolicyEdition, Section};
use consent_core::signals::ConsentModeType;
use consent_core::{
    CalendarDate, DataCategoryId, DeviceId, EditionVersion, Lang, PurposeId, Timestamp,
};
use js_sys::{Array, Object, Reflect};
use serde::de;
use std::collections::BTreeMap;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// Why a value could not be read, in words built without Rust's formatting machinery.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl Unreadable {
    fn because(why: &str, what: &str) -> Unreadable {
        Unreadable([why, what].concat())
    }

    pub fn wrong_type() -> Unreadable {
        Unreadable("a value of the wrong type".to_owned())
    }

    pub fn not_valid() -> Unreadable {
        Unreadable("a value that is not valid here".to_owned())
    }

    pub fn missing(field: &str) -> Unreadable {
        Unreadable::because("missing field ", field)
    }

    pub fn unknown_variant(variant: &str) -> Unreadable {
        Unreadable::because("unknown variant ", variant)
    }

    fn wrong_length() -> Unreadable {
        Unreadable("a list of the wrong length".to_owned())
    }
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreadable {}

/// serde's derive reads the one-word enums (see `read_words!`) and says through this what it
/// refused: an unknown word, by name. serde's other complaints come through `custom`.
impl de::Error for Unreadable {
    /// What serde says of a value it refuses is left out: the formatters it needs cost 2 KB of
    /// wasm, for a detail only a developer reads.
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unreadable::not_valid()
    }

    fn unknown_variant(variant: &str, _: &'static [&'static str]) -> Self {
        Unreadable::unknown_variant(variant)
    }
}

type Result<T> = std::result::Result<T, Unreadable>;

/// A type the widget reads from a value `JSON.parse` made.
pub trait Read: Sized {
    fn read(value: &JsValue) -> Result<Self>;
}

/// The value as a plain object (not a list, not null), or the error every struct gives.
pub fn object(value: &JsValue) -> Result<&Object> {
    if value.is_object() && !Array::is_array(value) {
        Ok(value.unchecked_ref())
    } else {
        Err(Unreadable::wrong_type())
    }
}

/// The field `name` of `object`; when it is not there, the error says which is missing.
pub fn field<T: Read>(object: &Object, name: &'static str) -> Result<T> {
    let value = field_value(object, name);
    T::read(&value).map_err(|e| named_if_missing(e, &value, name))
}

// The parts of `field` that do not depend on `T`, out of line: `field` is compiled once per
// type read and inlined at each of some two hundred fields.
#[inline(never)]
fn field_value(object: &Object, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

#[inline(never)]
fn named_if_missing(error: Unreadable, value: &JsValue, name: &str) -> Unreadable {
    if value.is_undefined() {
        Unreadable::missing(name)
    } else {
        error
    }
}

/// The field `name` of `object`, or `T`'s default when it is not there (serde's `default`).
pub fn field_or_default<T: Read + Default>(object: &Object, name: &'static str) -> Result<T> {
    Ok(field::<Option<T>>(object, name)?.unwrap_or_default())
}

/// Builds a struct (or a struct-like variant) from an object's fields of the same names; those
/// after `or default` take their type's default when they are not there (serde's `default`).
macro_rules! fields {
    ($object:expr, $($name:ident)::+ { $($field:ident),* $(,)? } $(or default { $($defaulted:ident),* })?) => {
        $($name)::+ {
            $($field: field($object, stringify!($field))?,)*
            $($($defaulted: field_or_default($object, stringify!($defaulted))?,)*)?
        }
    };
}

/// `Read` for structs whose every field is read by its own name.
macro_rules! read_structs {
    ($($name:ident { $($field:ident),* $(,)? })*) => {$(
        impl Read for $name {
            fn read(value: &JsValue) -> Result<Self> {
                let object = object(value)?;
                Ok(fields!(object, $name { $($field),* }))
            }
        }
    )*};
}

read_structs! {
    ErrorBody { error, message }
    ConsentState { current_edition, deemed_accepted_from, accepted, current_accepted, answered, purposes }
    Acceptance { edition, method, at }
    PurposeState { purpose, necessary, granted, changed_at }
    ConsentUpdate { policy_version, lang, choices }
    ConsentUpdated { state, receipt, withdrawal }
    Receipt { receipt_id, subject, choices, policy_version, language_shown, at, signed }
    Withdrawal { withdrawal_id, purposes, application, consequences }
    WrittenApplication { language, filename, text, address }
    UiEvent { id, kind, at, purpose, lang, edition }
    EventsAccepted { received, stored }
    PolicyResponse { version, published, deemed_accepted_from, current, requested_language, language, edition }
    PolicyEdition { version, published, language, title, sections }
    Section { number, anchor, title, clauses }
    Clause { number, anchor, blocks }
    MyData { subject, generated_at, storage_location, retention, categories, consents, consent_history }
    HeldCategory { category, name, sensitivity, held, value, since, source, purposes, recipients }
    LedgerEntry { seq, at, record, ip, user_agent }
    EditionChanges { from, to, language, clauses }
    ClauseChange { number, change, words }
    WordRun { change, text }
    ReceiptDownload { receipt_id, signed, text }
    RawCatalog { purposes, categories }
    RawCategory { id, group, sensitivity, masking, quote, name, purposes }
    Localized { kk, ru, en }
}

/// A purpose as the catalog file writes it, where the flags and lists it does not need are
/// left out.
impl Read for RawPurpose {
    fn read(value: &JsValue) -> Result<Self> {
        let o = object(value)?;
        Ok(
            fields!(o, RawPurpose { id, basis, ground, default, clauses, title, summary, warning }
            or default { withdrawal_may_end_agreement, gpc_refuses, consent_mode, recipients }),
        )
    }
}

/// A policy block, tagged by its `type` as serde's internally tagged form writes it.
impl Read for Block {
    fn read(value: &JsValue) -> Result<Self> {
        let object = object(value)?;
        let kind: String = field(object, "type")?;
        Ok(match kind.as_str() {
            "paragraph" => fields!(object, Block::Paragraph { text }),
            "item" => fields!(
                object,
                Block::Item {
                    marker,
                    anchor,
                    text
                }
            ),
            _ => return Err(Unreadable::unknown_variant(&kind)),
        })
    }
}

/// A ledger record, `{"<kind>": {…}}`: serde's externally tagged form.
impl Read for LedgerRecord {
    fn read(value: &JsValue) -> Result<Self> {
        let entries = Object::entries(object(value)?);
        if entries.length() != 1 {
            return Err(Unreadable("not one variant".to_owned()));
        }
        let entry: Array = entries.get(0).unchecked_into();
        let kind = entry.get(0).as_string().unwrap_or_default();
        let body = entry.get(1);
        if kind == "event" {
            return UiEvent::read(&body).map(LedgerRecord::Event);
        }
        let o = object(&body)?;
        Ok(match kind.as_str() {
            "choices" => fields!(
                o,
                LedgerRecord::Choices {
                    receipt_id,
                    choices,
                    policy_version,
                    language_shown
                }
            ),
            "choices_carried_from_device" => fields!(
                o,
                LedgerRecord::ChoicesCarriedFromDevice {
                    from_device,
                    choices
                }
            ),
            "edition_accepted" => fields!(o, LedgerRecord::EditionAccepted { edition, method }),
            "withdrawal" => fields!(
                o,
                LedgerRecord::Withdrawal {
                    withdrawal_id,
                    purposes,
                    language
                }
            ),
            "data_updated" => fields!(o, LedgerRecord::DataUpdated { by, categories }),
            "staff_access" => fields!(
                o,
                LedgerRecord::StaffAccess {
                    role,
                    action,
                    reason
                }
            ),
            "edition_published" => fields!(
                o,
                LedgerRecord::EditionPublished {
                    edition,
                    published,
                    languages
                }
            ),
            _ => return Err(Unreadable::unknown_variant(&kind)),
        })
    }
}

/// Enums written as one word: read by serde's own derive from the word alone, one small copy
/// per enum.
macro_rules! read_words {
    ($($name:ty),*) => {$(
        impl Read for $name {
            fn read(value: &JsValue) -> Result<Self> {
                use serde::Deserialize;
                let word = String::read(value)?;
                <$name>::deserialize(serde::de::value::StrDeserializer::<Unreadable>::new(&word))
            }
        }
    )*};
}

read_words!(
    AcceptanceMethod,
    EventKind,
    Sensitivity,
    consent_core::api::DataSource,
    Recipient,
    StaffRole,
    StaffAction,
    ClauseChangeKind,
    WordChange,
    NecessaryGround,
    ConsentModeType,
    CategoryGroup,
    Masking
);

/// Types written as a string their own parser checks.
macro_rules! read_parsed {
    ($($name:ty => $parse:expr),* $(,)?) => {$(
        impl Read for $name {
            fn read(value: &JsValue) -> Result<Self> {
                let text = String::read(value)?;
                $parse(&text).ok_or_else(Unreadable::not_valid)
            }
        }
    )*};
}

read_parsed! {
    EditionVersion => EditionVersion::parse,
    CalendarDate => CalendarDate::parse,
    Timestamp => Timestamp::parse,
    PurposeId => |t: &str| PurposeId::parse(t).ok(),
    DataCategoryId => |t: &str| DataCategoryId::parse(t).ok(),
    DeviceId => |t: &str| DeviceId::parse(t).ok(),
    uuid::Uuid => hyphenated_uuid,
}

/// A UUID as the widget and the server write it: 36 characters, hyphenated. (The uuid crate's
/// parser also reads braced, URN and plain forms, which nothing here writes, for 1 KB of wasm.)
fn hyphenated_uuid(text: &str) -> Option<uuid::Uuid> {
    let mut bytes = [0u8; 16];
    let mut nibbles = 0;
    for (at, c) in text.bytes().enumerate() {
        if matches!(at, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let nibble = char::from(c).to_digit(16)? as u8;
        let byte = bytes.get_mut(nibbles / 2)?;
        *byte = *byte << 4 | nibble;
        nibbles += 1;
    }
    (nibbles == 32).then_some(uuid::Uuid::from_bytes(bytes))
}

/// A language is one of the variants `kk`, `ru`, `en`.
impl Read for Lang {
    fn read(value: &JsValue) -> Result<Self> {
        let code = String::read(value)?;
        Lang::parse(&code).map_err(|_| Unreadable::unknown_variant(&code))
    }
}

impl Read for String {
    fn read(value: &JsValue) -> Result<Self> {
        value.as_string().ok_or_else(Unreadable::wrong_type)
    }
}

impl Read for bool {
    fn read(value: &JsValue) -> Result<Self> {
        value.as_bool().ok_or_else(Unreadable::wrong_type)
    }
}

/// A whole number JavaScript holds exactly.
impl Read for i64 {
    fn read(value: &JsValue) -> Result<Self> {
        match value.as_f64() {
            Some(n) if js_sys::Number::is_safe_integer(value) => Ok(n as i64),
            _ => Err(Unreadable::wrong_type()),
        }
    }
}

impl Read for usize {
    fn read(value: &JsValue) -> Result<Self> {
        usize::try_from(i64::read(value)?).map_err(|_| Unreadable::wrong_type())
    }
}

/// `null`, or a field that is not there, is `None`.
impl<T: Read> Read for Option<T> {
    fn read(value: &JsValue) -> Result<Self> {
        if value.is_null() || value.is_undefined() {
            Ok(None)
        } else {
            T::read(value).map(Some)
        }
    }
}

impl<T: Read> Read for Box<T> {
    fn read(value: &JsValue) -> Result<Self> {
        T::read(value).map(Box::new)
    }
}

/// The items of a list, each read on its own.
pub fn items(value: &JsValue) -> Result<Array> {
    value
        .dyn_ref::<Array>()
        .cloned()
        .ok_or_else(Unreadable::wrong_type)
}

impl<T: Read> Read for Vec<T> {
    fn read(value: &JsValue) -> Result<Self> {
        // Pushed one by one: `collect()` into a `Result<Vec<T>>` builds an adapter per `T`.
        let mut read = Vec::new();
        for item in items(value)?.iter() {
            read.push(T::read(&item)?);
        }
        Ok(read)
    }
}

/// A pair, written as a list of two.
impl<A: Read, B: Read> Read for (A, B) {
    fn read(value: &JsValue) -> Result<Self> {
        let pair = items(value)?;
        if pair.length() != 2 {
            return Err(Unreadable::wrong_length());
        }
        Ok((A::read(&pair.get(0))?, B::read(&pair.get(1))?))
    }
}

/// An object's keys read as `K` (a purpose, a language), its values as `V`.
impl<K: Read + Ord, V: Read> Read for BTreeMap<K, V> {
    fn read(value: &JsValue) -> Result<Self> {
        // Inserted one by one: `collect()` would sort the entries first, with a sort compiled
        // anew for every pair of types (about 3 KB of wasm each).
        let mut map = BTreeMap::new();
        for entry in Object::entries(object(value)?).iter() {
            let entry: Array = entry.unchecked_into();
            map.insert(K::read(&entry.get(0))?, V::read(&entry.get(1))?);
        }
        Ok(map)
    }
}
