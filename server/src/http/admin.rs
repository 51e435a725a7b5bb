use axum::extract::{Path, Query, State};
use axum::Json;
use axum_extra::extract::WithRejection;
use consent_core::api::{ChainReport, DataStored, ErrorBody, StaffRecords, SubjectDataUpsert};
use consent_core::ledger::StaffAction;
use consent_core::{Lang, LedgerRecord};
use serde::Deserialize;

use super::extract::bounded_text;
use super::extract::{JsonBody, PathOf, QueryOf};
use super::my_data::data_held;
use crate::alerts::AlertPage;
use crate::auth::{ServiceCaller, Staff, StaffRole, UserId};
use crate::error::{
    ApiError, ApiResult, BodyRefused, QueryRefused, StaffRefused, StoreFailed, TokenRefused,
};
use crate::ledger::checkpoint::{self, PublishedCheckpoint};
use crate::state::AppState;
use crate::store::audit::AuditEntry;
use crate::store::held::HeldValue;
use crate::store::ledger;
use crate::store::{audit, held};
use consent_core::date::DAY_MS;

fn user_id(raw: &str) -> ApiResult<UserId> {
    UserId::parse(raw).map_err(|e| ApiError::Invalid(e.to_string()))
}

/// The company's systems upsert what they hold about a user (2.3–2.4).
#[utoipa::path(put, path = "/v1/admin/subjects/{user}/data", params(("user" = UserId, Path)),
    request_body = SubjectDataUpsert,
    responses((status = 200, description = "Stored", body = DataStored), BodyRefused, TokenRefused, QueryRefused, StoreFailed),
    security(("service_token" = [])))]
