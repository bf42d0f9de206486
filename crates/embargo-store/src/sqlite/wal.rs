//! When the writer folds the write-ahead log into the database file (a
//! checkpoint): after it has answered a batch's callers, not before.
//!
//! SQLite checkpoints on the connection that commits, inside the `COMMIT`,
//! once the log holds 1,000 pages: the writer copied the log's pages into the
//! database file and waited for its `fsync` before it answered anyone.
//! Profiled while mail was handed over one message at a time (issue 15),
//! that was a fifth of the writer's time, all of it in some mail's wait.
//!
//! Here SQLite does not checkpoint by itself (`wal_autocheckpoint = 0`); a
//! commit hook notes how long the log is ([`log_pages`]), and the writer asks
//! [`Checkpoints::due`] after answering each batch:
//! - from [`IDLE_PAGES`] on, when no use case waits (the checkpoint then
//!   costs nobody a wait unless one arrives meanwhile);
//! - from [`BUSY_PAGES`] on, whatever waits, so that the log stays short
//!   under a flood. Fewer, longer checkpoints also copy each page the
//!   flood keeps changing once, where SQLite's copied it every 1,000 pages.
//!
//! The writer checkpoints itself, between two of its own transactions, so
//! the checkpoint copies the whole log and the next transaction starts the log
//! afresh from its beginning (a checkpoint on another connection, tried
//! first, lagged behind the writer's commits and the log never started
//! afresh: it grew to 32 MB in two seconds of mail). A checkpoint is passive:
//! it waits for no reader, and a reader that still reads an older state only
//! keeps the log from starting afresh until the next one.

use std::cell::Cell;
use std::os::raw::c_int;

use rusqlite::hooks::Wal;

/// From this many pages in the log, the writer checkpoints when idle (SQLite's own threshold).
const IDLE_PAGES: u32 = 1_000;

/// From this many pages in the log (32 MiB of 4 KiB pages), the writer checkpoints even
/// while use cases wait.
const BUSY_PAGES: u32 = 8_000;

/// The pragmas of the writer's connection: no checkpoint inside a commit,
/// and a log file cut back to 32 MiB when the log starts afresh (a flood's
/// longer log does not keep its disk space).
pub(super) const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 33554432";

thread_local! {
    /// The pages in the log after this thread's connection last committed.
    /// The writer has a thread of its own, so this is its log's length.
    static LOG_PAGES: Cell<u32> = const { Cell::new(0) };
}

/// The commit hook of the writer's connection: notes the log's length.
pub(super) fn log_pages(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    LOG_PAGES.with(|log| log.set(u32::try_from(pages).unwrap_or(0)));
    Ok(())
}

/// The writer's checkpoint rule (this module's documentation).
#[derive(Debug, Clone, Copy)]
pub(super) struct Checkpoints {
    idle: u32,
    busy: u32,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints { idle: IDLE_PAGES, busy: BUSY_PAGES }
    }
}

impl Checkpoints {
    /// Whether the writer checkpoints now, after a batch: `waiting` use cases are queued.
    pub(super) fn due(self, waiting: usize) -> bool {
        let pages = LOG_PAGES.with(Cell::get);
        pages >= self.busy || (pages >= self.idle && waiting == 0)
    }

    /// Notes that the log was folded in.
    pub(super) fn done(self) {
        LOG_PAGES.with(|log| log.set(0));
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::Tuning;
    use crate::sqlite::direct::DirectConn;

    /// A database in WAL mode with one table, and its writer's connection
    /// set as the store sets it.
    fn database() -> (tempfile::TempDir, PathBuf, DirectConn) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("wal.db");
        rusqlite::Connection::open(&path).expect("a new database").close().expect("closed");
        let mut writer = DirectConn::open_writer(&path, Tuning::default()).expect("opens");
        writer.command("CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB NOT NULL)").expect("a table");
        (dir, path, writer)
    }

    /// Commits `rows` rows of 4 KB, one transaction of 100 each.
    async fn write(writer: &mut DirectConn, rows: std::ops::Range<i64>) {
        use crate::sql::Conn;
        for chunk in rows.collect::<Vec<_>>().chunks(100) {
            writer.command("BEGIN IMMEDIATE").expect("begins");
            for n in chunk {
                let insert = crate::sql::query("INSERT INTO t (n, b) VALUES ($1, zeroblob(4096))").bind(*n);
                writer.execute(insert).await.expect("inserts");
            }
            writer.command("COMMIT").expect("commits");
        }
    }

    fn file_len(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    #[tokio::test]
    async fn commits_leave_the_log_to_the_writer_which_folds_it_in_when_idle_or_when_long() {
        let (_dir, path, mut writer) = database();
        let rule = Checkpoints { idle: 300, busy: 1_000 };
        let before = file_len(&path);
        // 400 rows of 4 KB, about 460 pages: past the idle threshold, short of the busy one.
        write(&mut writer, 0..400).await;
        assert_eq!(file_len(&path), before, "a commit copied pages into the database file");
        assert!(!rule.due(3), "checkpoint due with 3 use cases waiting, the log short of the busy threshold");
        assert!(rule.due(0), "no checkpoint due when idle, the log past the idle threshold");
        // Past the busy threshold, it is due whatever waits.
        write(&mut writer, 400..1_200).await;
        assert_eq!(file_len(&path), before, "a commit copied pages into the database file");
        assert!(rule.due(3), "no checkpoint due with the log past the busy threshold");

        writer.checkpoint().expect("checkpoints");
        rule.done();
        assert!(file_len(&path) >= 1_200 * 4096, "the log was not folded in: {} bytes", file_len(&path));
        assert!(!rule.due(0), "a checkpoint still due after one");
        // The next transaction starts the log afresh: the file does not grow.
        let log = PathBuf::from(format!("{}-wal", path.display()));
        let log_len = file_len(&log);
        write(&mut writer, 1_200..1_300).await;
        assert!(file_len(&log) <= log_len, "the log grew from {log_len} to {} bytes", file_len(&log));

        writer.close().expect("closes");
        assert!(!log.exists(), "the log stayed after the last connection closed");
        let rows = rusqlite::Connection::open(&path)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)))
            .expect("counts");
        assert_eq!(rows, 1_300);
    }
}
