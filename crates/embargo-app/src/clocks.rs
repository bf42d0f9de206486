//! Clocks that act: the deadlines a policy's response times set remind the
//! assignee (or the team) when three quarters of their time passed, and
//! escalate to the whole team (or its coordinators) once passed. Each is a
//! timer written with the deadline, in the transaction that set it; when it
//! falls due it acts only if the report still waits for that very deadline.

use embargo_core::Timestamp;
use embargo_core::deadline::{DeadlineKind, reminder_at};
use embargo_core::report::Report;
use embargo_store::Writer;
use embargo_store::jobs::NewJob;

use crate::AppError;
use crate::entropy::Entropy;
use crate::events::{Event, emit};
use crate::timers::{Timer, timer_job};

/// Schedules the reminder and the escalation of each of `kinds` the report
/// has a deadline for, counting from `now` (when the deadline was set).
pub(crate) async fn schedule_deadlines(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    report: &Report,
    kinds: &[DeadlineKind],
) -> Result<(), AppError> {
    tx.enqueue_jobs(&deadline_jobs(ids, now, report, kinds)?, now).await?;
    Ok(())
}

/// The timers [`schedule_deadlines`] writes, for a use case that writes them
/// with its other jobs in one statement.
pub(crate) fn deadline_jobs(
    ids: &dyn Entropy,
    now: Timestamp,
    report: &Report,
    kinds: &[DeadlineKind],
) -> Result<Vec<NewJob>, AppError> {
    let mut jobs = Vec::new();
    for kind in kinds {
        let Some(due) = report.deadlines.of(*kind).filter(|due| *due > now) else { continue };
        let (deadline, at) = ((*kind).into(), due.unix_timestamp());
        let remind = reminder_at(now, due);
        if remind > now {
            jobs.push(timer_job(ids, remind, &Timer::DeadlineReminder { report: report.id, deadline, due: at })?);
        }
        jobs.push(timer_job(ids, due, &Timer::DeadlineEscalation { report: report.id, deadline, due: at })?);
    }
    Ok(jobs)
}

/// Emits `event` (a deadline near or passed) when the report still waits for
/// that deadline: the one that matters in its state, falling due when it did.
pub(crate) async fn tell_if_still_due(
    tx: &mut dyn Writer,
    ids: &dyn Entropy,
    now: Timestamp,
    event: Event,
) -> Result<(), AppError> {
    let (Event::DeadlineNear { report, deadline, due } | Event::DeadlinePassed { report, deadline, due }) = &event
    else {
        return Ok(());
    };
    if crate::cra::is_cra(*deadline) {
        return crate::cra::tell_if_still_due(tx, ids, now, event).await;
    }
    let Some(found) = tx.lock_report(*report).await? else { return Ok(()) };
    let waiting = found
        .deadlines
        .current(found.state)
        .is_some_and(|d| crate::jobs::Deadline::from(d.kind) == *deadline && d.at.unix_timestamp() == *due);
    if waiting {
        emit(tx, ids, now, &event).await?;
    }
    Ok(())
}