pub async fn upsert_data(
    State(app): State<AppState>,
    caller: ServiceCaller,
    WithRejection(Path(user), _): PathOf<String>,
    WithRejection(Json(body), _): JsonBody<SubjectDataUpsert>,
) -> ApiResult<Json<DataStored>> {
    let user = user_id(&user)?;
    if body.items.is_empty() {
        return Err(ApiError::Invalid("`items` is empty".into()));
    }
    for (i, item) in body.items.iter().enumerate() {
        bounded_text(&format!("items[{i}].value"), &item.value)?;
    }
    let now = crate::clock::now();
    let mut tx = app.store.begin().await?;
    for item in &body.items {
        let held = HeldValue {
            value: item.value.clone(),
            source: item.source,
            since: item.since.unwrap_or(now),
        };
        held::upsert_held(&mut tx, user.as_str(), item.category, &held, now).await?;
    }
    // The ledger notes which categories changed, never their values.
    let note = LedgerRecord::DataUpdated {
        by: caller.name,
        categories: body.items.iter().map(|i| i.category).collect(),
    };
    ledger::append(&mut tx, &user.subject().to_string(), now, &note, None).await?;
    tx.commit().await?;
    Ok(Json(DataStored {
        stored: body.items.len(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Reason {
    /// Why staff look at the records: written to the audit log (3.5). Not blank, at most 2000
    /// characters.
    #[param(required = true, min_length = 1, max_length = 2000, pattern = "[^\\s]")]
    reason: Option<String>,
}

impl Reason {
    fn is_missing(&self) -> bool {
        self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    }

    fn required(&self) -> ApiResult<&str> {
        let reason = self.reason.as_deref().ok_or_else(|| {
            ApiError::Invalid("say why you look at the records: `?reason=`".into())
        })?;
        bounded_text("reason", reason)?;
        Ok(reason)
    }
}

/// Staff look at a user's records, unmasked; the look is audited first: who, whose, when, why.
/// The audit trail names the staff who looked only to a privacy officer.
#[utoipa::path(get, path = "/v1/admin/subjects/{user}/records", params(("user" = UserId, Path), Reason),
    responses((status = 200, description = "The records and their audit trail", body = StaffRecords), StaffRefused, QueryRefused, StoreFailed),
    security(("staff_token" = [])))]
pub async fn records(
    State(app): State<AppState>,
    staff: Staff,
    WithRejection(Path(user), _): PathOf<String>,
    WithRejection(Query(reason), _): QueryOf<Reason>,
) -> ApiResult<Json<StaffRecords>> {
    let allowed = [StaffRole::Support, StaffRole::PrivacyOfficer];
    let (user, key) = audited_look(
        &app,
        &staff,
        &allowed,
        &user,
        reason,
        StaffAction::ReadRecords,
    )
    .await?;
    let report = data_held(&app, &user, Lang::En, false, None).await?;
    // Who looked is for the privacy officer; support sees the role and the reason.
    let named = if staff.role == StaffRole::PrivacyOfficer {
        audit::StaffNamed::Named
    } else {
        audit::StaffNamed::Unnamed
    };
    let audit_log = audit::audit_of(&app.store, &key, named).await?;
    Ok(Json(StaffRecords {
        records: report,
        audit_log,
    }))
}

/// Checks the user's ledger chain and names the first broken link.
#[utoipa::path(get, path = "/v1/admin/subjects/{user}/verify", params(("user" = UserId, Path), Reason),
    responses((status = 200, description = "The chain report", body = ChainReport), StaffRefused, QueryRefused, StoreFailed),
    security(("staff_token" = [])))]
pub async fn verify(
    State(app): State<AppState>,
    staff: Staff,
    WithRejection(Path(user), _): PathOf<String>,
    WithRejection(Query(reason), _): QueryOf<Reason>,
) -> ApiResult<Json<ChainReport>> {
    let allowed = [StaffRole::PrivacyOfficer];
    let (_, key) = audited_look(
        &app,
        &staff,
        &allowed,
        &user,
        reason,
        StaffAction::VerifyLedger,
    )
    .await?;
    Ok(Json(checkpoint::verify_subject(&app.store, &key).await?))
}

/// A member of staff looks at a user's records: only in an allowed role, only with a reason,
/// and never without a trace (3.2, 3.5): who, whose, when and why in the audit log; and a read
/// of the records also in the user's own chain, with the role and the reason, which the user
/// sees in "my data". (A verification reads hashes, no personal data, and must not add to the
/// chain it checks.) Gives the user and their key.
async fn audited_look(
    app: &AppState,
    staff: &Staff,
    allowed: &[StaffRole],
    user: &str,
    reason: Reason,
    action: StaffAction,
) -> ApiResult<(UserId, String)> {
    staff.require(allowed)?;
    let user = user_id(user)?;
    if reason.is_missing() {
        crate::alerts::read_without_reason(&app.store, &staff.id).await?;
    }
    let reason = reason.required()?;
    let key = user.subject().to_string();
    let now = crate::clock::now();
    let mut tx = app.store.begin().await?;
    let entry = AuditEntry {
        staff: &staff.id,
        role: staff.role,
        subject: &key,
        action,
        reason,
        at: now,
    };
    audit::insert_audit(&mut tx, &entry).await?;
    if action == StaffAction::ReadRecords {
        let look = LedgerRecord::StaffAccess {
            role: staff.role,
            action,
            reason: reason.to_owned(),
        };
        ledger::append(&mut tx, &key, now, &look, None).await?;
    }
    tx.commit().await?;
    if action == StaffAction::ReadRecords {
        crate::alerts::after_staff_read(&app.store, app.alert_rules, &staff.id, now).await?;
    }
    Ok((user, key))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Where the previous page ended (its `next`); the newest alerts without it.
    #[param(
        pattern = r"^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    before: Option<String>,
    /// Alerts on a page, 1 to 500; 100 without it.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Unusual staff access, newest first, page by page (3.2.2): for the privacy officer. Every
/// alert is kept.
#[utoipa::path(get, path = "/v1/admin/alerts", params(AlertsQuery),
    responses((status = 200, description = "A page of alerts, newest first, and how many there are", body = AlertPage), QueryRefused, StaffRefused, StoreFailed),
    security(("staff_token" = [])))]
pub async fn alerts(
    State(app): State<AppState>,
    staff: Staff,
    WithRejection(Query(q), _): QueryOf<AlertsQuery>,
) -> ApiResult<Json<AlertPage>> {
    staff.require(&[StaffRole::PrivacyOfficer])?;
    let before = match q.before.as_deref() {
        Some(text) => Some(crate::alerts::Cursor::parse(text).ok_or_else(|| {
            ApiError::Invalid("`before` is the `next` of a page of alerts".into())
        })?),
        None => None,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::Invalid("`limit` is 1 to 500".into()));
    }
    Ok(Json(
        crate::alerts::page(&app.store, before.as_ref(), limit).await?,
    ))
}

