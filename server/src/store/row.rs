//! A row from either driver, read by column name.

use sqlx::any::AnyRow;
use sqlx::Any;
use std::sync::Arc;

use super::error::StoreError;

/// A row from either driver, read by column name.
pub enum Row {
    Sqlx(AnyRow),
    Sqlite(SqliteRow),
}

pub struct SqliteRow {
    pub(super) names: Arc<[String]>,
    pub(super) values: Vec<rusqlite::types::Value>,
}

/// A column's type, as both drivers read it.
pub trait Column:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl Row {
    pub fn try_get<T: Column>(&self, column: &str) -> Result<T, StoreError> {
        match self {
            Row::Sqlx(row) => Ok(sqlx::Row::try_get(row, column)?),
            Row::Sqlite(row) => {
                let unreadable =
                    |problem: String| StoreError::Corrupt(format!("column `{column}`: {problem}"));
                let index = row
                    .names
                    .iter()
                    .position(|name| name == column)
                    .ok_or_else(|| unreadable("not in the row".into()))?;
                let value = rusqlite::types::ValueRef::from(&row.values[index]);
                T::column_result(value).map_err(|e| unreadable(e.to_string()))
            }
        }
    }
}
