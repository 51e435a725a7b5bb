//! Storage: embedded SQLite by default, PostgreSQL when the URL names one. One set of portable
//! SQL serves both ([`sql`]): through sqlx's `Any` driver, except SQLite's writes, which run on
//! one rusqlite connection ([`group`]); where the dialects differ, [`schema`] says so.

pub mod checkpoint;
pub mod erasure;
mod group;
pub mod idempotency;
pub mod ledger;
pub mod records;
pub mod retention;
mod schema;
pub mod sql;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;

use crate::seal::ServerKeys;

pub use sql::Row;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A statement failed: which one, and why.
    #[error("cannot {operation}: {source}")]
    Database {
        operation: &'static str,
        #[source]
        source: sql::DbError,
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

const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Rows per multi-row statement: well under both databases' limits on bound values.
const ROWS_PER_STATEMENT: usize = 200;

/// `($first, …), (…)`: `rows` groups of `columns` numbered placeholders, for statements that
/// write or look up many rows at once.
fn placeholders(first: usize, rows: usize, columns: usize) -> String {
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

/// Names the operation a database call was for, in its error.
pub trait During<T> {
    fn during(self, operation: &'static str) -> Result<T, StoreError>;
}

impl<T, E: Into<sql::DbError>> During<T> for Result<T, E> {
    fn during(self, operation: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database {
            operation,
            source: source.into(),
        })
    }
}

/// Where the store is, checked where configuration enters: a URL that names no supported
/// database is a configuration error, said before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
    /// How many connections the pool holds; each backend's default when `None`.
    pool_size: Option<u32>,
    /// SQLite: the WAL's length, in pages, past which it starts over.
    wal_pages_to_restart: i64,
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
            wal_pages_to_restart: group::WAL_PAGES_TO_RESTART,
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

    fn pool_size(&self) -> u32 {
        self.pool_size.unwrap_or(match self.backend {
            // Readers only: the writer has a connection of its own ([`group`]).
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
    fn to_connect(&self) -> String {
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

/// A connection of SQLite's writer ([`group`]), set up as the readers are. The readers open
/// the file first, so it exists and is migrated by now.
fn open_sqlite(url: &DatabaseUrl) -> Result<rusqlite::Connection, StoreError> {
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
        // the server's time under load (BENCHMARKS.md). It only ever undoes a savepoint, and a
        // crash undoes the whole uncommitted group anyway, so memory loses nothing.
        conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
        // A write runs about a dozen distinct statements, and the multi-row ones differ by
        // their number of rows: room for all of them, so none is prepared twice.
        conn.set_prepared_statement_cache_capacity(256);
        Ok(conn)
    };
    open().during("open a SQLite connection")
}

/// A SQLite connection lent to writes for their reads ([`group::Readers`]).
fn open_sqlite_reader(url: &DatabaseUrl) -> Result<rusqlite::Connection, StoreError> {
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
/// at the same rate (BENCHMARKS.md).
fn postgres_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 4).unwrap_or(u32::MAX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's one writer, which commits writes in groups ([`group`]). PostgreSQL has none:
    /// as many writes run at once as the pool has connections, each in its own transaction,
    /// and each subject's chain is ordered by its advisory lock ([`WriteTx::lock_subject`]),
    /// across processes too.
    group: Option<Arc<group::GroupCommit>>,
    keys: Arc<ServerKeys>,
}

impl Store {
    pub async fn connect(url: &DatabaseUrl, keys: Arc<ServerKeys>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = url.backend();
        let options = AnyPoolOptions::new()
            .max_connections(url.pool_size())
            // While the database is away a request waits this long for a connection, then is
            // answered 503; the pool reconnects by itself when the database is back.
            .acquire_timeout(ACQUIRE_TIMEOUT);
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers go on while the one writer commits; synchronous
                            // FULL makes a commit durable before we answer 2xx.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 5000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA secure_delete = ON").await?;
                            Ok(())
                        })
                    })
                    .connect(&url.to_connect())
                    .await
                    .during("open the SQLite database")?
            }
            Backend::Postgres => options
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // Every query here reads one subject's rows by index, and is done
                        // in well under a millisecond: starting workers costs more than it
                        // saves. Once the tables were large, PostgreSQL planned the ledger's
                        // read as a parallel hash join, and with 256 requests at once on 2
                        // cores the "my data" report fell to 1,250 req/s (BENCHMARKS.md).
                        conn.execute("SET max_parallel_workers_per_gather = 0")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url.to_connect())
                .await
                .during("connect to PostgreSQL")?,
        };
        let mut store = Store {
            pool,
            backend,
            group: None,
            keys,
        };
        schema::migrate(&store).await?;
        if backend == Backend::Sqlite {
            let writer = open_sqlite(url)?;
            // Checkpoints are the copier's (group::copy_back), not the writer's commits'.
            writer
                .query_row("PRAGMA wal_autocheckpoint = 0", [], |_| Ok(()))
                .during("stop the writer's own checkpoints")?;
            let copier = open_sqlite(url)?;
            store.group = Some(group::GroupCommit::start(writer, copier, url));
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn keys(&self) -> &ServerKeys {
        &self.keys
    }

    /// Starts a write: one transaction, which [`WriteTx::commit`] makes durable before the
    /// caller answers 2xx for it, and which rolls back if dropped uncommitted (an error, a
    /// client gone).
    pub async fn begin(&self) -> Result<WriteTx, StoreError> {
        let work = match &self.group {
            Some(group) => Work::Savepoint(group.join().await?),
            None => Work::Transaction(self.pool.begin().await.during("begin a write")?),
        };
        Ok(self.write_tx(work))
    }

    /// Starts a write that reads one subject and then writes it, as a visit does. On SQLite
    /// it does not take the one writer for its reads and decisions (its receipt signed, its
    /// records hashed) but only to store what it decided: it reads what is committed, with the
    /// subject held in this process until its commit is answered, and checks when it joins the
    /// writer that the subject's chain is still where it read it ([`StoreError::Changed`]).
    /// The writer's turn was the bound of SQLite's writes per second (BENCHMARKS.md). A write
    /// that holds a second subject, or changes a row before its end, joins the writer then and
    /// goes on there. On PostgreSQL this is [`Store::begin`].
    pub async fn begin_for_subject(&self) -> Result<WriteTx, StoreError> {
        match &self.group {
            Some(group) => Ok(self.write_tx(Work::Reading(group.clone()))),
            None => self.begin().await,
        }
    }

    fn write_tx(&self, work: Work) -> WriteTx {
        WriteTx {
            work,
            store: self.clone(),
            locked: Vec::new(),
            held: None,
            heads: Vec::new(),
            read_heads: Vec::new(),
            pending: Vec::new(),
            deferred: Vec::new(),
        }
    }
}

