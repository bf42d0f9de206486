//! Reports: intake (anonymous or signed in), the thread, transitions and
//! the team's fields.

use axum::extract::State;
use axum::http::StatusCode;
use embargo_app::{Envelope, ReportQuery, ReportSummary, ReportView, TeamPatch, TransitionInput, Upload, ViewerRole};
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::report::{StateChange, Submission};
use embargo_core::severity::Cvss;
use embargo_core::text::{ProjectPath, Slug};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::json::{ProjectRef, UserRef};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, CurrentActor, Json, Path, Query, double_option};

/// A new report. Plain text only; the team assesses severity itself.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmissionRequest {
    /// A one-line summary.
    title: String,
    /// A few sentences: what is wrong and why it is a security issue.
    body: String,
    /// The affected component.
    component: Option<String>,
    /// The versions tested.
    versions_tested: Option<String>,
    /// Which of those were vulnerable.
    versions_vulnerable: Option<String>,
    /// The project's release lines affected (names from its policy; `older` for an
    /// older build of a project that supports only its latest).
    #[serde(default)]
    lines: Vec<String>,
    /// The platform, if it matters.
    platform: Option<String>,
    /// The threat model the report was checked against.
    threat_model: Option<String>,
    /// A proof-of-concept script: exits 1 when vulnerable, 0 when not.
    proof_of_concept: Option<String>,
    /// A minimal patch.
    patch: Option<String>,
    /// The name to credit.
    reporter_name: Option<String>,
    /// Where to reach you if you are not signed in.
    reporter_email: Option<String>,
    /// Plain-text files (a proof of concept, a patch); binaries are refused by content.
    #[serde(default)]
    attachments: Vec<UploadJson>,
}

/// A file sent with a report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadJson {
    /// Its name.
    filename: String,
    /// Its content, base64-encoded.
    content_base64: String,
}

/// Something the reporter should know about their report under the policy.
#[derive(Serialize, ToSchema)]
pub(crate) struct NoticeJson {
    /// A stable code (`reporter_severity`, `unsupported_lines`, `only_latest_supported`,
    /// `experimental_feature`, `unsupported_platform`, `missing_field`).
    code: String,
    /// What the reporter is told.
    message: String,
}

fn notices_json(notices: &[embargo_core::intake::IntakeNotice]) -> Vec<NoticeJson> {
    notices.iter().map(|n| NoticeJson { code: n.code().to_owned(), message: n.message() }).collect()
}

/// What the policy says about a submission before it is sent.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckJson {
    /// What the reporter would be told.
    notices: Vec<NoticeJson>,
}

/// The receipt: keep the follow-up token secret, it opens this report.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReceiptJson {
    /// The report's reference.
    id: String,
    /// Reads and answers this report only: send it as `Authorization: Bearer`.
    followup_token: String,
    /// Where the report went.
    project: ProjectRef,
    /// Where it stands (`new`).
    state: String,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    submitted_at: OffsetDateTime,
    /// When the team promised to acknowledge it, if it did.
    #[serde(with = "time::serde::rfc3339::option")]
    acknowledge_by: Option<OffsetDateTime>,
    /// What the policy has to say about the report.
    notices: Vec<NoticeJson>,
}

/// Which reports to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportListQuery {
    /// Only this organisation's.
    #[param(value_type = Option<String>)]
    org: Option<Slug>,
    /// Only this project's, with `org` (a project is named within its organisation: without `org`, 404).
    #[param(value_type = Option<String>)]
    project: Option<Slug>,
    /// Only in this state, or `open` for every state that is not closed.
    state: Option<String>,
    /// Only assigned to this user id.
    #[param(format = Uuid)]
    assignee: Option<String>,
    /// Only the reports of the caller's teams with this evidence-lab signal:
    /// `reproduced`, `not_reproduced`, `not_run` or `grounding_flagged`.
    lab: Option<String>,
    /// `newest` (default) or `deadline`: the soonest deadline that matters in each report's state first.
    sort: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    limit: Option<u32>,
    /// Skip this many.
    #[param(value_type = Option<u64>, maximum = 4294967295.0)]
    offset: Option<u32>,
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

