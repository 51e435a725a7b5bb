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
mod maps;
pub mod policy;
pub mod receipt;
pub mod signals;
pub mod subject;
pub mod words;

pub use catalog::{
    catalog, Catalog, DataCategory, DataCategoryId, LegalBasis, Masking, Purpose, PurposeId,
    Sensitivity,
};
pub use date::{CalendarDate, Timestamp};
pub use lang::Lang;
pub use ledger::LedgerRecord;
pub use maps::map_by_insertion;
pub use policy::{editions, Block, Clause, EditionVersion, PolicyEdition, Section};
pub use subject::{DeviceId, SubjectKey, UserId};

/// Types written as JSON strings get a string schema in the OpenAPI document, saying exactly
/// which strings the type accepts.
#[cfg(feature = "openapi")]
mod openapi {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
    use utoipa::openapi::RefOr;

    macro_rules! string_schema {
        ($($ty:ty => $build:expr),* $(,)?) => {$(
            impl utoipa::PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    let build: fn(ObjectBuilder) -> ObjectBuilder = $build;
                    build(ObjectBuilder::new().schema_type(Type::String)).into()
                }
            }
            impl utoipa::ToSchema for $ty {}
        )*};
    }

    string_schema!(
        crate::PurposeId => |s| s.enum_values(Some(crate::catalog().purposes.iter().map(|p| p.id.as_str()))),
        crate::DataCategoryId => |s| s.enum_values(Some(crate::catalog().categories.iter().map(|c| c.id.as_str()))),
        crate::Timestamp => |s| s
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339; answers are in UTC with milliseconds")),
        crate::CalendarDate => |s| s.format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        crate::EditionVersion => |s| s.pattern(Some("^[A-Za-z0-9.-]{1,32}$")).examples(["2026-11"]),
        crate::UserId => |s| s
            .pattern(Some("^[^\\u0000-\\u001f\\u007f-\\u009f]{1,128}$"))
            .examples(["u-1042"]),
        crate::DeviceId => |s| s.format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
    );
}
