use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_LANGUAGE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{
    EditionChanges, EditionDates, EditionPublication, ErrorBody, PolicyResponse,
};
use consent_core::{EditionVersion, Lang, PolicyEdition};

use super::extract::LangQuery;
use super::extract::{JsonBody, PathOf, QueryOf};
use crate::auth::{Staff, StaffRole};
use crate::error::{ApiError, ApiResult, BodyRefused, QueryRefused, StaffRefused, StoreFailed};
use crate::state::AppState;
use crate::store::editions;

/// The edition in force, in the requested language (en and missing translations fall back to a
/// published language; `Content-Language` says which).
#[utoipa::path(get, path = "/v1/policy", params(LangQuery),
    responses((status = 200, description = "The current edition", body = PolicyResponse), QueryRefused))]
pub async fn current(
    State(app): State<AppState>,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Response> {
    let lang = q.lang()?;
    let version = app
        .editions
        .read()
        .await
        .current(crate::clock::now().kazakhstan_date())
        .version
        .clone();
    respond(&app, &version, lang).await
}

/// Only which edition is in force: a few bytes, cacheable, asked by the loader on every page
/// view of a returning visitor to notice a new edition without loading the widget.
#[utoipa::path(get, path = "/v1/policy/current",
    responses((status = 200, description = "The edition in force", body = EditionDates)))]
pub async fn in_force(State(app): State<AppState>) -> Response {
    let editions = app.editions.read().await;
    let current = editions.current(crate::clock::now().kazakhstan_date());
    let body = EditionDates {
        version: current.version.clone(),
        published: current.published,
        deemed_accepted_from: current.deemed_accepted_from(),
    };
    // A new edition reaches every visitor within five minutes of its publication date.
    let cache = HeaderValue::from_static("public, max-age=300");
    ([(axum::http::header::CACHE_CONTROL, cache)], Json(body)).into_response()
}

#[utoipa::path(get, path = "/v1/policy/{version}", params(("version" = EditionVersion, Path, example = "2026-11"), LangQuery),
    responses((status = 200, description = "That edition", body = PolicyResponse), (status = 404, description = "No such edition (`not_found`)", body = ErrorBody), QueryRefused))]
pub async fn by_version(
    State(app): State<AppState>,
    WithRejection(Path(version), _): PathOf<String>,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Response> {
    let lang = q.lang()?;
    let version = EditionVersion::parse(&version).ok_or_else(|| {
        ApiError::NotFound(format!("there is no policy edition `{}`", short(&version)))
    })?;
    respond(&app, &version, lang).await
}

/// An edition's Markdown exactly as published in kk or ru: what a receipt's notice hash
/// (SHA-256) covers, so that anyone can recompute it.
#[utoipa::path(get, path = "/v1/policy/{version}/source", params(("version" = EditionVersion, Path, example = "2026-11"), LangQuery),
    responses((status = 200, description = "The Markdown source", body = String, content_type = "text/markdown"), (status = 404, description = "No such edition, or not published in that language (`not_found`)", body = ErrorBody), QueryRefused, StoreFailed))]
pub async fn source(
    State(app): State<AppState>,
    WithRejection(Path(version), _): PathOf<String>,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Response> {
    let lang = q.lang()?;
    let missing = || {
        ApiError::NotFound(format!(
            "there is no source of policy edition `{}` in `{}` (the policy is published in kk and ru)",
            short(&version),
            lang.code()
        ))
    };
    let known = EditionVersion::parse(&version).ok_or_else(missing)?;
    let text = editions::edition_source(&app.store, known.as_str(), lang)
        .await?
        .ok_or_else(missing)?;
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/markdown; charset=utf-8"),
        ),
        (CONTENT_LANGUAGE, HeaderValue::from_static(lang.code())),
        // A published edition never changes.
        (
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ),
    ];
    Ok((headers, text).into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The edition compared with, e.g. the one the user accepted.
    #[param(value_type = String, example = "2026-11")]
    from: Option<String>,
    /// kk, ru or en (en: the Russian text); kk when absent.
    #[param(value_type = Option<Lang>)]
    lang: Option<String>,
}

/// What changed from edition `from` to `version`, clause by clause, with the changed words
/// marked, in the published language nearest to `lang`.
#[utoipa::path(get, path = "/v1/policy/{version}/changes", params(("version" = EditionVersion, Path, example = "2026-12"), ChangesQuery),
    responses((status = 200, description = "The clauses added, removed or changed", body = EditionChanges), (status = 404, description = "No such edition (`not_found`)", body = ErrorBody), QueryRefused))]
