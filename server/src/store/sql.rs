//! One way to run a statement wherever it runs: on the pool or a connection (sqlx, both
//! backends), or in a write. On PostgreSQL a write is a sqlx transaction. On SQLite it is a
//! savepoint on the one writing connection ([`super::group`]), which is a rusqlite connection
//! run in place: each of a write's statements then costs microseconds of SQLite's own work,
//! where sqlx handed every statement to its worker thread and back (a profile put those
//! hand-offs above the database and the receipt's signature together).
//!
//! Statements are written once, in the portable SQL with `$1`-style parameters that both
//! databases and both drivers read.

use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, AnyPool};
use std::borrow::Cow;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::error::{DbError, StoreError};
use super::group;
use super::row::{Row, SqliteRow};

/// A value bound to a statement's parameter.
#[derive(Debug, Clone)]
pub enum Arg<'q> {
    Int(i64),
    Text(Cow<'q, str>),
    /// A NULL, typed so that PostgreSQL takes it for the column it fills.
    NullText,
    NullInt,
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl<'q> From<&'q str> for Arg<'q> {
    fn from(value: &'q str) -> Self {
        Arg::Text(Cow::Borrowed(value))
    }
}

impl<'q> From<&'q String> for Arg<'q> {
    fn from(value: &'q String) -> Self {
        Arg::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Arg<'_> {
    fn from(value: String) -> Self {
        Arg::Text(Cow::Owned(value))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Arg::NullInt, Arg::Int)
    }
}

impl<'q> From<Option<&'q str>> for Arg<'q> {
    fn from(value: Option<&'q str>) -> Self {
        value.map_or(Arg::NullText, Into::into)
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(value: Option<String>) -> Self {
        value.map_or(Arg::NullText, Into::into)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Arg::Int(value) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Arg::Text(value) => ToSqlOutput::Borrowed(ValueRef::Text(value.as_bytes())),
            Arg::NullText | Arg::NullInt => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// A statement and its parameters' values, to run with [`Query::execute`] and the fetches.
#[must_use = "a query does nothing until it is run"]
pub struct Query<'q> {
    sql: Cow<'q, str>,
    args: Vec<Arg<'q>>,
}

pub fn query<'q>(sql: impl Into<Cow<'q, str>>) -> Query<'q> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

/// Where a statement runs.
pub enum On<'a> {
    Pool(&'a AnyPool),
    Conn(&'a mut AnyConnection),
    Write(&'a mut dyn Write),
}

/// A write in progress as its statements reach it ([`super::db::WriteTx`]).
pub trait Write: Send {
    /// Takes SQLite's one writer for a change, if the write only read so far.
    fn join_writer(&mut self) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Where the write's next statement runs.
    fn place(&mut self) -> Result<Place<'_>, StoreError>;
}

impl<'a> From<&'a AnyPool> for On<'a> {
    fn from(pool: &'a AnyPool) -> Self {
        On::Pool(pool)
    }
}

impl<'a> From<&'a mut AnyConnection> for On<'a> {
    fn from(conn: &'a mut AnyConnection) -> Self {
        On::Conn(conn)
    }
}

