//! What can go wrong in the store, and which operation it went wrong in.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A statement failed: which one, and why.
    #[error("cannot {operation}: {source}")]
    Database {
        operation: &'static str,
        #[source]
        source: DbError,
    },
    #[error("stored data is not as written: {0}")]
    Corrupt(String),
    #[error("cannot bring the schema up to date: {0}")]
    Migration(String),
    /// A database this server cannot keep its data in.
    #[error("{0}")]
    Unsupported(&'static str),
    /// The commit of a group of writes failed: none of them is stored.
    #[error("cannot commit: {0}")]
    Commit(String),
    /// What a write read of a subject changed before it could write (on SQLite, by another
    /// process): nothing of it is stored, and it may be sent again.
    #[error("the subject's records changed while this write read them")]
    Changed,
}

impl StoreError {
    /// The database cannot be reached just now (refused, restarting, not accepting
    /// connections, every connection busy past the wait): the request may be sent again, and
    /// nothing of it was stored. Anything else is a fault of ours.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database { source, .. } => source.is_unavailable(),
            StoreError::Changed => true,
            _ => false,
        }
    }
}

fn sqlx_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // 08: connection exception; 57P01-57P03: shut down by an administrator,
            // crashing, cannot connect now; 55000 is what a database refusing connections
            // (`ALLOW_CONNECTIONS false`) answers; 53300: too many connections.
            code.starts_with("08")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "55000" | "53300")
        }),
        _ => false,
    }
}

/// A row's column could not be read as the type the code expects: what is stored is not what
/// the code wrote.
impl From<sqlx::Error> for StoreError {
    fn from(source: sqlx::Error) -> StoreError {
        StoreError::Database {
            operation: "read a stored row",
            source: source.into(),
        }
    }
}

/// Either driver's error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("no row where one was expected")]
    NoRow,
    /// A write could not take SQLite's writer, or a reader, for its statement.
    #[error(transparent)]
    Place(Box<StoreError>),
}

impl From<StoreError> for DbError {
    fn from(error: StoreError) -> DbError {
        DbError::Place(Box::new(error))
    }
}

impl DbError {
    /// The database could not be used just now (on SQLite: locked by another process past the
    /// busy timeout); nothing of the statement was stored.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Sqlx(e) => sqlx_unavailable(e),
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            DbError::Place(e) => e.is_unavailable(),
            _ => false,
        }
    }
}

/// Names the operation a database call was for, in its error.
pub trait During<T> {
    fn during(self, operation: &'static str) -> Result<T, StoreError>;
}

impl<T, E: Into<DbError>> During<T> for Result<T, E> {
    fn during(self, operation: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database {
            operation,
            source: source.into(),
        })
    }
}
