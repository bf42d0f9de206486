//! The evidence lab's runs and grounding checks. Runs are a queue of their
//! own (not `jobs`): the server's job runner must never pick one up, and a
//! lab worker claims one run at a time with a lease, at most one per project
//! at once.

use std::ops::DerefMut;

use const_format::concatcp;

use embargo_core::Timestamp;
use embargo_core::id::{LabRunId, ProjectId, ReportId, UserId};
use embargo_core::lab::{Grounding, LabResult, RunPurpose};
use embargo_core::private::Private;

use crate::StoreError;
use crate::handle::Handle;
use crate::seal::Place;
use crate::sql::{Conn, Dialect, RowRead, query};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabRunState {
    /// Waiting for a worker.
    Queued,
    /// Leased to a worker.
    Running,
    /// Finished, with a result.
    Done,
}

impl LabRunState {
    /// The name in the database and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            LabRunState::Queued => "queued",
            LabRunState::Running => "running",
            LabRunState::Done => "done",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "queued" => Ok(LabRunState::Queued),
            "running" => Ok(LabRunState::Running),
            "done" => Ok(LabRunState::Done),
            other => Err(StoreError::corrupt("lab_runs.state", format!("unknown state {other:?}"))),
        }
    }
}

/// A run to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLabRun {
    /// Its id.
    pub id: LabRunId,
    /// The report whose PoC runs.
    pub report_id: ReportId,
    /// The report's project (for the per-project limit).
    pub project_id: ProjectId,
    /// The release line (for a fix run: the line it fixes, or `fix`).
    pub line: String,
    /// The ref the code is taken at.
    pub git_ref: String,
    /// Against a line or a fix.
    pub purpose: RunPurpose,
    /// Whether this run also checks the report's identifiers in the source.
    pub grounding: bool,
    /// Who asked (none: the lab itself, on intake).
    pub requested_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabRun {
    /// What was queued.
    pub run: NewLabRun,
    /// Where it is.
    pub state: LabRunState,
    /// The verdict, once done.
    pub result: Option<LabResult>,
    /// Why (exit code, timeout, the lab's refusal).
    pub reason: Option<String>,
    /// The PoC's output, bounded (private: it may repeat the report).
    pub output: Option<Private<String>>,
    /// The commit the ref resolved to.
    pub commit: Option<String>,
    /// Times claimed.
    pub attempts: u32,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
}

/// What a worker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabOutcome {
    /// The verdict.
    pub result: LabResult,
    /// Why.
    pub reason: String,
    /// The bounded output.
    pub output: Private<String>,
    /// The commit the ref resolved to, if it resolved.
    pub commit: Option<String>,
    /// When it finished.
    pub finished_at: Timestamp,
}

/// A report's grounding check as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundingCheck {
    /// The ref checked.
    pub git_ref: String,
    /// The commit checked.
    pub commit: String,
    /// Each identifier, in the order the report names them.
    pub names: Vec<Grounding>,
    /// When.
    pub checked_at: Timestamp,
}

/// The lab's signals about one report, for the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabSignals {
    /// Runs that found it vulnerable (release lines only).
    pub vulnerable: u32,
    /// Runs that found it not vulnerable (release lines only).
    pub not_vulnerable: u32,
    /// Runs that proved nothing.
    pub inconclusive: u32,
    /// Runs still queued or running.
    pub pending: u32,
    /// Identifiers checked.
    pub names: u32,
    /// Identifiers not found.
    pub missing: u32,
}

/// Reading the lab's records.
#[async_trait::async_trait]
pub trait LabReads {
    /// A report's runs, oldest first.
    async fn lab_runs(&mut self, report: ReportId) -> Result<Vec<LabRun>, StoreError>;
    /// A report's latest grounding check.
    async fn lab_grounding(&mut self, report: ReportId) -> Result<Option<GroundingCheck>, StoreError>;
    /// The signals of each of `reports` that has any.
    async fn lab_signals(&mut self, reports: &[ReportId]) -> Result<Vec<(ReportId, LabSignals)>, StoreError>;
    /// How many runs of a project wait or run.
    async fn pending_lab_runs(&mut self, project: ProjectId) -> Result<u32, StoreError>;
}

/// Queueing, claiming and finishing runs.
#[async_trait::async_trait]
pub trait LabWrites {
    /// Queues a run.
    async fn insert_lab_run(&mut self, run: &NewLabRun) -> Result<(), StoreError>;
    /// Leases the oldest claimable run to `worker` until `lease_until`: queued
    /// (or running under an expired lease), tried fewer than `max_attempts`
    /// times, of a project none of whose runs is leased now.
    async fn claim_lab_run(
        &mut self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        max_attempts: u32,
    ) -> Result<Option<LabRun>, StoreError>;
    /// Records a leased run's outcome; `false` if the lease was lost.
    async fn finish_lab_run(&mut self, id: LabRunId, worker: &str, outcome: &LabOutcome) -> Result<bool, StoreError>;
    /// Replaces a report's grounding check.
    async fn replace_lab_grounding(&mut self, report: ReportId, check: &GroundingCheck) -> Result<(), StoreError>;
}

