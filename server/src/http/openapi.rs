//! The API contract: the OpenAPI document, assembled from the handlers' annotations. The sets of
//! error answers each operation lists live with the errors ([`crate::error`]): the handlers
//! import them from there, never from here.

use axum::extract::State;
use axum::Json;
use consent_core::catalog;
use serde_json::{json, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "dosmart.kz consent API", description = "Consent ledger, policy and purpose catalog, and the data-held report of AITU Sauda LLP. Every error is an `ErrorBody`: a stable `error` code and a `message` for people."),
    paths(
        super::health::healthz,
        super::policy::current, super::policy::in_force, super::policy::by_version, super::policy::source, super::policy::changes, super::policy::publish,
        super::receipts::jwks,
        super::catalog::purposes, super::catalog::data_categories, super::catalog::whole, super::catalog::texts,
        super::consents::read, super::consents::update,
        super::events::record, super::withdrawals::request,
        super::my_data::report, super::my_data::export, super::my_data::receipt,
        super::admin::upsert_data, super::admin::records, super::admin::verify, super::admin::alerts, super::admin::agreement_ended, super::admin::agreement_end_cancelled,
        super::admin::latest_checkpoint,
    ),
    components(schemas(consent_core::UserId)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(what))
                    .build(),
            )
        };
        components.add_security_scheme("user_token", bearer("A signed-in user's token from the site or the app (HS256, audience `dosmart-consent`)"));
        components.add_security_scheme(
            "service_token",
            bearer("A token of the company's own systems (audience `dosmart-consent-service`)"),
        );
        components.add_security_scheme(
            "staff_token",
            bearer("A staff member's token with a role (audience `dosmart-consent-staff`)"),
        );
        let header = |name: &str, what: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, what)))
        };
        components.add_security_scheme(
            "device_id",
            header(
                "X-Consent-Device",
                "An anonymous device's id, as the server issued it (a UUID)",
            ),
        );
        components.add_security_scheme(
            "device_proof",
            header(
                "X-Consent-Device-Proof",
                "The proof the server issued with the device id",
            ),
        );
    }
}

/// The document as the server answers now: the editions a request may name are the ones
/// published so far.
pub async fn document(State(app): State<AppState>) -> Json<Value> {
    let editions: Vec<String> = app
        .editions
        .read()
        .await
        .versions()
        .into_iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    Json(contract(&editions))
}

/// What the derive cannot say: which values exist right now (editions), which purposes may be
/// refused, and a rule between two fields of an event.
pub fn contract(editions: &[String]) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serialises");
    let schemas = &mut doc["components"]["schemas"];
    let (necessary, optional): (Vec<_>, Vec<_>) =
        catalog().purposes.iter().partition(|p| p.is_necessary());
    // Necessary purposes can be granted but never refused (2.7).
    let mut choices = serde_json::Map::new();
    for p in &optional {
        choices.insert(p.id.as_str().to_owned(), json!({ "type": "boolean" }));
    }
    for p in &necessary {
        choices.insert(
            p.id.as_str().to_owned(),
            json!({ "type": "boolean", "const": true, "description": "Necessary (2.7): only `true`" }),
        );
    }
    schemas["ConsentUpdate"]["properties"]["choices"] = json!({
        "type": "object",
        "description": "Granted or refused, purpose by purpose: at least one.",
        "properties": choices,
        "additionalProperties": false,
        "minProperties": 1,
    });
    let existing =
        json!({ "type": "string", "enum": editions, "description": "A published edition" });
    schemas["ConsentUpdate"]["properties"]["policy_version"] = existing.clone();
    schemas["WithdrawalRequest"]["properties"]["purposes"] = json!({
        "type": "array",
        "description": "Consent purposes to withdraw (2.6): at least one; necessary ones cannot be (2.7).",
        "items": { "type": "string", "enum": optional.iter().map(|p| p.id.as_str()).collect::<Vec<_>>() },
        "minItems": 1,
    });
    // An acceptance names the edition it accepts.
    let event = &mut schemas["UiEvent"];
    event["properties"]["edition"] = json!({ "oneOf": [{ "type": "null" }, existing] });
    event["if"] = json!({ "properties": { "kind": { "const": "policy_accepted_by_button" } }, "required": ["kind"] });
    event["then"] = json!({ "required": ["edition"], "properties": { "edition": existing } });
    answer_limits_everywhere(&mut doc);
    doc
}

/// What any operation may answer, whatever it does: over a rate limit, or past the deadline.
fn answer_limits_everywhere(doc: &mut Value) {
    let error =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } });
    let limited = json!({
        "description": "Too many requests from this device, user or address (`rate_limited`): wait the `Retry-After` seconds",
        "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds to wait" } },
        "content": error,
    });
    let timed_out = json!({
        "description": "The request ran past the server's deadline (`timed_out`); send it again with the same `Idempotency-Key`",
        "content": error,
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|path| path.values_mut())
        .filter_map(Value::as_object_mut);
    for operation in operations {
        let Some(responses) = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        responses.entry("429").or_insert_with(|| limited.clone());
        responses.entry("503").or_insert_with(|| timed_out.clone());
    }
}
