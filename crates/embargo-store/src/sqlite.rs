//! The SQLite backend: WAL, foreign keys, a read pool, and one writer task
//! (on a thread of its own) that batches concurrent use cases into one
//! transaction, each in its own savepoint, and answers each only after the
//! batch committed.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, SqlitePool};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::handle::Handle;
use crate::seal::Sealer;
use crate::sql::{Conn, Dialect, Query, RowRead, Value};
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

fn arguments(params: Vec<Value>) -> Result<SqliteArguments, StoreError> {
    use sqlx::Arguments;
    let mut args = SqliteArguments::default();
    let add = |args: &mut SqliteArguments, r: Result<(), sqlx::error::BoxDynError>| {
        r.map_err(|e| StoreError::Other(format!("cannot bind a parameter: {e}"))).map(|()| args.len())
    };
    for value in params {
        let result = match value {
            Value::Bool(v) => args.add(v),
            Value::Int(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Bytes(v) => args.add(v),
            Value::Id(v) => args.add(v.map(|u| u.hyphenated().to_string())),
            Value::Time(v) => args.add(v.map(format_time).transpose()?),
            Value::Date(v) => args.add(v.map(format_date).transpose()?),
        };
        add(&mut args, result)?;
    }
    Ok(args)
}

crate::sql::sqlx_conn!(SqliteConnection, SqliteRow, sqlx::Sqlite, Dialect::Sqlite);

impl RowRead for SqliteRow {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        get(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        get(self, col)
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        get(self, col)
    }
    fn bool(&self, col: &str) -> Result<bool, StoreError> {
        get(self, col)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        get(self, col)
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
        get(self, col)
    }
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, StoreError> {
        let text: Option<String> = get(self, col)?;
        text.map(|t| Uuid::try_parse(&t).map_err(|e| StoreError::corrupt(col, e))).transpose()
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let text: Option<String> = get(self, col)?;
        text.map(|t| {
            PrimitiveDateTime::parse(&t, TIME_FORMAT)
                .map(PrimitiveDateTime::assume_utc)
                .map_err(|e| StoreError::corrupt(col, e))
        })
        .transpose()
    }
    fn opt_date(&self, col: &str) -> Result<Option<Date>, StoreError> {
        let text: Option<String> = get(self, col)?;
        text.map(|t| Date::parse(&t, DATE_FORMAT).map_err(|e| StoreError::corrupt(col, e))).transpose()
    }
}

/// One queued use case and where to send its result.
struct Job {
    work: Box<dyn Work>,
    reply: oneshot::Sender<Result<Erased, WriteError>>,
}

/// The SQLite store.
pub(crate) struct SqliteStore {
    readers: SqlitePool,
    /// The writer's queue; taken on close so that the writer drains and stops.
    writer: RwLock<Option<mpsc::Sender<Job>>>,
    /// Answered when the writer's thread has committed its last batch and closed its connection.
    writer_done: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn connect_options(path: &Path, tuning: Tuning) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        // A negative cache size is in KiB (https://sqlite.org/pragma.html#pragma_cache_size).
        .pragma("cache_size", format!("-{}", tuning.sqlite_cache_kib))
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // A transaction's savepoints keep their undo records in memory, not
        // in a temporary file opened and removed for each batch
        // (https://sqlite.org/pragma.html#pragma_temp_store).
        .pragma("temp_store", "MEMORY")
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
        let mut writer_conn =
            connect_options(path, tuning).create_if_missing(create).connect().await.map_err(|e| match e {
                sqlx::Error::Database(_) | sqlx::Error::Io(_) if !path.exists() => {
                    StoreError::Unavailable(format!("no database at {}", path.display()))
                }
                other => StoreError::from(other),
            })?;
        sqlx::migrate!("migrations/sqlite").run(&mut writer_conn).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(tuning.sqlite_readers)
            // Readers open when first needed (opening one here checks the
            // file). Each open parses the whole schema, so a one-shot
            // command such as `mail ingest` should open no more than it uses.
            .min_connections(0)
            // A connection to a local file does not go stale the way a
            // network connection does: checking each one before use (a
            // round trip to its thread) would cost every read for nothing.
            .test_before_acquire(false)
            .connect_with(connect_options(path, tuning).read_only(true))
            .await?;
        let (tx, rx) = mpsc::channel(4096);
        let writer_done = spawn_writer(writer_conn, rx, Arc::clone(&sealer))?;
        Ok(SqliteStore {
            readers,
            writer: RwLock::new(Some(tx)),
            writer_done: tokio::sync::Mutex::new(Some(writer_done)),
            sealer,
        })
    }
}

/// Starts the writer on a thread of its own, with a runtime of its own.
///
/// Each statement of a use case is a round trip to the connection's SQLite
/// thread, and the writer runs the use cases of a batch one after the other:
/// the time it waits to be scheduled after each answer bounds the intake
/// rate. As a task among the server's request tasks it waited behind them
/// (on two cores, behind up to 64 connections' work); on its own thread it
/// runs as soon as its answer arrives.
fn spawn_writer(
    conn: SqliteConnection,
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
/// transaction, commits once, then answers them all.
async fn run_writer(mut conn: SqliteConnection, mut queue: mpsc::Receiver<Job>, sealer: Arc<Sealer>) {
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
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "closing the SQLite writer connection failed");
    }
}

async fn run_batch(conn: &mut SqliteConnection, batch: Vec<Job>, sealer: &Arc<Sealer>) {
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            let error = StoreError::from(e);
            tracing::error!(error = %error, "cannot begin a write transaction");
            for job in batch {
                let _ = job.reply.send(Err(WriteError::Store(StoreError::Unavailable(error.to_string()))));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let result = run_in_savepoint(&mut tx, job.work, sealer).await;
        answers.push((job.reply, result));
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            let error = StoreError::from(e);
            tracing::error!(error = %error, "committing a write batch failed");
            for (reply, _) in answers {
                let _ = reply.send(Err(WriteError::Store(StoreError::Unavailable(error.to_string()))));
            }
        }
    }
}

async fn run_in_savepoint(
    conn: &mut SqliteConnection,
    work: Box<dyn Work>,
    sealer: &Arc<Sealer>,
) -> Result<Erased, WriteError> {
    let mut savepoint = Connection::begin(conn).await.map_err(|e| WriteError::Store(e.into()))?;
    let result = {
        let mut handle = Handle::new(&mut *savepoint, Arc::clone(sealer));
        CatchUnwind(Box::pin(work.run(&mut handle))).await
    };
    let result = match result {
        Ok(result) => result,
        Err(why) => {
            // The use case's own changes are undone; the batch's others still commit.
            tracing::error!(panic = %why, "a use case panicked in the SQLite writer; its changes are rolled back");
            savepoint.rollback().await.map_err(|e| WriteError::Store(e.into()))?;
            return Err(WriteError::Store(StoreError::Other(format!("a use case panicked: {why}"))));
        }
    };
    match result {
        Ok(value) => {
            savepoint.commit().await.map_err(|e| WriteError::Store(e.into()))?;
            Ok(value)
        }
        Err(error) => {
            savepoint.rollback().await.map_err(|e| WriteError::Store(e.into()))?;
            Err(WriteError::Work(error))
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
        sender.send(Job { work, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.readers.acquire().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_use(&self) -> crate::operations::PoolUse {
        crate::operations::PoolUse {
            open: self.readers.size(),
            idle: u32::try_from(self.readers.num_idle()).unwrap_or(u32::MAX),
            max: self.readers.options().get_max_connections(),
        }
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
        self.readers.close().await;
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