fn deadline_json(due: &embargo_core::deadline::Due, now: OffsetDateTime) -> DeadlineJson {
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
}

fn share_json(s: &embargo_core::report::Share, token: Option<&str>) -> ShareJson {
    ShareJson {
        id: s.id.to_string(),
        party: s.party.to_string(),
        platform: s.platform.clone(),
        created_at: s.created_at,
        token: token.map(str::to_owned),
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

/// A new message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRequest {
    /// Plain text.
    body: String,
    /// `reporter-visible` (default) or `internal` (team only).
    #[schema(value_type = Option<MessageVisibility>)]
    visibility: Option<String>,
}

/// Who may read a message: the reporter and the team, or the team only.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
#[expect(dead_code, reason = "describes the accepted values in the OpenAPI document only")]
pub(crate) enum MessageVisibility {
    /// The reporter and the team.
    ReporterVisible,
    /// The team only.
    Internal,
}

/// A lifecycle transition.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionRequest {
    /// The target state.
    to: String,
    /// Why; required for `out_of_scope` (and for `not_vulnerable` when the policy has no criteria), sent to the reporter.
    reason: Option<String>,
    /// The original report, for `duplicate`.
    duplicate_of: Option<String>,
    /// The policy's acceptance criterion that applies, for `not_vulnerable`; its explanation goes to the reporter.
    criterion: Option<String>,
}

/// Shares a report with a platform's interested parties.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareRequest {
    /// An unsupported platform of the policy.
    platform: String,
}

/// Changes to the team's fields; `null` clears a field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportPatchRequest {
    /// A CVSS 3.x vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v3: Option<Option<String>>,
    /// A CVSS 4.0 vector.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    cvss_v4: Option<Option<String>>,
    /// CWE ids (`CWE-79`).
    cwes: Option<Vec<String>>,
    /// The user id of a team member.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, format = Uuid)]
    assignee: Option<Option<String>>,
    /// Affected versions or release lines.
    affected_versions: Option<Vec<String>>,
    /// Release lines that get the fix.
    fix_lines: Option<Vec<String>>,
    /// The embargo end: RFC 3339 with the offset it is meant in (`2026-06-01T14:00:00+02:00`); `null` lifts it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    embargo_until: Option<Option<String>>,
}

fn viewer(role: ViewerRole) -> String {
    role.as_str().to_owned()
}

