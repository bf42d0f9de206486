//! Reports: what a reporter sends, what the team adds, and where it stands.

use crate::Timestamp;
use crate::id::{AttachmentId, CweId, MessageId, OrgId, ProjectId, ReportId, ShareId, UserId};
use crate::lifecycle::ReportState;
use crate::message::Channel;
use crate::private::Private;
use crate::severity::Severity;
use crate::text::{
    Email, FieldErrors, MAX_SHORT_CHARS, MAX_TEXT_BYTES, MAX_TITLE_CHARS, one_line, optional_line, plain_text,
    required_text,
};

/// What a reporter wrote, exactly as submitted (all of it private).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportContent {
    /// A one-line summary.
    pub title: String,
    /// The description: a few sentences of plain text.
    pub body: String,
    /// The affected component (module, endpoint, image, ...).
    pub component: Option<String>,
    /// The versions the reporter tested.
    pub versions_tested: Option<String>,
    /// Which of those were found vulnerable.
    pub versions_vulnerable: Option<String>,
    /// The project's release lines the reporter found affected.
    pub lines: Vec<String>,
    /// The platform, if the issue depends on one.
    pub platform: Option<String>,
    /// The threat model the reporter checked the report against.
    pub threat_model: Option<String>,
    /// A proof-of-concept script (exits 1 when vulnerable, 0 when not).
    pub proof_of_concept: Option<String>,
    /// A minimal patch, if offered.
    pub patch: Option<String>,
    /// The name to credit, if the reporter gave one.
    pub reporter_name: Option<String>,
    /// Where to reach a reporter who is not signed in.
    pub reporter_email: Option<Email>,
}

/// A submission as received, before any checks.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// See [`ReportContent::title`].
    pub title: String,
    /// See [`ReportContent::body`].
    pub body: String,
    /// See [`ReportContent::component`].
    pub component: Option<String>,
    /// See [`ReportContent::versions_tested`].
    pub versions_tested: Option<String>,
    /// See [`ReportContent::versions_vulnerable`].
    pub versions_vulnerable: Option<String>,
    /// See [`ReportContent::lines`].
    pub lines: Vec<String>,
    /// See [`ReportContent::platform`].
    pub platform: Option<String>,
    /// See [`ReportContent::threat_model`].
    pub threat_model: Option<String>,
    /// See [`ReportContent::proof_of_concept`].
    pub proof_of_concept: Option<String>,
    /// See [`ReportContent::patch`].
    pub patch: Option<String>,
    /// See [`ReportContent::reporter_name`].
    pub reporter_name: Option<String>,
    /// See [`ReportContent::reporter_email`].
    pub reporter_email: Option<String>,
}

impl ReportContent {
    /// Checks every field of a submission and reports all problems at once.
    pub fn from_submission(s: &Submission) -> Result<ReportContent, FieldErrors> {
        let mut errors = FieldErrors(Vec::new());
        let optional_text = |field, value: &Option<String>| match value.as_deref() {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => plain_text(field, v, MAX_TEXT_BYTES).map(Some),
        };
        let title = errors.take(one_line("title", &s.title, MAX_TITLE_CHARS));
        let body = errors.take(required_text("body", &s.body, MAX_TEXT_BYTES));
        let component = errors.take(optional_line("component", s.component.as_deref(), MAX_SHORT_CHARS));
        let versions_tested =
            errors.take(optional_line("versions_tested", s.versions_tested.as_deref(), MAX_SHORT_CHARS));
        let versions_vulnerable =
            errors.take(optional_line("versions_vulnerable", s.versions_vulnerable.as_deref(), MAX_SHORT_CHARS));
        let lines = errors.take(
            s.lines
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| one_line("lines", l, 40))
                .collect::<Result<Vec<_>, _>>(),
        );
        let platform = errors.take(optional_line("platform", s.platform.as_deref(), MAX_SHORT_CHARS));
        let threat_model = errors.take(optional_line("threat_model", s.threat_model.as_deref(), MAX_SHORT_CHARS));
        let proof_of_concept = errors.take(optional_text("proof_of_concept", &s.proof_of_concept));
        let patch = errors.take(optional_text("patch", &s.patch));
        let reporter_name = errors.take(optional_line("reporter_name", s.reporter_name.as_deref(), MAX_SHORT_CHARS));
        let reporter_email = errors.take(match s.reporter_email.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse::<Email>().map(Some).map_err(|_| crate::text::TextError::Malformed {
                field: "reporter_email",
                expected: "an address such as name@example.org",
            }),
        });
        errors.finish(|| {
            Some(ReportContent {
                title: title?,
                body: body?,
                component: component?,
                versions_tested: versions_tested?,
                versions_vulnerable: versions_vulnerable?,
                lines: lines?,
                platform: platform?,
                threat_model: threat_model?,
                proof_of_concept: proof_of_concept?,
                patch: patch?,
                reporter_name: reporter_name?,
                reporter_email: reporter_email?,
            })
        })
    }
}

