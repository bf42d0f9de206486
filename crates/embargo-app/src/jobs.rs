//! The outbox's jobs: what one job does (an event is fanned out to the
//! subscribers that want it, a subscriber's job is handed to that
//! subscriber, timers and calls outside run), and the mail-shaped
//! [`Notice`] and [`Notifier`] that the mail subscriber
//! (`crate::subscribers::MailNotices`) speaks. The loop that claims jobs in
//! batches and runs them concurrently is in `runner`.

mod runner;

use embargo_core::Timestamp;
use std::fmt;
use std::str::FromStr;

use std::sync::Arc;

use embargo_core::id::{AdvisoryId, CollaboratorId, JobId, MessageId, ProjectId, ReportId, ShareId, SignupId};
use embargo_core::lifecycle::ReportState;
use embargo_core::text::UnknownName;
use embargo_store::StoreExt;
use embargo_store::jobs::Job;

use crate::events::{EVENT_KIND, Event, enqueue};
use crate::subscribers::Subscribers;
use crate::timers::{TIMER_KIND, Timer};
use crate::webhooks::{DELIVERY_KIND, DeliveryJob};
use crate::{App, AppError};

/// Something a participant should hear about. Holds ids, never private text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A report arrived: a receipt to the reporter, news to the team.
    ReportReceived {
        /// The report.
        report: ReportId,
    },
    /// A message was posted on a report.
    MessagePosted {
        /// The report.
        report: ReportId,
        /// The message.
        message: MessageId,
    },
    /// A report changed state.
    StateChanged {
        /// The report.
        report: ReportId,
        /// The new state.
        to: ReportState,
    },
    /// An advisory was published, crediting the reporter.
    AdvisoryPublished {
        /// The advisory.
        advisory: AdvisoryId,
    },
    /// The audit log's current signed checkpoint, to the administrators.
    AuditCheckpoint,
    /// Reports to a project arrive in a flood: its team hears so once, instead of once per report.
    IntakeFlood {
        /// The project.
        project: ProjectId,
    },
    /// The mail that confirms a sign-up's address (or says it has an account).
    SignupConfirmation {
        /// The request.
        request: SignupId,
    },
    /// A person was invited to work on a report: the invitation, with its private link.
    CollaboratorInvited {
        /// The report.
        report: ReportId,
        /// The invitation.
        collaborator: CollaboratorId,
    },
    /// The report a duplicate duplicates reached an end: the duplicate's reporter hears how (by reference).
    OriginalEnded {
        /// The duplicate, whose reporter hears.
        report: ReportId,
        /// The report it duplicates.
        original: ReportId,
        /// How the original ended.
        to: ReportState,
    },
    /// A report's embargo end was set, moved or lifted: every participant hears.
    EmbargoChanged {
        /// The report.
        report: ReportId,
    },
    /// A report's embargo ends soon: every participant is reminded.
    EmbargoEnding {
        /// The report.
        report: ReportId,
    },
    /// A scheduled publication was refused: the team hears why.
    PublicationRefused {
        /// The advisory.
        advisory: AdvisoryId,
    },
    /// A deadline the team promised passed: the whole team (or its coordinators) hears.
    DeadlinePassed {
        /// The report.
        report: ReportId,
        /// Which deadline.
        deadline: Deadline,
        /// When it fell due.
        due: Timestamp,
    },
    /// A deadline the team promised (policy response times) is near or past.
    DeadlineReminder {
        /// The report.
        report: ReportId,
        /// Which deadline.
        deadline: Deadline,
        /// When it falls due.
        due: Timestamp,
    },
    /// A report was shared with an interested party: the party gets the redacted link.
    ShareLink {
        /// The report.
        report: ReportId,
        /// The share.
        share: ShareId,
    },
    /// A finder declined their credit or chose a name: the team hears (no name in the mail).
    CreditChosen {
        /// The report the choice was made on.
        report: ReportId,
    },
    /// The team proposes a public issue from a declined report: the reporter is asked.
    PublicIssueProposed {
        /// The report.
        report: ReportId,
    },
    /// The reporter answered about the public issue: the team hears.
    PublicIssueAnswered {
        /// The report.
        report: ReportId,
    },
}

