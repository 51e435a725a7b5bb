//! SQLite group commit. SQLite has one writer, and with `synchronous = FULL` each commit waits
//! for the disk: committing every write alone bounds the server by the disk's flushes. So one
//! connection writes for the whole process, and every write that arrives while it is busy
//! joins the same transaction, each in a savepoint of its own: a write that fails rolls back
//! alone and gets its 4xx. One commit then makes the whole group durable, and only then is any
//! write in it answered.

use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{oneshot, Mutex as AsyncMutex, Notify, OwnedMutexGuard};

use super::{During, StoreError};

/// The one connection that writes. Statements that only touch pages run in place, in the
/// write's own task (microseconds, no thread hop); the two that may wait, for SQLite's write
/// lock (`BEGIN IMMEDIATE`) or for the disk (`COMMIT`), run on the blocking pool. The mutex
/// only keeps the connection whole if a write is cut off while one of those runs: the
/// writer's lock (below) already gives it to one write at a time.
pub type Connection = Arc<Mutex<rusqlite::Connection>>;

pub fn lock(conn: &Connection) -> MutexGuard<'_, rusqlite::Connection> {
    // A statement that panicked left nothing half-done that SQLite would not undo itself.
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The connection that writes, and where its open transaction stands.
pub struct Writer {
    conn: Connection,
    /// A transaction is open: the next write joins it.
    open: bool,
    /// A write was dropped unfinished (an error, a client gone): its savepoint is undone
    /// before anything else runs.
    abandoned: bool,
    /// The writes in the open transaction that wait for its commit.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
}

pub struct GroupCommit {
    writer: Arc<AsyncMutex<Writer>>,
    /// A commit is wanted: a write waits for it, or one was abandoned and its transaction must
    /// not stay open (it would hold SQLite's write lock).
    wanted: Arc<Notify>,
}

impl GroupCommit {
    /// Takes `conn` as the writing connection and starts the task that commits.
    pub fn start(conn: rusqlite::Connection) -> Arc<GroupCommit> {
        let group = Arc::new(GroupCommit {
            writer: Arc::new(AsyncMutex::new(Writer {
                conn: Arc::new(Mutex::new(conn)),
                open: false,
                abandoned: false,
                waiting: Vec::new(),
            })),
            wanted: Arc::new(Notify::new()),
        });
        tokio::spawn(commit_groups(group.clone()));
        group
    }

    /// Waits for the writer, opens the group's transaction if none is open, and a savepoint
    /// for this write in it.
    pub async fn join(&self) -> Result<Savepoint, StoreError> {
        let mut writer = self.writer.clone().lock_owned().await;
        // A failed undo has already begun anew: this write can go on.
        let _ = writer.undo_abandoned();
        if !writer.open {
            // Marked open before the BEGIN is sent: a write whose client goes away while it
            // runs must not leave a transaction open that the writer does not know of (the
            // next BEGIN would fail, and every write after it).
            writer.open = true;
            match writer.run_blocking("BEGIN IMMEDIATE").await {
                Ok(()) => {}
                // One is open already (begun for a write cut off before it could say so): join it.
                Err(e) if e.to_string().contains("within a transaction") => {}
                Err(e) => {
                    writer.open = false;
                    return Err(e).during("begin a group of writes");
                }
            }
        }
        if let Err(e) = writer.run("SAVEPOINT w") {
            // The transaction must not stay open for nobody: the committer ends it.
            self.wanted.notify_one();
            return Err(e).during("begin a write");
        }
        Ok(Savepoint {
            writer: Some(writer),
            wanted: self.wanted.clone(),
        })
    }

    /// Ends this write's savepoint and waits for the commit of its group.
    pub async fn commit(&self, mut savepoint: Savepoint) -> Result<(), StoreError> {
        let mut writer = savepoint
            .writer
            .take()
            .expect("a savepoint is committed once");
        if let Err(e) = writer.run("RELEASE w") {
            writer.abandoned = true;
            self.wanted.notify_one();
            return Err(e).during("end a write");
        }
        let (done, committed) = oneshot::channel();
        writer.waiting.push(done);
        drop(writer);
        self.wanted.notify_one();
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StoreError::Commit(message)),
            Err(_) => Err(StoreError::Commit("the writer stopped".into())),
        }
    }
}

impl Writer {
    /// Runs a statement that never waits (no lock to take, no disk to flush) in place.
    fn run(&self, statement: &str) -> rusqlite::Result<()> {
        lock(&self.conn).prepare_cached(statement)?.raw_execute()?;
        Ok(())
    }

    /// Runs a statement that may wait, off the async workers.
    async fn run_blocking(&self, statement: &'static str) -> rusqlite::Result<()> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            lock(&conn).prepare_cached(statement)?.raw_execute()?;
            Ok(())
        })
        .await
        .unwrap_or_else(|panicked| std::panic::resume_unwind(panicked.into_panic()))
    }

    fn undo_abandoned(&mut self) -> Result<(), StoreError> {
        if !self.abandoned {
            return Ok(());
        }
        self.abandoned = false;
        for statement in ["ROLLBACK TO w", "RELEASE w"] {
            if let Err(e) = self.run(statement) {
                // SQLite rolls a whole transaction back on some errors (a full disk, an I/O
                // error): then there is no savepoint left to undo, and the writes that joined
                // the transaction are gone with it. They are answered so, and a new one begins.
                let message = e.to_string();
                let _ = self.run("ROLLBACK");
                self.open = false;
                for waiting in self.waiting.drain(..) {
                    let _ = waiting.send(Err(message.clone()));
                }
                return Err(e).during("undo a write that did not finish");
            }
        }
        Ok(())
    }

    /// Commits the open transaction and answers every write in it.
    async fn commit_group(&mut self) {
        if !self.open {
            return;
        }
        let outcome = match self.undo_abandoned() {
            Err(e) => Err(e.to_string()),
            Ok(()) => match self.run_blocking("COMMIT").await {
                Ok(()) => Ok(()),
                // The BEGIN of a write cut off before it was sent never ran: each savepoint
                // then was a transaction of its own, and releasing it committed it.
                Err(e) if e.to_string().contains("no transaction is active") => Ok(()),
                Err(e) => Err(e.to_string()),
            },
        };
        if outcome.is_err() {
            // Nothing of the group stays; each of its writes is answered with the error.
            let _ = self.run("ROLLBACK");
            tracing::error!("a group of writes failed to commit");
        }
        self.open = false;
        for waiting in self.waiting.drain(..) {
            let _ = waiting.send(outcome.clone());
        }
    }
}

/// Each time a write asks, takes the writer as soon as the writes queued before this ask have
/// run (the lock is fair: they go first), and commits them all. Asks that come meanwhile leave
/// one permit, and the next round takes whatever has joined since.
async fn commit_groups(group: Arc<GroupCommit>) {
    loop {
        group.wanted.notified().await;
        group.writer.lock().await.commit_group().await;
    }
}

/// One write's place in the group's transaction. Dropped without [`GroupCommit::commit`], it
/// is undone before the writer does anything else.
pub struct Savepoint {
    writer: Option<OwnedMutexGuard<Writer>>,
    wanted: Arc<Notify>,
}

impl Savepoint {
    /// The writing connection, for one statement of this write.
    pub fn conn(&self) -> &Connection {
        &self.writer.as_ref().expect("an open savepoint").conn
    }
}

impl Drop for Savepoint {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.as_mut() {
            writer.abandoned = true;
            self.wanted.notify_one();
        }
    }
}
