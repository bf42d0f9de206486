//! The SQLite backend: WAL, foreign keys, a read pool, and one writer task
//! (on a thread of its own) that batches concurrent use cases into one
//! transaction, each in its own savepoint, and answers each only after the
//! batch committed. Readers and writer call SQLite directly (`direct.rs`
//! says why); sqlx migrates the database (and `backup.rs` copies it).

mod direct;
mod pool;
mod wal;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use tokio::sync::{mpsc, oneshot};

use crate::handle::Handle;
use crate::seal::Sealer;
use crate::sql::{Conn, query};
use crate::work::{CatchUnwind, Erased, Work, WriteError};
use crate::{Reader, Store, StoreError, Tuning};

/// Timestamps as fixed-width UTC text, so that text order is time order.
const TIME_FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE_FORMAT: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

/// The most use cases the writer commits in one transaction.
const MAX_BATCH: usize = 512;

fn format_time(t: OffsetDateTime) -> Result<String, StoreError> {
    t.to_offset(time::UtcOffset::UTC).format(TIME_FORMAT).map_err(|e| StoreError::Other(e.to_string()))
}

fn format_date(d: Date) -> Result<String, StoreError> {
    d.format(DATE_FORMAT).map_err(|e| StoreError::Other(e.to_string()))
}

/// One queued use case and where to send its result.
struct Job {
    work: Box<dyn Work>,
    reply: oneshot::Sender<Result<Erased, WriteError>>,
}

/// The SQLite store.
pub(crate) struct SqliteStore {
    readers: Arc<pool::ReadPool>,
    /// The writer's queue; taken on close so that the writer drains and stops.
    writer: RwLock<Option<mpsc::Sender<Job>>>,
    /// Answered when the writer's thread has committed its last batch and closed its connection.
    writer_done: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    /// Writes asked for so far ([`Store::writes_asked`]).
    writes_asked: AtomicU64,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

/// The connection that creates and migrates the database (sqlx's migrator).
fn migration_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .log_statements(tracing::log::LevelFilter::Trace)
}

/// Creates a missing database file readable by its owner only (0600).
/// SQLite gives its `-wal` and `-shm` files the database file's mode, so
/// they are private too; an existing file is left as it is.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!("cannot create the database {}: {e}", path.display()))),
    }
}

impl SqliteStore {
    /// Opens (creating if asked) the database file, migrates it, starts the writer.
    pub(crate) async fn open(
        path: &Path,
        create: bool,
        sealer: Arc<Sealer>,
        tuning: Tuning,
    ) -> Result<Self, StoreError> {
        if create {
            create_private_file(path)?;
        }
        let mut migrating = migration_options(path).create_if_missing(create).connect().await.map_err(|e| match e {
            sqlx::Error::Database(_) | sqlx::Error::Io(_) if !path.exists() => {
                StoreError::Unavailable(format!("no database at {}", path.display()))
            }
            other => StoreError::from(other),
        })?;
        sqlx::migrate!("migrations/sqlite").run(&mut migrating).await?;
        // Migrated by sqlx; written from now on through the writer's own
        // connection, opened first: closing the last connection folds the
        // write-ahead log into the file (a checkpoint and its fsyncs), which
        // each one-shot `mail ingest` paid once more here.
        let writer_conn = direct::DirectConn::open_writer(path, tuning)?;
        migrating.close().await?;
        // Readers open when first needed: each open parses the whole schema,
        // so a one-shot command such as `mail ingest` opens no more than it uses.
        let readers = pool::ReadPool::new(path, tuning);
        let (tx, rx) = mpsc::channel(4096);
        let writer_done = spawn_writer(writer_conn, rx, Arc::clone(&sealer))?;
        Ok(SqliteStore {
            readers,
            writer: RwLock::new(Some(tx)),
            writer_done: tokio::sync::Mutex::new(Some(writer_done)),
            writes_asked: AtomicU64::new(0),
            sealer,
        })
    }
}

/// Starts the writer on a thread of its own, with a runtime of its own.
///
/// The writer runs the use cases of a batch one after the other, so the time
/// it waits to be scheduled bounds the intake rate. As a task among the
/// server's request tasks it waited behind them (on two cores, behind up to
/// 64 connections' work); on its own thread, calling SQLite directly, it
/// waits for nothing but SQLite.
fn spawn_writer(
    conn: direct::DirectConn,
    queue: mpsc::Receiver<Job>,
    sealer: Arc<Sealer>,
) -> Result<oneshot::Receiver<()>, StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite writer's runtime: {e}")))?;
    let (done, finished) = oneshot::channel();
    std::thread::Builder::new()
        .name("embargo-sqlite-writer".into())
        .spawn(move || {
            runtime.block_on(run_writer(conn, queue, sealer));
            let _ = done.send(());
        })
        .map_err(|e| StoreError::Unavailable(format!("cannot start the SQLite writer's thread: {e}")))?;
    Ok(finished)
}