/// The deadlines a policy's response times set on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// Acknowledge the report.
    Acknowledge,
    /// Finish triage with a decision.
    Triage,
    /// Have a fix.
    Fix,
    /// Disclose.
    Disclosure,
    /// File the CRA early warning with ENISA (`crate::cra`).
    CraEarlyWarning,
    /// File the CRA notification.
    CraNotification,
    /// File the CRA final report.
    CraFinalReport,
}

impl Deadline {
    /// Every deadline, in process order.
    pub const ALL: [Deadline; 7] = [
        Deadline::Acknowledge,
        Deadline::Triage,
        Deadline::Fix,
        Deadline::Disclosure,
        Deadline::CraEarlyWarning,
        Deadline::CraNotification,
        Deadline::CraFinalReport,
    ];

    /// The name in payloads and mail.
    pub const fn as_str(self) -> &'static str {
        match self {
            Deadline::Acknowledge => "acknowledge",
            Deadline::Triage => "triage",
            Deadline::Fix => "fix",
            Deadline::Disclosure => "disclosure",
            Deadline::CraEarlyWarning => "cra_early_warning",
            Deadline::CraNotification => "cra_notification",
            Deadline::CraFinalReport => "cra_final_report",
        }
    }
}

impl From<embargo_core::deadline::DeadlineKind> for Deadline {
    fn from(kind: embargo_core::deadline::DeadlineKind) -> Self {
        use embargo_core::deadline::DeadlineKind;
        match kind {
            DeadlineKind::Acknowledge => Deadline::Acknowledge,
            DeadlineKind::Triage => Deadline::Triage,
            DeadlineKind::Fix => Deadline::Fix,
            DeadlineKind::Disclosure => Deadline::Disclosure,
        }
    }
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Deadline {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Deadline::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| {
            UnknownName::new(
                "deadline",
                s,
                "acknowledge, triage, fix, disclosure, cra_early_warning, cra_notification or cra_final_report",
            )
        })
    }
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (a relay that is down).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Will never work (the report is gone).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Delivers notices to the people concerned.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Delivers one notice.
    async fn deliver(&self, app: &App, notice: &Notice) -> Result<(), DeliveryError>;

    /// Delivers the notice of `job`. The runner calls this; a notifier that
    /// must not repeat itself when a job is retried keys its bookkeeping on `job`.
    async fn deliver_job(&self, app: &App, job: JobId, notice: &Notice) -> Result<(), DeliveryError> {
        let _ = job;
        self.deliver(app, notice).await
    }
}

/// The notifier used when no mail transport is configured: it logs that a
/// notice was not sent (ids only) and completes the job.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    async fn deliver(&self, _app: &App, notice: &Notice) -> Result<(), DeliveryError> {
        tracing::info!(?notice, "no mail transport is configured: notice not sent");
        Ok(())
    }
}

/// What one run of the job runner did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsRun {
    /// Jobs delivered.
    pub done: u32,
    /// Jobs that failed and will be tried again.
    pub retried: u32,
    /// Jobs given up on.
    pub abandoned: u32,
}

/// After this many attempts a job is given up.
const MAX_ATTEMPTS: u32 = 8;

/// Minutes to wait before attempt `n + 1`: 1, 2, 4, ... up to 4 hours.
fn backoff(attempts: u32) -> time::Duration {
    time::Duration::minutes(1_i64 << attempts.min(8).saturating_sub(1))
}

/// A job payload that cannot be read: given up on, never retried.
fn unreadable(kind: &str, error: &serde_json::Error) -> DeliveryError {
    DeliveryError::Permanent(format!("job {kind:?} has an unreadable payload: {error}"))
}

