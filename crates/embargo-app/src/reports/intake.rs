//! Intake: a report checked against the project's policy, stored with its
//! deadlines, notices and attachments, and a receipt for the reporter.

use embargo_core::Timestamp;
use embargo_core::attachment::{Attachment, AttachmentError, accept};
use embargo_core::deadline::Deadlines;
use embargo_core::id::{MessageId, ReportId};
use embargo_core::intake::{IntakeNotice, check_required, notices};
use embargo_core::lifecycle::ReportState;
use embargo_core::message::Channel;
use embargo_core::organisation::Organisation;
use embargo_core::permission::{Action, Actor};
use embargo_core::policy::Policy;
use embargo_core::private::Private;
use embargo_core::project::{Project, ReleaseLine};
use embargo_core::report::{Report, ReportAttachment, ReportContent, StateChange, Submission};
use embargo_core::text::{FieldErrors, TextError};
use embargo_store::StoreExt;
use serde_json::json;

use super::Receipt;
use crate::audit::record;
use crate::entropy::{Entropy, NewIds};
use crate::jobs::{Notice, enqueue};
use crate::organisations::find_project;
use crate::policies::project_policy;
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

/// A submission checked against the policy, ready to store.
struct Checked {
    org: Organisation,
    project: Project,
    policy: Policy,
    content: ReportContent,
    attachments: Vec<Attachment>,
    notices: Vec<IntakeNotice>,
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

impl App {
    async fn check_intake(
        &self,
        actor: &Actor,
        org: &str,
        project: &str,
        submission: &Submission,
        uploads: &[Upload],
        channel: Channel,
    ) -> Result<(Checked, Vec<ReleaseLine>), AppError> {
        let mut reader = self.store.reader().await?;
        let (org, project) = find_project(reader.as_mut(), org, project).await?;
        require(actor, Action::SubmitReport)?;
        let policy = project_policy(reader.as_mut(), &org, &project).await?;
        if !channel_open(&policy, channel) {
            return Err(AppError::ChannelClosed);
        }
        let lines = reader.release_lines(project.id).await?;
        let content = ReportContent::from_submission(submission)?;
        let mut errors = FieldErrors(Vec::new());
        if let Err(mut e) = check_required(&policy, &lines, &content, actor.user().is_some()) {
            errors.0.append(&mut e.0);
        }
        let attachments = match check_attachments(&policy, uploads) {
            Ok(a) => a,
            Err(mut e) => {
                errors.0.append(&mut e.0);
                Vec::new()
            }
        };
        if !errors.0.is_empty() {
            return Err(errors.into());
        }
        let notices = notices(&policy, &lines, &content);
        Ok((Checked { org, project, policy, content, attachments, notices }, lines))
    }

    /// Checks a report against the project's policy without submitting it:
    /// answers what the reporter would be told, or what must change.
    pub async fn check_submission(
        &self,
        actor: &Actor,
        org: &str,
        project: &str,
        submission: &Submission,
        uploads: &[Upload],
        channel: Channel,
    ) -> Result<Vec<IntakeNotice>, AppError> {
        let (checked, _) = self.check_intake(actor, org, project, submission, uploads, channel).await?;
        Ok(checked.notices)
    }

    /// Takes in a new report, from anyone, through `channel`, under the project's policy.
    pub async fn submit_report(
        &self,
        actor: &Actor,
        org: &str,
        project: &str,
        submission: Submission,
        uploads: Vec<Upload>,
        channel: Channel,
    ) -> Result<Receipt, AppError> {
        let (checked, _) = self.check_intake(actor, org, project, &submission, &uploads, channel).await?;
        let now = self.now();
        let report = Report {
            id: self.entropy.report_id()?,
            org_id: checked.org.id,
            project_id: checked.project.id,
            reporter_id: actor.user_id(),
            channel,
            content: Private::new(checked.content),
            state: ReportState::New,
            team: Default::default(),
            duplicate_of: None,
            deadlines: Deadlines::on_receipt(&checked.policy, now),
            intake: checked.notices.clone(),
            created_at: now,
            updated_at: now,
        };
        let attachments = attachment_rows(self.entropy.as_ref(), report.id, None, checked.attachments, now)?;
        let followup = Token::generate(TokenKind::FollowUp, self.entropy.as_ref())?;
        let (hash, job, actor) = (followup.hash(), self.entropy.job_id()?, actor.clone());
        let receipt = Receipt {
            report_id: report.id,
            followup,
            org: checked.org,
            project: checked.project,
            submitted_at: now,
            acknowledge_by: report.deadlines.acknowledge,
            notices: checked.notices,
        };
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.insert_report(&report, &hash).await?;
                    let change = StateChange {
                        report_id: report.id,
                        from: None,
                        to: ReportState::New,
                        reason: None,
                        actor_id: actor.user_id(),
                        at: now,
                    };
                    tx.insert_state_change(&change).await?;
                    for attachment in &attachments {
                        tx.insert_attachment(attachment).await?;
                    }
                    let details = json!({
                        "project": report.project_id.to_string(),
                        "channel": channel.as_str(),
                        "attachments": attachments.len(),
                        "notices": report.intake.iter().map(IntakeNotice::code).collect::<Vec<_>>(),
                    });
                    record(tx, now, &actor, "report.submitted", format!("report:{}", report.id), details).await?;
                    enqueue(tx, job, now, &Notice::ReportReceived { report: report.id }).await
                })
            })
            .await?;
        self.queue_lab_runs_on_intake(receipt.report_id).await;
        Ok(receipt)
    }
}