/// What the team records about a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamFields {
    /// The team's own severity assessment (never the reporter's).
    pub severity: Severity,
    /// Weakness classification.
    pub cwes: Vec<CweId>,
    /// The team member handling it.
    pub assignee: Option<UserId>,
    /// The versions or release lines the team found affected.
    pub affected_versions: Vec<String>,
    /// The release lines the team decided will get the fix.
    pub fix_lines: Vec<String>,
}

/// A private vulnerability report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Its id: unguessable.
    pub id: ReportId,
    /// The organisation of its project.
    pub org_id: OrgId,
    /// The project it is about.
    pub project_id: ProjectId,
    /// The signed-in reporter, if any.
    pub reporter_id: Option<UserId>,
    /// How it arrived.
    pub channel: Channel,
    /// What the reporter wrote.
    pub content: Private<ReportContent>,
    /// Where it stands.
    pub state: ReportState,
    /// What the team recorded.
    pub team: TeamFields,
    /// The response deadlines the policy promised.
    pub deadlines: crate::deadline::Deadlines,
    /// What the reporter was told about the report at intake.
    pub intake: Vec<crate::intake::IntakeNotice>,
    /// The original, when this one is a duplicate.
    pub duplicate_of: Option<ReportId>,
    /// When it arrived.
    pub created_at: Timestamp,
    /// When anything about it last changed.
    pub updated_at: Timestamp,
}

/// A plain-text file sent with a report or a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAttachment {
    /// Its id.
    pub id: AttachmentId,
    /// The report.
    pub report_id: ReportId,
    /// The message it came with, if not with the report itself.
    pub message_id: Option<MessageId>,
    /// The file name.
    pub filename: String,
    /// The text.
    pub text: Private<String>,
    /// When it arrived.
    pub created_at: Timestamp,
}

/// A report shared, read-only and redacted, with a party interested in an
/// unsupported platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// Its id.
    pub id: ShareId,
    /// The report.
    pub report_id: ReportId,
    /// Who it is shared with.
    pub party: Email,
    /// The platform that made them interested.
    pub platform: String,
    /// When.
    pub created_at: Timestamp,
    /// When the mail with the link went out to the party.
    pub mailed_at: Option<Timestamp>,
    /// When the link was first used.
    pub first_opened_at: Option<Timestamp>,
    /// When the link was last used.
    pub last_opened_at: Option<Timestamp>,
}

/// One step in a report's history: the state it reached, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The report.
    pub report_id: ReportId,
    /// The state before (none for the submission itself).
    pub from: Option<ReportState>,
    /// The state reached.
    pub to: ReportState,
    /// The reason given, sent to the reporter.
    pub reason: Option<Private<String>>,
    /// Who made the change, if a signed-in user.
    pub actor_id: Option<UserId>,
    /// When.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextError;

    fn submission() -> Submission {
        Submission {
            title: "Path traversal in static files".into(),
            body: "send_file follows ../ sequences".into(),
            ..Submission::default()
        }
    }

    #[test]
    fn a_minimal_submission_is_accepted() {
        let content = ReportContent::from_submission(&submission()).unwrap();
        assert_eq!(content.title, "Path traversal in static files");
        assert_eq!(content.proof_of_concept, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = Submission {
            title: String::new(),
            body: "ok".into(),
            platform: Some("two\nlines".into()),
            reporter_email: Some("nope".into()),
            proof_of_concept: Some("binary\0data".into()),
            ..Submission::default()
        };
        let errors = ReportContent::from_submission(&bad).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(TextError::field).collect();
        assert_eq!(fields, vec!["title", "platform", "proof_of_concept", "reporter_email"]);
    }

    #[test]
    fn blank_optional_fields_mean_not_given() {
        let s = Submission { component: Some("  ".into()), patch: Some("\n".into()), ..submission() };
        let content = ReportContent::from_submission(&s).unwrap();
        assert_eq!((content.component, content.patch), (None, None));
    }
}
