//! Time-driven work: jobs due at a later time, run by the job runner when the
//! injected clock reaches them (so tests move the clock and never sleep).
//! A timer re-reads what it acts on and does nothing when things moved on.
//!
//! Now: a report waiting for the reporter's answer (`needs_info`) is closed
//! after the policy's `response.close_unanswered`, with a reminder to the
//! reporter when three quarters of that time have passed.

use std::sync::Arc;

use embargo_core::Timestamp;
use embargo_core::deadline::human;
use embargo_core::id::{JobId, ReportId};
use embargo_core::lifecycle::{Performer, ReportState, TransitionRequest};
use embargo_core::message::{AuthorRole, Channel, Message, Visibility};
use embargo_core::permission::Actor;
use embargo_core::policy::Policy;
use embargo_core::private::Private;
use embargo_core::report::Report;
use embargo_store::jobs::NewJob;
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entropy::{Entropy, NewIds};
use crate::jobs::DeliveryError;
use crate::reports::transition::{self, Transition};
use crate::reports::{policy_of, store_message};
use crate::{App, AppError};

/// The job kind of timers.
pub(crate) const TIMER_KIND: &str = "timer";

/// Something to do at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "timer", rename_all = "snake_case")]
pub(crate) enum Timer {
    /// Remind the reporter that the team waits for their answer.
    NeedsInfoReminder {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
        /// When the team asked (Unix seconds): a later question makes this timer stale.
        asked_at: i64,
    },
    /// Close the report that was never answered.
    NeedsInfoClose {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
        /// When the team asked (Unix seconds).
        asked_at: i64,
    },
}

/// Schedules the timers a report that now needs information calls for, per the policy.
pub(crate) async fn on_needs_info(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: ReportId,
    policy: &Policy,
) -> Result<(), AppError> {
    let Some(span) = policy.response.close_unanswered.value else { return Ok(()) };
    let asked_at = now.unix_timestamp();
    let close = now + span.duration();
    let remind = now + span.duration() * 3 / 4;
    schedule(tx, ids, now, remind, &Timer::NeedsInfoReminder { report, asked_at }).await?;
    schedule(tx, ids, now, close, &Timer::NeedsInfoClose { report, asked_at }).await
}

async fn schedule(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    timer: &Timer,
) -> Result<(), AppError> {
    let payload = serde_json::to_value(timer).map_err(|e| AppError::Internal(format!("timer payload: {e}")))?;
    tx.enqueue_job(&NewJob { id: ids.job_id()?, kind: TIMER_KIND.to_owned(), payload, run_at: at }, now).await?;
    Ok(())
}

/// The report still waits for the answer asked at `asked_at`, locked; `None` when it moved on.
async fn still_waiting(tx: &mut dyn Writer, id: ReportId, asked_at: i64) -> Result<Option<Report>, AppError> {
    let Some(report) = tx.lock_report(id).await? else { return Ok(None) };
    let asked = tx.state_changes(id).await?.last().map(|c| c.at.unix_timestamp());
    Ok((report.state == ReportState::NeedsInfo && asked == Some(asked_at)).then_some(report))
}

impl App {
    /// Runs a timer that fell due.
    pub(crate) async fn run_timer(&self, worker: &str, job: JobId, timer: Timer) -> Result<(), DeliveryError> {
        let (now, entropy, owner) = (self.now(), Arc::clone(&self.entropy), worker.to_owned());
        let message_id = self.entropy.message_id().map_err(|e| DeliveryError::Temporary(e.to_string()))?;
        self.store
            .write(move |tx| {
                Box::pin(async move {
                    // The job is done in the transaction that does its work: a worker that
                    // dies before the commit leaves both undone, and one that lost its lease
                    // does nothing, so a timer acts exactly once.
                    if !tx.complete_job(job, &owner, now).await? {
                        return Ok(());
                    }
                    match timer {
                        Timer::NeedsInfoReminder { report, asked_at } => {
                            let Some(mut report) = still_waiting(tx, report, asked_at).await? else { return Ok(()) };
                            let policy = policy_of(tx, &report).await?;
                            let Some(span) = policy.response.close_unanswered.value else { return Ok(()) };
                            let close = Timestamp::from_unix_timestamp(asked_at)
                                .map_err(|e| AppError::Internal(e.to_string()))?
                                + span.duration();
                            let body = format!(
                                "The security team is still waiting for your answer to its question. Without one, \
                                 this report will be closed on {} (UTC), {} after the question was asked.",
                                close.date(),
                                human(span.duration())
                            );
                            let message = Message {
                                id: message_id,
                                report_id: report.id,
                                author_id: None,
                                author_role: AuthorRole::Team,
                                visibility: Visibility::ReporterVisible,
                                channel: Channel::Web,
                                body: Private::new(body),
                                created_at: now,
                            };
                            let details = json!({"timer": "needs_info_reminder", "message": message_id.to_string()});
                            store_message(tx, entropy.as_ref(), now, &Actor::Operator, &mut report, &message, details)
                                .await
                        }
                        Timer::NeedsInfoClose { report, asked_at } => {
                            let Some(mut report) = still_waiting(tx, report, asked_at).await? else { return Ok(()) };
                            let policy = policy_of(tx, &report).await?;
                            let Some(span) = policy.response.close_unanswered.value else { return Ok(()) };
                            let reason = format!(
                                "Closed after {} without the information the security team asked for. \
                                 You are welcome to report it again with that information.",
                                human(span.duration())
                            );
                            let change = Transition {
                                actor: &Actor::Operator,
                                performer: Performer::System,
                                request: TransitionRequest {
                                    to: ReportState::Withdrawn,
                                    reason: Some(reason),
                                    duplicate_of: None,
                                },
                                policy: &policy,
                                audit: json!({"timer": "needs_info_close"}),
                            };
                            transition::apply(tx, entropy.as_ref(), now, &mut report, change).await
                        }
                    }
                })
            })
            .await
            .map_err(|e: AppError| DeliveryError::Temporary(e.to_string()))
    }
}