impl App {
    /// A name for a job worker unique to this process among all replicas
    /// (`serve-3f9c01ab`): leases are held by name, and process ids repeat
    /// across machines and containers.
    pub fn worker_name(&self, role: &str) -> Result<String, AppError> {
        let mut bytes = [0u8; 6];
        self.entropy.fill(&mut bytes)?;
        Ok(format!("{role}-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
    }

    /// Runs one claimed job.
    async fn run_job(&self, worker: &str, subscribers: &Subscribers, job: &Job) -> Result<(), DeliveryError> {
        if job.kind == TIMER_KIND {
            let timer: Timer = serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
            return self.run_timer(worker, job.id, timer).await;
        }
        if job.kind == DELIVERY_KIND {
            let delivery: DeliveryJob =
                serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
            return self.attempt_delivery(delivery).await;
        }
        if job.kind == crate::cve_services::OPERATION_KIND {
            let operation: crate::cve_services::OperationJob =
                serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
            return self.attempt_cve_operation(operation).await;
        }
        if job.kind == crate::cve_services::reconcile::RECONCILE_KIND {
            let reconcile = serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
            return self.reconcile_cve_reservations(reconcile).await;
        }
        if job.kind == crate::forge::poll::POLL_KIND {
            let poll = serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
            return self.poll_fixes(worker, job.id, poll).await;
        }
        let event: Event = serde_json::from_value(job.payload.clone()).map_err(|e| unreadable(&job.kind, &e))?;
        if job.kind == EVENT_KIND {
            return self.fan_out(worker, subscribers, job.id, &event).await;
        }
        let Some(subscriber) = subscribers.named(&job.kind) else {
            // Another process may run it; this one does not know the subscriber.
            return Err(DeliveryError::Temporary(format!("no subscriber {:?} in this process", job.kind)));
        };
        subscriber.handle(self, job.id, &event).await
    }

    /// Replaces an event job by one job per subscriber that wants the event, in one transaction.
    async fn fan_out(
        &self,
        worker: &str,
        subscribers: &Subscribers,
        id: JobId,
        event: &Event,
    ) -> Result<(), DeliveryError> {
        let names: Vec<&'static str> = subscribers.wanting(event).map(|s| s.name()).collect();
        let (owner, now, event, entropy) = (worker.to_owned(), self.now(), event.clone(), Arc::clone(&self.entropy));
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    if !tx.complete_job(id, &owner, now).await? {
                        // The lease ran out and another worker took the event: it fans it out.
                        return Ok(());
                    }
                    for name in names {
                        enqueue(tx, entropy.as_ref(), now, name, &event).await?;
                    }
                    Ok::<(), AppError>(())
                })
            })
            .await
            .map_err(|e| DeliveryError::Temporary(e.to_string()))
    }

    /// Jobs not yet done (due now or later), oldest first: their kinds and payloads, for tests and operators.
    pub async fn pending_jobs(&self) -> Result<Vec<(String, serde_json::Value)>, AppError> {
        let jobs = self.store.reader().await?.pending_jobs(10_000).await?;
        Ok(jobs.into_iter().map(|j| (j.kind, j.payload)).collect())
    }

    /// Jobs due by now and not yet done (timers due later are left out): what a run of the job runner would take.
    pub async fn due_jobs(&self) -> Result<Vec<(String, serde_json::Value)>, AppError> {
        let now = self.now();
        let jobs = self.store.reader().await?.pending_jobs(10_000).await?;
        Ok(jobs.into_iter().filter(|j| j.run_at <= now).map(|j| (j.kind, j.payload)).collect())
    }

    /// The events waiting in the outbox, not yet fanned out to subscribers.
    pub async fn pending_events(&self) -> Result<Vec<Event>, AppError> {
        let jobs = self.store.reader().await?.pending_jobs(10_000).await?;
        Ok(jobs
            .into_iter()
            .filter(|j| j.kind == EVENT_KIND)
            .filter_map(|j| serde_json::from_value(j.payload).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let minutes: Vec<i64> = (1..=10).map(|n| backoff(n).whole_minutes()).collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 64, 128, 128, 128]);
    }
}
