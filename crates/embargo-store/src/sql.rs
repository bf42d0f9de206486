//! A thin backend-neutral layer over the drivers (sqlx for PostgreSQL in
//! `postgres.rs`, SQLite called directly in `sqlite/direct.rs`) so that every
//! query is written once.
//!
//! Queries use `$1`-style parameters, which both SQLite and PostgreSQL accept.
//! Values carry their type even when null, because PostgreSQL needs it.
//! Each backend binds [`Value`]s and reads columns in its own column types
//! (SQLite: UUIDs and timestamps as text; PostgreSQL: `uuid`, `timestamptz`).

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::StoreError;

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A parameter value, typed even when null.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Bool(bool),
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Id(Option<Uuid>),
    Time(Option<OffsetDateTime>),
    Date(Option<Date>),
}

/// A statement and its parameters.
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) sql: std::borrow::Cow<'static, str>,
    pub(crate) params: Vec<Value>,
}

/// Starts a query.
pub(crate) fn query(sql: &'static str) -> Query {
    Query { sql: std::borrow::Cow::Borrowed(sql), params: Vec::new() }
}

/// Starts a query whose text was put together at run time (the report
/// listing, whose branches depend on the caller's scope and filters; the
/// search index's many-row inserts). Its text holds no value, only
/// placeholders (`$N`, or SQLite's anonymous `?`): values are bound.
pub(crate) fn built_query(sql: String, params: Vec<Value>) -> Query {
    Query { sql: std::borrow::Cow::Owned(sql), params }
}

impl Query {
    /// Adds the next parameter.
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(Some(v))
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Some(v.to_vec()))
    }
}
impl From<Option<Vec<u8>>> for Value {
    fn from(v: Option<Vec<u8>>) -> Self {
        Value::Bytes(v)
    }
}
impl From<Uuid> for Value {
    fn from(v: Uuid) -> Self {
        Value::Id(Some(v))
    }
}
impl From<Option<Uuid>> for Value {
    fn from(v: Option<Uuid>) -> Self {
        Value::Id(v)
    }
}
impl From<OffsetDateTime> for Value {
    fn from(v: OffsetDateTime) -> Self {
        Value::Time(Some(v))
    }
}
impl From<Option<OffsetDateTime>> for Value {
    fn from(v: Option<OffsetDateTime>) -> Self {
        Value::Time(v)
    }
}
impl From<Option<Date>> for Value {
    fn from(v: Option<Date>) -> Self {
        Value::Date(v)
    }
}

macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<$id> for Value {
            fn from(v: $id) -> Self {
                Value::Id(Some(v.as_uuid()))
            }
        }
        impl From<Option<$id>> for Value {
            fn from(v: Option<$id>) -> Self {
                Value::Id(v.map(|id| id.as_uuid()))
            }
        }
    )*};
}
id_values!(
    embargo_core::id::UserId,
    embargo_core::id::OrgId,
    embargo_core::id::ProjectId,
    embargo_core::id::ReportId,
    embargo_core::id::MessageId,
    embargo_core::id::TokenId,
    embargo_core::id::JobId,
    embargo_core::id::AttachmentId,
    embargo_core::id::ShareId,
    embargo_core::id::CollaboratorId,
    embargo_core::id::LabRunId,
    embargo_core::id::SessionId,
    embargo_core::id::SignupId,
    embargo_core::id::WebhookId,
    embargo_core::id::DeliveryId,
    embargo_core::id::CveOperationId
);

/// Reads typed columns from a row of either backend.
pub(crate) trait RowRead {
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, col: &str) -> Result<i64, StoreError>;
    fn bool(&self, col: &str) -> Result<bool, StoreError>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, StoreError>;
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError>;
    fn opt_date(&self, col: &str) -> Result<Option<Date>, StoreError>;

    fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
        self.opt_uuid(col)?.ok_or_else(|| StoreError::corrupt(col, "null"))
    }

    fn time(&self, col: &str) -> Result<OffsetDateTime, StoreError> {
        self.opt_time(col)?.ok_or_else(|| StoreError::corrupt(col, "null"))
    }

    /// A column holding a domain value written by its `Display`.
    fn parsed<T>(&self, col: &str) -> Result<T, StoreError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.text(col)?.parse().map_err(|e| StoreError::corrupt(col, e))
    }

    /// A nullable column holding a domain value written by its `Display`.
    fn opt_parsed<T>(&self, col: &str) -> Result<Option<T>, StoreError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.opt_text(col)?.map(|v| v.parse().map_err(|e| StoreError::corrupt(col, e))).transpose()
    }
}

/// A connection of either backend, inside or outside a transaction.
#[async_trait::async_trait]
pub(crate) trait Conn: Send {
    type Row: RowRead + Send;

    const DIALECT: Dialect;

    /// Runs a statement; answers the number of rows it changed.
    async fn execute(&mut self, query: Query) -> Result<u64, StoreError>;

    /// Runs a query that yields at most one row.
    async fn fetch_optional(&mut self, query: Query) -> Result<Option<Self::Row>, StoreError>;

    /// Runs a query and collects every row.
    async fn fetch_all(&mut self, query: Query) -> Result<Vec<Self::Row>, StoreError>;
}
