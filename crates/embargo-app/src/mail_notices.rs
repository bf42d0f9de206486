//! Mail out: who hears of a notice and what they may be told, plus the
//! bookkeeping that keeps a notification from going out twice.
//!
//! The app decides recipients and collects the facts (the private ones
//! wrapped); the mail channel composes, encrypts and sends.

use std::collections::BTreeMap;

use embargo_core::Timestamp;
use embargo_core::id::{AdvisoryId, JobId, OrgId, ProjectId, ReportId, UserId};
use embargo_core::intake::IntakeNotice;
use embargo_core::lifecycle::ReportState;
use embargo_core::message::{AuthorRole, Visibility};
use embargo_core::organisation::Organisation;
use embargo_core::private::Private;
use embargo_core::project::Project;
use embargo_core::report::Report;
use embargo_core::text::Email;
use embargo_core::throttle;
use embargo_core::user::TeamScope;
use embargo_store::mail::{Direction, KeyOwner, MailRecord, MailThread};
use embargo_store::zones::ZoneOwner;
use embargo_store::{Reader, StoreExt};

use crate::jobs::{Deadline, Notice};
use crate::zones::{reporter_owner, zone_of};
use crate::{App, AppError};

/// What happened, as far as anyone may be told without private text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// The report arrived (to the reporter: the receipt).
    Received,
    /// A message was posted.
    Message {
        /// Who wrote it.
        author: AuthorRole,
        /// Who may read it.
        visibility: Visibility,
    },
    /// The report changed state.
    State {
        /// The new state.
        to: ReportState,
    },
    /// A deadline of the team's is near or past.
    Deadline {
        /// Which.
        deadline: Deadline,
        /// When it falls due.
        due: Timestamp,
    },
    /// The report this one duplicates reached an end.
    OriginalEnded {
        /// The original, by reference.
        original: ReportId,
        /// How it ended.
        to: ReportState,
    },
    /// The embargo end was set or moved (`Some`), or lifted.
    Embargo {
        /// The new end (each recipient reads it in their own zone and UTC).
        until: Option<embargo_core::embargo::Moment>,
    },
    /// The embargo ends soon.
    EmbargoEnding {
        /// When.
        until: embargo_core::embargo::Moment,
    },
    /// A scheduled publication was refused (the report is not fixed).
    PublicationRefused {
        /// The advisory.
        advisory: AdvisoryId,
    },
    /// A deadline of the team's passed (an escalation to the whole team).
    Overdue {
        /// Which.
        deadline: Deadline,
        /// When it fell due.
        due: Timestamp,
    },
    /// The team invited the recipient to work on the report.
    Invited {
        /// As what.
        role: embargo_core::collaborator::CollaboratorRole,
        /// The invitation.
        collaborator: embargo_core::id::CollaboratorId,
    },
    /// The advisory was published (all of this is public now).
    Published {
        /// Its id.
        advisory: AdvisoryId,
        /// Its published summary.
        summary: String,
        /// Its credit line.
        credit: String,
    },
    /// The team shared a redacted, read-only copy with the recipient, an interested party.
    Shared {
        /// The share.
        share: embargo_core::id::ShareId,
        /// The platform that makes them interested.
        platform: String,
    },
    /// A finder declined their credit or chose the name shown (no name here).
    CreditChosen,
    /// The team proposes to make the declined report a public issue: the reporter is asked.
    PublicIssueProposed,
    /// The reporter answered about the public issue.
    PublicIssueAnswered {
        /// Their answer.
        answer: embargo_core::public_issue::Answer,
    },
}

/// The private part of a notification: only ever sent encrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// The report's title.
    pub title: String,
    /// The message, the reason of a state change, or the report's text for the team.
    pub text: Option<String>,
    /// Who wrote the message (display name), when known.
    pub author: Option<String>,
}

/// Which side a recipient is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The reporter.
    Reporter,
    /// The security team.
    Team,
    /// A person the team invited to the report.
    Collaborator,
    /// A party the team shared a redacted copy with.
    Interested,
}

/// One recipient of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Where to.
    pub email: Email,
    /// Their display name, if known.
    pub name: Option<String>,
    /// Their side.
    pub side: Side,
    /// Their OpenPGP public key (armored), when known.
    pub public_key: Option<String>,
    /// Whether they have an account: without one, a reporter reads the
    /// report only through the private follow-up link of their receipt.
    pub account: bool,
    /// The time zone they read dates in (their account's or their link's; UTC unless chosen).
    pub zone: embargo_core::zone::Zone,
}

