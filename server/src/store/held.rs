//! What the company's systems hold about a user (2.3), as they report it.

use super::db::WriteTx;
use super::error::{During, StoreError};
use super::sql::{self};
use super::values::{corrupt, spelled, unspelled};
use consent_core::api::DataSource;
use consent_core::{DataCategoryId, Timestamp};
use std::collections::BTreeMap;

pub struct HeldValue {
    pub value: String,
    pub source: DataSource,
    pub since: Timestamp,
}

pub async fn upsert_held(
    tx: &mut WriteTx,
    user_id: &str,
    category: DataCategoryId,
    held: &HeldValue,
    at: Timestamp,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO subject_data (user_id, category, value, source, since, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, category) DO UPDATE SET value = excluded.value, source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(category.as_str())
    .bind(&held.value)
    .bind(spelled(held.source))
    .bind(held.since.millis())
    .bind(at.millis())
    .execute(&mut *tx)
    .await
        .during("store a held value")?;
    Ok(())
}

pub async fn held(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<BTreeMap<DataCategoryId, HeldValue>, StoreError> {
    let rows =
        sql::query("SELECT category, value, source, since FROM subject_data WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *conn)
            .await
            .during("read the held data")?;
    let mut out = BTreeMap::new();
    for row in rows {
        let category: String = row.try_get("category")?;
        let id =
            DataCategoryId::parse(&category).map_err(|_| corrupt("data category", &category))?;
        let source: String = row.try_get("source")?;
        out.insert(
            id,
            HeldValue {
                value: row.try_get("value")?,
                source: unspelled("data source", source)?,
                since: Timestamp(row.try_get("since")?),
            },
        );
    }
    Ok(out)
}
