//! SQLite connections called where the store's caller is: on the writer's
//! own thread, and on the reading task (`pool.rs`).
//!
//! sqlx runs each SQLite connection on a worker thread of its own and sends it
//! every statement over a channel: a statement costs two thread switches, and
//! the writer runs its statements one after the other. Profiled under intake
//! (issue 15), the writer spent about 1.3 ms per report, of which SQLite's own
//! work was about 330 µs; the rest was those switches. This connection
//! (rusqlite, over the same bundled SQLite as sqlx) runs each statement where
//! the writer is, with its prepared statements cached; readers do the same.
//!
//! It takes the statements every store module writes for sqlx unchanged
//! (`$N` placeholders, [`Value`]s, [`RowRead`]), binding and decoding each
//! value as sqlx's SQLite driver does, so each query is still written once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue};
use rusqlite::{OpenFlags, ffi};
use time::{Date, OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

use super::{DATE_FORMAT, TIME_FORMAT, format_date, format_time};
use crate::sql::{Query, RowRead, Value};
use crate::{StoreError, Tuning};

/// Statements kept prepared: every fixed statement of the store's writes fits.
/// Statements put together at run time (the listing, the index's many-row
/// inserts) are prepared afresh each time and not kept.
const STATEMENT_CACHE: usize = 512;

/// A SQLite connection called directly: the writer's, or a reader's.
pub(crate) struct DirectConn {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for DirectConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectConn")
    }
}

/// What a statement's caller wants of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// The number of rows it changed (its rows, if any, are stepped through and dropped).
    Changes,
    /// Its first row.
    First,
    /// All its rows.
    All,
}

/// One row a statement answered, its values copied out of SQLite.
#[derive(Debug)]
pub(crate) struct DirectRow {
    columns: Arc<[String]>,
    values: Vec<SqlValue>,
}

