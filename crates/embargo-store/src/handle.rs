//! [`Handle`]: a connection (pooled or inside a transaction) plus the sealer.
//! Every read and write trait is implemented for it, once, in the resource
//! modules.

use std::ops::DerefMut;
use std::sync::Arc;

use crate::StoreError;
use crate::seal::Sealer;
use crate::sql::{Conn, Query};

/// A connection of either backend with the sealer for private columns.
pub(crate) struct Handle<H> {
    conn: H,
    pub(crate) sealer: Arc<Sealer>,
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    pub(crate) fn new(conn: H, sealer: Arc<Sealer>) -> Self {
        Handle { conn, sealer }
    }

    /// The SQL dialect of the connection.
    pub(crate) fn dialect(&self) -> crate::sql::Dialect {
        <H::Target as Conn>::DIALECT
    }

    pub(crate) async fn execute(&mut self, query: Query) -> Result<u64, StoreError> {
        self.conn.execute(query).await
    }

    pub(crate) async fn fetch_optional(
        &mut self,
        query: Query,
    ) -> Result<Option<<H::Target as Conn>::Row>, StoreError> {
        self.conn.fetch_optional(query).await
    }

    pub(crate) async fn fetch_all(&mut self, query: Query) -> Result<Vec<<H::Target as Conn>::Row>, StoreError> {
        self.conn.fetch_all(query).await
    }

    /// Runs a statement that must change exactly one row.
    pub(crate) async fn execute_one(&mut self, query: Query) -> Result<(), StoreError> {
        match self.conn.execute(query).await? {
            1 => Ok(()),
            0 => Err(StoreError::NotFound),
            n => Err(StoreError::Other(format!("a single-row change touched {n} rows"))),
        }
    }
}
