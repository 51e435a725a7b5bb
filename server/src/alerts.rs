//! Detection of unusual staff access (3.2.2, 3.5): a breach must be reported within one
//! business day, so what looks like one is raised at once. Each alert is a WARN line with no
//! personal data, a row in `alerts`, and an entry in `GET /v1/admin/alerts`.
//!
//! Counting reads by subjects uses the audit log, so it holds across restarts and across
//! servers on one database. Refused staff requests are counted in memory per source address,
//! kept only as a keyed hash.

use consent_core::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{sql, During, Store, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct AlertRules {
    /// More distinct users' records than this read by one member of staff within an hour.
    pub subjects_per_hour: u32,
    /// This many refused (401/403) staff requests from one source within [`REFUSALS_WINDOW`].
    pub refusals: u32,
}

pub const SUBJECTS_PER_HOUR: u32 = 30;
pub const REFUSALS: u32 = 10;
const REFUSALS_WINDOW: Duration = Duration::from_secs(600);
const HOUR_MS: i64 = 3_600_000;

impl Default for AlertRules {
    fn default() -> AlertRules {
        AlertRules {
            subjects_per_hour: SUBJECTS_PER_HOUR,
            refusals: REFUSALS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// One member of staff read more users' records in an hour than the rule allows.
    ManySubjects,
    /// Staff asked for a user's records without saying why.
    NoReason,
    /// Staff endpoints refused one source again and again: a guessed or stolen token.
    RepeatedRefusals,
}

impl AlertKind {
    fn spelled(self) -> &'static str {
        match self {
            AlertKind::ManySubjects => "many_subjects",
            AlertKind::NoReason => "no_reason",
            AlertKind::RepeatedRefusals => "repeated_refusals",
        }
    }

    fn parse(text: &str) -> Result<AlertKind, StoreError> {
        [
            AlertKind::ManySubjects,
            AlertKind::NoReason,
            AlertKind::RepeatedRefusals,
        ]
        .into_iter()
        .find(|k| k.spelled() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("alert kind `{text}`")))
    }
}

/// An alert as a privacy officer reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    pub at: Timestamp,
    pub kind: AlertKind,
    /// The member of staff, when the request named one.
    pub staff: Option<String>,
    /// A keyed hash of the network address the requests came from: the same source always has
    /// the same one; the address itself is not kept.
    pub source: Option<String>,
    pub detail: String,
}

