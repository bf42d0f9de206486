//! What operators watch: unfinished jobs by kind and state, reports waiting
//! for the search index, and how busy the database connections are. Counts
//! only, for `/metrics`; nothing private is read, so no permission is asked:
//! whether `/metrics` answers at all is the operator's configuration.

use embargo_store::operations::{JobCount, PoolUse};

use crate::{App, AppError};

/// The counts `/metrics` reports, read at scrape time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationsSnapshot {
    /// The database backend (`sqlite`, `postgres`).
    pub backend: &'static str,
    /// How busy the connection pool is.
    pub pool: PoolUse,
    /// Unfinished jobs by kind and state.
    pub jobs: Vec<JobCount>,
    /// Reports waiting for the search indexer (filed, not yet searchable
    /// without a search catching up first).
    pub search_backlog: u64,
}

impl App {
    /// Reads the operational counts.
    pub async fn operations_snapshot(&self) -> Result<OperationsSnapshot, AppError> {
        let pool = self.store.pool_use();
        let mut reader = self.store.reader().await?;
        let jobs = reader.job_counts(self.clock.now()).await?;
        let search_backlog = reader.search_pending().await?;
        Ok(OperationsSnapshot { backend: self.store.backend(), pool, jobs, search_backlog })
    }
}
