//! The SQLite readers: read-only [`DirectConn`]s, at most `Tuning::sqlite_readers`
//! at once, opened when first needed and kept for the next read.
//!
//! A reader runs its statements on the task that reads (`direct.rs` says why
//! not on a thread of the driver's own): a read of the store takes tens of
//! microseconds, and each trip to another thread and back cost more than
//! that. An intake read the organisation, project, policies and release
//! lines so, and a mail about ten things before it was filed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::direct::DirectConn;
use crate::{StoreError, Tuning};

/// How long a read waits for a free connection before the store answers
/// unavailable (sqlx's pool waited as long).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// The read connections of one database.
pub(crate) struct ReadPool {
    path: PathBuf,
    tuning: Tuning,
    /// Connections opened and not in use.
    idle: Mutex<Vec<DirectConn>>,
    /// One permit per connection that may be in use.
    permits: Arc<Semaphore>,
    /// Connections open, in use or idle.
    open: AtomicU32,
    /// Set by [`ReadPool::close`]: a connection given back is closed, not kept.
    closed: AtomicBool,
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool").field("usage", &self.usage()).finish()
    }
}

/// A read connection taken from the pool; given back when dropped.
#[derive(Debug)]
pub(crate) struct PooledConn {
    conn: Option<DirectConn>,
    pool: Arc<ReadPool>,
    _permit: OwnedSemaphorePermit,
}

impl ReadPool {
    /// A pool of read connections to the database at `path` (none open yet).
    pub(crate) fn new(path: &Path, tuning: Tuning) -> Arc<Self> {
        Arc::new(ReadPool {
            path: path.to_owned(),
            tuning,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(tuning.sqlite_readers.max(1) as usize)),
            open: AtomicU32::new(0),
            closed: AtomicBool::new(false),
        })
    }

    /// A connection: an idle one, or a new one while fewer than the most are open.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<PooledConn, StoreError> {
        let closed = || StoreError::Unavailable("the store is closed".to_owned());
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(&self.permits).acquire_owned())
            .await
            .map_err(|_| StoreError::Unavailable("no read connection was free in time".to_owned()))?
            .map_err(|_| closed())?;
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let kept = self.idle.lock().map_err(|_| closed())?.pop();
        let conn = match kept {
            Some(conn) => conn,
            None => {
                let conn = DirectConn::open_read_only(&self.path, self.tuning)?;
                self.open.fetch_add(1, Ordering::AcqRel);
                conn
            }
        };
        Ok(PooledConn { conn: Some(conn), pool: Arc::clone(self), _permit: permit })
    }

    /// Connections open, idle, and the most.
    pub(crate) fn usage(&self) -> crate::operations::PoolUse {
        let idle = self.idle.lock().map(|idle| idle.len()).unwrap_or(0);
        crate::operations::PoolUse {
            open: self.open.load(Ordering::Acquire),
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max: self.tuning.sqlite_readers.max(1),
        }
    }

    /// Closes the idle connections, and each one in use when it is given back.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        let idle = self.idle.lock().map(|mut idle| std::mem::take(&mut *idle)).unwrap_or_default();
        for conn in idle {
            self.retire(conn);
        }
    }

    fn retire(&self, conn: DirectConn) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        if let Err(e) = conn.close() {
            tracing::warn!(error = %e, "closing a SQLite read connection failed");
        }
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.pool.closed.load(Ordering::Acquire) {
            self.pool.retire(conn);
            return;
        }
        match self.pool.idle.lock() {
            Ok(mut idle) => idle.push(conn),
            Err(_) => self.pool.retire(conn),
        }
    }
}

impl std::ops::Deref for PooledConn {
    type Target = DirectConn;

    fn deref(&self) -> &DirectConn {
        // Taken out only by `drop`.
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a pooled connection is held until dropped"))
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DirectConn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a pooled connection is held until dropped"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{Conn, query};

    #[tokio::test]
    async fn readers_are_bounded_kept_for_the_next_read_and_refused_once_closed() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("pool.db");
        rusqlite::Connection::open(&path).expect("a new database").close().expect("closed");
        let pool = ReadPool::new(&path, Tuning { sqlite_readers: 2, ..Tuning::default() });
        let mut first = pool.acquire().await.expect("a first reader");
        let second = pool.acquire().await.expect("a second reader");
        let row = first.fetch_optional(query("SELECT 1 AS one")).await.expect("reads").expect("a row");
        assert_eq!(crate::sql::RowRead::int(&row, "one").expect("one"), 1);
        let usage = pool.usage();
        assert_eq!((usage.open, usage.idle, usage.max), (2, 0, 2));
        // A third waits for one of the two.
        let mut third = Box::pin(pool.acquire());
        assert!(tokio::time::timeout(Duration::from_millis(100), &mut third).await.is_err());
        drop(second);
        let third = third.await.expect("the connection given back");
        assert_eq!(pool.usage().open, 2, "the connection given back is used again, not a new one");
        drop((first, third));
        assert_eq!(pool.usage().idle, 2);
        pool.close();
        assert_eq!(pool.usage().open, 0);
        assert!(matches!(pool.acquire().await, Err(StoreError::Unavailable(_))));
    }

    #[tokio::test]
    async fn a_reader_cannot_write() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("pool.db");
        let setup = rusqlite::Connection::open(&path).expect("a new database");
        setup.execute_batch("CREATE TABLE t (n INTEGER)").expect("a table");
        setup.close().expect("closed");
        let pool = ReadPool::new(&path, Tuning::default());
        let mut reader = pool.acquire().await.expect("a reader");
        let written = reader.execute(query("INSERT INTO t (n) VALUES (1)")).await;
        assert!(matches!(written, Err(StoreError::Other(message)) if message.contains("readonly")));
    }
}