const COLUMNS: &str = "id, report_id, project_id, line, git_ref, purpose, grounding, state, result, reason, output, \
     commit_id, requested_by, attempts, created_at, finished_at";

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    fn lab_run_from(&self, row: &impl RowRead) -> Result<LabRun, StoreError> {
        let id = LabRunId::from_uuid(row.uuid("id")?);
        let row_id = id.to_string();
        let output = row
            .opt_bytes("output")?
            .map(|sealed| self.sealer.open_text(Place { table: "lab_runs", column: "output", row: &row_id }, &sealed))
            .transpose()?
            .map(Private::new);
        let purpose = row.text("purpose")?;
        Ok(LabRun {
            run: NewLabRun {
                id,
                report_id: ReportId::from_uuid(row.uuid("report_id")?),
                project_id: ProjectId::from_uuid(row.uuid("project_id")?),
                line: row.text("line")?,
                git_ref: row.text("git_ref")?,
                purpose: purpose.parse().map_err(|e| StoreError::corrupt("lab_runs.purpose", e))?,
                grounding: row.bool("grounding")?,
                requested_by: row.opt_uuid("requested_by")?.map(UserId::from_uuid),
                created_at: row.time("created_at")?,
            },
            state: LabRunState::parse(&row.text("state")?)?,
            result: row
                .opt_text("result")?
                .map(|r| r.parse().map_err(|e| StoreError::corrupt("lab_runs.result", e)))
                .transpose()?,
            reason: row.opt_text("reason")?,
            output,
            commit: row.opt_text("commit_id")?,
            attempts: u32::try_from(row.int("attempts")?).map_err(|e| StoreError::corrupt("lab_runs.attempts", e))?,
            finished_at: row.opt_time("finished_at")?,
        })
    }
}

#[async_trait::async_trait]
impl<H> LabReads for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn lab_runs(&mut self, report: ReportId) -> Result<Vec<LabRun>, StoreError> {
        const SQL: &str = concatcp!("SELECT ", COLUMNS, " FROM lab_runs WHERE report_id = $1 ORDER BY created_at, id");
        let rows = self.fetch_all(query(SQL).bind(report)).await?;
        rows.iter().map(|r| self.lab_run_from(r)).collect()
    }

    async fn lab_grounding(&mut self, report: ReportId) -> Result<Option<GroundingCheck>, StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "SELECT position, name, found, location, git_ref, commit_id, checked_at FROM lab_grounding \
                     WHERE report_id = $1 ORDER BY position",
                )
                .bind(report),
            )
            .await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut check = GroundingCheck {
            git_ref: first.text("git_ref")?,
            commit: first.text("commit_id")?,
            names: Vec::with_capacity(rows.len()),
            checked_at: first.time("checked_at")?,
        };
        for row in &rows {
            let place = format!("{report}:{}", row.int("position")?);
            let name = self
                .sealer
                .open_text(Place { table: "lab_grounding", column: "name", row: &place }, &row.bytes("name")?)?;
            check.names.push(Grounding { name, found: row.bool("found")?, location: row.opt_text("location")? });
        }
        Ok(Some(check))
    }

    async fn lab_signals(&mut self, reports: &[ReportId]) -> Result<Vec<(ReportId, LabSignals)>, StoreError> {
        let mut out = Vec::new();
        for report in reports {
            let runs = self
                .fetch_all(
                    query("SELECT state, result, purpose FROM lab_runs WHERE report_id = $1 AND purpose = 'line'")
                        .bind(*report),
                )
                .await?;
            let names =
                self.fetch_all(query("SELECT found FROM lab_grounding WHERE report_id = $1").bind(*report)).await?;
            if runs.is_empty() && names.is_empty() {
                continue;
            }
            let mut signals = LabSignals::default();
            for run in &runs {
                match run.opt_text("result")?.as_deref() {
                    Some("vulnerable") => signals.vulnerable += 1,
                    Some("not_vulnerable") => signals.not_vulnerable += 1,
                    Some(_) => signals.inconclusive += 1,
                    None => signals.pending += 1,
                }
            }
            for name in &names {
                signals.names += 1;
                if !name.bool("found")? {
                    signals.missing += 1;
                }
            }
            out.push((*report, signals));
        }
        Ok(out)
    }

    async fn pending_lab_runs(&mut self, project: ProjectId) -> Result<u32, StoreError> {
        let row = self
            .fetch_optional(
                query("SELECT COUNT(*) AS n FROM lab_runs WHERE project_id = $1 AND state <> 'done'").bind(project),
            )
            .await?
            .ok_or_else(|| StoreError::Other("COUNT answered no row".into()))?;
        u32::try_from(row.int("n")?).map_err(|e| StoreError::corrupt("lab_runs", e))
    }
}

