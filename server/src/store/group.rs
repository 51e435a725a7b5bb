//! SQLite group commit. SQLite has one writer, and with `synchronous = FULL` each commit waits
//! for the disk: committing every write alone bounds the server by the disk's flushes. So one
//! connection writes for the whole process, and every write that arrives while it is busy
//! joins the same transaction, each in a savepoint of its own: a write that fails rolls back
//! alone and gets its 4xx. One commit then makes the whole group durable, and only then is any
//! write in it answered.

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use std::sync::Arc;
use tokio::sync::{oneshot, Mutex, Notify, OwnedMutexGuard};

use super::{During, StoreError};

/// The connection that writes, and where its open transaction stands.
pub struct Writer {
    conn: PoolConnection<Any>,
    /// A transaction is open: the next write joins it.
    open: bool,
    /// A write was dropped unfinished (an error, a client gone): its savepoint is undone
    /// before anything else runs.
    abandoned: bool,
    /// The writes in the open transaction that wait for its commit.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
}

pub struct GroupCommit {
    writer: Arc<Mutex<Writer>>,
    /// A commit is wanted: a write waits for it, or one was abandoned and its transaction must
    /// not stay open (it would hold SQLite's write lock).
    wanted: Arc<Notify>,
}

impl GroupCommit {
    /// Takes `conn` as the writing connection and starts the task that commits.
    pub fn start(conn: PoolConnection<Any>) -> Arc<GroupCommit> {
        let group = Arc::new(GroupCommit {
            writer: Arc::new(Mutex::new(Writer {
                conn,
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
        let _ = writer.undo_abandoned().await;
        if !writer.open {
            // Marked open before the BEGIN is sent: a write whose client goes away while it
            // runs must not leave a transaction open that the writer does not know of (the
            // next BEGIN would fail, and every write after it).
            writer.open = true;
            match sqlx::query("BEGIN IMMEDIATE").execute(writer.conn()).await {
                Ok(_) => {}
                // One is open already (begun for a write cut off before it could say so): join it.
                Err(e) if e.to_string().contains("within a transaction") => {}
                Err(e) => {
                    writer.open = false;
                    return Err(e).during("begin a group of writes");
                }
            }
        }
        if let Err(e) = sqlx::query("SAVEPOINT w").execute(writer.conn()).await {
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
        if let Err(e) = sqlx::query("RELEASE w").execute(writer.conn()).await {
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
    fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    async fn undo_abandoned(&mut self) -> Result<(), StoreError> {
        if !self.abandoned {
            return Ok(());
        }
        self.abandoned = false;
        for statement in ["ROLLBACK TO w", "RELEASE w"] {
            if let Err(e) = sqlx::query(statement).execute(self.conn()).await {
                // SQLite rolls a whole transaction back on some errors (a full disk, an I/O
                // error): then there is no savepoint left to undo, and the writes that joined
                // the transaction are gone with it. They are answered so, and a new one begins.
                let message = e.to_string();
                let _ = sqlx::query("ROLLBACK").execute(self.conn()).await;
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
        let outcome = match self.undo_abandoned().await {
            Err(e) => Err(e.to_string()),
            Ok(()) => match sqlx::query("COMMIT").execute(self.conn()).await {
                Ok(_) => Ok(()),
                // The BEGIN of a write cut off before it was sent never ran: each savepoint
                // then was a transaction of its own, and releasing it committed it.
                Err(e) if e.to_string().contains("no transaction is active") => Ok(()),
                Err(e) => Err(e.to_string()),
            },
        };
        if outcome.is_err() {
            // Nothing of the group stays; each of its writes is answered with the error.
            let _ = sqlx::query("ROLLBACK").execute(self.conn()).await;
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
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.writer.as_mut().expect("an open savepoint").conn()
    }

    pub fn conn_ref(&self) -> &AnyConnection {
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