/// A write in progress: where it writes (its own transaction, or on SQLite its savepoint in
/// the group's), the store, and the subjects whose chains it holds.
pub struct WriteTx {
    work: Work,
    store: Store,
    locked: Vec<String>,
    /// The one subject held in this process by a write that reads before joining the writer.
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// The last record of each chain this write appended to: read once, then kept.
    heads: Vec<(String, ledger::ChainHead)>,
    /// The heads read before joining the writer, checked when it joins.
    read_heads: Vec<(String, ledger::ChainHead)>,
    /// The records this write appended, written when it ends.
    pending: Vec<ledger::Pending>,
    /// Rows this write stores that nothing in it reads back ([`WriteTx::defer`]).
    deferred: Vec<sql::Query<'static>>,
}

enum Work {
    Transaction(Transaction<'static, Any>),
    Savepoint(group::Savepoint),
    /// SQLite, before the write joins the writer ([`Store::begin_for_subject`]): each read
    /// borrows a reader for itself alone, so that writes waiting for the writer hold none.
    Reading(Arc<group::GroupCommit>),
}

impl WriteTx {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Holds the subject's chain until the transaction ends, so that its records and the
    /// decisions taken from them are this write's alone: an advisory lock on PostgreSQL (other
    /// processes too). On SQLite the single writer already does, once the write has joined it;
    /// before, the subject is held in this process, and the chain checked when it joins
    /// ([`WriteTx::join_writer`]). Taken once per write.
    pub async fn lock_subject(&mut self, subject: &str) -> Result<(), StoreError> {
        if self.locked.iter().any(|s| s == subject) {
            return Ok(());
        }
        match &self.work {
            Work::Transaction(_) => {
                sql::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                    .bind(subject)
                    .fetch_one(&mut *self)
                    .await
                    .during("lock the subject's chain")?;
            }
            // One subject held at most: waiting for a second while holding one could wait for
            // a write that waits for the first.
            Work::Reading(group) if self.locked.is_empty() => {
                self.held = Some(group.hold(subject).await);
            }
            Work::Reading(_) => self.join_writer().await?,
            Work::Savepoint(_) => {}
        }
        self.locked.push(subject.to_owned());
        Ok(())
    }

