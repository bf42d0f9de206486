//! The evidence lab's use cases: queueing runs of a report's PoC against the
//! release lines of the project's `[lab]` policy (or a fix ref), the lab
//! worker claiming them and recording results, reading the affected matrix
//! and grounding list, and the team accepting the matrix into the report.
//!
//! Nothing here runs code: `embargo lab worker` (crate `embargo-lab`) does,
//! through [`App::claim_lab_run`] and [`App::record_lab_result`].

use std::collections::BTreeSet;

use embargo_core::Timestamp;
use embargo_core::id::{LabRunId, ReportId};
use embargo_core::lab::{Grounding, LabResult, RunPurpose, grounding_flagged, identifiers};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::policy::{Lab, LabPackage, safe_argument};
use embargo_core::private::Private;
use embargo_core::report::Report;
use embargo_store::StoreExt;
use embargo_store::Writer;
use embargo_store::lab::{GroundingCheck, LabOutcome, LabRun, LabRunState, LabSignal, LabSignals, NewLabRun};
use serde_json::json;

use crate::audit::record;
use crate::entropy::EntropyExt;
use crate::policies::project_policy;
use crate::reports::access;
use crate::{App, AppError, require};

mod share;

pub use share::LineVerdict;

/// The most runs of one project that may wait or run at once.
pub const MAX_PENDING_PER_PROJECT: u32 = 100;

/// How often the worker may lose a run (its lease expiring) before it is left alone.
pub const MAX_ATTEMPTS: u32 = 3;

/// What the team asks the lab to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabRequest {
    /// Only these lines of the `[lab]` policy (none: every line).
    pub lines: Option<Vec<String>>,
    /// A fix to verify: a branch, tag or commit (the run is against it alone).
    pub fix_ref: Option<String>,
}

/// One run as the team sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabRunView {
    /// Its id.
    pub id: LabRunId,
    /// The release line (for a fix, the line named with it, or `fix`).
    pub line: String,
    /// The ref.
    pub git_ref: String,
    /// Line or fix.
    pub purpose: RunPurpose,
    /// Queued, running or done.
    pub state: LabRunState,
    /// The verdict, once done.
    pub result: Option<LabResult>,
    /// Why.
    pub reason: Option<String>,
    /// The commit the ref was at.
    pub commit: Option<String>,
    /// The PoC's output, bounded.
    pub output: Option<Private<String>>,
    /// When queued.
    pub created_at: Timestamp,
    /// When finished.
    pub finished_at: Option<Timestamp>,
}

/// A report's lab record, as the viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabView {
    /// The team: every run, the grounding list.
    Team {
        /// Runs, oldest first.
        runs: Vec<LabRunView>,
        /// Each identifier the report names, found or not.
        grounding: Vec<Grounding>,
        /// The ref the grounding check used.
        grounding_ref: Option<String>,
        /// Whether most named identifiers do not exist.
        grounding_flagged: bool,
        /// Whether a `[lab]` policy is set (else nothing can run).
        configured: bool,
        /// The release lines of the `[lab]` policy, to run again one by one.
        lines: Vec<String>,
        /// What the viewer may do here.
        actions: LabActions,
        /// Whether the team shares each line's verdict with the reporter.
        shared: bool,
    },
    /// The reporter: whether their PoC reproduced on a release line, and each
    /// line's verdict when the team shares them.
    Reporter {
        /// `None`: not run yet (or nothing conclusive).
        reproduced: Option<bool>,
        /// Each release line's latest verdict, when the team shares them (never the output).
        lines: Option<Vec<LineVerdict>>,
    },
}

/// What the viewer may do with a report's lab record (as `decide` says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabActions {
    /// Queue runs again: every line, one line, or a fix.
    pub queue: bool,
    /// Accept the matrix: the lines found vulnerable join the report's affected versions.
    pub accept: bool,
    /// Share the lines' verdicts with the reporter, or stop.
    pub share: bool,
}

/// A claimed run with what the worker needs to do it.
#[derive(Debug, Clone)]
pub struct LabTask {
    /// The run.
    pub id: LabRunId,
    /// The report.
    pub report_id: ReportId,
    /// The line.
    pub line: String,
    /// The ref to run against.
    pub git_ref: String,
    /// Line or fix.
    pub purpose: RunPurpose,
    /// The repository (empty for a package lab).
    pub repository: String,
    /// The package to install at `git_ref` (the version) instead of a checkout (a package lab).
    pub package: Option<LabPackage>,
    /// Where the package comes from (an index URL or a directory), if not the registry itself.
    pub index: Option<String>,
    /// The line's setup command (none for a fix ref that names no line).
    pub setup: Option<String>,
    /// Whether the setup may use the network.
    pub setup_network: bool,
    /// The PoC (none: the report has none any more; the run is recorded inconclusive).
    pub poc: Option<Private<String>>,
    /// The identifiers to look up, when this run carries the grounding check.
    pub names: Option<Vec<String>>,
}

