//! Mail in: a message the mail channel parsed (and decrypted) becomes a new
//! report or a message on one, in one transaction with its Message-ID, so a
//! mail is never stored twice and never half.

use embargo_core::Timestamp;
use embargo_core::attachment::{AttachmentError, classify};
use embargo_core::deadline::Deadlines;
use embargo_core::id::{MessageId, ProjectId, ReportId};
use embargo_core::intake::{IntakeNotice, check_required, notices};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::{Actor, ReportAccess};
use embargo_core::policy::{Policy, ReportField};
use embargo_core::private::Private;
use embargo_core::project::ReleaseLine;
use embargo_core::report::ReportAttachment;
use embargo_core::report::{Report, ReportContent, StateChange, Submission};
use embargo_core::text::{Email, MAX_SHORT_CHARS, MAX_TEXT_BYTES, MAX_TITLE_CHARS, TextError, required_text};
use embargo_store::mail::{CATCH_ALL, Direction, MailRecord, MailThread, SignatureState};
use embargo_store::{Reader, StoreExt, Writer};
use serde_json::json;

use crate::audit::record;
use crate::auth::user_actor;
use crate::entropy::{Entropy, EntropyExt, NewIds};
use crate::jobs::{Notice, enqueue};
use crate::policies::project_policy;
use crate::reports::{Upload, attachment_rows, judge_uploads};
use crate::secret::{Token, TokenKind};
use crate::{App, AppError};

/// What a transaction that met an already filed Message-ID fails with, to roll back.
const DUPLICATE: &str = "a mail filed before";

/// The suffix of a reply address whose replies become internal notes.
pub const INTERNAL_SUFFIX: &str = "-internal";

/// A received mail, as the mail channel understood it: parsed, decoded,
/// decrypted and checked. Everything in it came from the sender.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// Its Message-ID without angle brackets, or `sha256:HEX` of its bytes.
    pub key: String,
    /// The addresses it was delivered to, lower-cased (envelope first).
    pub recipients: Vec<String>,
    /// The sender (the `From` address).
    pub from: Email,
    /// The sender's display name, if any (private: it may become the credit line).
    pub from_name: Private<Option<String>>,
    /// The decoded subject (private: it becomes the report's title).
    pub subject: Private<Option<String>>,
    /// `In-Reply-To` then `References`, without angle brackets.
    pub references: Vec<String>,
    /// The text: the plain-text body (or HTML made text), decrypted where it arrived encrypted.
    pub body: Private<String>,
    /// The files attached, as received: the project's policy decides which are kept.
    pub attachments: Private<Vec<Upload>>,
    /// Whether it arrived encrypted.
    pub encrypted: bool,
    /// The signature check, with the signer's fingerprint or issuer id.
    pub signature: Option<(SignatureState, String)>,
}

/// What became of a received mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    /// A new report.
    Filed {
        /// The report.
        report: ReportId,
    },
    /// A message on an existing report.
    Replied {
        /// The report.
        report: ReportId,
        /// The message.
        message: MessageId,
        /// Who may read it.
        visibility: Visibility,
    },
    /// The same Message-ID was filed before: nothing was stored.
    Duplicate,
}

/// A report a mail answers, and how.
struct ReplyTarget {
    report: Report,
    internal: bool,
}

/// Splits `local+tag@domain` into the tag and `local@domain`.
fn split_tag(address: &str) -> Option<(&str, String)> {
    let (local, domain) = address.rsplit_once('@')?;
    let (base, tag) = local.split_once('+')?;
    Some((tag, format!("{base}@{domain}")))
}