/// The flood notice for a project's team (issue 12): names only, nothing private.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodMail {
    /// The project's organisation.
    pub org: Organisation,
    /// The project.
    pub project: Project,
    /// Its security team (the organisation's and the project's), not banned.
    pub recipients: Vec<(Email, String)>,
}

/// Everything the mail channel needs to write one notice's mails.
#[derive(Debug, Clone)]
pub struct NoticeMail {
    /// The report it is about.
    pub report: ReportId,
    /// The report's organisation.
    pub org: Organisation,
    /// The report's project.
    pub project: Project,
    /// What happened.
    pub news: News,
    /// The private part, for encrypted mail only.
    pub details: Private<Details>,
    /// The report's reply-address token.
    pub reply_token: Private<String>,
    /// The Message-ID of the mail the report came in, if it came by mail.
    pub original: Option<String>,
    /// Whether the report arrived encrypted (then nothing about it goes out in clear).
    pub arrived_encrypted: bool,
    /// The report this one duplicates, when the news is that it was marked a duplicate (by reference only).
    pub duplicate_of: Option<ReportId>,
    /// The private link's token still to be handed over: the follow-up token
    /// of the reporter's receipt, or the link of an invitation.
    pub followup: Option<Private<String>>,
    /// What was refused from the mail the report came in, for the receipt.
    pub refused: Vec<String>,
    /// What the policy has to say about the report, for the receipt (as a
    /// form's receipt page says it).
    pub notices: Vec<IntakeNotice>,
    /// Who gets a mail.
    pub recipients: Vec<Recipient>,
}