/// What the worker found.
#[derive(Debug, Clone)]
pub struct LabRecord {
    /// The verdict.
    pub result: LabResult,
    /// Why (exit code, timeout, why the lab could not run it).
    pub reason: String,
    /// The PoC's output, bounded.
    pub output: Private<String>,
    /// The commit the ref resolved to.
    pub commit: Option<String>,
    /// The grounding check, when the task asked for one.
    pub grounding: Option<(String, Vec<Grounding>)>,
}

/// The lab's signal for a report in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabFilter {
    /// A release line run found it vulnerable.
    Reproduced,
    /// Runs finished and none found it vulnerable.
    NotReproduced,
    /// Nothing finished yet.
    NotRun,
    /// Most named identifiers are not in the source.
    GroundingFlagged,
}

impl LabFilter {
    /// The name in query strings.
    pub const fn as_str(self) -> &'static str {
        match self {
            LabFilter::Reproduced => "reproduced",
            LabFilter::NotReproduced => "not_reproduced",
            LabFilter::NotRun => "not_run",
            LabFilter::GroundingFlagged => "grounding_flagged",
        }
    }

    /// Every filter.
    pub const ALL: [LabFilter; 4] =
        [LabFilter::Reproduced, LabFilter::NotReproduced, LabFilter::NotRun, LabFilter::GroundingFlagged];

    /// Parses a query-string value.
    pub fn parse(s: &str) -> Option<LabFilter> {
        LabFilter::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Whether a report with `signals` (none: the lab never touched it) matches.
    pub fn matches(self, signals: Option<&LabSignals>) -> bool {
        let s = signals.copied().unwrap_or_default();
        match self {
            LabFilter::Reproduced => s.reproduced() == Some(true),
            LabFilter::NotReproduced => s.reproduced() == Some(false),
            LabFilter::NotRun => s.reproduced().is_none(),
            LabFilter::GroundingFlagged => s.flagged(),
        }
    }

    /// The store's signal of the same name, which report listings filter on in SQL.
    pub const fn signal(self) -> LabSignal {
        match self {
            LabFilter::Reproduced => LabSignal::Reproduced,
            LabFilter::NotReproduced => LabSignal::NotReproduced,
            LabFilter::NotRun => LabSignal::NotRun,
            LabFilter::GroundingFlagged => LabSignal::GroundingFlagged,
        }
    }
}

/// The grounding flag from counts (the rule of `embargo_core::lab::grounding_flagged`).
pub fn flagged(s: &LabSignals) -> bool {
    s.flagged()
}

fn view_of(run: LabRun) -> LabRunView {
    LabRunView {
        id: run.run.id,
        line: run.run.line,
        git_ref: run.run.git_ref,
        purpose: run.run.purpose,
        state: run.state,
        result: run.result,
        reason: run.reason,
        commit: run.commit,
        output: run.output,
        created_at: run.run.created_at,
        finished_at: run.finished_at,
    }
}

async fn lab_policy(tx: &mut dyn Writer, report: &Report) -> Result<Option<Lab>, AppError> {
    let org = tx.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
    let project = tx.project(report.project_id).await?.ok_or(AppError::NotFound)?;
    Ok(project_policy(tx, &org, &project).await?.lab.value)
}

/// The runs a request asks for, checked against the policy.
fn planned(lab: &Lab, request: &LabRequest) -> Result<Vec<(String, String, RunPurpose)>, AppError> {
    if let Some(lines) = &request.lines
        && lines.iter().any(|l| lab.line(l).is_none())
    {
        return Err(AppError::invalid("lines", "release lines named in the project's [lab] policy"));
    }
    if let Some(fix) = &request.fix_ref {
        if !safe_argument(fix) || fix.contains("..") {
            return Err(AppError::invalid("ref", "a branch, tag or commit without spaces, not starting with '-'"));
        }
        // A package lab verifies a fix by installing the version that has it.
        if lab.package.is_some() && !embargo_core::policy::package_version(fix) {
            return Err(AppError::invalid(
                "ref",
                "a package version to install (the project's lab installs a package)",
            ));
        }
        let line = request.lines.as_ref().and_then(|l| l.first()).cloned().unwrap_or_else(|| "fix".to_owned());
        return Ok(vec![(line, fix.clone(), RunPurpose::Fix)]);
    }
    let wanted: Option<BTreeSet<&str>> = request.lines.as_ref().map(|l| l.iter().map(String::as_str).collect());
    Ok(lab
        .lines
        .iter()
        .filter(|l| wanted.as_ref().is_none_or(|w| w.contains(l.name.as_str())))
        .map(|l| (l.name.to_string(), l.target(), RunPurpose::Line))
        .collect())
}

