//! The schema, as sqlx migrations: one folder per backend (`server/migrations/sqlite`,
//! `server/migrations/postgres`), since their guards are written in each dialect. What both
//! read alike is written once, in `server/migrations/portable`, and linked into each folder.

use sqlx::AnyPool;

use super::error::{During, StoreError};
use super::url::Backend;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::Row;

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The steps of the server's first own migration table, `schema_version`, all of which the
/// sqlx migrations replaced.
const BEFORE_SQLX: [&str; 4] = [
    "initial",
    "ledger append-only",
    "keyed chain, origins kept apart, per-subject idempotency, checkpoints",
    "truncate and checkpoint guards",
];

pub async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    adopt_schema_version(pool, backend, migrator).await?;
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))
}

/// A database made before the sqlx migrations has their whole schema already, recorded in
/// `schema_version`: its migrations are marked applied, so that they do not run again.
async fn adopt_schema_version(
    pool: &AnyPool,
    backend: Backend,
    migrator: &Migrator,
) -> Result<(), StoreError> {
    let exists = match backend {
        Backend::Sqlite => {
            "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        }
        Backend::Postgres => {
            "SELECT 1 AS found FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_version'"
        }
    };
    let found = sqlx::query(exists)
        .fetch_optional(pool)
        .await
        .during("look for the old migration table")?;
    if found.is_none() {
        return Ok(()); // a new database, or one sqlx already migrates
    }
    let rows = sqlx::query("SELECT name FROM schema_version")
        .fetch_all(pool)
        .await
        .during("read the old migration table")?;
    let names: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("name"))
        .collect::<Result<_, _>>()?;
    if !BEFORE_SQLX
        .iter()
        .all(|step| names.iter().any(|n| n == step))
    {
        return Err(StoreError::Migration(format!(
            "this database's schema is from a development version (steps {names:?}); make it anew"
        )));
    }
    let mut conn = pool.acquire().await?;
    conn.ensure_migrations_table()
        .await
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    let mut tx = pool.begin().await?;
    for migration in migrator.iter() {
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ($1, $2, TRUE, $3, 0)",
        )
        .bind(migration.version)
        .bind(migration.description.as_ref())
        .bind(migration.checksum.as_ref())
        .execute(&mut *tx)
        .await
        .during("mark a migration applied")?;
    }
    sqlx::raw_sql("DROP TABLE schema_version")
        .execute(&mut *tx)
        .await
        .during("retire the old migration table")?;
    tx.commit().await?;
    Ok(())
}
