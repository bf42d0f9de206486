//! Subscribers to domain events, registered in one place
//! ([`Subscribers::standard`]). Each gets its own job per event it wants, so
//! it retries on its own; none of them is known to any use case.

use std::sync::Arc;

use async_trait::async_trait;
use embargo_core::id::JobId;
use embargo_core::lifecycle::ReportState;

use crate::App;
use crate::events::Event;
use crate::jobs::{DeliveryError, Notice, Notifier};
use crate::webhooks::Webhooks;

/// Something that acts on domain events (mail notices, webhooks, …).
#[async_trait]
pub trait Subscriber: Send + Sync + std::fmt::Debug {
    /// Its name: the kind of its jobs in the outbox. Never rename one that shipped.
    fn name(&self) -> &'static str;

    /// Whether it acts on `event` (a job is queued for it only then).
    fn wants(&self, event: &Event) -> bool;

    /// Acts on `event`. `job` stays the same across retries, so a subscriber
    /// that must not repeat itself keys its bookkeeping on it.
    async fn handle(&self, app: &App, job: JobId, event: &Event) -> Result<(), DeliveryError>;
}

/// The subscribers of this process.
#[derive(Debug, Clone)]
pub struct Subscribers(Vec<Arc<dyn Subscriber>>);

impl Subscribers {
    /// Every subscriber Embargo has, wired to this process's mail transport.
    /// This is the one place a new subscriber is registered.
    pub fn standard(notifier: Arc<dyn Notifier>) -> Self {
        Subscribers(vec![
            Arc::new(MailNotices { notifier }),
            Arc::new(LabIntake),
            Arc::new(Webhooks),
            Arc::new(crate::cra::CraFixClock),
            Arc::new(crate::forge::FixMerged),
            Arc::new(crate::cve_services::CveServicesSync),
        ])
    }

    /// The subscribers that want `event`.
    pub(crate) fn wanting<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = &'a Arc<dyn Subscriber>> + 'a {
        self.0.iter().filter(move |s| s.wants(event))
    }

    /// The subscriber called `name`.
    pub(crate) fn named(&self, name: &str) -> Option<&Arc<dyn Subscriber>> {
        self.0.iter().find(|s| s.name() == name)
    }
}

/// Mail notices to reporters and the team, through the process's [`Notifier`].
#[derive(Debug)]
pub struct MailNotices {
    notifier: Arc<dyn Notifier>,
}

impl MailNotices {
    /// The notice an event calls for, if any.
    fn notice(event: &Event) -> Option<Notice> {
        match event {
            Event::ReportSubmitted { report, .. } => Some(Notice::ReportReceived { report: *report }),
            Event::MessagePosted { report, message, .. } => {
                Some(Notice::MessagePosted { report: *report, message: *message })
            }
            // Disclosure is told by the publication notice, which says more.
            Event::StateChanged { to: ReportState::Disclosed, .. } => None,
            Event::StateChanged { report, to, .. } => Some(Notice::StateChanged { report: *report, to: *to }),
            Event::AdvisoryPublished { advisory } | Event::AdvisoryRevised { advisory, .. } => {
                Some(Notice::AdvisoryPublished { advisory: advisory.clone() })
            }
            Event::CheckpointDue => Some(Notice::AuditCheckpoint),
            Event::IntakeFlood { project } => Some(Notice::IntakeFlood { project: *project }),
            Event::SignupRequested { request } => Some(Notice::SignupConfirmation { request: *request }),
            Event::DeadlineNear { report, deadline, due } => Some(Notice::DeadlineReminder {
                report: *report,
                deadline: *deadline,
                due: embargo_core::Timestamp::from_unix_timestamp(*due).ok()?,
            }),
            Event::DeadlinePassed { report, deadline, due } => Some(Notice::DeadlinePassed {
                report: *report,
                deadline: *deadline,
                due: embargo_core::Timestamp::from_unix_timestamp(*due).ok()?,
            }),
            Event::EmbargoChanged { report } => Some(Notice::EmbargoChanged { report: *report }),
            Event::EmbargoEnding { report } => Some(Notice::EmbargoEnding { report: *report }),
            Event::PublicationRefused { advisory } => Some(Notice::PublicationRefused { advisory: advisory.clone() }),
            Event::CollaboratorInvited { report, collaborator } => {
                Some(Notice::CollaboratorInvited { report: *report, collaborator: *collaborator })
            }
            Event::AssigneeChanged { .. }
            | Event::AdvisoryDrafted { .. }
            | Event::AdvisoryWithdrawn { .. }
            | Event::VexChanged { .. }
            | Event::FixMerged { .. } => None,
            Event::SharedWithParty { report, share } => Some(Notice::ShareLink { report: *report, share: *share }),
            Event::CreditChosen { report } => Some(Notice::CreditChosen { report: *report }),
            Event::PublicIssueProposed { report } => Some(Notice::PublicIssueProposed { report: *report }),
            Event::PublicIssueAnswered { report } => Some(Notice::PublicIssueAnswered { report: *report }),
            // The team acted itself; its reminders come as deadlines.
            Event::CraStarted { .. } | Event::CraStageFiled { .. } => None,
            // Shown on the advisory and told to webhooks; no mail.
            Event::CveReserved { .. } | Event::CvePublished { .. } | Event::CveRejected { .. } => None,
        }
    }
}

#[async_trait]
impl Subscriber for MailNotices {
    fn name(&self) -> &'static str {
        "mail_notices"
    }

    fn wants(&self, event: &Event) -> bool {
        MailNotices::notice(event).is_some() || matches!(event, Event::StateChanged { to, .. } if to.is_closed())
    }

    async fn handle(&self, app: &App, job: JobId, event: &Event) -> Result<(), DeliveryError> {
        if let Some(notice) = MailNotices::notice(event) {
            self.notifier.deliver_job(app, job, &notice).await?;
        }
        // The reporters of its duplicates hear how the original ended (by reference only).
        if let Event::StateChanged { report, to, .. } = event
            && to.is_closed()
        {
            let duplicates = app.duplicates_of(*report).await.map_err(|e| DeliveryError::Temporary(e.to_string()))?;
            for duplicate in duplicates {
                let notice = Notice::OriginalEnded { report: duplicate, original: *report, to: *to };
                self.notifier.deliver_job(app, job, &notice).await?;
            }
        }
        Ok(())
    }
}

/// The evidence lab hears of every new report: one with a proof of concept,
/// in a project whose policy describes the lab, gets its runs queued for the
/// lab worker (`crate::lab`), whatever the channel it came through.
#[derive(Debug)]
pub struct LabIntake;

#[async_trait]
impl Subscriber for LabIntake {
    fn name(&self) -> &'static str {
        "lab_intake"
    }

    fn wants(&self, event: &Event) -> bool {
        matches!(event, Event::ReportSubmitted { .. })
    }

    async fn handle(&self, app: &App, _job: JobId, event: &Event) -> Result<(), DeliveryError> {
        if let Event::ReportSubmitted { report, .. } = event {
            app.queue_lab_runs_on_intake(*report).await;
        }
        Ok(())
    }
}
