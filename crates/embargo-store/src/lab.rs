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

impl LabSignals {
    /// Whether a release-line run reproduced it: `Some(true)` one found it
    /// vulnerable, `Some(false)` runs finished and none did, `None` nothing finished.
    pub fn reproduced(&self) -> Option<bool> {
        if self.vulnerable > 0 {
            Some(true)
        } else {
            (self.not_vulnerable.saturating_add(self.inconclusive) > 0).then_some(false)
        }
    }

    /// Whether most identifiers the report names are not in the source (core's rule).
    pub fn flagged(&self) -> bool {
        let count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        embargo_core::lab::flagged_counts(count(self.names), count(self.missing))
    }

    /// The `outcome` column: `reproduced`, `not_reproduced` or `not_run`.
    fn outcome(&self) -> &'static str {
        match self.reproduced() {
            Some(true) => LabSignal::Reproduced.as_str(),
            Some(false) => LabSignal::NotReproduced.as_str(),
            None => LabSignal::NotRun.as_str(),
        }
    }
}

/// A lab signal a report listing filters on (`ReportFilter::lab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabSignal {
    /// A release-line run found it vulnerable.
    Reproduced,
    /// Runs finished and none found it vulnerable.
    NotReproduced,
    /// No release-line run finished (or the lab never touched it).
    NotRun,
    /// Most identifiers it names are not in the source.
    GroundingFlagged,
}

impl LabSignal {
    /// The name in SQL (and in query strings).
    pub const fn as_str(self) -> &'static str {
        match self {
            LabSignal::Reproduced => "reproduced",
            LabSignal::NotReproduced => "not_reproduced",
            LabSignal::NotRun => "not_run",
            LabSignal::GroundingFlagged => "grounding_flagged",
        }
    }
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

