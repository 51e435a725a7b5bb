use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{ClauseLink, DataCategoryView, PurposeView};
use consent_core::catalog::{self, catalog};
use consent_core::{Lang, LegalBasis};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::extract::LangQuery;
use super::extract::QueryOf;
use crate::error::{ApiResult, QueryRefused};
use crate::state::AppState;

/// The purposes of 2.2 and 4.2, with the anchors of their clauses in the current edition.
#[utoipa::path(get, path = "/v1/purposes", params(LangQuery), responses((status = 200, description = "The purpose catalog", body = Vec<PurposeView>), QueryRefused))]
pub async fn purposes(
    State(app): State<AppState>,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Json<Vec<PurposeView>>> {
    let lang = q.lang()?;
    let editions = app.editions.read().await;
    let current = editions.current(crate::clock::now().kazakhstan_date());
    let edition = editions
        .get(&current.version, lang)
        .expect("the current edition exists");
    let views = catalog()
        .purposes
        .iter()
        .map(|p| PurposeView {
            id: p.id,
            necessary: p.is_necessary(),
            ground: match p.basis {
                LegalBasis::Necessary(ground) => Some(ground),
                LegalBasis::Consent => None,
            },
            default_granted: p.default_granted(),
            title: p.title.get(lang).to_owned(),
            summary: p.summary.get(lang).to_owned(),
            clause_language: edition.language,
            clauses: p
                .clauses_in(edition.language)
                .iter()
                .filter_map(|reference| {
                    Some(ClauseLink {
                        reference: reference.clone(),
                        anchor: edition.resolve(reference)?.to_owned(),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(Json(views))
}

#[utoipa::path(get, path = "/v1/data-categories", params(LangQuery), responses((status = 200, description = "The data categories of 2.3", body = Vec<DataCategoryView>), QueryRefused))]
pub async fn data_categories(
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Json<Vec<DataCategoryView>>> {
    let lang = q.lang()?;
    Ok(Json(
        catalog()
            .categories
            .iter()
            .map(|c| DataCategoryView {
                id: c.id,
                name: c.name.get(lang).to_owned(),
                group: c.group,
                sensitivity: c.sensitivity,
                masking: c.masking,
            })
            .collect(),
    ))
}

/// What the widget reads before it can say anything: both catalogs whole, every language's titles
/// and summaries and what [`purposes`] leaves out (recipients, Consent Mode types, the Global
/// Privacy Control refusals, warnings). The widget's wasm carries no catalog of its own, so it
/// and the server can never disagree on one.
#[utoipa::path(get, path = "/v1/catalog",
    responses((status = 200, description = "The purposes of 2.2 and 4.2 and the data categories of 2.3, as the widget reads them: `{\"purposes\": […], \"categories\": […]}`", body = Object)))]
pub async fn whole() -> Response {
    // Built once: it cannot change while the process runs.
    static SERVED: OnceLock<String> = OnceLock::new();
    shared_for_a_while(SERVED.get_or_init(catalog::served_json))
}

/// The widget's own words in one language: a visitor fetches the language they read, not all
/// three.
#[utoipa::path(get, path = "/v1/texts", params(LangQuery),
    responses((status = 200, description = "Every word of the widget in the language asked for, by key", body = std::collections::BTreeMap<String, String>), QueryRefused))]
pub async fn texts(WithRejection(Query(q), _): QueryOf<LangQuery>) -> ApiResult<Response> {
    static SERVED: OnceLock<BTreeMap<Lang, String>> = OnceLock::new();
    let served = SERVED.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|lang| (lang, consent_core::words::served_json(lang)))
            .collect()
    });
    Ok(shared_for_a_while(&served[&q.lang()?]))
}

/// Cacheable by anyone for five minutes: a deploy that changes them reaches every visitor
/// within that time, as a new edition does.
fn shared_for_a_while(body: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}