impl<'q> Query<'q> {
    pub fn bind(mut self, value: impl Into<Arg<'q>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// The same statement, owning its text and values: to be run later ([`super::db::WriteTx::defer`]).
    pub fn into_owned(self) -> Query<'static> {
        let owned = |arg: Arg<'q>| match arg {
            Arg::Int(value) => Arg::Int(value),
            Arg::Text(value) => Arg::Text(Cow::Owned(value.into_owned())),
            Arg::NullText => Arg::NullText,
            Arg::NullInt => Arg::NullInt,
        };
        Query {
            sql: Cow::Owned(self.sql.into_owned()),
            args: self.args.into_iter().map(owned).collect(),
        }
    }

    /// The table an `INSERT` writes; `None` for any other statement.
    fn table_inserted(&self) -> Option<&str> {
        let rest = self.sql.trim_start().strip_prefix("INSERT INTO ")?;
        rest.split(|c: char| c.is_whitespace() || c == '(').next()
    }

    /// Runs a statement that returns no rows; answers how many rows it changed.
    pub async fn execute<'a>(self, on: impl Into<On<'a>>) -> Result<u64, DbError> {
        Ok(match on.into() {
            On::Pool(pool) => self.sqlx().execute(pool).await?.rows_affected(),
            On::Conn(conn) => self.sqlx().execute(conn).await?.rows_affected(),
            On::Write(tx) => {
                // A change is made on the writer, never on a reader.
                tx.join_writer().await.map_err(DbError::from)?;
                match tx.place()? {
                    Place::Sqlx(conn) => self.sqlx().execute(conn).await?.rows_affected(),
                    Place::Sqlite(conn) => self.execute_sqlite(conn)?,
                    Place::Reader(_) => unreachable!("a change joins the writer first"),
                }
            }
        })
    }

    pub async fn fetch_all<'a>(self, on: impl Into<On<'a>>) -> Result<Vec<Row>, DbError> {
        self.fetch(on, usize::MAX).await
    }

    pub async fn fetch_optional<'a>(self, on: impl Into<On<'a>>) -> Result<Option<Row>, DbError> {
        Ok(self.fetch(on, 1).await?.pop())
    }

    pub async fn fetch_one<'a>(self, on: impl Into<On<'a>>) -> Result<Row, DbError> {
        self.fetch_optional(on).await?.ok_or(DbError::NoRow)
    }

    /// The first `limit` rows.
    async fn fetch<'a>(self, on: impl Into<On<'a>>, limit: usize) -> Result<Vec<Row>, DbError> {
        match on.into() {
            On::Pool(pool) => self.fetch_sqlx(pool, limit).await,
            On::Conn(conn) => self.fetch_sqlx(conn, limit).await,
            On::Write(tx) => match tx.place()? {
                Place::Sqlx(conn) => self.fetch_sqlx(conn, limit).await,
                Place::Sqlite(conn) => Ok(self.fetch_sqlite(conn, limit)?),
                Place::Reader(reader) => Ok(self.fetch_sqlite(reader.conn(), limit)?),
            },
        }
    }

    async fn fetch_sqlx<'c>(
        &self,
        db: impl sqlx::Executor<'c, Database = Any>,
        limit: usize,
    ) -> Result<Vec<Row>, DbError> {
        use futures_util::{StreamExt, TryStreamExt};
        let rows = self.sqlx().fetch(db).take(limit).map_ok(Row::Sqlx);
        Ok(rows.try_collect().await?)
    }

    fn sqlx(&self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.as_ref()),
                Arg::NullText => query.bind(None::<String>),
                Arg::NullInt => query.bind(None::<i64>),
            };
        }
        query
    }

    /// Prepares (from the connection's cache) and binds. SQLite numbers `$n` parameters in the
    /// order they first appear, which need not be `n`: each is bound by its name.
    fn prepare_sqlite<'c>(
        &self,
        conn: &'c rusqlite::Connection,
    ) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
        let mut statement = conn.prepare_cached(&self.sql)?;
        for index in 1..=statement.parameter_count() {
            let name = statement.parameter_name(index).unwrap_or_default();
            let arg = name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| self.args.get(n.checked_sub(1)?))
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?;
            statement.raw_bind_parameter(index, arg)?;
        }
        Ok(statement)
    }

    fn execute_sqlite(&self, conn: &group::Connection) -> rusqlite::Result<u64> {
        Ok(self.prepare_sqlite(&group::lock(conn))?.raw_execute()? as u64)
    }

    fn fetch_sqlite(&self, conn: &group::Connection, limit: usize) -> rusqlite::Result<Vec<Row>> {
        let conn = group::lock(conn);
        let mut statement = self.prepare_sqlite(&conn)?;
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        // Named from the first row: most of a write's reads find none.
        let mut names: Option<Arc<[String]>> = None;
        while out.len() < limit {
            let Some(row) = rows.next()? else { break };
            let names = names
                .get_or_insert_with(|| {
                    let statement: &rusqlite::Statement = row.as_ref();
                    statement
                        .column_names()
                        .into_iter()
                        .map(String::from)
                        .collect()
                })
                .clone();
            let values = (0..names.len())
                .map(|i| row.get::<_, rusqlite::types::Value>(i))
                .collect::<rusqlite::Result<_>>()?;
            out.push(Row::Sqlite(SqliteRow { names, values }));
        }
        Ok(out)
    }
}

/// Bound values PostgreSQL takes in one statement, with room to spare (its limit is 65,535).
const MOST_ARGS_PER_STATEMENT: usize = 30_000;