const CLAIMABLE: &str = "(r.state = 'queued' OR (r.state = 'running' AND r.lease_until <= $3)) AND r.attempts < $4 \
     AND NOT EXISTS (SELECT 1 FROM lab_runs o WHERE o.project_id = r.project_id AND o.id <> r.id \
       AND o.state = 'running' AND o.lease_until > $3)";

const CLAIM_SQLITE: &str = concatcp!(
    "UPDATE lab_runs SET state = 'running', lease_until = $1, leased_by = $2, attempts = attempts + 1 ",
    "WHERE id = (SELECT r.id FROM lab_runs r WHERE ",
    CLAIMABLE,
    " ORDER BY r.created_at, r.id LIMIT 1) RETURNING ",
    COLUMNS
);

const CLAIM_POSTGRES: &str = concatcp!(
    "UPDATE lab_runs SET state = 'running', lease_until = $1, leased_by = $2, attempts = attempts + 1 ",
    "WHERE id = (SELECT r.id FROM lab_runs r WHERE ",
    CLAIMABLE,
    " ORDER BY r.created_at, r.id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ",
    COLUMNS
);

#[async_trait::async_trait]
impl<H> LabWrites for Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    async fn insert_lab_run(&mut self, run: &NewLabRun) -> Result<(), StoreError> {
        self.execute(
            query(
                "INSERT INTO lab_runs (id, report_id, project_id, line, git_ref, purpose, grounding, state, \
                 requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)",
            )
            .bind(run.id)
            .bind(run.report_id)
            .bind(run.project_id)
            .bind(run.line.as_str())
            .bind(run.git_ref.as_str())
            .bind(run.purpose.as_str())
            .bind(run.grounding)
            .bind(run.requested_by)
            .bind(run.created_at),
        )
        .await
        .map(drop)
    }

    async fn claim_lab_run(
        &mut self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        max_attempts: u32,
    ) -> Result<Option<LabRun>, StoreError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => CLAIM_SQLITE,
            Dialect::Postgres => CLAIM_POSTGRES,
        };
        let row = self
            .fetch_optional(query(sql).bind(lease_until).bind(worker).bind(now).bind(i64::from(max_attempts)))
            .await?;
        row.map(|r| self.lab_run_from(&r)).transpose()
    }

    async fn finish_lab_run(&mut self, id: LabRunId, worker: &str, outcome: &LabOutcome) -> Result<bool, StoreError> {
        let row_id = id.to_string();
        let output = self
            .sealer
            .seal_text(Place { table: "lab_runs", column: "output", row: &row_id }, outcome.output.expose())?;
        let changed = self
            .execute(
                query(
                    "UPDATE lab_runs SET state = 'done', result = $1, reason = $2, output = $3, commit_id = $4, \
                     finished_at = $5, lease_until = NULL WHERE id = $6 AND leased_by = $7 AND state = 'running'",
                )
                .bind(outcome.result.as_str())
                .bind(outcome.reason.as_str())
                .bind(output)
                .bind(outcome.commit.as_deref())
                .bind(outcome.finished_at)
                .bind(id)
                .bind(worker),
            )
            .await?;
        Ok(changed > 0)
    }

    async fn replace_lab_grounding(&mut self, report: ReportId, check: &GroundingCheck) -> Result<(), StoreError> {
        self.execute(query("DELETE FROM lab_grounding WHERE report_id = $1").bind(report)).await?;
        for (position, g) in check.names.iter().enumerate() {
            let position = i64::try_from(position).map_err(|e| StoreError::Other(e.to_string()))?;
            let place = format!("{report}:{position}");
            let name = self.sealer.seal_text(Place { table: "lab_grounding", column: "name", row: &place }, &g.name)?;
            self.execute(
                query(
                    "INSERT INTO lab_grounding (report_id, position, name, found, location, git_ref, commit_id, \
                     checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(report)
                .bind(position)
                .bind(name)
                .bind(g.found)
                .bind(g.location.as_deref())
                .bind(check.git_ref.as_str())
                .bind(check.commit.as_str())
                .bind(check.checked_at),
            )
            .await?;
        }
        Ok(())
    }
}
