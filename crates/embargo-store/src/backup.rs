//! Backups of an SQLite instance: an online, consistent copy of the live
//! database (`VACUUM INTO`, <https://sqlite.org/lang_vacuum.html#vacuuminto>),
//! its integrity check, and the optional copy of the instance secret inside
//! the backup file. PostgreSQL instances are backed up with `pg_dump`.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::StoreError;
use crate::seal::SecretKey;

/// The table a backup made `--with-secret` keeps the instance secret in.
/// It is never part of a live database: restoring takes it out.
const SECRET_TABLE: &str = "embargo_backup_secret";

async fn connect(path: &Path) -> Result<SqliteConnection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Unavailable(format!("no database at {}", path.display())));
    }
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await?)
}

/// Writes a consistent copy of the database at `source` (which may be in use
/// by a running server) to the new file `target`; an existing `target` is
/// refused, never overwritten.
pub async fn sqlite_copy(source: &Path, target: &Path) -> Result<(), StoreError> {
    if target.exists() {
        return Err(StoreError::Conflict { constraint: format!("{} exists", target.display()) });
    }
    let target =
        target.to_str().ok_or_else(|| StoreError::Other(format!("{} is not a UTF-8 path", target.display())))?;
    let mut conn = connect(source).await?;
    sqlx::query("VACUUM INTO $1").bind(target).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Runs SQLite's integrity check on a database file: the problems it names,
/// none when the file is sound.
pub async fn sqlite_integrity(path: &Path) -> Result<Vec<String>, StoreError> {
    let mut conn = connect(path).await?;
    let rows = sqlx::query("PRAGMA integrity_check").fetch_all(&mut conn).await?;
    conn.close().await?;
    let mut problems = Vec::new();
    for row in rows {
        let line: String = row.try_get(0)?;
        if line != "ok" {
            problems.push(line);
        }
    }
    Ok(problems)
}

/// Puts the instance secret into a backup file (`--with-secret`).
pub async fn sqlite_put_secret(path: &Path, secret: &SecretKey) -> Result<(), StoreError> {
    let mut conn = connect(path).await?;
    sqlx::query(const_format::concatcp!("CREATE TABLE ", SECRET_TABLE, " (key TEXT NOT NULL)"))
        .execute(&mut conn)
        .await?;
    sqlx::query(const_format::concatcp!("INSERT INTO ", SECRET_TABLE, " (key) VALUES ($1)"))
        .bind(secret.to_base64())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Takes the instance secret out of a restored file, if the backup holds
/// one, and rewrites the file so that no trace of it stays in free pages.
pub async fn sqlite_take_secret(path: &Path) -> Result<Option<SecretKey>, StoreError> {
    let mut conn = connect(path).await?;
    let exists = sqlx::query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1")
        .bind(SECRET_TABLE)
        .fetch_optional(&mut conn)
        .await?
        .is_some();
    if !exists {
        conn.close().await?;
        return Ok(None);
    }
    let text: String = sqlx::query_scalar(const_format::concatcp!("SELECT key FROM ", SECRET_TABLE, " LIMIT 1"))
        .fetch_one(&mut conn)
        .await?;
    let secret = text
        .trim()
        .parse::<SecretKey>()
        .map_err(|_| StoreError::Other("the secret in the backup is malformed".into()))?;
    sqlx::query(const_format::concatcp!("DROP TABLE ", SECRET_TABLE)).execute(&mut conn).await?;
    sqlx::query("VACUUM").execute(&mut conn).await?;
    conn.close().await?;
    Ok(Some(secret))
}
