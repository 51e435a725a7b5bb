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
use tokio::sync::Mutex;

use crate::seal::ServerKeys;

pub type Tx = Transaction<'static, Any>;
pub type Row = AnyRow;
pub type BoxFuture<'t, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 't>>;

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
    /// does the same, see [`Store::lock_subject`].
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

    /// Runs `work` in one transaction, committed before this returns `Ok`: what the caller then
    /// answers 2xx for is on disk. On error everything is rolled back.
    pub async fn write<T, E>(
        &self,
        work: impl for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _one_writer = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let value = work(&mut tx).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(value)
    }

    /// Holds the subject's chain for the rest of the transaction (PostgreSQL; on SQLite the
    /// single writer already does).
    pub async fn lock_subject(
        backend: Backend,
        tx: &mut Tx,
        subject: &str,
    ) -> Result<(), StoreError> {
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text")
                .bind(subject)
                .fetch_one(&mut **tx)
                .await?;
        }
        Ok(())
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
