//! Where the store is: a database URL checked where configuration enters, and the SQLite
//! connections the writer and its readers open.

use super::error::{During, StoreError};

/// WAL pages (32 MB) past which the writer has the WAL start over ([`Writer::restart_wal`]).
pub const WAL_PAGES_TO_RESTART: i64 = 8_192;

/// Where the store is, checked where configuration enters: a URL that names no supported
/// database is a configuration error, said before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
    /// How many connections the pool holds; each backend's default when `None`.
    pool_size: Option<u32>,
    /// SQLite: the WAL's length, in pages, past which it starts over.
    pub(super) wal_pages_to_restart: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a database URL: it starts with sqlite:, postgres: or postgresql:")]
pub struct BadDatabaseUrl(String);

impl std::str::FromStr for DatabaseUrl {
    type Err = BadDatabaseUrl;

    fn from_str(url: &str) -> Result<DatabaseUrl, BadDatabaseUrl> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            // The URL may hold a password: only its scheme goes into the message.
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(BadDatabaseUrl(format!("{scheme}:…")));
        };
        Ok(DatabaseUrl {
            url: url.to_owned(),
            backend,
            pool_size: None,
            wal_pages_to_restart: WAL_PAGES_TO_RESTART,
        })
    }
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Bounds how many connections, and so on PostgreSQL how many writes, run at once.
    /// Bounds SQLite's WAL to about `pages` × 4 KB (when a reader does not hold it longer).
    pub fn with_wal_pages_to_restart(mut self, pages: i64) -> DatabaseUrl {
        self.wal_pages_to_restart = pages;
        self
    }

    pub fn with_pool_size(mut self, size: Option<u32>) -> DatabaseUrl {
        self.pool_size = size.filter(|n| *n > 0);
        self
    }

    pub(super) fn pool_size(&self) -> u32 {
        self.pool_size.unwrap_or(match self.backend {
            // Readers only: the writer has a connection of its own ([`super::group`]).
            Backend::Sqlite => 5,
            Backend::Postgres => postgres_pool_size(),
        })
    }

    /// The SQLite file the URL names.
    fn sqlite_file(&self) -> Result<std::path::PathBuf, StoreError> {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.to_connect())
            .during("read the SQLite URL")?;
        Ok(options.get_filename().to_owned())
    }

    /// What the driver opens: a SQLite file is created when missing.
    pub(super) fn to_connect(&self) -> String {
        let url = &self.url;
        match self.backend {
            Backend::Sqlite if !(url.contains("mode=") || url.contains(":memory:")) => {
                let joiner = if url.contains('?') { '&' } else { '?' };
                format!("{url}{joiner}mode=rwc")
            }
            _ => url.clone(),
        }
    }
}

/// A connection of SQLite's writer ([`super::group`]), set up as the readers are. The readers open
/// the file first, so it exists and is migrated by now.
pub(super) fn open_sqlite(url: &DatabaseUrl) -> Result<rusqlite::Connection, StoreError> {
    if url.url.contains(":memory:") {
        return Err(StoreError::Unsupported(
            "an in-memory SQLite database is one per connection, so the writer would not share it with the readers: name a file",
        ));
    }
    let file = url.sqlite_file()?;
    let open = || -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open(&file)?;
        // The same settings as the readers': WAL, and a commit durable before any 2xx.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        // secure_delete: what a deletion frees is overwritten, so an erased user's data is not
        // left readable in the file (2.5); the WAL is emptied after each erasure (retention).
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
        )?;
        // Each write's savepoint keeps the pages it changes in a statement journal, to undo
        // them alone. In a temporary file (the default), that was a write(2) per page, 8 % of
        // the server's time under load. It only ever undoes a savepoint, and a
        // crash undoes the whole uncommitted group anyway, so memory loses nothing.
        conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
        // A write runs about a dozen distinct statements, and the multi-row ones differ by
        // their number of rows: room for all of them, so none is prepared twice.
        conn.set_prepared_statement_cache_capacity(256);
        Ok(conn)
    };
    open().during("open a SQLite connection")
}

/// A SQLite connection lent to writes for their reads ([`super::group::Readers`]).
pub(super) fn open_sqlite_reader(url: &DatabaseUrl) -> Result<rusqlite::Connection, StoreError> {
    let reader = open_sqlite(url)?;
    // What a reader is lent for is reading: a write through one is a fault.
    reader
        .execute_batch("PRAGMA query_only = ON;")
        .during("make a SQLite reader read-only")?;
    Ok(reader)
}

/// PostgreSQL's default pool: 4 connections per core. Each write holds its connection through
/// a few short statements and its commit's flush, so a few per core keep the cores busy. More
/// only add runnable backends that take turns on the same cores: with 2 cores, `PUT` from 16
/// clients at once had a p99 of 17.7 and 22.3 ms with 16 connections, 13.5 and 15.1 ms with 8,
/// at the same rate.
fn postgres_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 4).unwrap_or(u32::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}