/// The line whose run also checks the report's identifiers: the first line the
/// reporter named that the lab knows, else the first line of the lab.
fn grounding_line(lab: &Lab, report: &Report) -> Option<String> {
    let content = report.content.expose();
    content
        .lines
        .iter()
        .find(|l| lab.line(l).is_some())
        .cloned()
        .or_else(|| lab.lines.first().map(|l| l.name.to_string()))
}

impl App {
    /// Queues runs of a report's PoC: against every line of the project's
    /// `[lab]` policy, the lines named, or a fix ref (team, triage scope).
    pub async fn queue_lab_runs(
        &self,
        actor: &Actor,
        report: ReportId,
        request: LabRequest,
    ) -> Result<Vec<LabRunId>, AppError> {
        self.queue_runs(Some(actor.clone()), report, request).await
    }

    /// Queues the lab's runs for a report just received, when it has a PoC and
    /// the project a `[lab]` policy. Intake does not depend on it: a failure is
    /// logged, the report stays filed.
    pub async fn queue_lab_runs_on_intake(&self, report: ReportId) {
        match self.queue_runs(None, report, LabRequest::default()).await {
            Ok(runs) if !runs.is_empty() => tracing::info!(%report, runs = runs.len(), "lab runs queued on intake"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%report, code = error.code(), "lab runs not queued on intake"),
        }
    }