/// The mail's subject as a report title: one line, at most 200 characters.
fn title_of(subject: Option<&str>) -> String {
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
fn name_of(name: Option<&str>) -> Option<String> {
    let name: String = name?.chars().filter(|c| !c.is_control()).take(MAX_SHORT_CHARS).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// The body as stored: plain text, never empty.
fn body_of(body: &str) -> Result<String, AppError> {
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
fn mail_content(
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
fn sort_attachments(
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

impl App {
    /// Files a received mail: as a message on the report it answers when the
    /// sender takes part in that report, else as a new report of the project
    /// its address routes to. Nothing is stored when its Message-ID was seen.
    pub async fn receive_mail(&self, mail: InboundMail) -> Result<MailOutcome, AppError> {
        let body = body_of(mail.body.expose())?;
        let mut reader = self.store.reader().await?;
        if reader.mail_record(&mail.key).await?.is_some() {
            return Ok(MailOutcome::Duplicate);
        }
        if let Some(user) = reader.user_by_email(&mail.from).await?
            && user.banned_at.is_some()
        {
            return Err(AppError::Forbidden);
        }
        let mut answered_project = None;
        if let Some(target) = self.reply_target(reader.as_mut(), &mail).await? {
            answered_project = Some(target.report.project_id);
            if let Some(outcome) = self.file_reply(reader.as_mut(), &mail, &body, target).await? {
                return Ok(outcome);
            }
            tracing::info!("mail answers a report its sender does not take part in: filed as a new report");
        }
        // A stranger's mail to a reply address is not lost: it becomes a new
        // report of the same project, and tells them nothing about the other.
        let project = match route(reader.as_mut(), &mail.recipients).await? {
            Some(project) => project,
            None => answered_project.ok_or(AppError::NotFound)?,
        };
        drop(reader);
        self.file_report(mail, body, project).await
    }

    /// The report a mail answers: by reply-address token, else by the
    /// Message-IDs it refers to.
    async fn reply_target(&self, reader: &mut dyn Reader, mail: &InboundMail) -> Result<Option<ReplyTarget>, AppError> {
        for address in &mail.recipients {
            let Some((tag, _)) = split_tag(address) else { continue };
            let (token, internal) = match tag.strip_suffix(INTERNAL_SUFFIX) {
                Some(token) => (token, true),
                None => (tag, false),
            };
            if let Some(id) = reader.report_by_reply_token(token).await?
                && let Some(report) = reader.report(id).await?
            {
                return Ok(Some(ReplyTarget { report, internal }));
            }
        }
        for reference in &mail.references {
            if let Some(id) = reader.mail_record(reference).await?.and_then(|r| r.report_id)
                && let Some(report) = reader.report(id).await?
            {
                return Ok(Some(ReplyTarget { report, internal: false }));
            }
        }
        Ok(None)
    }

    /// Files a reply from a participant; `None` when the sender is not one.
    async fn file_reply(
        &self,
        reader: &mut dyn Reader,
        mail: &InboundMail,
        body: &str,
        target: ReplyTarget,
    ) -> Result<Option<MailOutcome>, AppError> {
        let report = target.report;
        let reporter_address = match report.reporter_id {
            Some(id) => reader.user(id).await?.map(|u| u.email),
            None => None,
        };
        let is_reporter = report.content.expose().reporter_email.as_ref() == Some(&mail.from)
            || reporter_address.as_ref() == Some(&mail.from);
        let team_member = match reader.user_by_email(&mail.from).await? {
            Some(user) => {
                let actor = user_actor(reader, &user, None).await?;
                actor.is_team(report.org_id, report.project_id).then_some(actor)
            }
            None => None,
        };
        let (actor, role, visibility) = match (team_member, is_reporter) {
            (Some(member), _) => {
                let visibility = if target.internal || !addressed_by_token(mail) {
                    Visibility::Internal
                } else {
                    Visibility::ReporterVisible
                };
                (Actor::User(member), AuthorRole::Team, visibility)
            }
            (None, true) => (Actor::FollowUp(report.id), AuthorRole::Reporter, Visibility::ReporterVisible),
            (None, false) => return Ok(None),
        };
        let now = self.now();
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let policy = project_policy(reader, &org, &project).await?;
        let message = Message {
            id: self.entropy.message_id()?,
            report_id: report.id,
            author_id: actor.user_id(),
            author_role: role,
            visibility,
            channel: Channel::Email,
            body: Private::new(body.to_owned()),
            created_at: now,
        };
        let mail = mail.clone();
        let (job, report_id, message_id) = (self.entropy.job_id()?, report.id, message.id);
        let entropy = self.entropy.clone();
        let stored = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let mut report = tx.lock_report(report_id).await?.ok_or(AppError::NotFound)?;
                    tx.insert_message(&message).await?;
                    // Counted under the report's lock, so that two replies cannot both take the last place.
                    let carried = tx.attachments(report_id).await?.len();
                    let (attachments, refused) = sort_attachments(
                        entropy.as_ref(),
                        &policy,
                        mail.attachments.expose(),
                        carried,
                        (report_id, Some(message_id)),
                        now,
                    )?;
                    for attachment in &attachments {
                        tx.insert_attachment(attachment).await?;
                    }
                    let record = mail_record(&mail, (Some(report_id), Some(message_id)), &refused, now);
                    // Last, so that the record's references exist; a duplicate undoes it all.
                    if !tx.insert_mail_record(&record).await? {
                        return Err(AppError::Conflict { what: DUPLICATE });
                    }
                    report.updated_at = now;
                    tx.update_report(&report).await?;
                    let details = json!({
                        "visibility": visibility.as_str(),
                        "message": message_id.to_string(),
                        "channel": "email",
                        "attachments": attachments.len(),
                    });
                    record_event(tx, now, &actor, "report.message_posted", report_id, details).await?;
                    enqueue(tx, job, now, &Notice::MessagePosted { report: report_id, message: message_id }).await?;
                    Ok::<bool, AppError>(true)
                })
            })
            .await;
        let stored = match stored {
            Err(AppError::Conflict { what: DUPLICATE }) => false,
            other => other?,
        };
        Ok(Some(if stored {
            MailOutcome::Replied { report: report_id, message: message_id, visibility }
        } else {
            MailOutcome::Duplicate
        }))
    }

    /// Files a new report from a mail.
    async fn file_report(&self, mail: InboundMail, body: String, project: ProjectId) -> Result<MailOutcome, AppError> {
        let mut reader = self.store.reader().await?;
        let project = reader.project(project).await?.ok_or(AppError::NotFound)?;
        let org = reader.organisation(project.org_id).await?.ok_or(AppError::NotFound)?;
        let policy = project_policy(reader.as_mut(), &org, &project).await?;
        let lines = reader.release_lines(project.id).await?;
        drop(reader);
        let (content, intake) = mail_content(&mail, body, &policy, &lines)?;
        let now = self.now();
        let report = Report {
            id: self.entropy.report_id()?,
            org_id: project.org_id,
            project_id: project.id,
            reporter_id: None,
            channel: Channel::Email,
            content: Private::new(content),
            state: ReportState::New,
            team: Default::default(),
            duplicate_of: None,
            deadlines: Deadlines::on_receipt(&policy, now),
            intake,
            created_at: now,
            updated_at: now,
        };
        let (attachments, refused) =
            sort_attachments(self.entropy.as_ref(), &policy, mail.attachments.expose(), 0, (report.id, None), now)?;
        let followup = Token::generate(TokenKind::FollowUp, self.entropy.as_ref())?;
        let thread = MailThread { report_id: report.id, reply_token: Private::new(self.reply_token()?) };
        let record = mail_record(&mail, (Some(report.id), None), &refused, now);
        let (hash, job, report_id) = (followup.hash(), self.entropy.job_id()?, report.id);
        let receipt = Private::new(followup.expose().to_owned());
        let filed = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_report(&report, &hash).await?;
                    tx.insert_mail_thread(&thread, Some(&receipt), now).await?;
                    for attachment in &attachments {
                        tx.insert_attachment(attachment).await?;
                    }
                    // Last, so that the record's references exist; a duplicate undoes it all.
                    if !tx.insert_mail_record(&record).await? {
                        return Err(AppError::Conflict { what: DUPLICATE });
                    }
                    let change = StateChange {
                        report_id,
                        from: None,
                        to: ReportState::New,
                        reason: None,
                        actor_id: None,
                        at: now,
                    };
                    tx.insert_state_change(&change).await?;
                    let details = json!({
                        "project": report.project_id.to_string(),
                        "channel": Channel::Email.as_str(),
                        "attachments": attachments.len(),
                        "notices": report.intake.iter().map(IntakeNotice::code).collect::<Vec<_>>(),
                    });
                    record_event(tx, now, &Actor::Anonymous, "report.submitted", report_id, details).await?;
                    enqueue(tx, job, now, &Notice::ReportReceived { report: report_id }).await?;
                    Ok::<MailOutcome, AppError>(MailOutcome::Filed { report: report_id })
                })
            })
            .await;
        match filed {
            Err(AppError::Conflict { what: DUPLICATE }) => Ok(MailOutcome::Duplicate),
            other => other,
        }
    }

    /// A new reply-address token: 128 random bits as lower-case hex, since
    /// mail addresses may lose their case on the way.
    pub(crate) fn reply_token(&self) -> Result<String, AppError> {
        let bytes: [u8; 16] = self.entropy.bytes()?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// Whether the mail came through a reply address (rather than only by its references).
fn addressed_by_token(mail: &InboundMail) -> bool {
    mail.recipients.iter().any(|a| split_tag(a).is_some())
}

/// The project the mail's addresses route to: an exact route, then the
/// address without its `+tag`, then the instance's catch-all.
async fn route(reader: &mut dyn Reader, recipients: &[String]) -> Result<Option<ProjectId>, AppError> {
    for address in recipients {
        if let Some(project) = reader.mail_route(address).await? {
            return Ok(Some(project));
        }
        if let Some((_, base)) = split_tag(address)
            && let Some(project) = reader.mail_route(&base).await?
        {
            return Ok(Some(project));
        }
    }
    Ok(reader.mail_route(CATCH_ALL).await?)
}

/// The record of a received mail, with a line for each file refused from it.
fn mail_record(
    mail: &InboundMail,
    (report, message): (Option<ReportId>, Option<MessageId>),
    refused: &[String],
    now: Timestamp,
) -> MailRecord {
    MailRecord {
        message_id: mail.key.clone(),
        report_id: report,
        direction: Direction::In,
        message_ref: message,
        encrypted: mail.encrypted,
        signature: mail.signature.as_ref().map(|(state, _)| *state),
        signer: mail.signature.as_ref().map(|(_, signer)| signer.clone()),
        refused: (!refused.is_empty()).then(|| Private::new(refused.join("\n"))),
        created_at: now,
    }
}

async fn record_event(
    tx: &mut dyn Writer,
    now: Timestamp,
    actor: &Actor,
    action: &str,
    report: ReportId,
    details: serde_json::Value,
) -> Result<(), AppError> {
    record(tx, now, actor, action, format!("report:{report}"), details).await
}

/// The facts about a report that decide access to it.
pub(crate) fn access(report: &Report) -> ReportAccess {
    ReportAccess { id: report.id, org: report.org_id, project: report.project_id, reporter: report.reporter_id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_off_the_local_part() {
        assert_eq!(split_tag("security+abc@x.example"), Some(("abc", "security@x.example".to_owned())));
        assert_eq!(split_tag("security+abc-internal@x.example").map(|t| t.0), Some("abc-internal"));
        assert_eq!(split_tag("security@x.example"), None);
    }

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