impl App {
    /// The mails a notice calls for; `None` when the report or advisory is gone.
    pub async fn notice_mail(&self, notice: &Notice) -> Result<Option<NoticeMail>, AppError> {
        let mut reader = self.store.reader().await?;
        let (report_id, news, skip) = match notice {
            Notice::ReportReceived { report } => (*report, News::Received, None),
            Notice::MessagePosted { report, message } => {
                let messages = reader.messages(*report, embargo_store::reports::Thread::WithInternal).await?;
                let Some(message) = messages.into_iter().find(|m| m.id == *message) else { return Ok(None) };
                let news = News::Message { author: message.author_role, visibility: message.visibility };
                (*report, news, Some(message))
            }
            Notice::StateChanged { report, to } => (*report, News::State { to: *to }, None),
            // Not about a report: the mail channel writes them from `checkpoint_mail` and `signup_mail`.
            Notice::AuditCheckpoint | Notice::SignupConfirmation { .. } | Notice::IntakeFlood { .. } => {
                return Ok(None);
            }
            Notice::DeadlineReminder { report, deadline, due } => {
                (*report, News::Deadline { deadline: *deadline, due: *due }, None)
            }
            Notice::OriginalEnded { report, original, to } => {
                (*report, News::OriginalEnded { original: *original, to: *to }, None)
            }
            Notice::EmbargoChanged { report } => {
                (*report, News::Embargo { until: reader.embargo(*report).await? }, None)
            }
            Notice::EmbargoEnding { report } => {
                let Some(until) = reader.embargo(*report).await? else { return Ok(None) };
                (*report, News::EmbargoEnding { until }, None)
            }
            Notice::PublicationRefused { advisory } => {
                let Some(found) = reader.advisory(advisory).await? else { return Ok(None) };
                let Some(report) = found.report_id else { return Ok(None) };
                (report, News::PublicationRefused { advisory: advisory.clone() }, None)
            }
            Notice::DeadlinePassed { report, deadline, due } => {
                (*report, News::Overdue { deadline: *deadline, due: *due }, None)
            }
            Notice::CollaboratorInvited { report, collaborator } => {
                let Some(found) = reader.collaborator(*collaborator).await? else { return Ok(None) };
                if found.revoked_at.is_some() {
                    return Ok(None);
                }
                (*report, News::Invited { role: found.role, collaborator: found.id }, None)
            }
            Notice::AdvisoryPublished { advisory } => {
                let Some(found) = reader.advisory(advisory).await? else { return Ok(None) };
                let (Some(report), Some(revision)) = (found.report_id, found.published) else { return Ok(None) };
                let credits: Vec<String> = revision.content.credits.iter().map(|c| c.name.clone()).collect();
                let credit = if credits.is_empty() {
                    "No one is credited.".to_owned()
                } else {
                    format!("Credited: {}.", credits.join(", "))
                };
                let news = News::Published { advisory: advisory.clone(), summary: revision.content.summary, credit };
                (report, news, None)
            }
            Notice::ShareLink { report, share } => {
                let Some(found) = reader.share(*share).await? else { return Ok(None) };
                (*report, News::Shared { share: found.id, platform: found.platform }, None)
            }
            Notice::CreditChosen { report } => (*report, News::CreditChosen, None),
            Notice::PublicIssueProposed { report } => {
                // Not when the team withdrew the question by marking it public or it is gone.
                let Some(issue) = reader.public_issue(*report).await? else { return Ok(None) };
                if issue.published_at.is_some() {
                    return Ok(None);
                }
                (*report, News::PublicIssueProposed, None)
            }
            Notice::PublicIssueAnswered { report } => {
                let Some(issue) = reader.public_issue(*report).await? else { return Ok(None) };
                (*report, News::PublicIssueAnswered { answer: issue.answer }, None)
            }
        };
        let Some(report) = reader.report(report_id).await? else { return Ok(None) };
        let org = reader.organisation(report.org_id).await?.ok_or(AppError::NotFound)?;
        let project = reader.project(report.project_id).await?.ok_or(AppError::NotFound)?;
        let reporter = reporter_of(reader.as_mut(), &report).await?;
        let team = team_of(reader.as_mut(), &report).await?;
        let mut details = Details { title: report.content.expose().title.clone(), ..Details::default() };
        let mut to: Vec<(Email, Option<String>, Side)> = Vec::new();
        let mut invitee_accounts: Vec<Email> = Vec::new();
        match &news {
            News::Received => {
                details.text = Some(report.content.expose().body.clone());
                to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
                // In a flood the team is not mailed once per report: the queue holds them all.
                let since = report.created_at - throttle::COALESCE_WINDOW;
                let earlier = reader
                    .project_reports_before(
                        report.project_id,
                        report.id,
                        report.created_at,
                        since,
                        throttle::COALESCE_AFTER,
                    )
                    .await?;
                if !throttle::coalesced(earlier) {
                    to.extend(team.iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
                }
            }
            News::Message { author, visibility } => {
                let message = skip.as_ref();
                details.text = message.map(|m| m.body.expose().clone());
                let author_id = message.and_then(|m| m.author_id);
                details.author = match author_id {
                    Some(id) => reader.user(id).await?.map(|u| u.name),
                    None => Some("The reporter".to_owned()),
                };
                if *author == AuthorRole::Team && *visibility == Visibility::ReporterVisible {
                    to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
                }
                to.extend(
                    team.iter()
                        .filter(|(id, _, _)| Some(*id) != author_id)
                        .map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)),
                );
            }
            News::State { to: state } => {
                let history = reader.state_changes(report.id).await?;
                details.text = history.last().and_then(|c| c.reason.as_ref()).map(|r| r.expose().clone());
                // Spam is discarded without a reply (the policies say so).
                if *state != ReportState::Spam {
                    to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
                }
            }
            News::Deadline { .. } => {
                let assignee = report.team.assignee;
                let assigned: Vec<_> = team.iter().filter(|(id, _, _)| Some(*id) == assignee).collect();
                let chosen = if assigned.is_empty() { team.iter().collect() } else { assigned };
                to.extend(chosen.into_iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
            }
            News::Published { .. } => {
                to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
            }
            // Every participant hears of the embargo: the reporter, the team, those invited.
            News::Embargo { .. } | News::EmbargoEnding { .. } => {
                to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
                to.extend(team.iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
                for invitee in reader.collaborators(report.id).await? {
                    if invitee.revoked_at.is_none() {
                        if invitee.user_id.is_some() {
                            invitee_accounts.push(invitee.email.clone());
                        }
                        to.push((invitee.email, None, Side::Collaborator));
                    }
                }
            }
            News::OriginalEnded { .. } => {
                to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
            }
            News::PublicationRefused { .. } => {
                to.extend(team.iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
            }
            // Escalations go to the coordinators of the team's rotation who are not away, else the whole team.
            News::Overdue { .. } => {
                let rotation = reader.rotation(report.project_id).await?;
                let present: Vec<UserId> =
                    rotation.iter().flat_map(|r| &r.coordinators).filter(|c| !c.away).map(|c| c.user).collect();
                let coordinators: Vec<_> = team.iter().filter(|(id, _, _)| present.contains(id)).collect();
                let chosen = if coordinators.is_empty() { team.iter().collect() } else { coordinators };
                to.extend(chosen.into_iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
            }
            News::Invited { collaborator, .. } => {
                if let Some(found) = reader.collaborator(*collaborator).await? {
                    if found.user_id.is_some() {
                        invitee_accounts.push(found.email.clone());
                    }
                    to.push((found.email, None, Side::Collaborator));
                }
            }
            // The party alone hears, with the redacted link; nothing of the report itself goes in the mail.
            News::Shared { share, .. } => {
                details = Details::default();
                if let Some(found) = reader.share(*share).await? {
                    to.push((found.party, None, Side::Interested));
                }
            }
            News::CreditChosen | News::PublicIssueAnswered { .. } => {
                to.extend(team.iter().map(|(_, e, n)| (e.clone(), Some(n.clone()), Side::Team)));
            }
            News::PublicIssueProposed => {
                to.extend(reporter.iter().map(|(e, n)| (e.clone(), n.clone(), Side::Reporter)));
            }
        }
        let mut recipients: BTreeMap<Email, Recipient> = BTreeMap::new();
        let invitations = reader.collaborators(report.id).await?;
        for (email, name, side) in to {
            if recipients.contains_key(&email) {
                continue;
            }
            let public_key = reader.openpgp_key(&KeyOwner::Email(email.clone())).await?.map(|k| k.public_key);
            let account = match side {
                Side::Team => true,
                Side::Reporter => report.reporter_id.is_some(),
                Side::Collaborator => invitee_accounts.contains(&email),
                Side::Interested => false,
            };
            // Each recipient reads dates in their own zone: their account's, else their private link's.
            let owner = match side {
                Side::Team => team.iter().find(|(_, e, _)| *e == email).map(|(id, _, _)| ZoneOwner::User(*id)),
                Side::Reporter => Some(reporter_owner(report.id, report.reporter_id)),
                Side::Collaborator => invitations
                    .iter()
                    .find(|c| c.email == email && c.revoked_at.is_none())
                    .map(|c| c.user_id.map_or(ZoneOwner::Invitation(c.id), ZoneOwner::User)),
                Side::Interested => None,
            };
            let zone = zone_of(reader.as_mut(), owner).await?;
            recipients.insert(email.clone(), Recipient { email, name, side, public_key, account, zone });
        }
        let records = reader.mail_records(report.id).await?;
        let first_in = records.iter().find(|r| r.direction == Direction::In);
        let original = (report.channel == embargo_core::message::Channel::Email)
            .then(|| first_in.map(|r| r.message_id.clone()))
            .flatten();
        let arrived_encrypted = first_in.is_some_and(|r| r.encrypted);
        let refused = match (&news, first_in.and_then(|r| r.refused.as_ref())) {
            (News::Received, Some(text)) => text.expose().lines().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let (followup, notices) = match news {
            News::Received => (reader.receipt_token(report.id).await?, report.intake.clone()),
            News::Invited { collaborator, .. } => (reader.invitation_token(collaborator).await?, Vec::new()),
            News::Shared { share, .. } => (reader.share_link(share).await?, Vec::new()),
            _ => (None, Vec::new()),
        };
        let duplicate_of =
            matches!(news, News::State { to: ReportState::Duplicate }).then_some(report.duplicate_of).flatten();
        drop(reader);
        let reply_token = self.ensure_mail_thread(report.id).await?;
        Ok(Some(NoticeMail {
            report: report.id,
            org,
            project,
            news,
            details: Private::new(details),
            reply_token,
            original,
            arrived_encrypted,
            duplicate_of,
            followup,
            refused,
            notices,
            recipients: recipients.into_values().collect(),
        }))
    }

    /// Who hears that reports to `project` arrive in a flood, and the names to tell them; `None` when it is gone.
    pub async fn flood_mail(&self, project: ProjectId) -> Result<Option<FloodMail>, AppError> {
        let mut reader = self.store.reader().await?;
        let Some(project) = reader.project(project).await? else { return Ok(None) };
        let org = reader.organisation(project.org_id).await?.ok_or(AppError::NotFound)?;
        let team = team_of_project(reader.as_mut(), org.id, project.id).await?;
        let recipients = team.into_iter().map(|(_, email, name)| (email, name)).collect();
        Ok(Some(FloodMail { org, project, recipients }))
    }

    /// The report's reply-address token, made on first use.
    async fn ensure_mail_thread(&self, report: ReportId) -> Result<Private<String>, AppError> {
        if let Some(thread) = self.store.reader().await?.mail_thread(report).await? {
            return Ok(thread.reply_token);
        }
        let token = self.reply_token()?;
        let (thread, now) = (MailThread { report_id: report, reply_token: Private::new(token) }, self.now());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    match tx.mail_thread(report).await? {
                        Some(existing) => Ok::<_, AppError>(existing.reply_token),
                        None => {
                            tx.insert_mail_thread(&thread, None, now).await?;
                            Ok(thread.reply_token)
                        }
                    }
                })
            })
            .await
    }

