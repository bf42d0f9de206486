//! Background jobs (notifications, scheduled work): a table claimed with
//! leases, so that two replicas never run the same job at once, and a job
//! whose worker died is picked up again when its lease ends.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::JobId;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, Dialect, RowRead, query};
use crate::stored::from_json;

/// A job to enqueue. The payload holds ids, never private text.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Its id.
    pub id: JobId,
    /// What to do (`notify.report_received`).
    pub kind: String,
    /// The ids it needs.
    pub payload: serde_json::Value,
    /// Not before this time.
    pub run_at: Timestamp,
}

/// A claimed or pending job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What to do.
    pub kind: String,
    /// The ids it needs.
    pub payload: serde_json::Value,
    /// How many times it was claimed (this claim included).
    pub attempts: u32,
    /// When it was due.
    pub run_at: Timestamp,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// Reading jobs.
#[async_trait::async_trait]
pub trait JobReads {
    /// Jobs not yet done, oldest due first.
    async fn pending_jobs(&mut self, limit: u32) -> Result<Vec<Job>, StoreError>;
}

/// Enqueueing and working jobs.
#[async_trait::async_trait]
pub trait JobWrites {
    /// Adds a job in the current transaction (the outbox).
    async fn enqueue_job(&mut self, job: &NewJob, now: Timestamp) -> Result<(), StoreError>;
    /// Leases up to `limit` due jobs to `worker` until `lease_until`.
    async fn claim_jobs(
        &mut self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError>;
    /// Extends the lease `worker` holds on a running job to `lease_until`
    /// (its heartbeat); `false` if the lease was lost to another worker or
    /// the job is settled.
    async fn renew_lease(&mut self, id: JobId, worker: &str, lease_until: Timestamp) -> Result<bool, StoreError>;
    /// Marks a leased job done; `false` if the lease was lost.
    async fn complete_job(&mut self, id: JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError>;
    /// Releases a leased job to run again at `run_at`, noting the failure.
    async fn retry_job(&mut self, id: JobId, worker: &str, error: &str, run_at: Timestamp) -> Result<bool, StoreError>;
    /// Gives up on a leased job: done, with the failure kept.
    async fn abandon_job(&mut self, id: JobId, worker: &str, error: &str, now: Timestamp) -> Result<bool, StoreError>;
}

fn job_from(row: &impl RowRead) -> Result<Job, StoreError> {
    Ok(Job {
        id: JobId::from_uuid(row.uuid("id")?),
        kind: row.text("kind")?,
        payload: from_json("jobs.payload", &row.text("payload")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(|e| StoreError::corrupt("attempts", e))?,
        run_at: row.time("run_at")?,
        last_error: row.opt_text("last_error")?,
    })
}

const CLAIM_SQLITE: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
       AND (lease_until IS NULL OR lease_until <= $3) ORDER BY run_at, id LIMIT $4) \
     RETURNING id, kind, payload, attempts, run_at, last_error";

const CLAIM_POSTGRES: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $3 \
       AND (lease_until IS NULL OR lease_until <= $3) ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, run_at, last_error";

#[async_trait::async_trait]
impl<H> JobReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn pending_jobs(&mut self, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT id, kind, payload, attempts, run_at, last_error FROM jobs WHERE done_at IS NULL \
                     ORDER BY run_at, id LIMIT $1",
                )
                .bind(i64::from(limit)),
            )
            .await?;
        rows.iter().map(job_from).collect()
    }
}

#[async_trait::async_trait]
impl<H> JobWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn enqueue_job(&mut self, job: &NewJob, now: Timestamp) -> Result<(), StoreError> {
        let payload = serde_json::to_string(&job.payload).map_err(|e| StoreError::Other(e.to_string()))?;
        self.execute(
            query("INSERT INTO jobs (id, kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(job.id)
                .bind(job.kind.as_str())
                .bind(payload)
                .bind(job.run_at)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn claim_jobs(
        &mut self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => CLAIM_SQLITE,
            Dialect::Postgres => CLAIM_POSTGRES,
        };
        let rows = self.fetch_all(query(sql).bind(lease_until).bind(worker).bind(now).bind(i64::from(limit))).await?;
        let mut jobs = rows.iter().map(job_from).collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn renew_lease(&mut self, id: JobId, worker: &str, lease_until: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND leased_by = $3 AND done_at IS NULL")
                    .bind(lease_until)
                    .bind(id)
                    .bind(worker),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn complete_job(&mut self, id: JobId, worker: &str, now: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE jobs SET done_at = $1, lease_until = NULL WHERE id = $2 AND leased_by = $3 \
                     AND done_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .bind(worker),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn retry_job(&mut self, id: JobId, worker: &str, error: &str, run_at: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE jobs SET run_at = $1, lease_until = NULL, leased_by = NULL, last_error = $2 \
                     WHERE id = $3 AND leased_by = $4 AND done_at IS NULL",
                )
                .bind(run_at)
                .bind(error)
                .bind(id)
                .bind(worker),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn abandon_job(&mut self, id: JobId, worker: &str, error: &str, now: Timestamp) -> Result<bool, StoreError> {
        let changed = self
            .execute(
                query(
                    "UPDATE jobs SET done_at = $1, lease_until = NULL, last_error = $2 \
                     WHERE id = $3 AND leased_by = $4 AND done_at IS NULL",
                )
                .bind(now)
                .bind(error)
                .bind(id)
                .bind(worker),
            )
            .await?;
        Ok(changed > 0)
    }
}
