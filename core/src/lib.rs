//! What the widget and the server must agree on: the policy text as typed data, the catalogs of
//! purposes (2.2, 4.2) and data categories (2.3), and the bodies of the HTTP API.
//!
//! No web or server dependency may enter this crate: it is compiled for
//! `wasm32-unknown-unknown` (the widget) and natively (the server and the tests).

pub mod api;
pub mod catalog;
pub mod date;
pub mod lang;
pub mod ledger;
pub mod policy;
pub mod signals;
pub mod subject;

pub use catalog::{
    catalog, Catalog, DataCategory, DataCategoryId, LegalBasis, Masking, Purpose, PurposeId,
    Sensitivity,
};
pub use date::{CalendarDate, Timestamp};
pub use lang::Lang;
pub use ledger::LedgerRecord;
pub use policy::{editions, Block, Clause, EditionVersion, PolicyEdition, Section};
pub use subject::{DeviceId, SubjectKey, UserId};

/// Types written as JSON strings get a string schema in the OpenAPI document.
#[cfg(feature = "openapi")]
mod openapi {
    macro_rules! string_schema {
        ($($ty:ty => $example:literal),* $(,)?) => {$(
            impl utoipa::PartialSchema for $ty {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .examples([$example])
                        .into()
                }
            }
            impl utoipa::ToSchema for $ty {}
        )*};
    }

    string_schema!(
        crate::PurposeId => "contests_publicity",
        crate::DataCategoryId => "phone",
        crate::Timestamp => "2026-11-25T14:00:00.000Z",
        crate::CalendarDate => "2026-11-01",
        crate::EditionVersion => "2026-11",
        crate::UserId => "u-1042",
        crate::DeviceId => "6f9619ff-8b86-d011-b42d-00c04fc964ff",
    );
}
