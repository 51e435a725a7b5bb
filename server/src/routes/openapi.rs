use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "dosmart.kz consent API", description = "Consent ledger, policy and purpose catalog, and the data-held report of AITU Sauda LLP"),
    paths(
        super::healthz,
        super::policy::current, super::policy::in_force, super::policy::by_version, super::policy::publish,
        super::catalog::purposes, super::catalog::data_categories,
        super::consents::read, super::consents::update,
        super::events::record, super::withdrawals::request,
        super::my_data::report, super::my_data::export,
        super::admin::upsert_data, super::admin::records, super::admin::verify,
        super::admin::latest_checkpoint,
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = || {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            )
        };
        components.add_security_scheme("user_token", bearer());
        components.add_security_scheme("service_token", bearer());
        components.add_security_scheme("staff_token", bearer());
        components.add_security_scheme(
            "device_id",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Consent-Device"))),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