/// The latest signed checkpoint of the ledger, to publish: a digest of every chain's head,
/// its Ed25519 signature and the public key. It names no one.
#[utoipa::path(get, path = "/v1/checkpoints/latest",
    responses((status = 200, description = "The latest checkpoint", body = PublishedCheckpoint), (status = 404, description = "No checkpoint yet (`not_found`)", body = ErrorBody), StoreFailed))]
pub async fn latest_checkpoint(
    State(app): State<AppState>,
) -> ApiResult<Json<PublishedCheckpoint>> {
    let latest = checkpoint::latest(&app.store)
        .await?
        .ok_or_else(|| ApiError::NotFound("no checkpoint has been made yet".into()))?;
    Ok(Json(latest.published(&app.store)))
}

/// The end of a user's agreement with the company, from its own systems.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementEnd {
    /// When the agreement ended (RFC 3339); not in the future.
    pub at: consent_core::Timestamp,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AgreementEndRecorded {
    pub ended_at: consent_core::Timestamp,
    /// From then on, the daily purge erases everything held about the user (2.5: the
    /// agreement's term plus 3 years), leaving a signed, anonymous proof of their consent;
    /// never sooner than the grace period after the report, within which it can be cancelled.
    pub erased_after: consent_core::Timestamp,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AgreementEndCancelled {
    pub cancelled: bool,
}

/// How far ahead of this server's clock a reported end may be: clocks differ.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// The company's systems report that a user's agreement ended: the 3 years of 2.5 start.
#[utoipa::path(post, path = "/v1/admin/subjects/{user}/agreement-ended", params(("user" = UserId, Path)),
    request_body = AgreementEnd,
    responses((status = 200, description = "Recorded: when the user's data will be erased", body = AgreementEndRecorded), BodyRefused, TokenRefused, QueryRefused, StoreFailed),
    security(("service_token" = [])))]
pub async fn agreement_ended(
    State(app): State<AppState>,
    _caller: ServiceCaller,
    WithRejection(Path(user), _): PathOf<String>,
    WithRejection(Json(end), _): JsonBody<AgreementEnd>,
) -> ApiResult<Json<AgreementEndRecorded>> {
    let user = user_id(&user)?;
    let now = crate::clock::now();
    let keep_ms = app.retention.user_days * DAY_MS;
    if end.at.millis() > now.millis() + CLOCK_SKEW_MS {
        return Err(ApiError::Invalid(
            "`at` is in the future: report an agreement's end once it has ended".into(),
        ));
    }
    // An end older than the whole retention period would be erased at the next purge: that is
    // a mistake or an attack, never a report made as agreements end.
    if end.at.millis() < now.millis() - keep_ms {
        return Err(ApiError::Invalid(format!(
            "`at` is more than {} days ago, the retention period: report an agreement's end when it ends; an older one is for the privacy officer",
            app.retention.user_days
        )));
    }
    crate::retention::erasure::agreement_ended(&app.store, &user, end.at).await?;
    let grace_ms = crate::retention::erasure::GRACE_DAYS * DAY_MS;
    Ok(Json(AgreementEndRecorded {
        ended_at: end.at,
        erased_after: consent_core::Timestamp(
            (end.at.millis() + keep_ms).max(now.millis() + grace_ms),
        ),
    }))
}

/// A report of an agreement's end withdrawn, within its grace period: nothing is erased.
#[utoipa::path(delete, path = "/v1/admin/subjects/{user}/agreement-ended", params(("user" = UserId, Path)),
    responses((status = 200, description = "Withdrawn", body = AgreementEndCancelled), (status = 404, description = "No end is reported for this user (`not_found`)", body = ErrorBody), TokenRefused, QueryRefused, StoreFailed),
    security(("service_token" = [])))]
pub async fn agreement_end_cancelled(
    State(app): State<AppState>,
    _caller: ServiceCaller,
    WithRejection(Path(user), _): PathOf<String>,
) -> ApiResult<Json<AgreementEndCancelled>> {
    let user = user_id(&user)?;
    if !crate::retention::erasure::agreement_end_cancelled(&app.store, &user).await? {
        return Err(ApiError::NotFound(
            "no end of this user's agreement is waiting to be acted on".into(),
        ));
    }
    Ok(Json(AgreementEndCancelled { cancelled: true }))
}