impl<H> Handle<H>
where
    H: DerefMut + Send,
    H::Target: Conn,
{
    /// Recounts a report's signals from its runs and grounding check into
    /// `lab_signals` (no row when the lab has nothing on it), in the
    /// transaction that changed them.
    async fn refresh_lab_signals(&mut self, report: ReportId) -> Result<(), StoreError> {
        let runs = self
            .fetch_all(query("SELECT result FROM lab_runs WHERE report_id = $1 AND purpose = 'line'").bind(report))
            .await?;
        let names = self.fetch_all(query("SELECT found FROM lab_grounding WHERE report_id = $1").bind(report)).await?;
        if runs.is_empty() && names.is_empty() {
            self.execute(query("DELETE FROM lab_signals WHERE report_id = $1").bind(report)).await?;
            return Ok(());
        }
        let mut signals = LabSignals::default();
        for run in &runs {
            let counter = match run.opt_text("result")?.map(|r| r.parse::<LabResult>()) {
                Some(Ok(LabResult::Vulnerable)) => &mut signals.vulnerable,
                Some(Ok(LabResult::NotVulnerable)) => &mut signals.not_vulnerable,
                Some(Ok(LabResult::Inconclusive)) => &mut signals.inconclusive,
                Some(Err(e)) => return Err(StoreError::corrupt("lab_runs.result", e)),
                None => &mut signals.pending,
            };
            *counter = counter.saturating_add(1);
        }
        for name in &names {
            signals.names = signals.names.saturating_add(1);
            if !name.bool("found")? {
                signals.missing = signals.missing.saturating_add(1);
            }
        }
        self.execute(
            query(
                "INSERT INTO lab_signals (report_id, vulnerable, not_vulnerable, inconclusive, pending, names, \
                 missing, outcome, flagged) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (report_id) DO UPDATE SET vulnerable = $2, not_vulnerable = $3, inconclusive = $4, \
                 pending = $5, names = $6, missing = $7, outcome = $8, flagged = $9",
            )
            .bind(report)
            .bind(i64::from(signals.vulnerable))
            .bind(i64::from(signals.not_vulnerable))
            .bind(i64::from(signals.inconclusive))
            .bind(i64::from(signals.pending))
            .bind(i64::from(signals.names))
            .bind(i64::from(signals.missing))
            .bind(signals.outcome())
            .bind(signals.flagged()),
        )
        .await
        .map(drop)
    }

    /// Ends the runs whose last lease expired after `max_attempts` claims:
    /// inconclusive, as the lab could not finish them (else they would wait
    /// forever and count against the project's limit).
    async fn abandon_lab_runs(&mut self, now: Timestamp, max_attempts: u32) -> Result<(), StoreError> {
        let rows = self
            .fetch_all(
                query(
                    "UPDATE lab_runs SET state = 'done', result = 'inconclusive', \
                     reason = 'the lab lost this run ' || attempts || ' times (worker gone or too slow)', \
                     finished_at = $1, lease_until = NULL \
                     WHERE state = 'running' AND lease_until <= $1 AND attempts >= $2 RETURNING report_id",
                )
                .bind(now)
                .bind(i64::from(max_attempts)),
            )
            .await?;
        let reports: Vec<ReportId> =
            rows.iter().map(|row| row.uuid("report_id").map(ReportId::from_uuid)).collect::<Result<_, _>>()?;
        for report in reports {
            self.refresh_lab_signals(report).await?;
        }
        Ok(())
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
            let row = self
                .fetch_optional(
                    query(
                        "SELECT vulnerable, not_vulnerable, inconclusive, pending, names, missing FROM lab_signals \
                         WHERE report_id = $1",
                    )
                    .bind(*report),
                )
                .await?;
            let Some(row) = row else { continue };
            let count = |col: &str| -> Result<u32, StoreError> {
                u32::try_from(row.int(col)?).map_err(|e| StoreError::corrupt("lab_signals", e))
            };
            let signals = LabSignals {
                vulnerable: count("vulnerable")?,
                not_vulnerable: count("not_vulnerable")?,
                inconclusive: count("inconclusive")?,
                pending: count("pending")?,
                names: count("names")?,
                missing: count("missing")?,
            };
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

/// The transaction-level advisory lock every PostgreSQL claim takes first:
/// one key per schema (an instance), so that instances sharing a server do
/// not wait for each other. Released at commit.
pub const CLAIM_LOCK_POSTGRES: &str =
    "SELECT pg_advisory_xact_lock(1281450528, hashtext('embargo lab claim ' || current_schema()))";

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
        .await?;
        self.refresh_lab_signals(run.report_id).await
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
            Dialect::Postgres => {
                // Claims take turns: a second worker's claim waits for the first
                // one's commit, then reads (a new snapshot) the run it leased,
                // so two workers never lease two runs of one project at once.
                // SQLite needs nothing: its one writer already runs claims in turn.
                self.execute(query(CLAIM_LOCK_POSTGRES)).await?;
                CLAIM_POSTGRES
            }
        };
        self.abandon_lab_runs(now, max_attempts).await?;
        let row = self
            .fetch_optional(query(sql).bind(lease_until).bind(worker).bind(now).bind(i64::from(max_attempts)))
            .await?;
        // Queued and running both count as pending: the signals stay as they were.
        row.map(|r| self.lab_run_from(&r)).transpose()
    }

    async fn finish_lab_run(&mut self, id: LabRunId, worker: &str, outcome: &LabOutcome) -> Result<bool, StoreError> {
        let row_id = id.to_string();
        let output = self
            .sealer
            .seal_text(Place { table: "lab_runs", column: "output", row: &row_id }, outcome.output.expose())?;
        let finished = self
            .fetch_optional(
                query(
                    "UPDATE lab_runs SET state = 'done', result = $1, reason = $2, output = $3, commit_id = $4, \
                     finished_at = $5, lease_until = NULL WHERE id = $6 AND leased_by = $7 AND state = 'running' \
                     RETURNING report_id",
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
        let Some(row) = finished else { return Ok(false) };
        self.refresh_lab_signals(ReportId::from_uuid(row.uuid("report_id")?)).await?;
        Ok(true)
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
        self.refresh_lab_signals(report).await
    }
}
