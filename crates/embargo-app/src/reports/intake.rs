//! Intake: the one use case through which every channel's new report
//! passes. A report is checked against the project's policy, stored with its
//! deadlines, notices and attachments, and the reporter gets a receipt.

use embargo_core::Timestamp;
use embargo_core::attachment::{Attachment, AttachmentError, accept};
use embargo_core::deadline::{DeadlineKind, Deadlines};
use embargo_core::text::{ProjectPath, Slug};
use std::net::IpAddr;
use std::sync::Arc;

use embargo_core::id::{MessageId, ProjectId, ReportId};
use embargo_core::intake::{IntakeNotice, check_required, notices};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::Channel;
use embargo_core::permission::{Action, Actor, ProjectAccess};
use embargo_core::policy::Policy;
use embargo_core::private::Private;
use embargo_core::report::{Report, ReportAttachment, ReportContent, StateChange, Submission};
use embargo_core::text::{FieldErrors, TextError};
use embargo_core::throttle;
use embargo_store::StoreExt;
use embargo_store::mail::{MailRecord, MailThread};
use serde_json::json;

use super::Receipt;
use super::limits::{IntakeKeys, ban_refusal, require_may_report};
use super::targets::{Target, TargetKey};
use crate::audit::record;
use crate::entropy::{Entropy, NewIds};
use crate::events::{EVENT_KIND, Event, emit, event_job};
use crate::mail_intake::{InboundMail, mail_content, mail_record, sort_attachments};
use crate::secret::{Token, TokenKind};
use crate::{App, AppError, require};

/// A file sent with a report, as received.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the sender gave it.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

fn channel_open(policy: &Policy, channel: Channel) -> bool {
    match channel {
        Channel::Web => policy.channels.web_form.value,
        Channel::Api => policy.channels.api.value,
        Channel::Email => policy.channels.email.value.is_some(),
        Channel::Cli => true,
    }
}

/// Each upload judged by the policy's attachment rules, in order: a plain
/// name, text by content (`embargo_core::attachment::accept`), at most
/// `max_attachment_bytes`, and no more kept than `max_attachments` for the
/// report, which already carries `carried`. Every channel takes files through here.
pub(crate) fn judge_uploads(
    policy: &Policy,
    uploads: &[Upload],
    carried: usize,
) -> Vec<Result<Attachment, AttachmentError>> {
    let max = policy.report.max_attachments.value;
    let mut room = (max as usize).saturating_sub(carried);
    uploads
        .iter()
        .map(|upload| {
            let attachment = accept(&upload.filename, &upload.bytes, policy.report.max_attachment_bytes.value)?;
            if room == 0 {
                return Err(AttachmentError::TooMany { max });
            }
            room -= 1;
            Ok(attachment)
        })
        .collect()
}

/// A form's files: all kept, or the report is refused with every reason.
fn check_attachments(policy: &Policy, uploads: &[Upload]) -> Result<Vec<Attachment>, FieldErrors> {
    let max = policy.report.max_attachments.value;
    let refused = |e: AttachmentError| TextError::Refused { field: "attachments", reason: e.to_string() };
    if uploads.len() > max as usize {
        return Err(FieldErrors(vec![refused(AttachmentError::TooMany { max })]));
    }
    let mut errors = Vec::new();
    let mut accepted = Vec::new();
    for judgement in judge_uploads(policy, uploads, 0) {
        match judgement {
            Ok(a) => accepted.push(a),
            Err(e) => errors.push(refused(e)),
        }
    }
    if errors.is_empty() { Ok(accepted) } else { Err(FieldErrors(errors)) }
}

/// The rows of kept attachments, of the report or (with `message`) of one of its messages.
pub(crate) fn attachment_rows(
    ids: &dyn Entropy,
    report: ReportId,
    message: Option<MessageId>,
    kept: Vec<Attachment>,
    now: Timestamp,
) -> Result<Vec<ReportAttachment>, AppError> {
    kept.into_iter()
        .map(|a| {
            Ok(ReportAttachment {
                id: ids.attachment_id()?,
                report_id: report,
                message_id: message,
                filename: a.filename,
                text: a.text,
                created_at: now,
            })
        })
        .collect()
}