    async fn queue_runs(
        &self,
        actor: Option<Actor>,
        id: ReportId,
        request: LabRequest,
    ) -> Result<Vec<LabRunId>, AppError> {
        let now = self.now();
        let entropy = std::sync::Arc::clone(&self.entropy);
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    if let Some(actor) = &actor {
                        require(actor, Action::QueueLabRuns(access(&report)))?;
                    }
                    let has_poc = report.content.expose().proof_of_concept.is_some();
                    let Some(lab) = lab_policy(tx, &report).await? else {
                        if actor.is_none() {
                            return Ok(Vec::new());
                        }
                        return Err(AppError::invalid("lab", "a [lab] section in the project's policy"));
                    };
                    if !has_poc {
                        if actor.is_none() {
                            return Ok(Vec::new());
                        }
                        return Err(AppError::invalid("proof_of_concept", "a report with a proof of concept"));
                    }
                    let plan = planned(&lab, &request)?;
                    let pending = tx.pending_lab_runs(report.project_id).await?;
                    if pending.saturating_add(u32::try_from(plan.len()).unwrap_or(u32::MAX)) > MAX_PENDING_PER_PROJECT {
                        return Err(AppError::invalid("lines", "at most 100 waiting lab runs per project"));
                    }
                    // Grounding looks names up in the git source: a package lab has none.
                    let grounding = grounding_line(&lab, &report).filter(|_| lab.package.is_none());
                    let mut ids = Vec::with_capacity(plan.len());
                    for (line, git_ref, purpose) in &plan {
                        let run = NewLabRun {
                            id: LabRunId::from_uuid(entropy.uuid()?),
                            report_id: id,
                            project_id: report.project_id,
                            line: line.clone(),
                            git_ref: git_ref.clone(),
                            purpose: *purpose,
                            grounding: *purpose == RunPurpose::Line && grounding.as_deref() == Some(line.as_str()),
                            requested_by: actor.as_ref().and_then(Actor::user_id),
                            created_at: now,
                        };
                        tx.insert_lab_run(&run).await?;
                        ids.push(run.id);
                    }
                    let lines: Vec<&str> = plan.iter().map(|(line, _, _)| line.as_str()).collect();
                    let purpose = if request.fix_ref.is_some() { "fix" } else { "lines" };
                    let details = json!({"runs": ids.len(), "lines": lines, "purpose": purpose});
                    let who = actor.unwrap_or(Actor::Operator);
                    record(tx, now, &who, "lab.queued", format!("report:{id}"), details).await?;
                    Ok(ids)
                })
            })
            .await
    }

    /// Leases the next run to `worker` for `lease` (the lab worker, as the operator).
    pub async fn claim_lab_run(
        &self,
        actor: &Actor,
        worker: &str,
        lease: time::Duration,
    ) -> Result<Option<LabTask>, AppError> {
        require(actor, Action::RunLab)?;
        let now = self.now();
        let worker = worker.to_owned();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let Some(run) = tx.claim_lab_run(&worker, now, now + lease, MAX_ATTEMPTS).await? else {
                        return Ok(None);
                    };
                    let report = tx.report(run.run.report_id).await?.ok_or(AppError::NotFound)?;
                    let lab = lab_policy(tx, &report).await?;
                    let content = report.content.expose();
                    // A fix named without a line is set up as the policy's first line is.
                    let line = lab.as_ref().and_then(|lab| match run.run.purpose {
                        RunPurpose::Line => lab.line(&run.run.line),
                        RunPurpose::Fix => lab.line(&run.run.line).or(lab.lines.first()),
                    });
                    let names = run.run.grounding.then(|| {
                        let mut texts = vec![content.body.as_str()];
                        texts.extend(content.component.as_deref());
                        texts.extend(content.proof_of_concept.as_deref());
                        identifiers(&texts)
                    });
                    Ok(Some(LabTask {
                        id: run.run.id,
                        report_id: run.run.report_id,
                        line: run.run.line.clone(),
                        git_ref: run.run.git_ref.clone(),
                        purpose: run.run.purpose,
                        repository: lab.as_ref().and_then(|l| l.repository.clone()).unwrap_or_default(),
                        package: lab.as_ref().and_then(|l| l.package.clone()),
                        index: lab.as_ref().and_then(|l| l.index.clone()),
                        setup: line.and_then(|l| l.setup.clone()),
                        setup_network: lab.as_ref().is_some_and(|l| l.setup_network),
                        poc: content.proof_of_concept.clone().map(Private::new),
                        names,
                    }))
                })
            })
            .await
    }

    /// Records a claimed run's result (and grounding check); `false` when the
    /// worker's lease was lost and the result dropped.
    pub async fn record_lab_result(
        &self,
        actor: &Actor,
        worker: &str,
        run: LabRunId,
        task_report: ReportId,
        found: LabRecord,
    ) -> Result<bool, AppError> {
        require(actor, Action::RunLab)?;
        let now = self.now();
        let (worker, actor) = (worker.to_owned(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let outcome = LabOutcome {
                        result: found.result,
                        reason: found.reason.chars().take(500).collect(),
                        output: found.output,
                        commit: found.commit.clone(),
                        finished_at: now,
                    };
                    if !tx.finish_lab_run(run, &worker, &outcome).await? {
                        return Ok(false);
                    }
                    let mut grounding = serde_json::Value::Null;
                    if let (Some((git_ref, names)), Some(commit)) = (found.grounding, found.commit) {
                        let check = GroundingCheck { git_ref, commit, names, checked_at: now };
                        grounding = json!({
                            "names": check.names.len(),
                            "missing": check.names.iter().filter(|g| !g.found).count(),
                            "flagged": grounding_flagged(&check.names),
                        });
                        tx.replace_lab_grounding(task_report, &check).await?;
                    }
                    let details =
                        json!({"run": run.to_string(), "result": found.result.as_str(), "grounding": grounding});
                    record(tx, now, &actor, "lab.recorded", format!("report:{task_report}"), details).await?;
                    Ok(true)
                })
            })
            .await
    }

    /// A report's lab record: everything for the team; for the reporter, whether their PoC reproduced.
    pub async fn view_lab(&self, actor: &Actor, id: ReportId) -> Result<LabView, AppError> {
        let mut reader = self.store.reader().await?;
        let report = reader.report(id).await?.ok_or(AppError::NotFound)?;
        let report_access = access(&report);
        let shared = reader.lab_shared_at(id).await?.is_some();
        if decide(actor, Action::ViewLab(report_access)) != Decision::Allow {
            require(actor, Action::ViewReport(report_access))?;
            let runs = reader.lab_runs(id).await?;
            let line_results = runs.iter().filter(|r| r.run.purpose == RunPurpose::Line).filter_map(|r| r.result);
            let (mut vulnerable, mut not_vulnerable) = (false, false);
            for result in line_results {
                vulnerable |= result == LabResult::Vulnerable;
                not_vulnerable |= result == LabResult::NotVulnerable;
            }
            let reproduced = if vulnerable { Some(true) } else { not_vulnerable.then_some(false) };
            let verdicts = Action::ViewLabVerdicts { report: report_access, shared };
            let lines = (decide(actor, verdicts) == Decision::Allow).then(|| share::line_verdicts(&runs));
            return Ok(LabView::Reporter { reproduced, lines });
        }
        let runs = reader.lab_runs(id).await?.into_iter().map(view_of).collect();
        let check = reader.lab_grounding(id).await?;
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let org_draft = reader.org_policy(org.id).await?;
        let project_draft = reader.project_policy(project.id).await?;
        let lab = embargo_core::policy::resolve(&org_draft, Some(&project_draft)).lab.value;
        let lines =
            lab.as_ref().map(|l| l.lines.iter().map(|line| line.name.to_string()).collect()).unwrap_or_default();
        let actions = LabActions {
            queue: lab.is_some() && decide(actor, Action::QueueLabRuns(report_access)) == Decision::Allow,
            accept: decide(actor, Action::Triage(report_access)) == Decision::Allow,
            share: decide(actor, Action::ShareLab(report_access)) == Decision::Allow,
        };
        let (grounding, grounding_ref) = match check {
            Some(c) => (c.names, Some(c.git_ref)),
            None => (Vec::new(), None),
        };
        Ok(LabView::Team {
            grounding_flagged: grounding_flagged(&grounding),
            runs,
            grounding,
            grounding_ref,
            configured: lab.is_some(),
            lines,
            actions,
            shared,
        })
    }

    /// Sets the report's affected versions to include every release line the
    /// lab found vulnerable (the team accepts the matrix); answers those lines.
    /// The latest finished run of each line decides; with no line found
    /// vulnerable there is nothing to accept (invalid, nothing changes).
    pub async fn accept_lab_matrix(&self, actor: &Actor, id: ReportId) -> Result<Vec<String>, AppError> {
        let now = self.now();
        let actor = actor.clone();
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let mut report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::Triage(access(&report)))?;
                    let runs = tx.lab_runs(id).await?;
                    // The latest finished run of each line decides.
                    let mut latest: Vec<(String, LabResult)> = Vec::new();
                    for run in runs.iter().filter(|r| r.run.purpose == RunPurpose::Line) {
                        let Some(result) = run.result else { continue };
                        latest.retain(|(line, _)| *line != run.run.line);
                        latest.push((run.run.line.clone(), result));
                    }
                    let vulnerable: Vec<String> =
                        latest.into_iter().filter(|(_, r)| *r == LabResult::Vulnerable).map(|(line, _)| line).collect();
                    if vulnerable.is_empty() {
                        return Err(AppError::invalid("lab", "a release-line run that found the report's flaw"));
                    }
                    for line in &vulnerable {
                        if !report.team.affected_versions.contains(line) {
                            report.team.affected_versions.push(line.clone());
                        }
                    }
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    let details = json!({"lines": vulnerable});
                    record(tx, now, &actor, "lab.accepted", format!("report:{id}"), details).await?;
                    Ok(vulnerable)
                })
            })
            .await
    }

    /// The lab's signals of those of `reports` the actor may see as the team.
    pub async fn lab_signals(
        &self,
        actor: &Actor,
        reports: &[ReportId],
    ) -> Result<Vec<(ReportId, LabSignals)>, AppError> {
        let mut reader = self.store.reader().await?;
        let mut visible = Vec::with_capacity(reports.len());
        for id in reports {
            if let Some(report) = reader.report(*id).await?
                && decide(actor, Action::ViewLab(access(&report))) == Decision::Allow
            {
                visible.push(*id);
            }
        }
        Ok(reader.lab_signals(&visible).await?)
    }
}

impl App {
    /// Queues a run of the report's PoC against a fix commit that merged
    /// (issue 11's forge hooks and polling), when the project has a `[lab]`
    /// policy and the report a PoC, so the report shows "fix verified" or not.
    /// A failure is logged; the fix stays recorded.
    pub(crate) async fn queue_fix_verification(&self, report: ReportId, commit: &str) {
        let request = LabRequest { lines: None, fix_ref: Some(commit.to_owned()) };
        match self.queue_runs(None, report, request).await {
            Ok(runs) if !runs.is_empty() => tracing::info!(%report, "lab run queued for the merged fix"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%report, code = error.code(), "lab run for the merged fix not queued"),
        }
    }
}
