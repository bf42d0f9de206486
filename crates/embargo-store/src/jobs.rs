//! Background jobs (notifications, scheduled work): a table claimed with
//! leases, so that two replicas never run the same job at once, and a job
//! whose worker died is picked up again when its lease ends.

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::JobId;

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, Dialect, RowRead, Value, built_query, query};
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
    /// Adds every job of `jobs` in one statement (none: nothing is done), so
    /// that a use case writing several pays one round trip to the database.
    async fn enqueue_jobs(&mut self, jobs: &[NewJob], now: Timestamp) -> Result<(), StoreError>;
    /// Leases up to `limit` due jobs to `worker` until `lease_until`, taken
    /// in turns by kind (the oldest due job of each waiting kind, then the
    /// second of each, …) and answered in that order.
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

// A claim takes due jobs in turns by kind: the oldest due job of every kind
// that has one, then the second of each, and so on, up to the limit. So a
// flood of one kind (100,000 notices) never starves the others (a timer, a
// webhook): each batch holds the head of every waiting kind. The kinds are
// found by skipping through the `jobs_waiting` index (migration 1520), and
// each kind's candidates are read from it in order, so a claim costs a few
// index reads per kind, not a scan of the backlog.
//
// SQLite, which keeps no statistics here, would find the kinds through
// `jobs_due (done_at, run_at)` instead, reading every waiting job (timers
// due in weeks included) once per kind: 166 ms a claim with 17,000 waiting,
// which held the notices bench at ~30 a second. `INDEXED BY` names the
// index (1.1 ms for the same claim).

const CLAIM_SQLITE: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2, attempts = attempts + 1 \
     WHERE id IN ( \
       WITH RECURSIVE kinds(kind) AS ( \
         SELECT MIN(kind) FROM jobs INDEXED BY jobs_waiting WHERE done_at IS NULL \
         UNION ALL \
         SELECT (SELECT MIN(j.kind) FROM jobs j INDEXED BY jobs_waiting WHERE j.done_at IS NULL AND j.kind > kinds.kind) \
         FROM kinds WHERE kinds.kind IS NOT NULL), \
       turns AS ( \
         SELECT d.id, d.run_at, ROW_NUMBER() OVER (PARTITION BY d.kind ORDER BY d.run_at, d.id) AS turn \
         FROM kinds k JOIN jobs d ON d.id IN ( \
           SELECT c.id FROM jobs c WHERE c.kind = k.kind AND c.done_at IS NULL AND c.run_at <= $3 \
             AND (c.lease_until IS NULL OR c.lease_until <= $3) ORDER BY c.run_at, c.id LIMIT $4)) \
       SELECT id FROM turns ORDER BY turn, run_at, id LIMIT $4) \
     RETURNING id, kind, payload, attempts, run_at, last_error";

// The same in PostgreSQL's words: each kind's candidates are locked as they
// are read (`FOR UPDATE SKIP LOCKED`), so concurrent claims on other
// replicas pass them by instead of waiting or taking them too.
const CLAIM_POSTGRES: &str = "UPDATE jobs SET lease_until = $1, leased_by = $2, attempts = attempts + 1 \
     WHERE id IN ( \
       WITH RECURSIVE kinds(kind) AS ( \
         (SELECT kind FROM jobs WHERE done_at IS NULL ORDER BY kind LIMIT 1) \
         UNION ALL \
         SELECT (SELECT j.kind FROM jobs j WHERE j.done_at IS NULL AND j.kind > k.kind ORDER BY j.kind LIMIT 1) \
         FROM kinds k WHERE k.kind IS NOT NULL), \
       turns AS ( \
         SELECT c.id, c.run_at, ROW_NUMBER() OVER (PARTITION BY k.kind ORDER BY c.run_at, c.id) AS turn \
         FROM kinds k CROSS JOIN LATERAL ( \
           SELECT d.id, d.run_at FROM jobs d WHERE d.kind = k.kind AND d.done_at IS NULL AND d.run_at <= $3 \
             AND (d.lease_until IS NULL OR d.lease_until <= $3) \
           ORDER BY d.run_at, d.id LIMIT $4 FOR UPDATE SKIP LOCKED) c) \
       SELECT id FROM turns ORDER BY turn, run_at, id LIMIT $4) \
     RETURNING id, kind, payload, attempts, run_at, last_error";

/// Orders claimed jobs as the claim chose them: in turns by kind (the
/// oldest of each kind first), then oldest first. A runner starts them in
/// this order, so the head of every kind starts before a flood's second job.
fn in_turns(mut jobs: Vec<Job>) -> Vec<Job> {
    jobs.sort_by(|a, b| (a.kind.as_str(), a.run_at, a.id).cmp(&(b.kind.as_str(), b.run_at, b.id)));
    let mut keyed: Vec<(usize, Job)> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let turn = match keyed.last() {
            Some((previous, last)) if last.kind == job.kind => previous + 1,
            _ => 0,
        };
        keyed.push((turn, job));
    }
    keyed.sort_by(|(ta, a), (tb, b)| (ta, a.run_at, a.id).cmp(&(tb, b.run_at, b.id)));
    keyed.into_iter().map(|(_, job)| job).collect()
}

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

    async fn enqueue_jobs(&mut self, jobs: &[NewJob], now: Timestamp) -> Result<(), StoreError> {
        let mut params = Vec::with_capacity(jobs.len() * 4 + 1);
        params.push(Value::from(now));
        let mut rows = Vec::with_capacity(jobs.len());
        for job in jobs {
            let payload = serde_json::to_string(&job.payload).map_err(|e| StoreError::Other(e.to_string()))?;
            let first = params.len() + 1;
            params.extend([job.id.into(), job.kind.as_str().into(), payload.into(), job.run_at.into()]);
            rows.push(format!("(${first}, ${}, ${}, ${}, $1)", first + 1, first + 2, first + 3));
        }
        if rows.is_empty() {
            return Ok(());
        }
        let sql = format!("INSERT INTO jobs (id, kind, payload, run_at, created_at) VALUES {}", rows.join(", "));
        self.execute(built_query(sql, params)).await.map(drop)
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
        let jobs = rows.iter().map(job_from).collect::<Result<Vec<_>, _>>()?;
        Ok(in_turns(jobs))
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