fn summary_json(s: &ReportSummary, now: OffsetDateTime) -> ReportSummaryJson {
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

fn message_json(m: &Message, view: &ReportView) -> MessageJson {
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

fn history_json(c: &StateChange) -> HistoryJson {
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

fn embargo_json(m: &embargo_core::embargo::Moment) -> EmbargoJson {
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

/// Submits a report, anonymously or signed in. The answer holds the report's
/// id and a secret follow-up token that reads and answers this report only.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/reports",
    tag = "reports",
    params(("org" = String, Path), ("project" = String, Path)),
    request_body = SubmissionRequest,
    responses(
        (status = 201, description = "Received and stored", body = ReceiptJson),
        (status = 403, description = "The sender, or the account of the contact address, is banned (`banned`): the message names the rule and whom to write to", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many reports from this address, account or contact address, or to this project (`rate_limited`); nothing was filed; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn submit_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    ClientAddr(client): ClientAddr,
    Json(body): Json<SubmissionRequest>,
) -> Result<(StatusCode, axum::Json<ReceiptJson>), ApiError> {
    let (submission, uploads) = submission(body)?;
    let envelope = Envelope::form(ProjectPath { org, project }, submission, uploads, Channel::Api).from_client(client);
    let receipt = state.app.submit_report(&actor, envelope).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ReceiptJson {
            id: receipt.report_id.to_string(),
            followup_token: receipt.followup.expose().to_owned(),
            project: ProjectRef::new(&receipt.org, &receipt.project),
            state: "new".into(),
            submitted_at: receipt.submitted_at,
            acknowledge_by: receipt.acknowledge_by,
            notices: notices_json(&receipt.notices),
        }),
    ))
}

fn submission(body: SubmissionRequest) -> Result<(Submission, Vec<Upload>), ApiError> {
    use base64::Engine as _;
    let uploads = body
        .attachments
        .into_iter()
        .map(|a| {
            let bytes = base64::engine::general_purpose::STANDARD.decode(a.content_base64.trim()).map_err(|_| {
                ApiError::from(embargo_app::AppError::invalid("attachments", "content_base64 holding base64 text"))
            })?;
            Ok(Upload { filename: a.filename, bytes })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let submission = Submission {
        title: body.title,
        body: body.body,
        component: body.component,
        versions_tested: body.versions_tested,
        versions_vulnerable: body.versions_vulnerable,
        lines: body.lines,
        platform: body.platform,
        threat_model: body.threat_model,
        proof_of_concept: body.proof_of_concept,
        patch: body.patch,
        reporter_name: body.reporter_name,
        reporter_email: body.reporter_email,
    };
    Ok((submission, uploads))
}

/// Checks a report against the project's policy without submitting it: what
/// the reporter would be told, or (422) what must change.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{org}/{project}/reports/check",
    tag = "reports",
    params(("org" = String, Path), ("project" = String, Path)),
    request_body = SubmissionRequest,
    responses((status = 200, body = CheckJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn check_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((org, project)): Path<(Slug, Slug)>,
    Json(body): Json<SubmissionRequest>,
) -> Result<axum::Json<CheckJson>, ApiError> {
    let (submission, uploads) = submission(body)?;
    let notices = state.app.check_submission(&actor, &org, &project, &submission, &uploads, Channel::Api).await?;
    Ok(axum::Json(CheckJson { notices: notices_json(&notices) }))
}

/// Shares a report, redacted and read-only, with the parties the policy lists
/// for an unsupported platform. Each share's token is shown once.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/shares",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ShareRequest,
    responses(
        (status = 201, body = [ShareJson]),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn share_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<ShareRequest>,
) -> Result<(StatusCode, axum::Json<Vec<ShareJson>>), ApiError> {
    let shares = state.app.share_report(&actor, crate::extract::report_id(&id)?, &body.platform).await?;
    Ok((StatusCode::CREATED, axum::Json(shares.iter().map(|(s, t)| share_json(s, Some(t.expose()))).collect())))
}

/// The reports the caller may see: a team's queue, a reporter's own reports,
/// or with a follow-up token that one report.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    params(ReportListQuery),
    security(("session" = []), ("bearer" = [])),
    responses(
        (status = 200, body = [ReportSummaryJson]),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "`org` or `org` and `project` name no organisation or project (or `project` came without `org`)", body = ErrorBody),
        (status = 422, description = "`state` is not a report state nor `open`", body = ErrorBody),
    )
)]
pub(crate) async fn list_reports(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Query(query): Query<ReportListQuery>,
) -> Result<axum::Json<Vec<ReportSummaryJson>>, ApiError> {
    let assignee = query
        .assignee
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "assignee must be a user id"))?;
    let lab =
        query.lab.as_deref().map(|value| embargo_app::LabFilter::parse(value).ok_or(())).transpose().map_err(|()| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "lab must be reproduced, not_reproduced, not_run or grounding_flagged",
            )
        })?;
    // `state=open` asks for the open reports, as the queue page shows by default.
    let open_only = query.state.as_deref() == Some("open");
    let deadline_first = match query.sort.as_deref() {
        None | Some("newest") => false,
        Some("deadline") => true,
        Some(_) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "sort must be newest or deadline"));
        }
    };
    let query = ReportQuery {
        deadline_first,
        org: query.org,
        project: query.project,
        state: query.state.filter(|_| !open_only),
        open_only,
        assignee,
        lab,
        lab_first: false,
        limit: query.limit,
        offset: query.offset,
    };
    let reports = state.app.reports(&actor, &query).await?;
    let now = state.app.now();
    Ok(axum::Json(reports.iter().map(|r| summary_json(r, now)).collect()))
}