impl DirectConn {
    /// Opens the (existing, migrated) database for writing: write-ahead
    /// log, every commit synced (`synchronous=FULL`), foreign keys checked.
    pub(crate) fn open(path: &Path, tuning: Tuning) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // `journal_mode` answers a row; the others answer none.
        Self::open_with(path, flags, tuning, &["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"])
    }

    /// Opens the database for the writer: as [`DirectConn::open`], and the
    /// log left to the writer to fold in (`wal.rs`).
    pub(crate) fn open_writer(path: &Path, tuning: Tuning) -> Result<Self, StoreError> {
        let mut writer = Self::open(path, tuning)?;
        writer.batch(super::wal::WRITER_PRAGMAS)?;
        writer.conn.wal_hook(Some(super::wal::log_pages));
        Ok(writer)
    }

    /// Opens the database for reading only (the read pool's connections).
    pub(crate) fn open_read_only(path: &Path, tuning: Tuning) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_with(path, flags, tuning, &[])
    }

    fn open_with(path: &Path, flags: OpenFlags, tuning: Tuning, pragmas: &[&'static str]) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(..) if !path.exists() => {
                StoreError::Unavailable(format!("no database at {}", path.display()))
            }
            other => store_error(other),
        })?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(store_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let mut direct = DirectConn { conn };
        // A negative cache size is in KiB (https://sqlite.org/pragma.html#pragma_cache_size);
        // savepoints and sorts keep their temporary data in memory, not in a file opened and
        // removed each time (https://sqlite.org/pragma.html#pragma_temp_store).
        let cache = format!("PRAGMA cache_size = -{}", tuning.sqlite_cache_kib);
        let common = [cache.as_str(), "PRAGMA foreign_keys = ON", "PRAGMA temp_store = MEMORY"];
        for pragma in common.into_iter().chain(pragmas.iter().copied()) {
            direct.run(Query { sql: pragma.to_owned().into(), params: Vec::new() }, Wanted::Changes)?;
        }
        Ok(direct)
    }

    /// Runs one statement that takes no parameter and answers no row
    /// (`BEGIN IMMEDIATE`, `SAVEPOINT`, `COMMIT` …), kept prepared: the
    /// writer runs a few for every use case.
    pub(crate) fn command(&mut self, sql: &'static str) -> Result<(), StoreError> {
        self.conn.prepare_cached(sql).and_then(|mut statement| statement.execute([])).map(drop).map_err(store_error)
    }

    /// Runs statements that take no parameter, such as pragmas (whose rows are dropped).
    pub(crate) fn batch(&mut self, sql: &'static str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(store_error)
    }

    /// Folds what it can of the write-ahead log into the database file,
    /// without waiting for the writer or a reader (a passive checkpoint).
    pub(crate) fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.batch("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Closes the connection (the last one folds the write-ahead log into the file).
    pub(crate) fn close(self) -> Result<(), StoreError> {
        self.conn.close().map_err(|(_, e)| store_error(e))
    }

    /// Runs a statement: binds its parameters as sqlx's SQLite driver does,
    /// steps it (to its end, or to the first row), and answers the rows asked
    /// for and the rows it changed.
    fn run(&mut self, query: Query, wanted: Wanted) -> Result<(Vec<DirectRow>, u64), StoreError> {
        let (mut cached, mut fresh);
        let statement: &mut rusqlite::Statement<'_> = match &query.sql {
            // A fixed statement: kept prepared.
            std::borrow::Cow::Borrowed(sql) => {
                cached = self.conn.prepare_cached(sql).map_err(store_error)?;
                &mut cached
            }
            std::borrow::Cow::Owned(sql) => {
                fresh = self.conn.prepare(sql).map_err(store_error)?;
                &mut fresh
            }
        };
        let values = query.params.into_iter().map(bound).collect::<Result<Vec<_>, _>>()?;
        // As sqlx does: `$N` (or `?N`) takes the Nth value, a bare `?` the
        // next one; a parameter past the values is left unbound (NULL).
        let mut next = 0;
        for index in 1..=statement.parameter_count() {
            let n = match statement.parameter_name(index) {
                Some(name) => name
                    .strip_prefix(['$', '?'])
                    .and_then(|n| n.parse::<usize>().ok())
                    .ok_or_else(|| StoreError::Other(format!("unsupported SQL parameter {name}")))?,
                None => {
                    next += 1;
                    next
                }
            };
            let Some(value) = n.checked_sub(1).and_then(|i| values.get(i)) else { break };
            statement.raw_bind_parameter(index, value).map_err(store_error)?;
        }
        // Column names are copied only for a caller that reads rows.
        let columns: Arc<[String]> = match wanted {
            Wanted::Changes => Arc::new([]),
            Wanted::First | Wanted::All => statement.column_names().into_iter().map(str::to_owned).collect(),
        };
        let mut found = Vec::new();
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().map_err(store_error)? {
            if wanted == Wanted::Changes {
                continue;
            }
            let values = (0..columns.len())
                .map(|i| row.get::<_, SqlValue>(i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(store_error)?;
            found.push(DirectRow { columns: Arc::clone(&columns), values });
            // A statement's changes are all made by its first step (RETURNING's rows included).
            if wanted == Wanted::First {
                break;
            }
        }
        drop(rows);
        Ok((found, self.conn.changes()))
    }
}

#[async_trait::async_trait]
impl crate::sql::Conn for DirectConn {
    type Row = DirectRow;

    const DIALECT: crate::sql::Dialect = crate::sql::Dialect::Sqlite;

    async fn execute(&mut self, query: Query) -> Result<u64, StoreError> {
        self.run(query, Wanted::Changes).map(|(_, changed)| changed)
    }

    async fn fetch_optional(&mut self, query: Query) -> Result<Option<DirectRow>, StoreError> {
        self.run(query, Wanted::First).map(|(rows, _)| rows.into_iter().next())
    }

    async fn fetch_all(&mut self, query: Query) -> Result<Vec<DirectRow>, StoreError> {
        self.run(query, Wanted::All).map(|(rows, _)| rows)
    }
}

/// A parameter as sqlx's SQLite driver binds it: booleans as 0 or 1, ids
/// hyphenated and times in [`TIME_FORMAT`] as text.
fn bound(value: Value) -> Result<ToSqlOutput<'static>, StoreError> {
    let value = match value {
        Value::Bool(v) => SqlValue::Integer(i64::from(v)),
        Value::Int(v) => v.map_or(SqlValue::Null, SqlValue::Integer),
        Value::Text(v) => v.map_or(SqlValue::Null, SqlValue::Text),
        Value::Bytes(v) => v.map_or(SqlValue::Null, SqlValue::Blob),
        Value::Id(v) => v.map_or(SqlValue::Null, |u| SqlValue::Text(u.hyphenated().to_string())),
        Value::Time(v) => v.map(format_time).transpose()?.map_or(SqlValue::Null, SqlValue::Text),
        Value::Date(v) => v.map(format_date).transpose()?.map_or(SqlValue::Null, SqlValue::Text),
    };
    Ok(ToSqlOutput::Owned(value))
}

/// A driver error as the store's error: the kinds `StoreError::from(sqlx::Error)` gives for SQLite.
pub(crate) fn store_error(error: rusqlite::Error) -> StoreError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let message = message.clone().unwrap_or_else(|| error.to_string());
            match failure.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE
                | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                | ffi::SQLITE_CONSTRAINT_FOREIGNKEY
                | ffi::SQLITE_CONSTRAINT_CHECK => {
                    // SQLite names the columns in the message: "UNIQUE constraint failed: users.email".
                    let constraint = message.rsplit_once(": ").map(|(_, cols)| cols.to_owned()).unwrap_or_default();
                    StoreError::Conflict { constraint }
                }
                _ if matches!(
                    failure.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
                {
                    StoreError::Unavailable(message)
                }
                _ => StoreError::Other(message),
            }
        }
        _ => StoreError::Other(error.to_string()),
    }
}

