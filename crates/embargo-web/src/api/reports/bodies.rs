//! The JSON bodies the report routes answer with, built from the app's views.

use embargo_app::{ReportSummary, ReportView, ViewerRole};
use embargo_core::message::{AuthorRole, Message};
use embargo_core::report::StateChange;
use embargo_core::severity::Cvss;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::api::json::{ProjectRef, UserRef};

/// Something the reporter should know about their report under the policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct NoticeJson {
    /// A stable code (`reporter_severity`, `unsupported_lines`, `only_latest_supported`,
    /// `experimental_feature`, `unsupported_platform`, `missing_field`).
    code: String,
    /// What the reporter is told.
    message: String,
}

pub(super) fn notices_json(notices: &[embargo_core::intake::IntakeNotice]) -> Vec<NoticeJson> {
    notices.iter().map(|n| NoticeJson { code: n.code().to_owned(), message: n.message() }).collect()
}

/// A line of a report list.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportSummaryJson {
    /// The report's id.
    id: String,
    /// Where it belongs.
    project: ProjectRef,
    /// The reporter's title.
    title: String,
    /// Where it stands.
    state: String,
    /// The team's rating (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    /// Who handles it (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<UserRef>,
    /// `team` or `reporter`.
    viewer: String,
    /// The deadline that matters now (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<DeadlineJson>,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// Last activity.
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

/// A response deadline the policy promised.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeadlineJson {
    /// `acknowledge`, `triage`, `fix` or `disclosure`.
    kind: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    due: OffsetDateTime,
    /// Whether it has passed.
    overdue: bool,
}

pub(super) fn deadline_json(due: &embargo_core::deadline::Due, now: OffsetDateTime) -> DeadlineJson {
    DeadlineJson { kind: due.kind.as_str().to_owned(), due: due.at, overdue: due.is_overdue(now) }
}

/// A CVSS vector with its computed score.
#[derive(Serialize, ToSchema)]
pub(crate) struct CvssJson {
    /// The vector.
    vector: String,
    /// The base score.
    score: f64,
    /// `none`, `low`, `medium`, `high` or `critical`.
    rating: String,
}

impl From<&Cvss> for CvssJson {
    fn from(c: &Cvss) -> Self {
        CvssJson { vector: c.vector().to_owned(), score: c.score(), rating: c.level().as_str().to_owned() }
    }
}

/// The team's fields (team only).
#[derive(Serialize, ToSchema)]
pub(crate) struct TeamJson {
    /// CVSS 3.x.
    cvss_v3: Option<CvssJson>,
    /// CVSS 4.0.
    cvss_v4: Option<CvssJson>,
    /// CWE ids.
    cwes: Vec<String>,
    /// Who handles it.
    assignee: Option<UserRef>,
    /// Affected versions or release lines.
    affected_versions: Vec<String>,
    /// Release lines that get the fix.
    fix_lines: Vec<String>,
    /// The original, when a duplicate.
    duplicate_of: Option<String>,
    /// The signed-in reporter.
    reporter: Option<UserRef>,
    /// How the reporter's reports ended so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    reporter_record: Option<RecordJson>,
    /// What the policy says about CVE ids and fixes for the affected lines.
    eligibility: EligibilityJson,
    /// Who the report was shared with.
    shares: Vec<ShareJson>,
    /// Who may be assigned: the project's security team.
    assignable: Vec<UserRef>,
    /// Likely duplicates among the project's open reports (while in triage), each with why.
    duplicate_suggestions: Vec<DuplicateJson>,
}

/// What the caller may do with the report now, besides `allowed_transitions`
/// (the pages offer exactly these).
#[derive(Serialize, ToSchema)]
pub(crate) struct ActionsJson {
    /// Post a reporter-visible message.
    reply: bool,
    /// Post an internal note.
    internal_note: bool,
    /// Change the team's fields.
    assess: bool,
    /// Share it with a platform's interested parties.
    share: bool,
    /// Draft its advisory.
    draft_advisory: bool,
}

/// How a reporter's reports ended so far.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecordJson {
    /// Reports in all.
    total: u64,
    /// Accepted.
    accepted: u64,
    /// Declined.
    declined: u64,
    /// Spam.
    spam: u64,
    /// Whether the policy's ban threshold is reached.
    ban_suggested: bool,
}

/// CVE eligibility and fix lines under the policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct EligibilityJson {
    /// Whether a CVE id may be requested.
    cve: bool,
    /// The affected lines the CVE covers.
    cve_lines: Vec<String>,
    /// Affected lines fixed by default.
    fix_by_default: Vec<String>,
    /// Affected lines fixed on request.
    fix_on_request: Vec<String>,
    /// Affected lines that get neither.
    unsupported: Vec<String>,
    /// Why, in a sentence.
    explanation: String,
}

