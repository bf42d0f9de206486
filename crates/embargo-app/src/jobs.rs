//! The outbox: notices enqueued by use cases in their transaction, and the
//! runner that hands due ones to a [`Notifier`], retrying with backoff.

use embargo_core::Timestamp;
use std::fmt;
use std::str::FromStr;

use embargo_core::id::{AdvisoryId, JobId, MessageId, ReportId};
use embargo_core::lifecycle::ReportState;
use embargo_core::text::UnknownName;
use embargo_store::jobs::{Job, NewJob};
use embargo_store::{StoreExt, Writer};
use serde_json::{Value, json};

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
    /// A deadline the team promised (policy response times) is near or past.
    DeadlineReminder {
        /// The report.
        report: ReportId,
        /// Which deadline.
        deadline: Deadline,
        /// When it falls due.
        due: Timestamp,
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
}

impl Deadline {
    /// Every deadline, in process order.
    pub const ALL: [Deadline; 4] = [Deadline::Acknowledge, Deadline::Triage, Deadline::Fix, Deadline::Disclosure];

    /// The name in payloads and mail.
    pub const fn as_str(self) -> &'static str {
        match self {
            Deadline::Acknowledge => "acknowledge",
            Deadline::Triage => "triage",
            Deadline::Fix => "fix",
            Deadline::Disclosure => "disclosure",
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
        Deadline::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownName::new("deadline", s, "acknowledge, triage, fix or disclosure"))
    }
}

const KIND: &str = "notify";

impl Notice {
    fn to_payload(&self) -> Value {
        match self {
            Notice::ReportReceived { report } => json!({"notice": "report_received", "report": report.to_string()}),
            Notice::MessagePosted { report, message } => {
                json!({"notice": "message_posted", "report": report.to_string(), "message": message.to_string()})
            }
            Notice::StateChanged { report, to } => {
                json!({"notice": "state_changed", "report": report.to_string(), "to": to.as_str()})
            }
            Notice::AdvisoryPublished { advisory } => {
                json!({"notice": "advisory_published", "advisory": advisory.as_str()})
            }
            Notice::DeadlineReminder { report, deadline, due } => json!({
                "notice": "deadline_reminder",
                "report": report.to_string(),
                "deadline": deadline.as_str(),
                "due": due.unix_timestamp(),
            }),
        }
    }

    fn from_payload(payload: &Value) -> Option<Notice> {
        let field = |name: &str| payload.get(name).and_then(Value::as_str);
        match field("notice")? {
            "report_received" => Some(Notice::ReportReceived { report: field("report")?.parse().ok()? }),
            "message_posted" => Some(Notice::MessagePosted {
                report: field("report")?.parse().ok()?,
                message: field("message")?.parse().ok()?,
            }),
            "state_changed" => {
                Some(Notice::StateChanged { report: field("report")?.parse().ok()?, to: field("to")?.parse().ok()? })
            }
            "advisory_published" => Some(Notice::AdvisoryPublished { advisory: field("advisory")?.parse().ok()? }),
            "deadline_reminder" => Some(Notice::DeadlineReminder {
                report: field("report")?.parse().ok()?,
                deadline: field("deadline")?.parse().ok()?,
                due: Timestamp::from_unix_timestamp(payload.get("due")?.as_i64()?).ok()?,
            }),
            _ => None,
        }
    }
}

/// Enqueues a notice in the use case's transaction.
pub(crate) async fn enqueue(tx: &mut dyn Writer, id: JobId, now: Timestamp, notice: &Notice) -> Result<(), AppError> {
    let job = NewJob { id, kind: KIND.to_owned(), payload: notice.to_payload(), run_at: now };
    tx.enqueue_job(&job, now).await?;
    Ok(())
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

impl App {
    /// Claims due jobs for `worker` and runs them once; returns what happened.
    pub async fn run_due_jobs(&self, worker: &str, notifier: &dyn Notifier, limit: u32) -> Result<JobsRun, AppError> {
        let now = self.now();
        let lease_until = now + time::Duration::minutes(5);
        let owner = worker.to_owned();
        let jobs: Vec<Job> = self
            .store
            .write(move |tx| Box::pin(async move { tx.claim_jobs(&owner, now, lease_until, limit).await }))
            .await?;
        let mut run = JobsRun::default();
        for job in jobs {
            let outcome = match Notice::from_payload(&job.payload).filter(|_| job.kind == KIND) {
                Some(notice) => notifier.deliver_job(self, job.id, &notice).await,
                None => Err(DeliveryError::Permanent(format!("unknown job {:?}", job.kind))),
            };
            let (id, owner, now) = (job.id, worker.to_owned(), self.now());
            match outcome {
                Ok(()) => {
                    self.store.write(move |tx| Box::pin(async move { tx.complete_job(id, &owner, now).await })).await?;
                    run.done += 1;
                }
                Err(DeliveryError::Temporary(why)) if job.attempts < MAX_ATTEMPTS => {
                    tracing::warn!(job = %id, attempts = job.attempts, error = %why, "job failed, will retry");
                    let at = now + backoff(job.attempts);
                    self.store
                        .write(move |tx| Box::pin(async move { tx.retry_job(id, &owner, &why, at).await }))
                        .await?;
                    run.retried += 1;
                }
                Err(error) => {
                    tracing::error!(job = %id, error = %error, "job abandoned");
                    let why = error.to_string();
                    self.store
                        .write(move |tx| Box::pin(async move { tx.abandon_job(id, &owner, &why, now).await }))
                        .await?;
                    run.abandoned += 1;
                }
            }
        }
        Ok(run)
    }

    /// Jobs not yet done (for tests and `embargo jobs`).
    pub async fn pending_notices(&self) -> Result<Vec<Notice>, AppError> {
        let jobs = self.store.reader().await?.pending_jobs(10_000).await?;
        Ok(jobs.iter().filter_map(|j| Notice::from_payload(&j.payload)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn notices_round_trip_through_payloads() {
        let report = ReportId::from_uuid(Uuid::from_u128(7));
        for notice in [
            Notice::ReportReceived { report },
            Notice::MessagePosted { report, message: MessageId::from_uuid(Uuid::from_u128(8)) },
            Notice::StateChanged { report, to: ReportState::Accepted },
            Notice::AdvisoryPublished { advisory: "PSF-2026-1".parse().unwrap() },
            Notice::DeadlineReminder {
                report,
                deadline: Deadline::Acknowledge,
                due: Timestamp::from_unix_timestamp(1_780_000_000).unwrap(),
            },
        ] {
            assert_eq!(Notice::from_payload(&notice.to_payload()), Some(notice));
        }
        assert_eq!(Notice::from_payload(&json!({"notice": "unknown"})), None);
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let minutes: Vec<i64> = (1..=10).map(|n| backoff(n).whole_minutes()).collect();
        assert_eq!(minutes, vec![1, 2, 4, 8, 16, 32, 64, 128, 128, 128]);
    }
}
