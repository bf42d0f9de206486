//! Time-driven work: jobs due at a later time, run by the job runner when the
//! injected clock reaches them (so tests move the clock and never sleep).
//! A timer re-reads what it acts on and does nothing when things moved on.
//!
//! A report waiting for the reporter's answer (`needs_info`) is closed
//! after the policy's `response.close_unanswered`, with a reminder to the
//! reporter when three quarters of that time have passed; when an
//! administrator turned it on, the audit checkpoint is mailed to the
//! administrators every day (issue 12). The team's own deadlines remind and
//! escalate (`crate::clocks`).

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
use embargo_store::settings::Setting;
use embargo_store::{StoreExt, Writer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::entropy::{Entropy, NewIds};
use crate::events::{Event, emit};
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
    /// Assign the report to the next coordinator of the rotation when nobody took it up.
    AutoAssign {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
    },
    /// Remind the participants that the embargo ends soon.
    EmbargoReminder {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
        /// When the embargo ends (Unix seconds): a moved end makes this timer stale.
        until: i64,
    },
    /// Publish an advisory as scheduled.
    ScheduledPublication {
        /// The advisory.
        #[serde(with = "crate::events::as_text")]
        advisory: embargo_core::id::AdvisoryId,
        /// When it was scheduled for (Unix seconds): a rescheduled publication makes this timer stale.
        at: i64,
    },
    /// Remind the assignee (or the team) that a deadline is near.
    DeadlineReminder {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
        /// Which deadline.
        #[serde(with = "crate::events::as_text")]
        deadline: crate::jobs::Deadline,
        /// When it falls due (Unix seconds): a moved deadline makes this timer stale.
        due: i64,
    },
    /// Tell the whole team (or its coordinators) that a deadline passed.
    DeadlineEscalation {
        /// The report.
        #[serde(with = "crate::events::as_text")]
        report: ReportId,
        /// Which deadline.
        #[serde(with = "crate::events::as_text")]
        deadline: crate::jobs::Deadline,
        /// When it fell due (Unix seconds).
        due: i64,
    },
    /// Mail the audit log's checkpoint to the administrators, and schedule the next day's.
    DailyCheckpoint {
        /// When it was due (Unix seconds): stale unless the setting still names this time.
        due: i64,
    },
}

/// How often the audit checkpoint is mailed.
const CHECKPOINT_EVERY: time::Duration = time::Duration::days(1);

/// Turns the daily checkpoint mail on (the first one at once, so the
/// administrators see it works, then one a day) or off. Turning it on when it is on changes nothing; a timer left from an
/// earlier time it was on finds the setting changed and does nothing.
pub(crate) async fn set_checkpoint_mail(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    on: bool,
) -> Result<(), AppError> {
    let current = tx.setting(Setting::CheckpointMailDue).await?;
    match (on, current) {
        (true, Some(_)) | (false, None) => Ok(()),
        (false, Some(_)) => Ok(tx.set_setting(Setting::CheckpointMailDue, None).await?),
        (true, None) => schedule_checkpoint(tx, ids, now, now).await,
    }
}

async fn schedule_checkpoint(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
) -> Result<(), AppError> {
    let due = at.unix_timestamp();
    tx.set_setting(Setting::CheckpointMailDue, Some(due.to_string())).await?;
    schedule(tx, ids, now, at, &Timer::DailyCheckpoint { due }).await
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

/// Writes `timer` into the outbox, due at `at`.
pub(crate) async fn schedule(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    at: Timestamp,
    timer: &Timer,
) -> Result<(), AppError> {
    tx.enqueue_job(&timer_job(ids, at, timer)?, now).await?;
    Ok(())
}

/// The job of `timer`, due at `at`, for a use case that writes several jobs
/// at once (`Writer::enqueue_jobs`).
pub(crate) fn timer_job(ids: &dyn Entropy, at: Timestamp, timer: &Timer) -> Result<NewJob, AppError> {
    let payload = serde_json::to_value(timer).map_err(|e| AppError::Internal(format!("timer payload: {e}")))?;
    Ok(NewJob { id: ids.job_id()?, kind: TIMER_KIND.to_owned(), payload, run_at: at })
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
                        Timer::DailyCheckpoint { due } => {
                            let current = tx.setting(Setting::CheckpointMailDue).await?;
                            if current.as_deref() != Some(due.to_string().as_str()) {
                                return Ok(());
                            }
                            emit(tx, entropy.as_ref(), now, &Event::CheckpointDue).await?;
                            let at = Timestamp::from_unix_timestamp(due)
                                .map_err(|e| AppError::Internal(e.to_string()))?
                                + CHECKPOINT_EVERY;
                            // A runner that was down long does not mail once per day missed.
                            let at = if at <= now { now + CHECKPOINT_EVERY } else { at };
                            schedule_checkpoint(tx, entropy.as_ref(), now, at).await
                        }
                        Timer::EmbargoReminder { report, until } => {
                            crate::embargo::remind(tx, entropy.as_ref(), now, report, until).await
                        }
                        Timer::ScheduledPublication { advisory, at } => {
                            crate::embargo::publish_on_schedule(tx, entropy.as_ref(), now, advisory, at).await
                        }
                        Timer::AutoAssign { report } => {
                            crate::rotation::auto_assign(tx, entropy.as_ref(), now, report).await
                        }
                        Timer::DeadlineReminder { report, deadline, due } => {
                            let event = Event::DeadlineNear { report, deadline, due };
                            crate::clocks::tell_if_still_due(tx, entropy.as_ref(), now, event).await
                        }
                        Timer::DeadlineEscalation { report, deadline, due } => {
                            let event = Event::DeadlinePassed { report, deadline, due };
                            crate::clocks::tell_if_still_due(tx, entropy.as_ref(), now, event).await
                        }
                    }
                })
            })
            .await
            .map_err(|e: AppError| DeliveryError::Temporary(e.to_string()))
    }
}