    /// Whether the notification of `job` already reached `recipient`.
    pub async fn mail_already_sent(&self, job: JobId, recipient: &Email) -> Result<bool, AppError> {
        Ok(self.store.reader().await?.mail_sent(job, recipient.as_str()).await?)
    }

    /// Notes, before the relay is contacted, that the notification of `job`
    /// is being sent to `recipient`. Answers `false` when an earlier attempt
    /// noted it and never said how it ended: that worker died or lost its
    /// lease mid-delivery, the mail may have gone out, and it is not sent
    /// again (notification mail is sent at most once; see README).
    pub async fn begin_mail_sending(&self, job: JobId, recipient: &Email) -> Result<bool, AppError> {
        let (recipient, now) = (recipient.to_string(), self.now());
        let begun = self
            .store
            .write(move |tx| Box::pin(async move { tx.begin_mail_sending(job, &recipient, now).await }))
            .await?;
        Ok(begun)
    }

    /// Forgets the note of [`App::begin_mail_sending`]: the relay did not
    /// take the mail, so a retry sends it.
    pub async fn forget_mail_sending(&self, job: JobId, recipient: &Email) -> Result<(), AppError> {
        let recipient = recipient.to_string();
        self.store.write(move |tx| Box::pin(async move { tx.forget_mail_sending(job, &recipient).await })).await?;
        Ok(())
    }