pub(crate) fn eligibility_json(e: &embargo_core::eligibility::Eligibility) -> EligibilityJson {
    EligibilityJson {
        cve: e.cve,
        cve_lines: e.cve_lines.clone(),
        fix_by_default: e.fix_by_default.clone(),
        fix_on_request: e.fix_on_request.clone(),
        unsupported: e.unsupported.iter().map(|(l, _)| l.clone()).collect(),
        explanation: e.explanation.clone(),
    }
}

/// A report shared with an interested party.
#[derive(Serialize, ToSchema)]
pub(crate) struct ShareJson {
    /// Its id.
    id: String,
    /// Who it is shared with.
    party: String,
    /// The platform.
    platform: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// The token that opens the redacted copy (only when just made).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// When the mail with the link went out to the party.
    #[serde(with = "time::serde::rfc3339::option")]
    mailed_at: Option<OffsetDateTime>,
    /// When the party first used the link.
    #[serde(with = "time::serde::rfc3339::option")]
    first_opened_at: Option<OffsetDateTime>,
    /// When the party last used the link.
    #[serde(with = "time::serde::rfc3339::option")]
    last_opened_at: Option<OffsetDateTime>,
}

pub(super) fn share_json(s: &embargo_core::report::Share, token: Option<&str>) -> ShareJson {
    ShareJson {
        id: s.id.to_string(),
        party: s.party.to_string(),
        platform: s.platform.clone(),
        created_at: s.created_at,
        token: token.map(str::to_owned),
        mailed_at: s.mailed_at,
        first_opened_at: s.first_opened_at,
        last_opened_at: s.last_opened_at,
    }
}

/// An attachment.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttachmentJson {
    /// Its id.
    id: String,
    /// Its name.
    filename: String,
    /// Its text.
    text: String,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

/// Who wrote a message.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuthorJson {
    /// `reporter` or `team`.
    role: String,
    /// Their name, when known.
    name: Option<String>,
}

