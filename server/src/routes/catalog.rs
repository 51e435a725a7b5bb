use axum::extract::{Query, State};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{ClauseLink, DataCategoryView, PurposeView};
use consent_core::{catalog, LegalBasis};

use super::openapi::QueryRefused;
use super::LangQuery;
use crate::error::ApiResult;
use crate::json::QueryOf;
use crate::AppState;

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
