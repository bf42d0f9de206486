//! Sign-in throttling counters and intake counts, in the database so that
//! every replica sees the same counts (issue 12). A sign-in key is
//! `account:HASH` or `address:ADDR`; an intake key also `email:HASH` or
//! `project:ID`. The app decides what the counts mean (`embargo_core::throttle`).

use std::ops::DerefMut;

use embargo_core::Timestamp;
use embargo_core::id::{ProjectId, ReportId};

use crate::StoreError;
use crate::handle::Handle;
use crate::sql::{Conn, RowRead, query};

/// A key's failures in its current window, and its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failed attempts since `window_start`.
    pub failures: u32,
    /// When the window began.
    pub window_start: Timestamp,
    /// Until when attempts are refused, if locked.
    pub locked_until: Option<Timestamp>,
}

/// A key's reports in its current intake window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeCount {
    /// Reports counted since `window_start`, this one included.
    pub reports: u32,
    /// When the window began.
    pub window_start: Timestamp,
}

/// Reading throttling counters.
#[async_trait::async_trait]
pub trait ThrottleReads {
    /// The state of `key`, if it has failed recently.
    async fn throttle_state(&mut self, key: &str) -> Result<Option<ThrottleState>, StoreError>;
    /// How many reports of `project` were received at or after `since` and
    /// before `report` (received at `at`; reports received at the same
    /// instant are ordered by id), so that a flood's team notices are coalesced.
    /// Counts no further than `at_most`, so that its cost does not grow with a flood.
    async fn project_reports_before(
        &mut self,
        project: ProjectId,
        report: ReportId,
        at: Timestamp,
        since: Timestamp,
        at_most: u32,
    ) -> Result<u32, StoreError>;
    /// How many reports of `project` were received at or after `from` and before `to`.
    async fn project_reports_between(
        &mut self,
        project: ProjectId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u32, StoreError>;
}

/// Changing throttling counters.
#[async_trait::async_trait]
pub trait ThrottleWrites {
    /// Counts a failure of `key` at `now`: a window that began before
    /// `window_from` starts again at `now`. Answers the failures in the window.
    /// Atomic on both backends (one upsert), so concurrent replicas add up.
    async fn count_failure(&mut self, key: &str, now: Timestamp, window_from: Timestamp) -> Result<u32, StoreError>;
    /// Locks `key` until `until` (never shortening an existing lock).
    async fn lock_key(&mut self, key: &str, until: Timestamp) -> Result<(), StoreError>;
    /// Forgets `key` (after a successful sign-in).
    async fn clear_key(&mut self, key: &str) -> Result<(), StoreError>;
    /// Forgets every key whose window began before `before` and whose lock has ended by `now`.
    async fn prune_throttle(&mut self, before: Timestamp, now: Timestamp) -> Result<u64, StoreError>;
    /// Counts a new report under intake `key` at `now`: a window that began
    /// at or before `window_from` starts again at `now`. One upsert, so concurrent
    /// replicas add up.
    async fn count_report(
        &mut self,
        key: &str,
        now: Timestamp,
        window_from: Timestamp,
    ) -> Result<IntakeCount, StoreError>;
    /// Forgets every intake count whose window began before `before`.
    async fn prune_intake_counts(&mut self, before: Timestamp) -> Result<u64, StoreError>;
}

fn count(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| StoreError::corrupt("failures", e))
}