/// Raises an alert: stored, then logged without who or where.
async fn raise(
    store: &Store,
    kind: AlertKind,
    staff: Option<&str>,
    source: Option<&str>,
    detail: String,
) -> Result<(), StoreError> {
    let id = uuid::Uuid::new_v4().to_string();
    sql::query(
        "INSERT INTO alerts (id, at, kind, staff, source, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(crate::clock::now().millis())
    .bind(kind.spelled())
    .bind(staff)
    .bind(source)
    .bind(&detail)
    .execute(store.pool())
    .await
    .during("store an alert")?;
    tracing::warn!(alert = %id, kind = kind.spelled(), "ALERT: unusual staff access; see GET /v1/admin/alerts");
    Ok(())
}

/// After a member of staff read a user's records: over the hourly number of users, once an
/// hour at most.
pub async fn after_staff_read(
    store: &Store,
    rules: AlertRules,
    staff: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let since = now.millis() - HOUR_MS;
    let row = sql::query(
        "SELECT
            (SELECT COUNT(DISTINCT subject) FROM audit_log WHERE staff = $1 AND at > $2) AS subjects,
            (SELECT COUNT(*) FROM alerts WHERE staff = $1 AND kind = $3 AND at > $2) AS raised",
    )
    .bind(staff)
    .bind(since)
    .bind(AlertKind::ManySubjects.spelled())
    .fetch_one(store.pool())
    .await
    .during("count a staff member's reads this hour")?;
    let subjects: i64 = row.try_get("subjects")?;
    let raised: i64 = row.try_get("raised")?;
    if subjects > i64::from(rules.subjects_per_hour) && raised == 0 {
        let detail = format!(
            "{subjects} users' records read within an hour (the rule allows {})",
            rules.subjects_per_hour
        );
        raise(store, AlertKind::ManySubjects, Some(staff), None, detail).await?;
    }
    Ok(())
}

/// Staff asked for records without a reason: refused, and raised.
pub async fn read_without_reason(store: &Store, staff: &str) -> Result<(), StoreError> {
    let detail = "a user's records were asked for without a reason".to_owned();
    raise(store, AlertKind::NoReason, Some(staff), None, detail).await
}

/// Refused staff requests per source within the window.
#[derive(Default)]
pub struct Refusals {
    by_source: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Refusals {
    /// Counts one refusal; `true` when this one reaches `limit` within the window.
    fn count(&self, source: &str, limit: u32) -> bool {
        let mut by_source = self.by_source.lock().expect("not poisoned");
        let now = Instant::now();
        by_source.retain(|_, (since, _)| now.duration_since(*since) < REFUSALS_WINDOW);
        let (_, count) = by_source.entry(source.to_owned()).or_insert((now, 0));
        *count += 1;
        *count == limit
    }
}

/// A staff request from `ip` was refused: a source refused again and again within the window
/// raises an alert.
pub async fn staff_request_refused(
    store: &Store,
    refusals: &Refusals,
    rules: AlertRules,
    ip: IpAddr,
) {
    let source = store.keys().pseudonym(&ip.to_string());
    if !refusals.count(&source, rules.refusals) {
        return;
    }
    let detail = format!(
        "{} refused staff requests from one source within {} minutes",
        rules.refusals,
        REFUSALS_WINDOW.as_secs() / 60
    );
    if let Err(e) = raise(
        store,
        AlertKind::RepeatedRefusals,
        None,
        Some(&source),
        detail,
    )
    .await
    {
        tracing::error!(error = %e, "could not store an alert");
    }
}

/// Where a page of alerts ends: the next page starts after it. Alerts are never deleted, so
/// a flood of new ones cannot push an old one out of reach: it is on a later page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    at: i64,
    id: String,
}

impl Cursor {
    /// `<at>_<id>`, as [`AlertPage::next`] gives it.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (at, id) = text.split_once('_')?;
        let id = uuid::Uuid::parse_str(id).ok()?.to_string();
        Some(Cursor {
            at: at.parse().ok()?,
            id,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.at, self.id)
    }
}

/// One page of alerts, newest first, and how many there are in all.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    /// Every alert ever raised.
    pub total: i64,
    /// `?before=` for the next, older page; absent on the last.
    pub next: Option<String>,
}

/// A page of at most `limit` alerts, newest first, after `before` (from the newest without).
pub async fn page(
    store: &Store,
    before: Option<&Cursor>,
    limit: i64,
) -> Result<AlertPage, StoreError> {
    let (at, id) = before.map_or((i64::MAX, String::new()), |c| (c.at, c.id.clone()));
    let rows = sql::query(
        "SELECT id, at, kind, staff, source, detail FROM alerts
         WHERE at < $1 OR (at = $1 AND id > $2)
         ORDER BY at DESC, id LIMIT $3",
    )
    .bind(at)
    .bind(id)
    .bind(limit + 1)
    .fetch_all(store.pool())
    .await
    .during("read the alerts")?;
    let mut alerts = rows
        .iter()
        .map(|row| {
            Ok(Alert {
                id: row.try_get("id")?,
                at: Timestamp(row.try_get("at")?),
                kind: AlertKind::parse(&row.try_get::<String>("kind")?)?,
                staff: row.try_get("staff")?,
                source: row.try_get("source")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let more = alerts.len() as i64 > limit;
    alerts.truncate(limit as usize);
    let next = more.then(|| alerts.last()).flatten().map(|last| {
        Cursor {
            at: last.at.millis(),
            id: last.id.clone(),
        }
        .to_string()
    });
    let total = sql::query("SELECT COUNT(*) AS n FROM alerts")
        .fetch_one(store.pool())
        .await
        .during("count the alerts")?
        .try_get("n")?;
    Ok(AlertPage {
        alerts,
        total,
        next,
    })
}