/// How a report reached Embargo: the part of intake that depends on the channel.
#[derive(Debug, Clone)]
pub enum Envelope {
    /// A form or request naming its project: the web form, the API or the command line.
    /// The policy's required fields are enforced and every file must be kept.
    Form {
        /// The organisation's slug.
        org: Slug,
        /// The project's slug.
        project: Slug,
        /// What the reporter filled in.
        submission: Box<Submission>,
        /// The files sent with it.
        uploads: Vec<Upload>,
        /// Which channel: web, API or command line.
        channel: Channel,
        /// The client's network address, when the channel knows it (counted by the intake limits).
        client: Option<IpAddr>,
    },
    /// A received mail routed to a project. What the policy asks for but the
    /// mail lacks becomes a notice (a mail cannot be sent back to be fixed),
    /// and files that may not be kept are listed in place of being refused.
    Mail {
        /// The project its address routes to.
        project: ProjectId,
        /// The mail.
        mail: Box<InboundMail>,
        /// Its text, as stored.
        body: String,
    },
}

/// How an intake ended.
#[derive(Debug, Clone)]
pub(crate) enum Filing {
    /// A new report.
    Filed(Box<Receipt>),
    /// The same mail was filed before: nothing was stored.
    AlreadyFiled,
}

/// What a write that files a mail may fail with: the app's errors, or the
/// mail's Message-ID met again (which undoes the whole transaction). New
/// reports and replies by mail share it.
pub(crate) enum WriteFailure {
    App(AppError),
    AlreadyFiled,
}

impl From<embargo_store::StoreError> for WriteFailure {
    fn from(error: embargo_store::StoreError) -> Self {
        WriteFailure::App(error.into())
    }
}

impl From<AppError> for WriteFailure {
    fn from(error: AppError) -> Self {
        WriteFailure::App(error)
    }
}

/// The mail-only part of a new report's write: its thread and its record.
struct MailFiling {
    thread: MailThread,
    receipt: Private<String>,
    record: MailRecord,
}

impl App {
    /// The project an intake names, as [`super::targets::TargetCache`] keeps it.
    async fn target(&self, envelope: &Envelope) -> Result<Arc<Target>, AppError> {
        let key = match envelope {
            Envelope::Form { org, project, .. } => TargetKey::Slugs(org.clone(), project.clone()),
            Envelope::Mail { project, .. } => TargetKey::Project(*project),
        };
        self.targets.target(self.store.reader().await?.as_mut(), &key).await
    }

    /// A form's content and files checked against the policy: all well, or every problem named.
    fn check_form(
        target: &Target,
        actor: &Actor,
        submission: &Submission,
        uploads: &[Upload],
    ) -> Result<(ReportContent, Vec<Attachment>, Vec<IntakeNotice>), AppError> {
        let content = ReportContent::from_submission(submission)?;
        let mut errors = FieldErrors(Vec::new());
        if let Err(mut e) = check_required(&target.policy, &target.lines, &content, actor.user().is_some()) {
            errors.0.append(&mut e.0);
        }
        let attachments = match check_attachments(&target.policy, uploads) {
            Ok(a) => a,
            Err(mut e) => {
                errors.0.append(&mut e.0);
                Vec::new()
            }
        };
        if !errors.0.is_empty() {
            return Err(errors.into());
        }
        let notices = notices(&target.policy, &target.lines, &content);
        Ok((content, attachments, notices))
    }