/// A message on a report.
#[derive(Serialize, ToSchema)]
pub(crate) struct MessageJson {
    /// Its id.
    id: String,
    /// Who wrote it.
    author: AuthorJson,
    /// `reporter-visible` or `internal`.
    visibility: String,
    /// How it arrived.
    channel: String,
    /// The text.
    body: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

/// A step in a report's history.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryJson {
    /// The state before (absent for the submission).
    from: Option<String>,
    /// The state reached.
    to: String,
    /// The reason given.
    reason: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

/// A report as the caller may see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportJson {
    /// Its id.
    id: String,
    /// Where it belongs.
    project: ProjectRef,
    /// Where it stands.
    state: String,
    /// How it arrived.
    channel: String,
    /// The reporter's title.
    title: String,
    /// The description.
    body: String,
    /// The affected component.
    component: Option<String>,
    /// The versions tested.
    versions_tested: Option<String>,
    /// Which were vulnerable.
    versions_vulnerable: Option<String>,
    /// The platform.
    platform: Option<String>,
    /// The threat model cited.
    threat_model: Option<String>,
    /// The proof of concept.
    proof_of_concept: Option<String>,
    /// The patch offered.
    patch: Option<String>,
    /// The name to credit.
    reporter_name: Option<String>,
    /// The release lines the reporter named.
    lines: Vec<String>,
    /// Plain-text attachments.
    attachments: Vec<AttachmentJson>,
    /// `team`, `reporter` or `interested-party`: how the caller relates to the report.
    viewer: String,
    /// The deadline that matters now.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<DeadlineJson>,
    /// What the reporter was told at intake.
    notices: Vec<NoticeJson>,
    /// The team's fields (team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<TeamJson>,
    /// The thread (internal notes for the team only).
    messages: Vec<MessageJson>,
    /// The states it went through.
    history: Vec<HistoryJson>,
    /// Where the caller may move it now.
    allowed_transitions: Vec<String>,
    /// What else the caller may do with it now.
    actions: ActionsJson,
    /// Its advisory (for the reporter, once published).
    advisory: Option<String>,
    /// When the embargo ends, if one is set.
    embargo: Option<EmbargoJson>,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    /// Last activity.
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

pub(super) fn viewer(role: ViewerRole) -> String {
    role.as_str().to_owned()
}

pub(super) fn summary_json(s: &ReportSummary, now: OffsetDateTime) -> ReportSummaryJson {
    ReportSummaryJson {
        id: s.id.to_string(),
        project: ProjectRef::new(&s.org, &s.project),
        title: s.title.clone(),
        state: s.state.as_str().to_owned(),
        severity: s.severity.map(|l| l.as_str().to_owned()),
        assignee: s.assignee.as_ref().map(UserRef::from),
        viewer: viewer(s.viewer),
        deadline: s.deadline.as_ref().map(|d| deadline_json(d, now)),
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

pub(super) fn message_json(m: &Message, view: &ReportView) -> MessageJson {
    MessageJson {
        id: m.id.to_string(),
        author: AuthorJson {
            role: match m.author_role {
                AuthorRole::Reporter => "reporter",
                AuthorRole::Team => "team",
            }
            .to_owned(),
            name: m.author_id.and_then(|id| view.authors.get(&id).cloned()),
        },
        visibility: m.visibility.as_str().to_owned(),
        channel: m.channel.as_str().to_owned(),
        body: m.body.expose().clone(),
        created_at: m.created_at,
    }
}

pub(super) fn history_json(c: &StateChange) -> HistoryJson {
    HistoryJson {
        from: c.from.map(|s| s.as_str().to_owned()),
        to: c.to.as_str().to_owned(),
        reason: c.reason.as_ref().map(|r| r.expose().clone()),
        at: c.at,
    }
}

/// A likely duplicate.
#[derive(Serialize, ToSchema)]
pub(crate) struct DuplicateJson {
    /// The other report.
    report: String,
    /// Its title.
    title: String,
    /// Why it was suggested.
    reasons: Vec<String>,
}

/// An embargo end: as the team gave it, in UTC, and for people in both.
#[derive(Serialize, ToSchema)]
pub(crate) struct EmbargoJson {
    /// RFC 3339 in the offset the team gave (`2026-06-01T14:00:00+02:00`).
    until: String,
    /// The same instant in UTC.
    #[serde(with = "time::serde::rfc3339")]
    until_utc: OffsetDateTime,
    /// For people: in the team's offset and in UTC.
    shown: String,
}

pub(super) fn embargo_json(m: &embargo_core::embargo::Moment) -> EmbargoJson {
    EmbargoJson { until: m.rfc3339(), until_utc: m.at, shown: m.both() }
}

pub(crate) fn report_json(view: &ReportView, now: OffsetDateTime) -> ReportJson {
    let content = view.content.expose();
    ReportJson {
        id: view.id.to_string(),
        project: ProjectRef::new(&view.org, &view.project),
        state: view.state.as_str().to_owned(),
        channel: view.channel.as_str().to_owned(),
        title: content.title.clone(),
        body: content.body.clone(),
        component: content.component.clone(),
        versions_tested: content.versions_tested.clone(),
        versions_vulnerable: content.versions_vulnerable.clone(),
        platform: content.platform.clone(),
        threat_model: content.threat_model.clone(),
        proof_of_concept: content.proof_of_concept.clone(),
        patch: content.patch.clone(),
        reporter_name: content.reporter_name.clone(),
        lines: content.lines.clone(),
        attachments: view
            .attachments
            .iter()
            .map(|a| AttachmentJson {
                id: a.id.to_string(),
                filename: a.filename.clone(),
                text: a.text.expose().clone(),
                created_at: a.created_at,
            })
            .collect(),
        viewer: viewer(view.viewer),
        deadline: view.deadline.as_ref().map(|d| deadline_json(d, now)),
        notices: notices_json(&view.intake),
        team: view.team.as_ref().map(|t| TeamJson {
            cvss_v3: t.severity.cvss_v3.as_ref().map(CvssJson::from),
            cvss_v4: t.severity.cvss_v4.as_ref().map(CvssJson::from),
            cwes: t.cwes.iter().map(ToString::to_string).collect(),
            assignee: t.assignee.as_ref().map(UserRef::from),
            affected_versions: t.affected_versions.clone(),
            fix_lines: t.fix_lines.clone(),
            duplicate_of: t.duplicate_of.map(|d| d.to_string()),
            reporter: t.reporter.as_ref().map(UserRef::from),
            reporter_record: t.reporter_record.as_ref().map(|(r, ban)| RecordJson {
                total: r.total,
                accepted: r.accepted,
                declined: r.declined,
                spam: r.spam,
                ban_suggested: *ban,
            }),
            eligibility: eligibility_json(&t.eligibility),
            shares: t.shares.iter().map(|s| share_json(s, None)).collect(),
            assignable: t.assignable.iter().map(UserRef::from).collect(),
            duplicate_suggestions: t
                .duplicate_suggestions
                .iter()
                .map(|(id, title, reasons)| DuplicateJson {
                    report: id.to_string(),
                    title: title.clone(),
                    reasons: reasons.clone(),
                })
                .collect(),
        }),
        messages: view.messages.iter().map(|m| message_json(m, view)).collect(),
        history: view.history.iter().map(history_json).collect(),
        allowed_transitions: view.allowed_transitions.iter().map(|s| s.as_str().to_owned()).collect(),
        actions: ActionsJson {
            reply: view.actions.reply,
            internal_note: view.actions.internal_note,
            assess: view.actions.assess,
            share: view.actions.share,
            draft_advisory: view.actions.draft_advisory,
        },
        advisory: view.advisory.as_ref().map(ToString::to_string),
        embargo: view.embargo.as_ref().map(embargo_json),
        created_at: view.created_at,
        updated_at: view.updated_at,
    }
}
