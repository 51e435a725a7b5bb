//! The store and its writes: the pool (and on SQLite the one writer, [`super::group`]), and a
//! write in progress, with the chains it holds and the records it appended.

use futures_util::future::BoxFuture;
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;

use super::chain::{self, ChainHead, Pending};
use super::error::{During, StoreError};
use super::url::{open_sqlite, Backend, DatabaseUrl};
use super::{group, schema, sql};
use crate::seal::ServerKeys;

const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's one writer, which commits writes in groups ([`group`]). PostgreSQL has none:
    /// as many writes run at once as the pool has connections, each in its own transaction,
    /// and each subject's chain is ordered by its advisory lock ([`WriteTx::lock_subject`]),
    /// across processes too.
    group: Option<Arc<group::GroupCommit>>,
    pub(super) keys: Arc<ServerKeys>,
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
                        // cores the "my data" report fell to 1,250 req/s.
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
        schema::migrate(&store.pool, backend).await?;
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
    /// The writer's turn was the bound of SQLite's writes per second. A write
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
    heads: Vec<(String, ChainHead)>,
    /// The heads read before joining the writer, checked when it joins.
    read_heads: Vec<(String, ChainHead)>,
    /// The records this write appended, written when it ends.
    pub(super) pending: Vec<Pending>,
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
    pub(crate) fn known_head(&self, subject: &str) -> Option<ChainHead> {
        self.heads
            .iter()
            .find(|(s, _)| s == subject)
            .map(|(_, h)| h.clone())
    }

    pub(crate) fn keep_head(&mut self, subject: &str, head: ChainHead) {
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
            if chain::read_head(&mut *self, &subject).await? != read {
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
        for insert in chain::inserts(std::mem::take(&mut self.pending)) {
            self.defer(insert);
        }
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

impl sql::Write for WriteTx {
    fn join_writer(&mut self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(WriteTx::join_writer(self))
    }

    /// Where this write's next statement runs.
    fn place(&mut self) -> Result<sql::Place<'_>, StoreError> {
        Ok(match &mut self.work {
            Work::Transaction(tx) => sql::Place::Sqlx(tx),
            Work::Savepoint(savepoint) => sql::Place::Sqlite(savepoint.conn()),
            Work::Reading(group) => sql::Place::Reader(group.reader()?),
        })
    }
}

impl<'a> From<&'a mut WriteTx> for sql::On<'a> {
    fn from(tx: &'a mut WriteTx) -> Self {
        sql::On::Write(tx)
    }
}
