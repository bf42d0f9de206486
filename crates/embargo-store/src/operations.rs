//! What operators watch: unfinished jobs by kind and state, and how busy the
//! connection pool is. Counts only; no payload or private text is read.

use std::ops::DerefMut;

use embargo_core::Timestamp;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// How many unfinished jobs of one kind are in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCount {
    /// What the jobs do (`notify.report_received`).
    pub kind: String,
    /// `pending` (waiting for its first run), `running` (leased to a worker
    /// now), or `failed` (failed at least once, waiting for another attempt).
    pub state: &'static str,
    /// How many.
    pub count: u64,
}

/// How busy the database connections are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolUse {
    /// Connections open now.
    pub open: u32,
    /// Of those, not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// Reading the operational counts.
#[async_trait::async_trait]
pub trait OperationReads {
    /// Unfinished jobs by kind and state, as of `now` (leases ending before
    /// `now` belong to dead workers: those jobs count as waiting again).
    async fn job_counts(&mut self, now: Timestamp) -> Result<Vec<JobCount>, StoreError>;
}

#[async_trait::async_trait]
impl<H> OperationReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn job_counts(&mut self, now: Timestamp) -> Result<Vec<JobCount>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT kind, CASE WHEN lease_until IS NOT NULL AND lease_until > $1 THEN 'running' \
                     WHEN last_error IS NOT NULL THEN 'failed' ELSE 'pending' END AS state, COUNT(*) AS n \
                     FROM jobs WHERE done_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2",
                )
                .bind(now),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let state = match row.text("state")?.as_str() {
                    "running" => "running",
                    "failed" => "failed",
                    _ => "pending",
                };
                let count = u64::try_from(row.int("n")?).unwrap_or(0);
                Ok(JobCount { kind: row.text("kind")?, state, count })
            })
            .collect()
    }
}
