//! SQLite group commit. SQLite has one writer, and with `synchronous = FULL` each commit waits
//! for the disk: committing every write alone bounds the server by the disk's flushes. So one
//! connection writes for the whole process, and every write that arrives while it is busy
//! joins the same transaction, each in a savepoint of its own: a write that fails rolls back
//! alone and gets its 4xx. One commit then makes the whole group durable, and only then is any
//! write in it answered.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Mutex as AsyncMutex, Notify, OwnedMutexGuard};

use super::error::{During, StoreError};
use super::url::{open_sqlite_reader, DatabaseUrl};

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
    /// Tells the copier ([`copy_back`]) that the WAL has new pages.
    committed: mpsc::SyncSender<()>,
    /// The WAL's length in pages, as the copier last found it.
    wal_pages: Arc<AtomicI64>,
    /// The length past which the WAL starts over ([`Writer::restart_wal`]).
    wal_pages_to_restart: i64,
    clock: WriterClock,
}

/// Where the one writer's time goes: in writes' turns, in commits, or between one holder and
/// the next (under load, the next write's task waiting to be run). Every write on SQLite passes
/// through the writer one at a time, so these bound the writes per second; the load benchmark
/// reads them from the log (`RUST_LOG=consent_server::writer=debug`). Counts only: nothing
/// about whose write it was.
#[derive(Default)]
struct WriterClock {
    groups: u64,
    writes: u64,
    turns: Duration,
    commits: Duration,
    between: Duration,
    /// When the last holder let go, and when the current one took over.
    released: Option<Instant>,
    taken: Option<Instant>,
    said: Option<Instant>,
}

impl WriterClock {
    fn take(&mut self) {
        let now = Instant::now();
        if let Some(released) = self.released.take() {
            self.between += now - released;
        }
        self.taken = Some(now);
    }

    fn end_turn(&mut self) {
        let held = self.release();
        self.writes += 1;
        self.turns += held;
    }

    fn end_commit(&mut self) {
        let held = self.release();
        self.groups += 1;
        self.commits += held;
        self.say_each_second();
    }

    /// How long the current holder held the writer.
    fn release(&mut self) -> Duration {
        let now = Instant::now();
        self.released = Some(now);
        now - self.taken.take().unwrap_or(now)
    }

    /// Totals since start, once a second at most.
    fn say_each_second(&mut self) {
        let now = Instant::now();
        if self
            .said
            .is_some_and(|said| now - said < Duration::from_secs(1))
        {
            return;
        }
        self.said = Some(now);
        tracing::debug!(
            target: "consent_server::writer",
            groups = self.groups,
            writes = self.writes,
            turns_us = self.turns.as_micros() as u64,
            commits_us = self.commits.as_micros() as u64,
            between_us = self.between.as_micros() as u64,
            "writer"
        );
    }
}

pub struct GroupCommit {
    writer: Arc<AsyncMutex<Writer>>,
    /// A commit is wanted: a write waits for it, or one was abandoned and its transaction must
    /// not stay open (it would hold SQLite's write lock).
    wanted: Arc<Notify>,
    /// Connections that read what is committed, for writes that read before they join the
    /// writer ([`super::db::Store::begin_for_subject`]).
    readers: Arc<Readers>,
    subjects: SubjectLocks,
}

/// Read-only connections to the database file, each used by one write at a time, in place
/// (a read by index takes microseconds: no thread hop).
pub struct Readers {
    url: DatabaseUrl,
    idle: Mutex<Vec<Connection>>,
}

/// Idle readers kept open. A reader is lent for one statement, run in place on one of the
/// runtime's workers, so few are out at once; more are opened when needed, and closed after.
const IDLE_READERS: usize = 8;

/// A reader lent to one write; back to the idle ones when dropped.
pub struct Reader {
    conn: Option<Connection>,
    readers: Arc<Readers>,
}

impl Reader {
    pub fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("a reader until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let mut idle = self.readers.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_READERS {
            idle.extend(self.conn.take());
        }
    }
}

/// Subjects held by writes that read before joining the writer: from the write's first read
/// of a subject until its commit is answered, no other write of this process reads or writes
/// that subject. Striped: two subjects may share a lock, which only makes one wait.
struct SubjectLocks(Vec<Arc<AsyncMutex<()>>>);

const SUBJECT_STRIPES: usize = 1024;

impl SubjectLocks {
    fn new() -> SubjectLocks {
        SubjectLocks(
            (0..SUBJECT_STRIPES)
                .map(|_| Arc::new(AsyncMutex::new(())))
                .collect(),
        )
    }

    async fn hold(&self, subject: &str) -> OwnedMutexGuard<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(subject);
        let stripe = (hash % SUBJECT_STRIPES as u64) as usize;
        self.0[stripe].clone().lock_owned().await
    }
}

impl GroupCommit {
    /// Takes `conn` as the writing connection and starts the task that commits, and `copier`
    /// as the connection that copies committed pages into the database file. Readers are
    /// opened on `url` as writes need them.
    pub fn start(
        conn: rusqlite::Connection,
        copier: rusqlite::Connection,
        url: &DatabaseUrl,
    ) -> Arc<GroupCommit> {
        let (committed, commits) = mpsc::sync_channel(1);
        let wal_pages = Arc::new(AtomicI64::new(0));
        let found = wal_pages.clone();
        crate::vital::spawn_thread("sqlite-copy-back", move || {
            copy_back(copier, commits, &found)
        })
        .expect("a thread starts");
        let group = Arc::new(GroupCommit {
            writer: Arc::new(AsyncMutex::new(Writer {
                conn: Arc::new(Mutex::new(conn)),
                open: false,
                abandoned: false,
                waiting: Vec::new(),
                committed,
                wal_pages,
                wal_pages_to_restart: url.wal_pages_to_restart,
                clock: WriterClock::default(),
            })),
            wanted: Arc::new(Notify::new()),
            readers: Arc::new(Readers {
                url: url.clone(),
                idle: Mutex::new(Vec::new()),
            }),
            subjects: SubjectLocks::new(),
        });
        crate::vital::spawn(commit_groups(group.clone()));
        group
    }

