//! A look at a database without changing it, for `embargo doctor`: which
//! migrations this build knows but the database lacks (and the reverse), and
//! the database server's clock. Unlike [`open()`](crate::open()) it never migrates.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use time::OffsetDateTime;

use crate::{DatabaseUrl, StoreError};

/// The versions recorded as applied; none when the table does not exist
/// yet. A macro, because the query is the same on both connection types.
macro_rules! applied {
    ($conn:expr) => {
        match sqlx::query_as::<_, (i64,)>("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut $conn)
            .await
        {
            Ok(rows) => Ok(rows.into_iter().map(|(v,)| v).collect::<Vec<i64>>()),
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok(Vec::new()),
            Err(e) => Err(StoreError::from(e)),
        }
    };
}

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// What [`inspect`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseStatus {
    /// Migrations this build has that the database has not applied.
    pub pending: Vec<i64>,
    /// Migrations the database applied that this build does not know (a newer version ran on it).
    pub unknown: Vec<i64>,
    /// The database server's clock (PostgreSQL only; SQLite has no server).
    pub server_time: Option<OffsetDateTime>,
}

/// Connects without creating or migrating anything and reports the state.
pub async fn inspect(url: &DatabaseUrl) -> Result<DatabaseStatus, StoreError> {
    let (migrator, applied, server_time) = match url {
        DatabaseUrl::Sqlite(path) => {
            if !path.exists() {
                return Err(StoreError::Unavailable(format!("no database at {}", path.display())));
            }
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .read_only(true)
                .busy_timeout(Duration::from_secs(10))
                .connect()
                .await?;
            let applied = applied!(conn);
            conn.close().await?;
            (&SQLITE, applied?, None)
        }
        DatabaseUrl::Postgres(url) => {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
            let mut conn = options.connect().await?;
            let applied = applied!(conn);
            let now: Result<OffsetDateTime, sqlx::Error> =
                sqlx::query_scalar("SELECT now()").fetch_one(&mut conn).await;
            conn.close().await?;
            (&POSTGRES, applied?, Some(now?))
        }
    };
    let known: Vec<i64> =
        migrator.iter().filter(|m| !m.migration_type.is_down_migration()).map(|m| m.version).collect();
    let pending = known.iter().copied().filter(|v| !applied.contains(v)).collect();
    let unknown = applied.iter().copied().filter(|v| !known.contains(v)).collect();
    Ok(DatabaseStatus { pending, unknown, server_time })
}
