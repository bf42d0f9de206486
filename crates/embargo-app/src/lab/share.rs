//! The team's "share lab results with the reporter" switch (issue 17, item
//! 3): without it the reporter sees only whether their PoC reproduced; with
//! it, each release line's latest verdict (never the PoC's output, the
//! reasons or the fix runs). Core's `decide` says who may switch it
//! (`Action::ShareLab`) and who then sees the verdicts (`Action::ViewLabVerdicts`).

use embargo_core::Timestamp;
use embargo_core::id::ReportId;
use embargo_core::lab::{LabResult, RunPurpose};
use embargo_core::permission::{Action, Actor};
use embargo_store::StoreExt;
use embargo_store::lab::LabRun;
use serde_json::json;

use crate::audit::record;
use crate::reports::access;
use crate::{App, AppError, require};

/// One release line's latest verdict, as the reporter sees it when shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineVerdict {
    /// The release line.
    pub line: String,
    /// The latest finished run's verdict.
    pub result: LabResult,
    /// When that run finished.
    pub finished_at: Option<Timestamp>,
}

/// The latest finished release-line run of each line, in the order lines first ran.
pub(super) fn line_verdicts(runs: &[LabRun]) -> Vec<LineVerdict> {
    let mut verdicts: Vec<LineVerdict> = Vec::new();
    for run in runs.iter().filter(|r| r.run.purpose == RunPurpose::Line) {
        let Some(result) = run.result else { continue };
        let verdict = LineVerdict { line: run.run.line.clone(), result, finished_at: run.finished_at };
        match verdicts.iter_mut().find(|v| v.line == run.run.line) {
            Some(known) => *known = verdict,
            None => verdicts.push(verdict),
        }
    }
    verdicts
}

impl App {
    /// Shares the lab's per-line verdicts with the reporter (`share`), or
    /// stops (the team, triage scope); answers whether they are shared now.
    /// Audited (`lab.shared`, `lab.unshared`) when it changes anything.
    pub async fn share_lab_results(&self, actor: &Actor, id: ReportId, share: bool) -> Result<bool, AppError> {
        let (now, actor) = (self.now(), actor.clone());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    let report = tx.lock_report(id).await?.ok_or(AppError::NotFound)?;
                    require(&actor, Action::ShareLab(access(&report)))?;
                    let at = share.then_some(now);
                    if tx.set_lab_shared(id, actor.user_id(), at).await? {
                        let event = if share { "lab.shared" } else { "lab.unshared" };
                        record(tx, now, &actor, event, format!("report:{id}"), json!({})).await?;
                    }
                    Ok(share)
                })
            })
            .await
    }
}
