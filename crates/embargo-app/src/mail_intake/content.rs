//! What a mail's text and files become under the project's policy: the
//! report's title, body and stated fields, the notices they earn, and which
//! attached files are kept (by the same rules as a form's) or refused.

use embargo_core::Timestamp;
use embargo_core::attachment::{AttachmentError, classify};
use embargo_core::id::{MessageId, ReportId};
use embargo_core::intake::{IntakeNotice, check_required, notices};
use embargo_core::policy::{Policy, ReportField};
use embargo_core::project::ReleaseLine;
use embargo_core::report::{ReportAttachment, ReportContent, Submission};
use embargo_core::text::{MAX_SHORT_CHARS, MAX_TEXT_BYTES, MAX_TITLE_CHARS, TextError, required_text};

use super::InboundMail;
use crate::AppError;
use crate::entropy::Entropy;
use crate::reports::{Upload, attachment_rows, judge_uploads};

/// The mail's subject as a report title: one line, at most 200 characters.
pub(super) fn title_of(subject: Option<&str>) -> String {
    let cleaned: String = subject
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title: String = cleaned.chars().take(MAX_TITLE_CHARS).collect();
    if title.is_empty() { "(no subject)".to_owned() } else { title }
}

/// The display name as a credit name: one line, short, or none.
pub(super) fn name_of(name: Option<&str>) -> Option<String> {
    let name: String = name?.chars().filter(|c| !c.is_control()).take(MAX_SHORT_CHARS).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The body as stored: plain text, never empty.
pub(super) fn body_of(body: &str) -> Result<String, AppError> {
    let body = if body.trim().is_empty() { "(the mail held no text)" } else { body };
    Ok(required_text("body", body, MAX_TEXT_BYTES)?)
}

/// The fields a mail may state on lines of their own (`Platform: FreeBSD`),
/// by the labels a reporter would use; the text keeps the lines as written.
const STATED: &[(&str, ReportField)] = &[
    ("component", ReportField::Component),
    ("affected component", ReportField::Component),
    ("versions tested", ReportField::VersionsTested),
    ("tested versions", ReportField::VersionsTested),
    ("versions vulnerable", ReportField::VersionsVulnerable),
    ("vulnerable versions", ReportField::VersionsVulnerable),
    ("release lines", ReportField::Lines),
    ("affected release lines", ReportField::Lines),
    ("affected lines", ReportField::Lines),
    ("lines", ReportField::Lines),
    ("platform", ReportField::Platform),
    ("threat model", ReportField::ThreatModel),
];

/// The fields a mail's text states, the first line of each counting; quoted
/// lines (`> `) are someone else's words and do not count.
fn stated_fields(body: &str) -> Submission {
    let mut stated = Submission::default();
    for line in body.lines() {
        let line = line.trim().trim_start_matches(['-', '*']).trim_start();
        if line.starts_with('>') {
            continue;
        }
        let Some((label, value)) = line.split_once(':') else { continue };
        let label = label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        let Some((_, field)) = STATED.iter().find(|(name, _)| *name == label) else { continue };
        let value: String = value.trim().chars().take(MAX_SHORT_CHARS).collect();
        if value.is_empty() || value.chars().any(char::is_control) {
            continue;
        }
        let slot = match field {
            ReportField::Component => &mut stated.component,
            ReportField::VersionsTested => &mut stated.versions_tested,
            ReportField::VersionsVulnerable => &mut stated.versions_vulnerable,
            ReportField::Platform => &mut stated.platform,
            ReportField::ThreatModel => &mut stated.threat_model,
            ReportField::Lines => {
                if stated.lines.is_empty() {
                    stated.lines = value
                        .split(',')
                        .map(|l| l.trim().chars().take(40).collect::<String>())
                        .filter(|l| !l.is_empty())
                        .collect();
                }
                continue;
            }
            ReportField::ProofOfConcept
            | ReportField::Patch
            | ReportField::ReporterName
            | ReportField::ReporterEmail => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    stated
}

/// A mail's report content under the policy, and the notices it earns.
/// A form is sent back for a missing or unknown field; a mail cannot be, so
/// release lines and threat models the policy does not know are dropped (the
/// text still holds them) and a required field that is missing becomes a
/// notice, as a recommended one does.
pub(crate) fn mail_content(
    mail: &InboundMail,
    body: String,
    policy: &Policy,
    lines: &[ReleaseLine],
) -> Result<(ReportContent, Vec<IntakeNotice>), AppError> {
    let stated = stated_fields(&body);
    let submission = Submission {
        title: title_of(mail.subject.expose().as_deref()),
        body,
        reporter_name: name_of(mail.from_name.expose().as_deref()),
        reporter_email: Some(mail.from.to_string()),
        ..Submission::default()
    };
    let with_fields = Submission {
        component: stated.component,
        versions_tested: stated.versions_tested,
        versions_vulnerable: stated.versions_vulnerable,
        lines: stated.lines,
        platform: stated.platform,
        threat_model: stated.threat_model,
        ..submission.clone()
    };
    // The stated fields are cleaned above; should one still not pass, the report
    // is filed with its text alone rather than lost.
    let mut content = match ReportContent::from_submission(&with_fields) {
        Ok(content) => content,
        Err(_) => ReportContent::from_submission(&submission)?,
    };
    if let Err(errors) = check_required(policy, lines, &content, false) {
        for error in &errors.0 {
            match error {
                TextError::Refused { field: "lines", .. } => content.lines.clear(),
                TextError::Refused { field: "threat_model", .. } => content.threat_model = None,
                _ => {}
            }
        }
    }
    let mut intake = notices(policy, lines, &content);
    if let Err(errors) = check_required(policy, lines, &content, false) {
        for error in &errors.0 {
            if let TextError::Refused { field, .. } = error
                && let Ok(field) = field.parse::<ReportField>()
                && !intake.contains(&IntakeNotice::Missing { field })
            {
                intake.push(IntakeNotice::Missing { field });
            }
        }
    }
    Ok((content, intake))
}

/// What the sender is told of a file that was not kept: what it looks like
/// and its size, never its name or content, as a receipt may travel in clear.
fn refusal_line(error: &AttachmentError, bytes: &[u8]) -> String {
    let (size, kind) = (bytes.len(), classify(bytes));
    let why = match error {
        AttachmentError::NotText { kind, .. } => {
            return format!(
                "an attachment ({kind}, {size} bytes) was not kept: attachments must be plain text, \
                 so send a script that builds such a file instead"
            );
        }
        AttachmentError::TooLarge { max, .. } => format!("attachments may be at most {max} bytes"),
        AttachmentError::TooMany { max } => format!("a report may carry at most {max} attachments"),
        AttachmentError::BadName(_) => "its name is not a plain file name".to_owned(),
    };
    format!("an attachment ({kind}, {size} bytes) was not kept: {why}")
}

/// A mail's files under the project's policy, the report already carrying
/// `carried`: the rows to keep, and a line for each file refused.
pub(crate) fn sort_attachments(
    entropy: &dyn Entropy,
    policy: &Policy,
    uploads: &[Upload],
    carried: usize,
    (report, message): (ReportId, Option<MessageId>),
    now: Timestamp,
) -> Result<(Vec<ReportAttachment>, Vec<String>), AppError> {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    for (judgement, upload) in judge_uploads(policy, uploads, carried).into_iter().zip(uploads) {
        match judgement {
            Ok(attachment) => kept.push(attachment),
            Err(error) => refused.push(refusal_line(&error, &upload.bytes)),
        }
    }
    Ok((attachment_rows(entropy, report, message, kept, now)?, refused))
}

#[cfg(test)]
mod tests {
    use embargo_core::private::Private;
    use embargo_core::text::Email;

    use super::*;

    #[test]
    fn titles_are_one_clean_line() {
        assert_eq!(title_of(Some("  Path\ttraversal\r\n in  send_file ")), "Path traversal in send_file");
        assert_eq!(title_of(None), "(no subject)");
        assert_eq!(title_of(Some(&"x".repeat(500))).chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn fields_stated_on_their_own_lines_are_read() {
        let body = "Hello,\n\nComponent: the debugger\n  - Platform:  FreeBSD \nRelease lines: 3.1, 3.0,\n\
                    Threat model: untrusted-data\nplatform: Linux\n> Versions tested: quoted, not ours\n\
                    Versions vulnerable:\nno label: here\n";
        let stated = stated_fields(body);
        assert_eq!(stated.component.as_deref(), Some("the debugger"));
        assert_eq!(stated.platform.as_deref(), Some("FreeBSD"), "the first line of a field counts");
        assert_eq!(stated.lines, ["3.1", "3.0"]);
        assert_eq!(stated.threat_model.as_deref(), Some("untrusted-data"));
        assert_eq!(stated.versions_tested, None, "quoted lines are someone else's");
        assert_eq!(stated.versions_vulnerable, None, "an empty value states nothing");
        let long = format!("Component: {}", "x".repeat(2 * MAX_SHORT_CHARS));
        assert_eq!(stated_fields(&long).component.map(|c| c.chars().count()), Some(MAX_SHORT_CHARS));
    }

    #[test]
    fn refusals_say_kind_and_size_never_the_name() {
        let pdf = b"%PDF-1.7 secret-name.pdf";
        let line =
            refusal_line(&AttachmentError::NotText { filename: "secret-name.pdf".into(), kind: classify(pdf) }, pdf);
        assert_eq!(
            line,
            "an attachment (a PDF document, 24 bytes) was not kept: attachments must be plain text, \
             so send a script that builds such a file instead"
        );
        let big = refusal_line(&AttachmentError::TooLarge { filename: "big.txt".into(), max: 10 }, b"0123456789ab");
        assert_eq!(big, "an attachment (plain text, 12 bytes) was not kept: attachments may be at most 10 bytes");
        let many = refusal_line(&AttachmentError::TooMany { max: 2 }, b"x");
        assert_eq!(many, "an attachment (plain text, 1 bytes) was not kept: a report may carry at most 2 attachments");
        let named = refusal_line(&AttachmentError::BadName("..".into()), b"x");
        assert!(!named.contains(".."), "{named}");
    }

    fn inbound(body: &str, uploads: Vec<Upload>) -> InboundMail {
        InboundMail {
            key: "k@example.org".into(),
            recipients: vec!["security@example.org".into()],
            from: "ada@example.org".parse().unwrap(),
            from_name: Private::new(Some("Ada".into())),
            subject: Private::new(Some("A report".into())),
            references: Vec::new(),
            body: Private::new(body.into()),
            attachments: Private::new(uploads),
            encrypted: false,
            signature: None,
        }
    }

    fn policy() -> Policy {
        use embargo_core::policy::{Platform, PolicyDraft, ReportDraft, ThreatModel, Tier, resolve};
        let draft = PolicyDraft {
            threat_models: Some(vec![ThreatModel { id: "untrusted-data".into(), title: "U".into(), text: "x".into() }]),
            platforms: Some(vec![Platform { name: "AIX".into(), tier: Tier::Unsupported, interested_parties: vec![] }]),
            report: ReportDraft {
                required: Some(vec![ReportField::VersionsTested]),
                recommended: Some(vec![]),
                max_attachments: Some(2),
                max_attachment_bytes: Some(64),
            },
            ..PolicyDraft::default()
        };
        resolve(&draft, None)
    }

    #[test]
    fn mail_gets_the_policys_notices_where_a_form_would_be_refused() {
        let body = "It overflows.\nPlatform: aix\nLines: 9.9\nThreat model: bogus\nCVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let mail = inbound(body, Vec::new());
        let (content, intake) = mail_content(&mail, body.into(), &policy(), &[]).unwrap();
        assert_eq!(content.platform.as_deref(), Some("aix"));
        assert!(content.lines.is_empty(), "a line the project does not have is dropped");
        assert_eq!(content.threat_model, None, "a threat model the policy does not have is dropped");
        assert_eq!(content.body, body, "the text keeps every line");
        assert_eq!(content.reporter_email.as_ref().map(Email::as_str), Some("ada@example.org"));
        let codes: Vec<&str> = intake.iter().map(IntakeNotice::code).collect();
        assert_eq!(codes, ["reporter_severity", "unsupported_platform", "missing_field"]);
        assert_eq!(intake[2], IntakeNotice::Missing { field: ReportField::VersionsTested });
    }

    #[test]
    fn a_mails_files_follow_the_policys_attachment_rules() {
        let file = |name: &str, bytes: &[u8]| Upload { filename: name.into(), bytes: bytes.to_vec() };
        let uploads = vec![
            file("poc.py", b"import sys\nsys.exit(1)\n"),
            file("writeup.pdf", b"%PDF-1.4 binary"),
            file("huge.txt", &[b'a'; 65]),
            file("second.sh", b"exit 1\n"),
            file("third.sh", b"exit 0\n"),
        ];
        let report = ReportId::from_uuid(uuid::Uuid::from_u128(7));
        let now = time::macros::datetime!(2026-05-04 09:00 UTC);
        let entropy = crate::entropy::OsEntropy;
        let (kept, refused) = sort_attachments(&entropy, &policy(), &uploads, 0, (report, None), now).unwrap();
        let names: Vec<&str> = kept.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(names, ["poc.py", "second.sh"]);
        assert!(kept.iter().all(|a| a.report_id == report && a.message_id.is_none()));
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(refused[0].contains("a PDF document"), "{refused:?}");
        assert!(refused[1].contains("at most 64 bytes"), "{refused:?}");
        assert!(refused[2].contains("at most 2 attachments"), "{refused:?}");
        assert!(refused.iter().all(|r| !r.contains("writeup") && !r.contains("third")), "no names: {refused:?}");
        let message = MessageId::from_uuid(uuid::Uuid::from_u128(8));
        let (kept, refused) =
            sort_attachments(&entropy, &policy(), &uploads[..1], 2, (report, Some(message)), now).unwrap();
        assert!(kept.is_empty() && refused.len() == 1, "the report already carries its two");
    }

    #[test]
    fn empty_bodies_say_so() {
        assert_eq!(body_of(" \n").unwrap(), "(the mail held no text)");
        assert!(body_of(&"a".repeat(MAX_TEXT_BYTES + 1)).is_err());
    }
}