impl DirectRow {
    /// A column's value; a column the statement does not answer is a bug, reported as corrupt data.
    fn value(&self, col: &str) -> Result<&SqlValue, StoreError> {
        self.columns
            .iter()
            .position(|c| c == col)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::corrupt(col, "no such column"))
    }

    /// A text column (as sqlx reads a `String`: text only), or none when null.
    fn opt_str(&self, col: &str) -> Result<Option<&str>, StoreError> {
        match self.value(col)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(text) => Ok(Some(text)),
            other => Err(StoreError::corrupt(col, format!("{:?} where text was expected", other.data_type()))),
        }
    }
}

impl RowRead for DirectRow {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.opt_text(col)?.ok_or_else(|| StoreError::corrupt(col, "null"))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(self.opt_str(col)?.map(str::to_owned))
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        match self.value(col)? {
            SqlValue::Integer(n) => Ok(*n),
            other => Err(StoreError::corrupt(col, format!("{:?} where an integer was expected", other.data_type()))),
        }
    }
    fn bool(&self, col: &str) -> Result<bool, StoreError> {
        self.int(col).map(|n| n != 0)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        self.opt_bytes(col)?.ok_or_else(|| StoreError::corrupt(col, "null"))
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
        // As sqlx reads bytes: a blob, or text's bytes.
        match self.value(col)? {
            SqlValue::Null => Ok(None),
            SqlValue::Blob(bytes) => Ok(Some(bytes.clone())),
            SqlValue::Text(text) => Ok(Some(text.as_bytes().to_vec())),
            other => Err(StoreError::corrupt(col, format!("{:?} where bytes were expected", other.data_type()))),
        }
    }
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, StoreError> {
        self.opt_str(col)?.map(|t| Uuid::try_parse(t).map_err(|e| StoreError::corrupt(col, e))).transpose()
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.opt_str(col)?
            .map(|t| {
                PrimitiveDateTime::parse(t, TIME_FORMAT)
                    .map(PrimitiveDateTime::assume_utc)
                    .map_err(|e| StoreError::corrupt(col, e))
            })
            .transpose()
    }
    fn opt_date(&self, col: &str) -> Result<Option<Date>, StoreError> {
        self.opt_str(col)?.map(|t| Date::parse(t, DATE_FORMAT).map_err(|e| StoreError::corrupt(col, e))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{Conn, built_query, query};

    fn open() -> (tempfile::TempDir, DirectConn) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("direct.db");
        rusqlite::Connection::open(&path).expect("a new database").close().expect("closed");
        let tuning = Tuning::default();
        let mut conn = DirectConn::open(&path, tuning).expect("opens");
        conn.command("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, at TEXT, b BLOB, ok INTEGER)").expect("table");
        (dir, conn)
    }

    #[tokio::test]
    async fn parameters_bind_by_number_as_sqlx_binds_them_and_values_read_back() {
        let (_dir, mut conn) = open();
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let at = OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("a time");
        // $2 before $1, and $1 twice: each takes its numbered value.
        let insert = query("INSERT INTO t (n, id, at, b, ok) VALUES ($2, $1, $3, $4, $5) RETURNING id, n")
            .bind(id)
            .bind(7_i64)
            .bind(at)
            .bind(vec![0_u8, 255])
            .bind(true);
        let row = conn.fetch_optional(insert).await.expect("inserted").expect("a row");
        assert_eq!((row.uuid("id").expect("id"), row.int("n").expect("n")), (id, 7));
        let same = query("SELECT id, n, at, b, ok FROM t WHERE id = $1 AND (n = $2 OR $2 IS NULL) AND id = $1")
            .bind(id)
            .bind(7_i64);
        let rows = conn.fetch_all(same).await.expect("read");
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.time("at").expect("at"), at);
        assert_eq!(row.bytes("b").expect("b"), vec![0, 255]);
        assert!(row.bool("ok").expect("ok"));
        // Anonymous `?` take the values in order (the search index's inserts).
        let anonymous =
            built_query("UPDATE t SET n = ? WHERE id = ?".to_owned(), vec![Value::from(9_i64), Value::from(id)]);
        assert_eq!(conn.execute(anonymous).await.expect("updated"), 1);
        let n = conn.fetch_optional(query("SELECT n FROM t")).await.expect("read").expect("a row");
        assert_eq!(n.int("n").expect("n"), 9);
        // A column read as the wrong kind is corrupt data, not a panic.
        assert!(matches!(n.text("n"), Err(StoreError::Other(_))));
        assert!(matches!(n.int("missing"), Err(StoreError::Other(_))));
    }

    #[tokio::test]
    async fn a_broken_rule_is_a_conflict_naming_its_columns() {
        let (_dir, mut conn) = open();
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        conn.execute(query("INSERT INTO t (id) VALUES ($1)").bind(id)).await.expect("first");
        let again = conn.execute(query("INSERT INTO t (id) VALUES ($1)").bind(id)).await;
        match again {
            Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, "t.id"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let bad = conn.execute(query("INSERT INTO nowhere (id) VALUES ($1)").bind(id)).await;
        assert!(matches!(bad, Err(StoreError::Other(message)) if message.contains("nowhere")));
    }
}