/// One report with its thread.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, body = ReportJson), (status = 404, body = ErrorBody))
)]
pub(crate) async fn get_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    Ok(axum::Json(report_json(&state.app.report(&actor, crate::extract::report_id(&id)?).await?, state.app.now())))
}

/// Changes the team's fields: severity vectors, CWE, assignee, affected versions.
#[utoipa::path(
    patch,
    path = "/api/v1/reports/{id}",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = ReportPatchRequest,
    responses(
        (status = 200, body = ReportJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn update_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(mut body): Json<ReportPatchRequest>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    let report = crate::extract::report_id(&id)?;
    if let Some(view) = update_embargo(&state, &actor, report, &mut body).await? {
        return Ok(axum::Json(report_json(&view, state.app.now())));
    }
    let assignee = match body.assignee {
        None => None,
        Some(None) => Some(None),
        Some(Some(user)) => Some(Some(user.parse().map_err(|_| {
            ApiError::from(embargo_app::AppError::invalid("assignee", "the user id of a team member"))
        })?)),
    };
    let patch = TeamPatch {
        cvss_v3: body.cvss_v3,
        cvss_v4: body.cvss_v4,
        cwes: body.cwes,
        assignee,
        affected_versions: body.affected_versions,
        fix_lines: body.fix_lines,
    };
    Ok(axum::Json(report_json(
        &state.app.update_report(&actor, crate::extract::report_id(&id)?, patch).await?,
        state.app.now(),
    )))
}

/// Applies the patch's `embargo_until`, if it has one (its own use case:
/// audited, told to the participants). Answers the report when the patch
/// held nothing else.
async fn update_embargo(
    state: &AppState,
    actor: &embargo_core::permission::Actor,
    report: embargo_core::id::ReportId,
    body: &mut ReportPatchRequest,
) -> Result<Option<embargo_app::ReportView>, ApiError> {
    let Some(until) = body.embargo_until.take() else { return Ok(None) };
    state.app.set_embargo(actor, report, until.as_deref()).await?;
    let only = body.cvss_v3.is_none()
        && body.cvss_v4.is_none()
        && body.cwes.is_none()
        && body.assignee.is_none()
        && body.affected_versions.is_none()
        && body.fix_lines.is_none();
    Ok(if only { Some(state.app.report(actor, report).await?) } else { None })
}

/// Posts a message: reporter-visible, or an internal note (team only).
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/messages",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = MessageRequest,
    responses(
        (status = 201, body = MessageJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<MessageRequest>,
) -> Result<(StatusCode, axum::Json<MessageJson>), ApiError> {
    let visibility = match body.visibility.as_deref() {
        None => Visibility::ReporterVisible,
        Some(v) => v.parse::<Visibility>().map_err(|e| {
            ApiError::from(embargo_app::AppError::Invalid(embargo_core::text::FieldErrors(vec![
                embargo_core::text::TextError::Refused { field: "visibility", reason: e.to_string() },
            ])))
        })?,
    };
    let message =
        state.app.post_message(&actor, crate::extract::report_id(&id)?, &body.body, visibility, Channel::Api).await?;
    let view = state.app.report(&actor, crate::extract::report_id(&id)?).await?;
    Ok((StatusCode::CREATED, axum::Json(message_json(&message, &view))))
}

/// Moves a report through its lifecycle.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/transitions",
    tag = "reports",
    params(("id" = String, Path)),
    security(("session" = []), ("bearer" = [])),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = ReportJson),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not allowed from the current state", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
pub(crate) async fn transition_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    Json(body): Json<TransitionRequest>,
) -> Result<axum::Json<ReportJson>, ApiError> {
    let input = TransitionInput {
        to: body.to,
        reason: body.reason,
        duplicate_of: body.duplicate_of,
        criterion: body.criterion,
    };
    let view = state.app.transition_report(&actor, crate::extract::report_id(&id)?, input).await?;
    Ok(axum::Json(report_json(&view, state.app.now())))
}
