//! Storage: embedded SQLite by default, PostgreSQL when the URL names one. One set of portable
//! SQL serves both through sqlx's `Any` driver; where the dialects differ, [`schema`] says so.

pub mod checkpoint;
pub mod idempotency;
pub mod ledger;
pub mod records;
pub mod retention;
mod schema;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::seal::ServerKeys;

pub type Row = AnyRow;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is not as written: {0}")]
    Corrupt(String),
    #[error("the database URL must start with sqlite: or postgres:")]
    BadUrl,
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
    /// Serialises this process's writes: SQLite allows one writer, and a ledger append must see
    /// the head its record chains to. Across processes (PostgreSQL) an advisory lock per subject
    /// does the same, see [`WriteTx::lock_subject`].
    write_lock: Arc<Mutex<()>>,
    keys: Arc<ServerKeys>,
}

impl Store {
    pub async fn connect(url: &str, keys: Arc<ServerKeys>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl);
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        });
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
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url_creating_file(url))
                    .await?
            }
            Backend::Postgres => options.connect(url).await?,
        };
        let store = Store {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            keys,
        };
        schema::migrate(&store).await?;
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
        let turn = self.write_lock.clone().lock_owned().await;
        let tx = self.pool.begin().await?;
        Ok(WriteTx {
            tx,
            store: self.clone(),
            locked: Vec::new(),
            _turn: turn,
        })
    }
}

/// A write in progress: its transaction, the store it writes to, this process's write turn,
/// and the subjects whose chains it holds.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    store: Store,
    locked: Vec<String>,
    _turn: OwnedMutexGuard<()>,
}

impl WriteTx {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Holds the subject's chain until the transaction ends, so that its records and the
    /// decisions taken from them are this write's alone: an advisory lock on PostgreSQL (other
    /// processes too); on SQLite the single writer already does. Taken once per write.
    pub async fn lock_subject(&mut self, subject: &str) -> Result<(), StoreError> {
        if self.locked.iter().any(|s| s == subject) {
            return Ok(());
        }
        if self.store.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind(subject)
                .fetch_one(&mut *self.tx)
                .await?;
        }
        self.locked.push(subject.to_owned());
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}