    /// A reader of what is committed, for one write.
    pub fn reader(&self) -> Result<Reader, StoreError> {
        let idle = self
            .readers
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => Arc::new(Mutex::new(open_sqlite_reader(&self.readers.url)?)),
        };
        Ok(Reader {
            conn: Some(conn),
            readers: self.readers.clone(),
        })
    }

    /// Holds `subject` for a write that reads before it joins the writer ([`SubjectLocks`]).
    pub async fn hold(&self, subject: &str) -> OwnedMutexGuard<()> {
        self.subjects.hold(subject).await
    }

    /// Waits for the writer, opens the group's transaction if none is open, and a savepoint
    /// for this write in it.
    pub async fn join(&self) -> Result<Savepoint, StoreError> {
        let mut writer = self.writer.clone().lock_owned().await;
        writer.clock.take();
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
            writer.clock.end_turn();
            self.wanted.notify_one();
            return Err(e).during("end a write");
        }
        let (done, committed) = oneshot::channel();
        writer.waiting.push(done);
        writer.clock.end_turn();
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
        execute(&lock(&self.conn), statement)
    }

    /// Runs a statement that may wait, off the async workers.
    async fn run_blocking(&self, statement: &'static str) -> rusqlite::Result<()> {
        self.off_the_workers(move |conn| execute(conn, statement))
            .await
    }

    async fn off_the_workers<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> rusqlite::Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || work(&lock(&conn)))
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
        // Full: the copier has a round to do already, which will take these pages too.
        let _ = self.committed.try_send(());
        if self.wal_pages.load(Ordering::Relaxed) > self.wal_pages_to_restart {
            self.restart_wal().await;
        }
    }

    /// Copies what the copier has not yet and has the WAL start over, between two groups. The
    /// copier cannot: under a steady stream of writes it never finds a moment with no group
    /// open, and so never the WAL all copied, which is when it may start over; it grew without
    /// bound (800 MB in an 8-second benchmark).
    async fn restart_wal(&self) {
        let restarted = self
            .off_the_workers(|conn| {
                conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
                    row.get::<_, i64>(0)
                })
            })
            .await;
        match restarted {
            Ok(0) => self.wal_pages.store(0, Ordering::Relaxed),
            // Busy: a reader still reads the older pages; the next group tries again.
            Ok(_) => {}
            Err(e) => tracing::warn!("starting the WAL over: {e}"),
        }
    }
}

fn execute(conn: &rusqlite::Connection, statement: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(statement)?.raw_execute()?;
    Ok(())
}

/// Copies committed pages from the WAL into the database file, on its own connection and
/// thread, and says how long the WAL is. The writer's connection does no checkpoints of its
/// own (`wal_autocheckpoint = 0`): done in a commit, each took 5 to 12 ms, one commit in six,
/// with every write of the next group waiting behind it. A passive checkpoint
/// never blocks the writer.
fn copy_back(conn: rusqlite::Connection, commits: mpsc::Receiver<()>, wal_pages: &AtomicI64) {
    while commits.recv().is_ok() {
        // (busy, pages in the WAL, pages copied)
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)) {
            Ok(pages) => wal_pages.store(pages, Ordering::Relaxed),
            Err(e) => tracing::warn!("copying the WAL into the database file: {e}"),
        }
        // Small rounds, close together: each ends with a flush of the database file, and a
        // commit's own flush of the WAL waits behind it. With 16 clients writing, a `PUT`'s
        // p99 was 23-29 ms with 100 ms between rounds, 11-12 ms with 20 ms, 6.6-7.6 ms with
        // 5 ms and 6.1 ms with 1 ms. Only the pause lets commits' signals
        // gather into one round.
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Each time a write asks, takes the writer as soon as the writes queued before this ask have
/// run (the lock is fair: they go first), and commits them all. Asks that come meanwhile leave
/// one permit, and the next round takes whatever has joined since.
async fn commit_groups(group: Arc<GroupCommit>) {
    loop {
        group.wanted.notified().await;
        let mut writer = group.writer.lock().await;
        // No group open: its writes were committed in the round before.
        if !writer.open {
            continue;
        }
        writer.clock.take();
        writer.commit_group().await;
        writer.clock.end_commit();
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
            // A write refused in its turn held the writer as long as any other.
            writer.clock.end_turn();
            self.wanted.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writers_clock_tells_turns_commits_and_the_time_between_holders_apart() {
        let mut clock = WriterClock::default();
        let pause = || std::thread::sleep(Duration::from_millis(3));
        clock.take();
        pause();
        clock.end_turn();
        pause();
        clock.take();
        pause();
        clock.end_commit();
        assert_eq!((clock.writes, clock.groups), (1, 1));
        let at_least = Duration::from_millis(3);
        assert!(clock.turns >= at_least);
        assert!(clock.commits >= at_least);
        assert!(clock.between >= at_least, "{:?}", clock.between);
    }
}
