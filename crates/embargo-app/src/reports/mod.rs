//! Reports: intake under the project's policy, the views each viewer may
//! have, and triage (messages, transitions, team fields, sharing).

mod collaborators;
mod cursor;
mod intake;
mod limits;
mod search;
mod targets;
pub(crate) mod transition;
mod triage;
mod view;

use embargo_core::text::Slug;
use std::collections::HashMap;

use embargo_core::Timestamp;
use embargo_core::deadline::Due;
use embargo_core::eligibility::Eligibility;
use embargo_core::id::{AdvisoryId, CweId, ReportId, UserId};
use embargo_core::intake::IntakeNotice;
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{Channel, Message};
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor, Decision, ReportAccess, decide};
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::report::{Report, ReportAttachment, ReportContent, Share, StateChange};
use embargo_core::severity::{Severity, SeverityLevel};
use embargo_core::user::{TeamScope, User};
use embargo_store::Writer;
use embargo_store::reports::ReporterRecord;

use crate::AppError;
use crate::secret::Token;

pub use collaborators::{Invitation, NewCollaborator};
pub use intake::{Envelope, Upload};
pub(crate) use intake::{Filing, WriteFailure, attachment_rows, judge_uploads};
pub use search::INDEX_BATCH;
pub(crate) use targets::TargetCache;
pub(crate) use triage::{policy_of, store_message};
pub use view::QueueChoices;

/// What a reporter gets back: the reference, the secret follow-up token, and
/// what the policy has to say about the report.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The report's id.
    pub report_id: ReportId,
    /// Reads and answers this one report; shown once.
    pub followup: Token,
    /// The organisation.
    pub org: Organisation,
    /// The project.
    pub project: Project,
    /// When it was received.
    pub submitted_at: Timestamp,
    /// When the team promised to acknowledge it, if it promised.
    pub acknowledge_by: Option<Timestamp>,
    /// What the reporter should know about the report.
    pub notices: Vec<IntakeNotice>,
}

/// How the viewer relates to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerRole {
    /// The project's security team: sees internal notes and team fields.
    Team,
    /// The reporter: sees their report and the reporter-visible thread.
    Reporter,
    /// A person the team invited (a collaborator or co-finder): the report and
    /// the reporter-visible thread, internal notes only when the team allowed it.
    Collaborator,
    /// A party interested in an unsupported platform: a redacted, read-only copy.
    InterestedParty,
}

impl ViewerRole {
    /// The name in API answers.
    pub const fn as_str(self) -> &'static str {
        match self {
            ViewerRole::Team => "team",
            ViewerRole::Reporter => "reporter",
            ViewerRole::Collaborator => "collaborator",
            ViewerRole::InterestedParty => "interested-party",
        }
    }
}

/// A line in a list of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// The report.
    pub id: ReportId,
    /// Its organisation.
    pub org: Organisation,
    /// Its project.
    pub project: Project,
    /// The reporter's title.
    pub title: String,
    /// Where it stands.
    pub state: ReportState,
    /// The team's rating, for the team only.
    pub severity: Option<SeverityLevel>,
    /// Who handles it, for the team only.
    pub assignee: Option<User>,
    /// The deadline that matters now, for the team only.
    pub deadline: Option<Due>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// How the viewer relates to it.
    pub viewer: ViewerRole,
}

/// What only the team sees about a report.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamView {
    /// The team's severity.
    pub severity: Severity,
    /// Weaknesses.
    pub cwes: Vec<CweId>,
    /// Who handles it.
    pub assignee: Option<User>,
    /// The versions the team found affected.
    pub affected_versions: Vec<String>,
    /// The release lines the team decided get the fix.
    pub fix_lines: Vec<String>,
    /// The original, when a duplicate.
    pub duplicate_of: Option<ReportId>,
    /// The signed-in reporter, if any.
    pub reporter: Option<User>,
    /// How the reporter's reports ended so far, and whether the policy's ban threshold is reached.
    pub reporter_record: Option<(ReporterRecord, bool)>,
    /// What the policy says about CVE ids and fixes for the affected lines.
    pub eligibility: Eligibility,
    /// Who the report was shared with.
    pub shares: Vec<Share>,
    /// Who may be assigned: the project's security team (its own and its
    /// organisation's), with the current assignee always among them.
    pub assignable: Vec<User>,
    /// Likely duplicates among the project's open reports, while in triage: (report, title, why).
    pub duplicate_suggestions: Vec<(ReportId, String, Vec<String>)>,
}