    /// The head of a chain this write already appended to.
    pub(crate) fn known_head(&self, subject: &str) -> Option<ledger::ChainHead> {
        self.heads
            .iter()
            .find(|(s, _)| s == subject)
            .map(|(_, h)| h.clone())
    }

    pub(crate) fn keep_head(&mut self, subject: &str, head: ledger::ChainHead) {
        match self.heads.iter_mut().find(|(s, _)| s == subject) {
            Some((_, kept)) => *kept = head,
            None => {
                // The first head kept of a chain is the one read.
                if matches!(self.work, Work::Reading(_)) {
                    self.read_heads.push((subject.to_owned(), head.clone()));
                }
                self.heads.push((subject.to_owned(), head));
            }
        }
    }

    /// Takes SQLite's writer for the rest of the write, if it read without it so far, and
    /// checks that each chain it read is still where it read it: otherwise what it decided
    /// from may be out of date, and it is refused, storing nothing.
    pub(crate) async fn join_writer(&mut self) -> Result<(), StoreError> {
        let Work::Reading(group) = &self.work else {
            return Ok(());
        };
        self.work = Work::Savepoint(group.clone().join().await?);
        for (subject, read) in std::mem::take(&mut self.read_heads) {
            if ledger::read_head(self, &subject).await? != read {
                return Err(StoreError::Changed);
            }
        }
        Ok(())
    }

    /// Stores rows when the write ends, not now: for statements whose rows nothing later in
    /// the write reads back (what it decides from, it keeps in memory). On PostgreSQL they then
    /// go together, one statement for all ([`sql::joined`]), where each cost a round trip.
    pub(crate) fn defer(&mut self, insert: sql::Query<'_>) {
        self.deferred.push(insert.into_owned());
    }

    /// Makes the write durable: when this returns `Ok`, it is committed, and may be answered.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        ledger::write_pending(&mut self);
        self.join_writer().await?;
        let mut deferred = std::mem::take(&mut self.deferred);
        if self.store.backend == Backend::Postgres {
            deferred = sql::joined(deferred);
        }
        for statement in deferred {
            statement
                .execute(&mut self)
                .await
                .during("store the write's rows")?;
        }
        match self.work {
            Work::Transaction(tx) => tx.commit().await.during("commit a write"),
            Work::Savepoint(savepoint) => {
                let group = self.store.group.as_ref().expect("savepoints are SQLite's");
                group.commit(savepoint).await
            }
            Work::Reading(_) => unreachable!("joined the writer above"),
        }
    }
}

impl WriteTx {
    /// Where this write's next statement runs.
    fn place(&mut self) -> Result<sql::Place<'_>, StoreError> {
        Ok(match &mut self.work {
            Work::Transaction(tx) => sql::Place::Sqlx(tx),
            Work::Savepoint(savepoint) => sql::Place::Sqlite(savepoint.conn()),
            Work::Reading(group) => sql::Place::Reader(group.reader()?),
        })
    }
}
