//! [`Handle`]: a connection (pooled or inside a transaction) plus the sealer.
//! Every read and write trait is implemented for it, once, in the resource
//! modules.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::StoreError;
use crate::seal::Sealer;
use crate::sql::{Conn, Query};

/// A connection of either backend with the sealer for private columns.
pub(crate) struct Handle<H> {
    conn: H,
    pub(crate) sealer: Arc<Sealer>,
}

/// One backend's connection, however it is held: pooled (a reader's) or
/// borrowed from a transaction (a writer's). Every handle holds its
/// connection as this one type, so that each read is compiled once per
/// backend rather than once per way of holding the connection (four copies
/// of every read become two: an estimated 300 KB of the image's binary,
/// from the symbol sizes of a build before this change).
/// The cost is one indirect call per statement.
pub(crate) struct Held<'a, C>(Box<dyn DerefMut<Target = C> + Send + 'a>);

impl<C> Deref for Held<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C> DerefMut for Held<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.0
    }
}

impl<'a, C: Conn> Handle<Held<'a, C>> {
    /// A handle on `conn`: a pooled connection, or a transaction's.
    pub(crate) fn new(conn: impl DerefMut<Target = C> + Send + 'a, sealer: Arc<Sealer>) -> Self {
        Handle { conn: Held(Box::new(conn)), sealer }
    }
}

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
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
