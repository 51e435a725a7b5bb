use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{
    ConsentState, Export, HeldCategory, LedgerEntry, MyData, ReceiptDownload, Recipient,
};
use consent_core::catalog::Masking;
use consent_core::{catalog, DataCategory, Lang, PurposeId};

use super::extract::LangQuery;
use super::extract::{PathOf, QueryOf};
use crate::auth::{AuthenticatedUser, DeviceId, Subject, UserId};
use crate::consents::state_in;
use crate::error::{ApiError, ApiResult, QueryRefused, StoreFailed, TokenRefused};
use crate::state::AppState;
use crate::store::held::HeldValue;
use crate::store::StoreError;
use crate::store::{audit, held, subjects, withdrawals};
use crate::store::{ledger, Origin};
use crate::texts;
use crate::visits::Visit;

/// What is held about the signed-in user, by category of 2.3, masked where it must be.
#[utoipa::path(get, path = "/v1/me/data", params(LangQuery),
    responses((status = 200, description = "The data-held report", body = MyData), TokenRefused, QueryRefused, StoreFailed),
    security(("user_token" = [])))]
pub async fn report(
    State(app): State<AppState>,
    user: AuthenticatedUser,
    origin: Origin,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Json<MyData>> {
    let lang = q.lang()?;
    let subject = Subject::User {
        id: user.id.clone(),
        device: None,
    };
    let consents = Visit::prepare(&app.editions, &subject, &origin)
        .await
        .record_alone(&app.store)
        .await?;
    Ok(Json(
        data_held(&app, &user.id, lang, true, Some(consents)).await?,
    ))
}

/// One of the user's signed receipts again, with a text of it in their language.
#[utoipa::path(get, path = "/v1/me/receipts/{id}", params(("id" = String, Path), LangQuery),
    responses((status = 200, description = "The receipt and its readable text", body = ReceiptDownload), (status = 404, description = "No such receipt of this user (`not_found`)", body = consent_core::api::ErrorBody), TokenRefused, QueryRefused, StoreFailed),
    security(("user_token" = [])))]
pub async fn receipt(
    State(app): State<AppState>,
    user: AuthenticatedUser,
    WithRejection(Path(id), _): PathOf<String>,
    WithRejection(Query(q), _): QueryOf<LangQuery>,
) -> ApiResult<Json<ReceiptDownload>> {
    let lang = q.lang()?;
    let key = user.id.subject().to_string();
    let not_found = || ApiError::NotFound("you have no receipt with this id".into());
    let jws = crate::receipts::kept(&app.store, &key, &id)
        .await?
        .ok_or_else(not_found)?;
    let claims = crate::receipts::claims_of(&jws).ok_or_else(|| {
        ApiError::Store(StoreError::Corrupt("a kept receipt does not read".into()))
    })?;
    Ok(Json(ReceiptDownload {
        receipt_id: id,
        text: texts::receipt_text(lang, &claims, &jws),
        signed: jws,
    }))
}

/// All of it, unmasked, as a download.
#[utoipa::path(get, path = "/v1/me/export",
    responses((status = 200, description = "A JSON file, as a download", body = Export), TokenRefused, StoreFailed),
    security(("user_token" = [])))]