#[async_trait::async_trait]
impl<H> ThrottleReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn throttle_state(&mut self, key: &str) -> Result<Option<ThrottleState>, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT failures, window_start, locked_until FROM sign_in_throttle WHERE key = $1").bind(key),
            )
            .await?;
        row.map(|r| {
            Ok(ThrottleState {
                failures: count(r.int("failures")?)?,
                window_start: r.time("window_start")?,
                locked_until: r.opt_time("locked_until")?,
            })
        })
        .transpose()
    }

    async fn project_reports_before(
        &mut self,
        project: ProjectId,
        report: ReportId,
        at: Timestamp,
        since: Timestamp,
        at_most: u32,
    ) -> Result<u32, StoreError> {
        // `LIMIT $5` alone made SQLite prepare the statement again at every
        // bind (a bound LIMIT is a planner input: `sqlite3ExprIsInteger` marks
        // it so), 6 % of the writer's time at intake (issue 15); behind a CAST
        // the planner does not read it, and this count's plan does not need it.
        let row = self
            .fetch_optional(
                query(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM reports WHERE project_id = $1 AND created_at >= $2 \
                     AND (created_at < $3 OR (created_at = $3 AND id < $4)) LIMIT CAST($5 AS BIGINT)) AS recent",
                )
                .bind(project)
                .bind(since)
                .bind(at)
                .bind(report)
                .bind(i64::from(at_most)),
            )
            .await?;
        row.map_or(Ok(0), |r| count(r.int("n")?))
    }

    async fn project_reports_between(
        &mut self,
        project: ProjectId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<u32, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "SELECT COUNT(*) AS n FROM reports WHERE project_id = $1 AND created_at >= $2 AND created_at < $3",
                )
                .bind(project)
                .bind(from)
                .bind(to),
            )
            .await?;
        row.map_or(Ok(0), |r| count(r.int("n")?))
    }
}

#[async_trait::async_trait]
impl<H> ThrottleWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn count_failure(&mut self, key: &str, now: Timestamp, window_from: Timestamp) -> Result<u32, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, NULL) \
                     ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN sign_in_throttle.window_start < $3 THEN 1 \
                                     ELSE sign_in_throttle.failures + 1 END, \
                     window_start = CASE WHEN sign_in_throttle.window_start < $3 THEN $2 \
                                         ELSE sign_in_throttle.window_start END \
                     RETURNING failures",
                )
                .bind(key)
                .bind(now)
                .bind(window_from),
            )
            .await?;
        let row = row.ok_or_else(|| StoreError::Other("the throttle upsert answered no row".into()))?;
        count(row.int("failures")?)
    }

    async fn lock_key(&mut self, key: &str, until: Timestamp) -> Result<(), StoreError> {
        self.execute(
            query(
                "UPDATE sign_in_throttle SET locked_until = $2 \
                 WHERE key = $1 AND (locked_until IS NULL OR locked_until < $2)",
            )
            .bind(key)
            .bind(until),
        )
        .await
        .map(drop)
    }

    async fn clear_key(&mut self, key: &str) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM sign_in_throttle WHERE key = $1").bind(key)).await.map(drop)
    }

    async fn prune_throttle(&mut self, before: Timestamp, now: Timestamp) -> Result<u64, StoreError> {
        self.execute(
            query(
                "DELETE FROM sign_in_throttle WHERE window_start < $1 \
                 AND (locked_until IS NULL OR locked_until <= $2)",
            )
            .bind(before)
            .bind(now),
        )
        .await
    }

    async fn count_report(
        &mut self,
        key: &str,
        now: Timestamp,
        window_from: Timestamp,
    ) -> Result<IntakeCount, StoreError> {
        let row = self
            .fetch_optional(
                query(
                    "INSERT INTO intake_counts (key, reports, window_start) VALUES ($1, 1, $2) \
                     ON CONFLICT (key) DO UPDATE SET \
                     reports = CASE WHEN intake_counts.window_start <= $3 THEN 1 \
                                    ELSE intake_counts.reports + 1 END, \
                     window_start = CASE WHEN intake_counts.window_start <= $3 THEN $2 \
                                         ELSE intake_counts.window_start END \
                     RETURNING reports, window_start",
                )
                .bind(key)
                .bind(now)
                .bind(window_from),
            )
            .await?;
        let row = row.ok_or_else(|| StoreError::Other("the intake upsert answered no row".into()))?;
        Ok(IntakeCount { reports: count(row.int("reports")?)?, window_start: row.time("window_start")? })
    }

    async fn prune_intake_counts(&mut self, before: Timestamp) -> Result<u64, StoreError> {
        self.execute(query("DELETE FROM intake_counts WHERE window_start < $1").bind(before)).await
    }
}
