//! The PostgreSQL backend, for several stateless replicas: a pool, one
//! transaction per use case, row locks (`FOR UPDATE`) where a use case reads
//! before it decides, and `SKIP LOCKED` for claiming jobs.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, PgPool, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::handle::Handle;
use crate::seal::Sealer;
use crate::sql::{Conn, Dialect, Query, RowRead, Value};
use crate::work::{CatchUnwind, Erased, Work, WriteError};
use crate::{Reader, Store, StoreError};

fn arguments(params: Vec<Value>) -> Result<PgArguments, StoreError> {
    use sqlx::Arguments;
    let mut args = PgArguments::default();
    for value in params {
        let result = match value {
            Value::Bool(v) => args.add(v),
            Value::Int(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Bytes(v) => args.add(v),
            Value::Id(v) => args.add(v),
            Value::Time(v) => args.add(v),
            Value::Date(v) => args.add(v),
        };
        result.map_err(|e| StoreError::Other(format!("cannot bind a parameter: {e}")))?;
    }
    Ok(args)
}

#[async_trait::async_trait]
impl Conn for PgConnection {
    type Row = PgRow;

    const DIALECT: Dialect = Dialect::Postgres;

    async fn execute(&mut self, query: Query) -> Result<u64, StoreError> {
        let args = arguments(query.params)?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(query.sql), args).execute(&mut *self).await?.rows_affected())
    }

    async fn fetch_optional(&mut self, query: Query) -> Result<Option<PgRow>, StoreError> {
        let args = arguments(query.params)?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(query.sql), args).fetch_optional(&mut *self).await?)
    }

    async fn fetch_all(&mut self, query: Query) -> Result<Vec<PgRow>, StoreError> {
        let args = arguments(query.params)?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(query.sql), args).fetch_all(&mut *self).await?)
    }
}

/// A column of a row, decoded; a value that does not decode is corrupt data.
fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    col: &str,
) -> Result<T, StoreError> {
    row.try_get::<T, _>(col).map_err(|e| StoreError::corrupt(col, e))
}

impl RowRead for PgRow {
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
        get(self, col)
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        get(self, col)
    }
    fn opt_date(&self, col: &str) -> Result<Option<Date>, StoreError> {
        get(self, col)
    }
}

/// The PostgreSQL store.
pub(crate) struct PgStore {
    pool: PgPool,
    /// Writes asked for so far ([`Store::writes_asked`]).
    writes_asked: AtomicU64,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

impl PgStore {
    /// Connects, migrates, and is ready.
    pub(crate) async fn open(url: &str, sealer: Arc<Sealer>) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool, writes_asked: AtomicU64::new(0), sealer })
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn reader(&self) -> Result<Box<dyn Reader>, StoreError> {
        let conn = self.pool.acquire().await?;
        Ok(Box::new(Handle::new(conn, Arc::clone(&self.sealer))))
    }

    async fn write_work(&self, work: Box<dyn Work>) -> Result<Erased, WriteError> {
        self.writes_asked.fetch_add(1, Ordering::Relaxed);
        let mut tx = self.pool.begin().await.map_err(|e| WriteError::Store(e.into()))?;
        let result = {
            let mut handle = Handle::new(&mut *tx, Arc::clone(&self.sealer));
            CatchUnwind(Box::pin(work.run(&mut handle))).await
        };
        let result = match result {
            Ok(result) => result,
            Err(why) => {
                tracing::error!(panic = %why, "a use case panicked; its transaction is rolled back");
                tx.rollback().await.map_err(|e| WriteError::Store(e.into()))?;
                return Err(WriteError::Store(StoreError::Other(format!("a use case panicked: {why}"))));
            }
        };
        match result {
            Ok(value) => {
                tx.commit().await.map_err(|e| WriteError::Store(e.into()))?;
                Ok(value)
            }
            Err(error) => {
                tx.rollback().await.map_err(|e| WriteError::Store(e.into()))?;
                Err(WriteError::Work(error))
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn writes_asked(&self) -> u64 {
        self.writes_asked.load(Ordering::Relaxed)
    }

    fn pool_use(&self) -> crate::operations::PoolUse {
        crate::operations::PoolUse {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    fn audit_check(&self) -> crate::audit::AuditCheck {
        crate::audit::AuditCheck::new(&self.sealer)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