/// Joins `inserts`, in order, into as few statements as PostgreSQL runs as one: each but the
/// last becomes a data-modifying `WITH`, so that a write's rows cost one round trip, not one
/// per table. A table is written at most once per statement: two changes to one row in the
/// same statement would keep one of them, and PostgreSQL does not say which. Statements other
/// than `INSERT`s run alone.
pub fn joined(inserts: Vec<Query<'static>>) -> Vec<Query<'static>> {
    let mut statements = Vec::new();
    let mut joining: Vec<Query<'static>> = Vec::new();
    for insert in inserts {
        let fits = insert.table_inserted().is_some_and(|table| {
            let args: usize = joining.iter().map(|q| q.args.len()).sum();
            joining
                .iter()
                .all(|q| q.table_inserted().is_some_and(|t| t != table))
                && args + insert.args.len() <= MOST_ARGS_PER_STATEMENT
        });
        if !fits && !joining.is_empty() {
            statements.push(join(std::mem::take(&mut joining)));
        }
        joining.push(insert);
    }
    if !joining.is_empty() {
        statements.push(join(joining));
    }
    statements
}

/// `WITH w0 AS (first), w1 AS (second) last`, each statement's `$n` moved past the values of
/// those before it.
fn join(mut parts: Vec<Query<'static>>) -> Query<'static> {
    let last = parts.pop().expect("one statement at least");
    if parts.is_empty() {
        return last;
    }
    let mut sql = String::from("WITH ");
    let mut args = Vec::new();
    for (n, part) in parts.into_iter().enumerate() {
        sql.push_str(&format!(
            "w{n} AS ({}), ",
            renumbered(&part.sql, args.len())
        ));
        args.extend(part.args);
    }
    sql.truncate(sql.len() - 2);
    sql.push(' ');
    sql.push_str(&renumbered(&last.sql, args.len()));
    args.extend(last.args);
    Query {
        sql: Cow::Owned(sql),
        args,
    }
}

/// `sql` with every `$n` made `$(n + by)`. The statements joined hold no `$` in a quoted
/// string: every value is bound.
fn renumbered(sql: &str, by: usize) -> Cow<'_, str> {
    if by == 0 {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(n) = rest[..digits].parse::<usize>() {
            out.push_str(&(n + by).to_string());
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Where a write's statements run.
pub enum Place<'a> {
    Sqlx(&'a mut AnyConnection),
    Sqlite(&'a group::Connection),
    /// A reader lent for one statement.
    Reader(group::Reader),
}

/// Rows per multi-row statement: well under both databases' limits on bound values.
pub const ROWS_PER_STATEMENT: usize = 200;

/// `($first, …), (…)`: `rows` groups of `columns` numbered placeholders, for statements that
/// write or look up many rows at once.
pub fn placeholders(first: usize, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (0..columns)
                .map(|c| format!("${}", first + r * columns + c))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_inserts_keep_their_values_in_place_and_write_each_table_once() {
        let activity = |subject: &'static str| {
            query("INSERT INTO activity (subject, last_seen) VALUES ($1, $2)")
                .bind(subject)
                .bind(1_i64)
                .into_owned()
        };
        let ten = (1..=10)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut wide = query(format!("INSERT INTO wide VALUES ({ten})"));
        for n in 1..=10_i64 {
            wide = wide.bind(n);
        }
        let purge = query("DELETE FROM activity WHERE last_seen < $1")
            .bind(0_i64)
            .into_owned();
        let statements = joined(vec![
            activity("a"),
            wide.into_owned(),
            activity("b"),
            purge,
            activity("c"),
        ]);
        let texts: Vec<&str> = statements.iter().map(|q| q.sql.as_ref()).collect();
        let moved = (3..=12)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            texts,
            [
                format!("WITH w0 AS (INSERT INTO activity (subject, last_seen) VALUES ($1, $2)) INSERT INTO wide VALUES ({moved})"),
                "INSERT INTO activity (subject, last_seen) VALUES ($1, $2)".to_owned(),
                "DELETE FROM activity WHERE last_seen < $1".to_owned(),
                "INSERT INTO activity (subject, last_seen) VALUES ($1, $2)".to_owned(),
            ]
        );
        assert_eq!(statements[0].args.len(), 12);
        assert!(matches!(statements[0].args[11], Arg::Int(10)));
    }
}