    /// How many notifications reached `recipient` in the last `window`,
    /// counted up to `at_most` (the cap it is checked against).
    pub async fn mails_sent_recently(
        &self,
        recipient: &Email,
        window: time::Duration,
        at_most: u64,
    ) -> Result<u64, AppError> {
        let since = self.now() - window;
        Ok(self.store.reader().await?.mails_sent_since(recipient.as_str(), since, at_most).await?)
    }

    /// Notes that the notification of `job` about `report` reached
    /// `recipient` as `message_id` (so a reply to it threads back), and
    /// forgets the follow-up token once a receipt held it.
    pub async fn record_mail_sent(
        &self,
        job: JobId,
        report: ReportId,
        recipient: &Email,
        message_id: &str,
        was_receipt: bool,
    ) -> Result<(), AppError> {
        let now = self.now();
        let (recipient, message_id) = (recipient.to_string(), message_id.to_owned());
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    tx.record_mail_sent(job, &recipient, &message_id, now).await?;
                    let record = MailRecord {
                        message_id,
                        report_id: Some(report),
                        direction: Direction::Out,
                        message_ref: None,
                        encrypted: false,
                        signature: None,
                        signer: None,
                        refused: None,
                        created_at: now,
                    };
                    tx.insert_mail_record(&record).await?;
                    if was_receipt {
                        tx.clear_receipt_token(report).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await
    }

    /// Notes a Message-ID that replies may refer to (a report's thread root).
    pub async fn record_thread_root(&self, report: ReportId, message_id: &str) -> Result<(), AppError> {
        let record = MailRecord {
            message_id: message_id.to_owned(),
            report_id: Some(report),
            direction: Direction::Out,
            message_ref: None,
            encrypted: false,
            signature: None,
            signer: None,
            refused: None,
            created_at: self.now(),
        };
        Ok(self.store.write(move |tx| Box::pin(async move { tx.insert_mail_record(&record).await.map(drop) })).await?)
    }
}

/// The reporter's address and name, if they can be reached.
async fn reporter_of(reader: &mut dyn Reader, report: &Report) -> Result<Option<(Email, Option<String>)>, AppError> {
    if let Some(id) = report.reporter_id
        && let Some(user) = reader.user(id).await?
    {
        return Ok(Some((user.email, Some(user.name))));
    }
    let content = report.content.expose();
    Ok(content.reporter_email.clone().map(|email| (email, content.reporter_name.clone())))
}

/// The security team of the report's project: its organisation's team and its own.
async fn team_of(reader: &mut dyn Reader, report: &Report) -> Result<Vec<(UserId, Email, String)>, AppError> {
    team_of_project(reader, report.org_id, report.project_id).await
}

async fn team_of_project(
    reader: &mut dyn Reader,
    org: OrgId,
    project: ProjectId,
) -> Result<Vec<(UserId, Email, String)>, AppError> {
    let mut team = Vec::new();
    for scope in [TeamScope::Organisation(org), TeamScope::Project(project)] {
        for member in reader.members(scope).await? {
            if member.user.banned_at.is_none() && !team.iter().any(|(id, _, _)| *id == member.user.id) {
                team.push((member.user.id, member.user.email, member.user.name));
            }
        }
    }
    Ok(team)
}
