//! Mail in: a message the mail channel parsed (and decrypted) becomes a new
//! report or a message on one, in one transaction with its Message-ID, so a
//! mail is never stored twice and never half.

use embargo_core::Timestamp;
use embargo_core::deadline::Deadlines;
use embargo_core::id::{MessageId, ProjectId, ReportId};
use embargo_core::intake::IntakeNotice;
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::{Actor, ReportAccess};
use embargo_core::private::Private;
use embargo_core::report::{Report, StateChange};
use embargo_core::text::Email;
use embargo_store::mail::{CATCH_ALL, Direction, MailRecord, MailThread, SignatureState};
use embargo_store::{Reader, StoreExt, Writer};
use serde_json::json;

use crate::audit::record;
use crate::auth::user_actor;
use crate::entropy::{EntropyExt, NewIds};
use crate::jobs::{Notice, enqueue};
use crate::policies::project_policy;
use crate::reports::Upload;
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

mod content;

use content::{body_of, mail_content, sort_attachments};

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
}
