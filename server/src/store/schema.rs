use super::{Backend, Store, StoreError};
use sqlx::Row;

/// Append-only: each entry is applied once, in order, and recorded in `schema_version`.
/// Types are the ones both dialects read alike: TEXT, and BIGINT for numbers, times (Unix
/// milliseconds) and booleans (0/1).
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "initial",
        "
    CREATE TABLE editions (
        version TEXT NOT NULL,
        language TEXT NOT NULL,
        published TEXT NOT NULL,
        document TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (version, language)
    );
    CREATE TABLE ledger (
        subject TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        at BIGINT NOT NULL,
        body TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (subject, seq)
    );
    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        seq BIGINT NOT NULL
    );
    CREATE TABLE consent_state (
        subject TEXT NOT NULL,
        purpose TEXT NOT NULL,
        granted BIGINT NOT NULL,
        changed_at BIGINT NOT NULL,
        PRIMARY KEY (subject, purpose)
    );
    CREATE TABLE acceptances (
        subject TEXT PRIMARY KEY,
        edition TEXT NOT NULL,
        method TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE TABLE activity (
        subject TEXT PRIMARY KEY,
        last_seen BIGINT NOT NULL
    );
    CREATE TABLE device_links (
        device TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        linked_at BIGINT NOT NULL
    );
    CREATE TABLE subject_data (
        user_id TEXT NOT NULL,
        category TEXT NOT NULL,
        value TEXT NOT NULL,
        source TEXT NOT NULL,
        since BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, category)
    );
    CREATE TABLE withdrawals (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        at BIGINT NOT NULL,
        language TEXT NOT NULL,
        purposes TEXT NOT NULL,
        application TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        staff TEXT NOT NULL,
        role TEXT NOT NULL,
        subject TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    ",
    ),
    (
        "keyed chain, origins kept apart, per-subject idempotency, checkpoints",
        // IP and user agent leave the chained record for a table of their own, which the retention
        // purge empties (2.5); the record keeps only a keyed hash of them. Rows written before this
        // step were chained without the server's key: pre-launch databases are to be made anew.
        "
    ALTER TABLE ledger DROP COLUMN ip;
    ALTER TABLE ledger DROP COLUMN user_agent;
    ALTER TABLE ledger ADD COLUMN origin_ref TEXT;
    CREATE TABLE origins (
        ref TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        at BIGINT NOT NULL
    );
    CREATE INDEX origins_by_subject ON origins (subject);
    DROP TABLE events;
    CREATE TABLE events (
        subject TEXT NOT NULL,
        event_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (subject, event_id)
    );
    CREATE TABLE idempotency (
        subject TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        response TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (subject, idempotency_key)
    );
    CREATE TABLE checkpoints (
        id BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        heads TEXT NOT NULL,
        digest TEXT NOT NULL,
        signature TEXT NOT NULL
    );
    ",
    ),
];

/// The ledger refuses UPDATE and DELETE in the database itself, not only in our code.
fn append_only_guard(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "
            CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
            CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
        }
        Backend::Postgres => {
            "
            CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the ledger is append-only'; END; $$;
            CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();"
        }
    }
}

/// TRUNCATE fires no row trigger: PostgreSQL needs a statement trigger of its own. (SQLite
/// has no TRUNCATE; its `DELETE FROM ledger` meets the row trigger.) Checkpoints are
/// append-only as well.
fn truncate_and_checkpoint_guard(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "
            CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
            BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
        }
        Backend::Postgres => {
            "
            CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
            CREATE TRIGGER checkpoints_no_change BEFORE UPDATE OR DELETE ON checkpoints
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
            CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();"
        }
    }
}

pub async fn migrate(store: &Store) -> Result<(), StoreError> {
    let pool = store.pool();
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_version (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(pool)
        .await?;
    // The guards come after the tables they guard; each step keeps its place in the order.
    let (initial, later) = MIGRATIONS.split_at(1);
    let steps = initial
        .iter()
        .copied()
        .chain([("ledger append-only", append_only_guard(store.backend()))])
        .chain(later.iter().copied())
        .chain([(
            "truncate and checkpoint guards",
            truncate_and_checkpoint_guard(store.backend()),
        )]);
    for (name, sql) in steps {
        let mut tx = pool.begin().await?;
        let done = sqlx::query("SELECT name FROM schema_version WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get::<String, _>("name"))
            .transpose()?;
        if done.is_none() {
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_version (name, applied_at) VALUES ($1, $2)")
                .bind(name)
                .bind(crate::clock::now().millis())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
