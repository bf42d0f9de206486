//! The report behind each imported GitHub advisory (issue 14, item 6): a
//! team leaving GitHub's private vulnerability reporting brings its reports,
//! not only its advisories. Each GHSA becomes a report with the advisory's
//! text (sealed like any report), its package, ranges, CVSS, CWEs, the
//! reporter's login, and a history dated as GitHub dated it; the advisory
//! (when there is one) is linked to it.
//!
//! States (GitHub → Embargo): `triage` (a report someone sent, not yet
//! accepted) → triaging; `draft` (accepted, not published) → accepted;
//! `published` → disclosed; `withdrawn` → disclosed (the advisory says it
//! was withdrawn); `closed` (closed without publication) → declined as not
//! a vulnerability, with no advisory. GitHub keeps no history of the steps
//! between, so the history holds the ones its dates give: received at
//! `created_at`, triaging or accepted then, disclosed at `published_at`,
//! declined at `closed_at`. Imported reports get no deadlines (they are
//! history, not new work), no intake mail and no lab runs.
//!
//! A report is filed once per record and project (`imported_reports`): an
//! import of the same record again finds it and leaves it as the team has it.

use embargo_core::Timestamp;
use embargo_core::id::{OrgId, ProjectId, ReportId};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::Channel;
use embargo_core::permission::Actor;
use embargo_core::private::Private;
use embargo_core::report::{Report, ReportContent, StateChange, Submission, TeamFields};
use embargo_core::text::{FieldErrors, MAX_SHORT_CHARS, MAX_TITLE_CHARS};
use embargo_formats::ghsa::{GhsaReport, GhsaState};
use embargo_formats::osv::Imported;
use embargo_store::Writer;
use serde_json::json;

use crate::AppError;
use crate::audit::record;
use crate::entropy::{Entropy, NewIds};
use crate::secret::{Token, TokenKind};

/// The source name imported reports are recorded under.
pub(super) const GHSA_SOURCE: &str = "ghsa";

/// A report to file for one GitHub advisory, checked before anything is written.
#[derive(Debug, Clone)]
pub(super) struct ReportPlan {
    /// The GHSA id.
    pub(super) source_id: String,
    /// What the report says.
    pub(super) content: ReportContent,
    /// Severity and CWEs, as the advisory gives them.
    pub(super) team: TeamFields,
    /// The history, oldest first: each state and when it was reached.
    pub(super) history: Vec<(ReportState, Timestamp)>,
    /// GitHub's state, for the history's reason and the audit event.
    pub(super) github_state: &'static str,
    /// `created_at`.
    pub(super) created: Timestamp,
    /// `updated_at`.
    pub(super) updated: Timestamp,
}

const fn github_name(state: GhsaState) -> &'static str {
    match state {
        GhsaState::Triage => "triage",
        GhsaState::Draft => "draft",
        GhsaState::Published => "published",
        GhsaState::Withdrawn => "withdrawn",
        GhsaState::Closed => "closed",
    }
}

/// Text cut to `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut kept: String = text.chars().take(max.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// Plans the report of one advisory; the content passes the checks a form's does.
pub(super) fn plan(
    source_id: &str,
    state: GhsaState,
    facts: &GhsaReport,
    imported: &Imported,
) -> Result<ReportPlan, FieldErrors> {
    let content = &imported.content;
    let title =
        if content.summary.trim().is_empty() { source_id.to_owned() } else { cut(&content.summary, MAX_TITLE_CHARS) };
    let body = if content.details.trim().is_empty() { title.clone() } else { content.details.clone() };
    let submission = Submission {
        title,
        body,
        component: (!facts.packages.is_empty()).then(|| cut(&facts.packages.join(", "), MAX_SHORT_CHARS)),
        versions_vulnerable: (!facts.vulnerable_ranges.is_empty())
            .then(|| cut(&facts.vulnerable_ranges.join("; "), MAX_SHORT_CHARS)),
        reporter_name: facts.reporter.clone(),
        ..Submission::default()
    };
    let content = ReportContent::from_submission(&submission)?;
    let created = facts.created.unwrap_or(imported.published);
    let updated = facts.updated.unwrap_or(imported.modified).max(created);
    let mut history = vec![(ReportState::New, created)];
    match state {
        GhsaState::Triage => history.push((ReportState::Triaging, created)),
        GhsaState::Draft => history.push((ReportState::Accepted, created)),
        GhsaState::Published | GhsaState::Withdrawn => {
            history.push((ReportState::Accepted, created));
            history.push((ReportState::Disclosed, facts.published.unwrap_or(imported.published).max(created)));
        }
        GhsaState::Closed => history.push((ReportState::NotVulnerable, facts.closed.unwrap_or(updated).max(created))),
    }
    let team = TeamFields {
        severity: imported.content.severity.clone(),
        cwes: imported.content.cwes.clone(),
        ..TeamFields::default()
    };
    Ok(ReportPlan {
        source_id: source_id.to_owned(),
        content,
        team,
        history,
        github_state: github_name(state),
        created,
        updated,
    })
}

/// Files the planned report, unless an earlier import of the record did;
/// answers the report and whether it is new.
pub(super) async fn file(
    tx: &mut dyn Writer,
    entropy: &dyn Entropy,
    now: Timestamp,
    actor: &Actor,
    (org, project): (OrgId, ProjectId),
    plan: ReportPlan,
) -> Result<(ReportId, bool), AppError> {
    if let Some(id) = tx.imported_report(project, GHSA_SOURCE, &plan.source_id).await? {
        return Ok((id, false));
    }
    let id = entropy.report_id()?;
    let state = plan.history.last().map_or(ReportState::New, |(state, _)| *state);
    let report = Report {
        id,
        org_id: org,
        project_id: project,
        reporter_id: None,
        channel: Channel::Cli,
        content: Private::new(plan.content),
        state,
        team: plan.team,
        deadlines: Default::default(),
        intake: Vec::new(),
        duplicate_of: None,
        created_at: plan.created,
        updated_at: plan.updated,
    };
    // Nobody holds the follow-up link of an imported report: its token is made and forgotten.
    let followup = Token::generate(TokenKind::FollowUp, entropy)?;
    tx.insert_report(&report, &followup.hash()).await?;
    let last = plan.history.len().saturating_sub(1);
    let mut from = None;
    for (i, (to, at)) in plan.history.iter().enumerate() {
        let reason = (i == last && i > 0).then(|| {
            Private::new(format!("Imported from GitHub advisory {} (state: {}).", plan.source_id, plan.github_state))
        });
        let change = StateChange { report_id: id, from, to: *to, reason, actor_id: None, at: *at };
        tx.insert_state_change(&change).await?;
        from = Some(*to);
    }
    tx.insert_imported_report(project, GHSA_SOURCE, &plan.source_id, id, now).await?;
    let details = json!({"source": GHSA_SOURCE, "record": plan.source_id, "state": state.to_string()});
    record(tx, now, actor, "report.imported", format!("report:{id}"), details).await?;
    Ok((id, true))
}