/// The writer: takes every queued use case, runs each in a savepoint of one
/// transaction, commits once, then answers them all; then folds the log into
/// the database file when it is due (`wal.rs`).
async fn run_writer(mut conn: direct::DirectConn, mut queue: mpsc::Receiver<Job>, sealer: Arc<Sealer>) {
    let checkpoints = wal::Checkpoints::default();
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Counts only, never content (STYLE.md: nothing private in metrics).
        metrics::histogram!("embargo_sqlite_writer_batch_size").record(batch.len() as f64);
        metrics::gauge!("embargo_sqlite_writer_queue_depth").set(queue.len() as f64);
        run_batch(&mut conn, batch, &sealer).await;
        if checkpoints.due(queue.len()) {
            if let Err(error) = conn.checkpoint() {
                tracing::warn!(%error, "folding the SQLite write-ahead log into the database failed");
            }
            checkpoints.done();
        }
    }
    if let Err(e) = conn.close() {
        tracing::warn!(error = %e, "closing the SQLite writer connection failed");
    }
}

async fn run_batch(conn: &mut direct::DirectConn, batch: Vec<Job>, sealer: &Arc<Sealer>) {
    if let Err(error) = conn.command("BEGIN IMMEDIATE") {
        tracing::error!(error = %error, "cannot begin a write transaction");
        for job in batch {
            let _ = job.reply.send(Err(WriteError::Store(StoreError::Unavailable(error.to_string()))));
        }
        return;
    }
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let result = run_in_savepoint(conn, job.work, sealer).await;
        answers.push((job.reply, result));
    }
    match conn.command("COMMIT") {
        Ok(()) => {
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            tracing::error!(error = %error, "committing a write batch failed");
            // Nothing of the batch stays: the next batch begins afresh.
            if let Err(e) = conn.command("ROLLBACK") {
                tracing::warn!(error = %e, "rolling back the failed batch failed");
            }
            for (reply, _) in answers {
                let _ = reply.send(Err(WriteError::Store(StoreError::Unavailable(error.to_string()))));
            }
        }
    }
}

async fn run_in_savepoint(
    conn: &mut direct::DirectConn,
    work: Box<dyn Work>,
    sealer: &Arc<Sealer>,
) -> Result<Erased, WriteError> {
    let command = |conn: &mut direct::DirectConn, sql| conn.command(sql).map_err(WriteError::Store);
    command(conn, "SAVEPOINT use_case")?;
    let result = {
        let mut handle = Handle::new(&mut *conn, Arc::clone(sealer));
        CatchUnwind(Box::pin(work.run(&mut handle))).await
    };
    // Undoes the use case's own changes; the batch's others still commit.
    let undo = |conn: &mut direct::DirectConn| {
        command(conn, "ROLLBACK TO use_case")?;
        command(conn, "RELEASE use_case")
    };
    match result {
        Ok(Ok(value)) => {
            command(conn, "RELEASE use_case")?;
            Ok(value)
        }
        Ok(Err(error)) => {
            undo(conn)?;
            Err(WriteError::Work(error))
        }
        Err(why) => {
            tracing::error!(panic = %why, "a use case panicked in the SQLite writer; its changes are rolled back");
            undo(conn)?;
            Err(WriteError::Store(StoreError::Other(format!("a use case panicked: {why}"))))
        }
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn reader(&self) -> Result<Box<dyn Reader>, StoreError> {
        let conn = self.readers.acquire().await?;
        Ok(Box::new(Handle::new(conn, Arc::clone(&self.sealer))))
    }

    async fn write_work(&self, work: Box<dyn Work>) -> Result<Erased, WriteError> {
        let stopped = || WriteError::Store(StoreError::Unavailable("the store is closed".into()));
        let sender = self.writer.read().map_err(|_| stopped())?.clone().ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        self.writes_asked.fetch_add(1, Ordering::Relaxed);
        sender.send(Job { work, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.readers.acquire().await?;
        conn.fetch_optional(query("SELECT 1")).await.map(drop)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_use(&self) -> crate::operations::PoolUse {
        self.readers.usage()
    }

    fn writes_asked(&self) -> u64 {
        self.writes_asked.load(Ordering::Relaxed)
    }

    fn audit_check(&self) -> crate::audit::AuditCheck {
        crate::audit::AuditCheck::new(&self.sealer)
    }

    async fn close(&self) {
        // The readers close first, so that the writer's connection is the
        // last one: SQLite folds the write-ahead log into the database file
        // and removes it when the last connection closes, but a read-only
        // connection cannot, and left the whole log to the next process to
        // read back (37 MB after a few hundred `mail ingest` runs).
        self.readers.close();
        // Dropping the last sender lets the writer finish the queue, then stop.
        if let Ok(mut sender) = self.writer.write() {
            sender.take();
        }
        let finished = self.writer_done.lock().await.take();
        if let Some(finished) = finished
            && finished.await.is_err()
        {
            tracing::error!("the SQLite writer's thread stopped before it finished");
        }
    }
}