pub async fn export(State(app): State<AppState>, user: AuthenticatedUser) -> ApiResult<Response> {
    let report = data_held(&app, &user.id, Lang::En, false, None).await?;
    let key = user.id.subject().to_string();
    let body = Export {
        export_of: report.subject.clone(),
        data: report,
        withdrawals: withdrawals::withdrawals_of(&app.store, &key).await?,
        staff_access: audit::audit_of(&app.store, &key, audit::StaffNamed::Unnamed).await?,
    };
    let filename = format!(
        "dosmart-my-data-{}.json",
        crate::clock::now().kazakhstan_date()
    );
    Ok((
        [
            (CONTENT_TYPE, "application/json".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        serde_json::to_string_pretty(&body).expect("the report serialises"),
    )
        .into_response())
}

/// The report for `user_id`; `masked` for the screen, unmasked for the export and for staff.
/// `consents` is the user's state as the caller's own write just left it, when it made one.
pub async fn data_held(
    app: &AppState,
    user_id: &UserId,
    lang: Lang,
    masked: bool,
    consents: Option<ConsentState>,
) -> ApiResult<MyData> {
    let key = user_id.subject().to_string();
    // Every read on one connection: taken once from the pool, not once a read.
    let mut conn = app.store.pool().acquire().await.map_err(StoreError::from)?;
    let consents = match consents {
        Some(consents) => consents,
        None => {
            let editions = app.editions.read().await.at(crate::clock::now());
            state_in(&mut conn, &editions, &key).await?
        }
    };
    let mut held = held::held(&mut conn, user_id.as_str()).await?;
    let categories = catalog()
        .categories
        .iter()
        .map(|category| {
            let value = held.remove(&category.id);
            let purposes: Vec<PurposeId> = category
                .purposes
                .iter()
                .copied()
                .filter(|p| consents.granted(*p))
                .collect();
            HeldCategory {
                category: category.id,
                name: category.name.get(lang).to_owned(),
                sensitivity: category.sensitivity,
                held: value.is_some(),
                since: value.as_ref().map(|v| v.since),
                source: value.as_ref().map(|v| v.source),
                value: value.map(|v| {
                    if masked {
                        shown_value(category, &v, lang)
                    } else {
                        v.value
                    }
                }),
                recipients: recipients(&purposes),
                purposes,
            }
        })
        .collect();
    Ok(MyData {
        subject: key.clone(),
        generated_at: crate::clock::now(),
        storage_location: texts::storage_location(lang).to_owned(),
        retention: texts::retention(lang).to_owned(),
        categories,
        consents,
        consent_history: history(&mut conn, user_id, &key).await?,
    })
}

/// The user's ledger and what the devices they signed in from recorded before they did: it
/// holds IP addresses and user agents, personal data too. What a device recorded after its
/// link is someone else's on the same browser, signed out, and never joins this account.
async fn history(
    conn: &mut sqlx::AnyConnection,
    user_id: &UserId,
    key: &str,
) -> ApiResult<Vec<LedgerEntry>> {
    let mut entries = ledger::entries(conn, key).await?;
    for (device, linked_at) in subjects::linked_devices(conn, user_id.as_str()).await? {
        let device = DeviceId::parse(&device)
            .map_err(|e| StoreError::Corrupt(format!("a linked device: {e}")))?;
        let before_link = ledger::entries(conn, &device.subject().to_string())
            .await?
            .into_iter()
            .filter(|e| e.at <= linked_at);
        entries.extend(before_link);
    }
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

/// Who receives data used for these purposes (2.2.7, 4.1–4.2): each recipient once.
fn recipients(purposes: &[PurposeId]) -> Vec<Recipient> {
    let mut out = Vec::new();
    for purpose in purposes {
        for r in &catalog().purpose_by_id(*purpose).recipients {
            if !out.contains(r) {
                out.push(*r);
            }
        }
    }
    out
}

fn shown_value(category: &DataCategory, held: &HeldValue, lang: Lang) -> String {
    match category.masking {
        Masking::None => held.value.clone(),
        Masking::Partial => mask_partially(&held.value),
        Masking::OnFileSince => texts::on_file_since(lang, held.since.kazakhstan_date()),
    }
}

/// Enough to recognise one's own phone or email, not enough to copy it:
/// `+7 701 234 56 78` → `+7 7•• ••• •• 78`, `aigerim@mail.kz` → `a•••@mail.kz`.
pub fn mask_partially(value: &str) -> String {
    if let Some((local, domain)) = value.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}•••@{domain}");
    }
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 2 || seen > digits.saturating_sub(2) {
                c
            } else {
                '•'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask_partially;

    #[test]
    fn phones_and_emails_are_partly_hidden() {
        assert_eq!(mask_partially("+7 701 234 56 78"), "+7 7•• ••• •• 78");
        assert_eq!(mask_partially("aigerim@mail.kz"), "a•••@mail.kz");
    }
}