    /// Checks a report against the project's policy without submitting it:
    /// answers what the reporter would be told, or what must change.
    pub async fn check_submission(
        &self,
        actor: &Actor,
        org: &Slug,
        project: &Slug,
        submission: &Submission,
        uploads: &[Upload],
        channel: Channel,
    ) -> Result<Vec<IntakeNotice>, AppError> {
        let envelope = Envelope::Form {
            org: org.to_owned(),
            project: project.to_owned(),
            submission: Box::default(),
            uploads: Vec::new(),
            channel,
            client: None,
        };
        let target = self.target(&envelope).await?;
        require(actor, Action::SubmitReport)?;
        if !channel_open(&target.policy, channel) {
            return Err(AppError::ChannelClosed);
        }
        let (_, _, notices) = App::check_form(&target, actor, submission, uploads)?;
        Ok(notices)
    }

    /// Takes in a new report from a form, the API or the command line, under
    /// the project's policy (see [`Envelope::Form`]).
    pub async fn submit_report(&self, actor: &Actor, envelope: Envelope) -> Result<Receipt, AppError> {
        match self.intake(actor, envelope).await? {
            Filing::Filed(receipt) => Ok(*receipt),
            Filing::AlreadyFiled => Err(AppError::Conflict { what: "this report" }),
        }
    }