/// A report as one viewer may see it.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The report.
    pub id: ReportId,
    /// Its organisation.
    pub org: Organisation,
    /// Its project.
    pub project: Project,
    /// Where it stands.
    pub state: ReportState,
    /// How it arrived.
    pub channel: Channel,
    /// What the reporter wrote (redacted of the reporter's identity for interested parties).
    pub content: Private<ReportContent>,
    /// Plain-text attachments.
    pub attachments: Vec<ReportAttachment>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// How the viewer relates to it.
    pub viewer: ViewerRole,
    /// The deadline that matters now (not for interested parties).
    pub deadline: Option<Due>,
    /// What the reporter was told at intake.
    pub intake: Vec<IntakeNotice>,
    /// Team fields, for the team only.
    pub team: Option<TeamView>,
    /// The thread: with internal notes for the team, without for the reporter, none for interested parties.
    pub messages: Vec<Message>,
    /// Display names of message authors.
    pub authors: HashMap<UserId, String>,
    /// The states it went through.
    pub history: Vec<StateChange>,
    /// Where the viewer may move it now.
    pub allowed_transitions: Vec<ReportState>,
    /// What else the viewer may do with it now (decided by core's permissions).
    pub actions: ReportActions,
    /// Its advisory: any for the team, published ones for everyone else.
    pub advisory: Option<AdvisoryId>,
    /// When its embargo ends, if one is set (not for interested parties).
    pub embargo: Option<embargo_core::embargo::Moment>,
}

/// What a viewer may do with a report, as `embargo_core::permission::decide`
/// says: pages show exactly these, and the API accepts exactly these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportActions {
    /// Post a reporter-visible message.
    pub reply: bool,
    /// Post an internal note.
    pub internal_note: bool,
    /// Change the team's fields (severity, assignee, …).
    pub assess: bool,
    /// Share it with a platform's interested parties.
    pub share: bool,
    /// Draft its advisory (accepted, none yet).
    pub draft_advisory: bool,
}

/// Which reports to list.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// Only this organisation's (with `project`: that project's).
    pub org: Option<Slug>,
    /// Only this project's (needs `org`).
    pub project: Option<Slug>,
    /// Only in this state.
    pub state: Option<String>,
    /// Only open reports (not closed by a decision, disclosure or withdrawal).
    pub open_only: bool,
    /// Only assigned to this user.
    pub assignee: Option<UserId>,
    /// Only those of the actor's teams with this lab signal (filtered in the query, over every report).
    pub lab: Option<crate::lab::LabFilter>,
    /// Reproduced first, then not run, then not reproduced.
    pub lab_first: bool,
    /// Soonest deadline first (the one that matters in each report's state) instead of newest first.
    pub deadline_first: bool,
    /// At most this many (default 100).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
    /// Where the page starts: the `next` of the previous page (opaque).
    pub cursor: Option<String>,
    /// A search: words (prefixes of 3+ characters) and `state:`, `project:`, `cwe:`, `cve:`,
    /// `assignee:` filters (core's `search::parse`); its filters stand in for absent ones above.
    pub q: Option<String>,
}

/// A page of a report list, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportPage {
    /// The page's reports.
    pub reports: Vec<ReportSummary>,
    /// The cursor of the next page (the query's `cursor`), when there is one.
    pub next: Option<String>,
}

/// Changes to the team's fields; absent fields stay, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TeamPatch {
    /// A CVSS 3.x vector.
    pub cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector.
    pub cvss_v4: Option<Option<String>>,
    /// CWE ids.
    pub cwes: Option<Vec<String>>,
    /// The team member handling it.
    pub assignee: Option<Option<UserId>>,
    /// Affected versions or release lines.
    pub affected_versions: Option<Vec<String>>,
    /// Release lines that get the fix.
    pub fix_lines: Option<Vec<String>>,
}

/// A lifecycle transition as asked for.
#[derive(Debug, Clone, Default)]
pub struct TransitionInput {
    /// The target state.
    pub to: String,
    /// Why; sent to the reporter.
    pub reason: Option<String>,
    /// The original, for `duplicate`.
    pub duplicate_of: Option<String>,
    /// The policy's acceptance criterion, for `not_vulnerable`.
    pub criterion: Option<String>,
}

pub(crate) fn access(report: &Report) -> ReportAccess {
    ReportAccess { id: report.id, org: report.org_id, project: report.project_id, reporter: report.reporter_id }
}

fn role_of(actor: &Actor, report: &Report) -> ViewerRole {
    let visible = decide(actor, Action::ViewReport(access(report))) == Decision::Allow;
    if visible && embargo_core::permission::collaboration(actor, &access(report)).is_some() {
        ViewerRole::Collaborator
    } else if decide(actor, Action::ViewInternal(access(report))) == Decision::Allow {
        ViewerRole::Team
    } else if decide(actor, Action::ViewReport(access(report))) == Decision::Allow {
        ViewerRole::Reporter
    } else {
        ViewerRole::InterestedParty
    }
}

/// Whether `user` is on the security team of the report's project.
async fn is_team_member(tx: &mut dyn Writer, user: UserId, report: &Report) -> Result<bool, AppError> {
    Ok(tx.memberships(user).await?.iter().any(|m| match m.scope {
        TeamScope::Organisation(org) => org == report.org_id,
        TeamScope::Project(project) => project == report.project_id,
    }))
}

/// The release lines a report affects, for eligibility: the team's
/// affected versions that name lines, else the lines the reporter named.
pub(crate) fn affected_lines(
    report: &Report,
    lines: &[embargo_core::project::ReleaseLine],
    latest: &str,
) -> Vec<String> {
    let is_line = |v: &String| lines.iter().any(|l| l.name.as_str() == v) || v == latest;
    let team: Vec<String> = report.team.affected_versions.iter().filter(|v| is_line(v)).cloned().collect();
    if team.is_empty() { report.content.expose().lines.clone() } else { team }
}
