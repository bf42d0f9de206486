//! Mail in: a message the mail channel parsed (and decrypted) becomes a new
//! report or a message on one, in one transaction with its Message-ID, so a
//! mail is never stored twice and never half.

use embargo_core::Timestamp;
use embargo_core::id::{MessageId, ProjectId, ReportId};
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::{Action, Actor, Decision, decide};
use embargo_core::private::Private;
use embargo_core::report::Report;
use embargo_core::text::Email;
use embargo_store::mail::{CATCH_ALL, Direction, MailRecord, SignatureState};
use embargo_store::{Reader, StoreExt};
use serde_json::json;

use crate::auth::user_actor;
use crate::entropy::{EntropyExt, NewIds};
use crate::policies::project_policy;
use crate::reports::{Envelope, Filing, Upload, WriteFailure, access, store_message};
use crate::{App, AppError, require};

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

use content::body_of;
pub(crate) use content::{mail_content, sort_attachments};

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
        // The sender as the permission function sees them: a known address
        // is its account (so a ban holds), any other address is anonymous.
        let sender = match reader.user_by_email(&mail.from).await? {
            Some(user) => Actor::User(user_actor(reader.as_mut(), &user, None).await?),
            None => Actor::Anonymous,
        };
        require(&sender, Action::SubmitReport)?;
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
        let envelope = Envelope::Mail { project, mail: Box::new(mail), body };
        Ok(match self.intake(&sender, envelope).await? {
            Filing::Filed(receipt) => MailOutcome::Filed { report: receipt.report_id },
            Filing::AlreadyFiled => MailOutcome::Duplicate,
        })
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
        // Who may post what is the permission function's word, as on every channel.
        let team_member = match reader.user_by_email(&mail.from).await? {
            Some(user) => {
                let actor = Actor::User(user_actor(reader, &user, None).await?);
                (decide(&actor, Action::AddInternalNote(access(&report))) == Decision::Allow).then_some(actor)
            }
            None => None,
        };
        let reporter = Actor::FollowUp(report.id);
        let is_reporter = is_reporter && decide(&reporter, Action::Reply(access(&report))) == Decision::Allow;
        let (actor, role, visibility) = match (team_member, is_reporter) {
            (Some(member), _) => {
                let visibility = if target.internal || !addressed_by_token(mail) {
                    Visibility::Internal
                } else {
                    Visibility::ReporterVisible
                };
                (member, AuthorRole::Team, visibility)
            }
            (None, true) => (reporter, AuthorRole::Reporter, Visibility::ReporterVisible),
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
        let (report_id, message_id) = (report.id, message.id);
        let entropy = self.entropy.clone();
        let stored = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let mut report = tx.lock_report(report_id).await?.ok_or(AppError::NotFound)?;
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
                    let details = json!({
                        "visibility": visibility.as_str(),
                        "message": message_id.to_string(),
                        "channel": "email",
                        "attachments": attachments.len(),
                    });
                    store_message(tx, entropy.as_ref(), now, &actor, &mut report, &message, details).await?;
                    for attachment in &attachments {
                        tx.insert_attachment(attachment).await?;
                    }
                    let record = mail_record(&mail, (Some(report_id), Some(message_id)), &refused, now);
                    // Last, so that the record's references exist; a mail filed before undoes it all.
                    if !tx.insert_mail_record(&record).await? {
                        return Err(WriteFailure::AlreadyFiled);
                    }
                    Ok(())
                })
            })
            .await;
        Ok(Some(match stored {
            Ok(()) => MailOutcome::Replied { report: report_id, message: message_id, visibility },
            Err(WriteFailure::AlreadyFiled) => MailOutcome::Duplicate,
            Err(WriteFailure::App(error)) => return Err(error),
        }))
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
pub(crate) fn mail_record(
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