    /// The one intake use case: every channel's new report passes here. It
    /// checks the report against the project's policy, stores it with its
    /// deadlines, notices and files, records the history and the audit event,
    /// and emits [`Event::ReportSubmitted`], all in one transaction.
    pub(crate) async fn intake(&self, actor: &Actor, envelope: Envelope) -> Result<Filing, AppError> {
        let target = self.target(&envelope).await?;
        require(actor, Action::SubmitReport).map_err(|e| match e {
            AppError::Banned(_) => AppError::Banned(ban_refusal(&target.policy)),
            other => other,
        })?;
        let now = self.now();
        let id = self.entropy.report_id()?;
        // The contact address (the form's, or the mail's sender) and the client's network address.
        let (channel, content, attachments, notices, mail, (contact, client)) = match envelope {
            Envelope::Form { submission, uploads, channel, client, .. } => {
                if !channel_open(&target.policy, channel) {
                    return Err(AppError::ChannelClosed);
                }
                let (content, kept, notices) = App::check_form(&target, actor, &submission, &uploads)?;
                let attachments = attachment_rows(self.entropy.as_ref(), id, None, kept, now)?;
                let contact = content.reporter_email.clone();
                (channel, content, attachments, notices, None, (contact, client))
            }
            Envelope::Mail { mail, body, .. } => {
                // The mail channel is open where a mail route leads to the project (the router decided).
                let (content, notices) = mail_content(&mail, body, &target.policy, &target.lines)?;
                let (attachments, refused) = sort_attachments(
                    self.entropy.as_ref(),
                    &target.policy,
                    mail.attachments.expose(),
                    0,
                    (id, None),
                    now,
                )?;
                let filing = MailFiling {
                    thread: MailThread { report_id: id, reply_token: Private::new(self.reply_token()?) },
                    receipt: Private::new(String::new()),
                    record: mail_record(&mail, (Some(id), None), &refused, now),
                };
                let contact = Some(mail.from.clone());
                (Channel::Email, content, attachments, notices, Some(filing), (contact, None))
            }
        };
        require_may_report(self.store.reader().await?.as_mut(), actor, contact.as_ref(), &target.policy).await?;
        let access = ProjectAccess { org: target.org.id, project: target.project.id };
        let limits = IntakeKeys::new(actor, access, client, contact.as_ref(), &target.policy);
        // A mail's sender is who its From line claims: it may be refused (a
        // ban), but the report is never tied to an account on that word alone.
        let (reporter_id, actor) = match mail {
            None => (actor.user_id(), actor.clone()),
            Some(_) => (None, Actor::Anonymous),
        };
        let report = Report {
            id,
            org_id: target.org.id,
            project_id: target.project.id,
            reporter_id,
            channel,
            content: Private::new(content),
            state: ReportState::New,
            team: Default::default(),
            duplicate_of: None,
            deadlines: Deadlines::on_receipt(&target.policy, now),
            intake: notices.clone(),
            created_at: now,
            updated_at: now,
        };
        let followup = Token::generate(TokenKind::FollowUp, self.entropy.as_ref())?;
        let mail = mail.map(|m| MailFiling { receipt: Private::new(followup.expose().to_owned()), ..m });
        let receipt = Receipt {
            report_id: id,
            followup,
            org: target.org.clone(),
            project: target.project.clone(),
            submitted_at: now,
            acknowledge_by: report.deadlines.acknowledge,
            notices,
        };
        let (hash, entropy) = (receipt.followup.hash(), Arc::clone(&self.entropy));
        let written = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    limits.count(tx, now).await?;
                    tx.insert_report(&report, &hash).await?;
                    // The first report of a flood whose team notice is held tells the team so, once.
                    let since = now - throttle::COALESCE_WINDOW;
                    if tx
                        .project_reports_before(report.project_id, id, now, since, throttle::COALESCE_AFTER + 1)
                        .await?
                        == throttle::COALESCE_AFTER
                    {
                        emit(tx, entropy.as_ref(), now, &Event::IntakeFlood { project: report.project_id }).await?;
                    }
                    if let Some(mail) = &mail {
                        tx.insert_mail_thread(&mail.thread, Some(&mail.receipt), now).await?;
                    }
                    for attachment in &attachments {
                        tx.insert_attachment(attachment).await?;
                    }
                    if let Some(mail) = &mail
                        && !tx.insert_mail_record(&mail.record).await?
                    {
                        // Last, so that the record's references exist; a mail filed before undoes it all.
                        return Err(WriteFailure::AlreadyFiled);
                    }
                    let change = StateChange {
                        report_id: id,
                        from: None,
                        to: ReportState::New,
                        reason: None,
                        actor_id: actor.user_id(),
                        at: now,
                    };
                    tx.insert_state_change(&change).await?;
                    let details = json!({
                        "project": report.project_id.to_string(),
                        "channel": channel.as_str(),
                        "attachments": attachments.len(),
                        "notices": report.intake.iter().map(IntakeNotice::code).collect::<Vec<_>>(),
                    });
                    record(tx, now, &actor, "report.submitted", format!("report:{id}"), details).await?;
                    // The event, the deadlines' timers and the rotation's: one statement.
                    let submitted = Event::ReportSubmitted { report: id, channel };
                    let mut jobs = vec![event_job(entropy.as_ref(), now, EVENT_KIND, &submitted)?];
                    let kinds = [DeadlineKind::Acknowledge, DeadlineKind::Triage];
                    jobs.extend(crate::clocks::deadline_jobs(entropy.as_ref(), now, &report, &kinds)?);
                    jobs.extend(crate::rotation::intake_job(tx, entropy.as_ref(), now, &report).await?);
                    tx.enqueue_jobs(&jobs, now).await?;
                    Ok(())
                })
            })
            .await;
        match written {
            Ok(()) => Ok(Filing::Filed(Box::new(receipt))),
            Err(WriteFailure::AlreadyFiled) => Ok(Filing::AlreadyFiled),
            Err(WriteFailure::App(error)) => Err(error),
        }
    }
}

impl Envelope {
    /// A form's envelope: the project by its organisation's slug and its own.
    pub fn form(project: ProjectPath, submission: Submission, uploads: Vec<Upload>, channel: Channel) -> Self {
        let ProjectPath { org, project } = project;
        Envelope::Form { org, project, submission: Box::new(submission), uploads, channel, client: None }
    }

    /// The same envelope, sent from `client` (a form's network address; mail has none).
    #[must_use]
    pub fn from_client(self, client: Option<IpAddr>) -> Self {
        match self {
            Envelope::Form { org, project, submission, uploads, channel, .. } => {
                Envelope::Form { org, project, submission, uploads, channel, client }
            }
            mail @ Envelope::Mail { .. } => mail,
        }
    }
}