pub async fn changes(
    State(app): State<AppState>,
    WithRejection(Path(version), _): PathOf<String>,
    WithRejection(Query(q), _): QueryOf<ChangesQuery>,
) -> ApiResult<Json<EditionChanges>> {
    let lang = LangQuery { lang: q.lang }.lang()?;
    let from = q
        .from
        .ok_or_else(|| ApiError::Invalid("say which edition to compare with: `?from=`".into()))?;
    // Copies out of the lock: the comparison may take a while, and must not hold up others.
    let (old, new) = {
        let editions = app.editions.read().await;
        let today = crate::clock::now().kazakhstan_date();
        let edition = |text: &str| {
            EditionVersion::parse(text)
                .and_then(|v| editions.get(&v, lang))
                .filter(|e| e.published <= today)
                .cloned()
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "there is no published policy edition `{}`",
                        short(text)
                    ))
                })
        };
        (edition(&from)?, edition(&version)?)
    };
    let clauses = app.comparisons.between(&old, &new).await;
    Ok(Json(EditionChanges {
        from: old.version,
        to: new.version,
        language: new.language,
        clauses: clauses.as_ref().clone(),
    }))
}

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

async fn respond(app: &AppState, version: &EditionVersion, lang: Lang) -> ApiResult<Response> {
    let editions = app.editions.read().await;
    let edition = editions
        .get(version, lang)
        .ok_or_else(|| ApiError::NotFound(format!("there is no policy edition `{version}`")))?;
    let current = editions
        .current(crate::clock::now().kazakhstan_date())
        .version
        == *version;
    let body = PolicyResponse {
        version: edition.version.clone(),
        published: edition.published,
        deemed_accepted_from: edition.deemed_accepted_from(),
        current,
        requested_language: lang,
        language: edition.language,
        edition: edition.clone(),
    };
    let language = HeaderValue::from_static(edition.language.code());
    Ok(([(CONTENT_LANGUAGE, language)], Json(body)).into_response())
}

/// Staff (policy editors) publish a new edition: its Markdown in kk and in ru. From its
/// publication date it is current, and every earlier acceptance is out of date (1.5).
#[utoipa::path(post, path = "/v1/admin/editions", request_body = EditionPublication,
    responses((status = 201, description = "Published", body = EditionDates), BodyRefused, StaffRefused, StoreFailed),
    security(("staff_token" = [])))]
pub async fn publish(
    State(app): State<AppState>,
    staff: Staff,
    WithRejection(Json(body), _): JsonBody<EditionPublication>,
) -> ApiResult<(axum::http::StatusCode, Json<EditionDates>)> {
    staff.require(&[StaffRole::PolicyEditor])?;
    let editions = parse_publication(&body)?;
    let first = &editions[0];
    if app.editions.read().await.exists(&first.version) {
        return Err(ApiError::Invalid(format!(
            "edition `{}` is already published",
            first.version
        )));
    }
    let now = crate::clock::now();
    // A date in the past would skip the 7 days' notice of 1.6 for everyone.
    if first.published < now.kazakhstan_date() {
        return Err(ApiError::Invalid(format!(
            "an edition cannot be published on a past date: {} is before today ({}, Kazakhstan time)",
            first.published,
            now.kazakhstan_date()
        )));
    }
    let (version, published, deemed) = (
        first.version.clone(),
        first.published,
        first.deemed_accepted_from(),
    );
    let sources: Vec<(Lang, &str)> = body
        .sources
        .iter()
        .map(|(lang, source)| (*lang, source.as_str()))
        .collect();
    let mut tx = app.store.begin().await?;
    crate::editions::publish_edition(&mut tx, &editions, now).await?;
    editions::keep_sources(&mut tx, version.as_str(), &sources).await?;
    tx.commit().await?;
    let hashes = sources
        .iter()
        .map(|(lang, source)| (*lang, crate::store::sha256_hex(source.as_bytes())))
        .collect();
    app.editions.write().await.add(editions, hashes);
    tracing::info!(edition = %version, "policy edition published");
    let body = EditionDates {
        version,
        published,
        deemed_accepted_from: deemed,
    };
    Ok((axum::http::StatusCode::CREATED, Json(body)))
}

fn parse_publication(body: &EditionPublication) -> ApiResult<Vec<PolicyEdition>> {
    let mut editions = Vec::new();
    for lang in [Lang::Kk, Lang::Ru] {
        let source = body.sources.get(&lang).ok_or_else(|| {
            ApiError::Invalid(format!(
                "an edition is published in kk and ru: `{lang}` is missing"
            ))
        })?;
        let edition = PolicyEdition::parse(source)
            .map_err(|e| ApiError::Invalid(format!("the {lang} text: {e}")))?;
        if edition.language != lang {
            return Err(ApiError::Invalid(format!(
                "the {lang} text says it is in `{}`",
                edition.language
            )));
        }
        editions.push(edition);
    }
    if body.sources.contains_key(&Lang::En) {
        return Err(ApiError::Invalid(
            "the policy is published in kk and ru only".into(),
        ));
    }
    if editions[0].version != editions[1].version || editions[0].published != editions[1].published
    {
        return Err(ApiError::Invalid(
            "kk and ru must have the same edition and publication date".into(),
        ));
    }
    Ok(editions)
}
