//! The evidence lab on the report page: the affected matrix and grounding
//! list (team), the reporter's one sentence, and the team's two forms: run
//! the PoC again (every line, one line, or a fix) and accept the matrix into
//! the report's affected versions, and share each line's verdict with the
//! reporter (who then sees them here). All work without JavaScript.

use super::Path;
use axum::extract::State;
use axum::response::Response;
use embargo_app::{LabActions, LabRequest, LabView};
use embargo_core::lab::{LabResult, RunPurpose};

use super::form::apply_errors;
use super::reports::{Kept, reshow, visible_report};
use super::views::Badge;
use super::{FormData, PageError, Viewer, fixable, form_status, see_other};
use crate::AppState;

/// One run of the lab as the report page lists it.
pub(super) struct LabRunRow {
    pub(super) line: String,
    pub(super) git_ref: String,
    pub(super) fix: bool,
    pub(super) result: Badge,
    pub(super) reason: String,
    pub(super) commit: String,
}

/// The evidence lab on the report page: the matrix and grounding list for
/// the team, whether the PoC reproduced for the reporter.
pub(super) struct LabSection {
    pub(super) team: bool,
    pub(super) reproduced: Option<bool>,
    pub(super) runs: Vec<LabRunRow>,
    pub(super) grounding: Vec<(String, bool, String)>,
    pub(super) grounding_ref: String,
    pub(super) flagged: bool,
    pub(super) configured: bool,
    /// The `[lab]` lines, to run one again.
    pub(super) lines: Vec<String>,
    /// Whether the viewer may queue runs.
    pub(super) can_queue: bool,
    /// Whether the viewer may accept the matrix and a line was found vulnerable.
    pub(super) can_accept: bool,
    /// The lab forms' problems.
    pub(super) errors: Vec<String>,
    /// Whether the team shares each line's verdict with the reporter.
    pub(super) shared: bool,
    /// Whether the viewer may switch sharing on and off.
    pub(super) can_share: bool,
    /// Each line's verdict, for the reporter when the team shares them.
    pub(super) verdicts: Vec<(String, Badge)>,
}

/// The section for a lab view, with the problems of a lab form just sent.
pub(super) fn lab_section(view: LabView, errors: Vec<String>) -> LabSection {
    match view {
        LabView::Reporter { reproduced, lines } => LabSection {
            team: false,
            reproduced,
            runs: Vec::new(),
            grounding: Vec::new(),
            grounding_ref: String::new(),
            flagged: false,
            configured: true,
            lines: Vec::new(),
            can_queue: false,
            can_accept: false,
            errors: Vec::new(),
            shared: lines.is_some(),
            can_share: false,
            verdicts: lines
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.line, badge(Some(v.result), "not run")))
                .collect(),
        },
        LabView::Team { runs, grounding, grounding_ref, grounding_flagged, configured, lines, actions, shared } => {
            let LabActions { queue, accept, share } = actions;
            let found = runs.iter().any(|r| r.purpose == RunPurpose::Line && r.result == Some(LabResult::Vulnerable));
            LabSection {
                team: true,
                reproduced: crate::api::lab_reproduced(&runs),
                runs: runs.into_iter().map(run_row).collect(),
                grounding: grounding.into_iter().map(|g| (g.name, g.found, g.location.unwrap_or_default())).collect(),
                grounding_ref: grounding_ref.unwrap_or_default(),
                flagged: grounding_flagged,
                configured,
                lines,
                can_queue: queue,
                can_accept: accept && found,
                errors,
                shared,
                can_share: share,
                verdicts: Vec::new(),
            }
        }
    }
}

/// The badge of a verdict (`pending` names a run without one yet).
fn badge(result: Option<LabResult>, pending: &str) -> Badge {
    let (class, label) = match result {
        Some(LabResult::Vulnerable) => ("lab-reproduced", "Vulnerable"),
        Some(LabResult::NotVulnerable) => ("lab-not-reproduced", "Not vulnerable"),
        Some(LabResult::Inconclusive) => ("lab-not-run", "Inconclusive"),
        None => ("lab-not-run", pending),
    };
    Badge { class: class.to_owned(), label: label.to_owned() }
}

fn run_row(r: embargo_app::LabRunView) -> LabRunRow {
    LabRunRow {
        line: r.line,
        git_ref: r.git_ref,
        fix: r.purpose == RunPurpose::Fix,
        result: badge(r.result, r.state.as_str()),
        reason: r.reason.unwrap_or_default(),
        commit: r.commit.map(|c| c.chars().take(12).collect()).unwrap_or_default(),
    }
}

/// `POST /reports/{id}/lab/runs`: runs the PoC again: against every line of
/// the `[lab]` policy (`line` empty), one line, or a fix (`ref`).
pub(crate) async fn queue_runs(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let request = LabRequest { lines: form.opt("line").map(|line| vec![line]), fix_ref: form.opt("ref") };
    match state.app.queue_lab_runs(&actor, crate::extract::report_id(&id)?, request).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#lab"))),
        Err(e) if fixable(&e) => {
            let kept = Kept::lab(apply_errors(&mut [], &e));
            reshow(&state, &viewer, &id, kept, form_status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/lab/accept`: the lines the lab found vulnerable join
/// the report's affected versions (and so its CVE eligibility and fix lines).
pub(crate) async fn accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    match state.app.accept_lab_matrix(&actor, crate::extract::report_id(&id)?).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}#team"))),
        Err(e) if fixable(&e) => {
            let kept = Kept::lab(apply_errors(&mut [], &e));
            reshow(&state, &viewer, &id, kept, form_status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /reports/{id}/lab/share`: the team shares each line's verdict with
/// the reporter (`share=yes`) or stops (`share=no`).
pub(crate) async fn share(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (_, actor) = visible_report(&state, &viewer, &id).await?;
    let share = form.opt("share").as_deref() == Some("yes");
    state.app.share_lab_results(&actor, crate::extract::report_id(&id)?, share).await?;
    Ok(see_other(&format!("/reports/{id}#lab")))
}
