//! The job runner's loop (issue 15, item 5): it claims due jobs in batches,
//! in turns by kind (store `claim_jobs`), runs up to
//! [`AppConfig::job_concurrency`](crate::AppConfig::job_concurrency) of them
//! at once, renews the lease of every job it holds (running or waiting for a
//! free slot) on one heartbeat, and settles each job as it ends: done, to be
//! retried with backoff, or abandoned.
//!
//! The promises of one job at a time still hold for each job: a fan-out or a
//! timer completes its job in the transaction that does its work, a mail is
//! noted in `mail_sending` before the relay hears of it, and a job whose
//! worker died is taken over one lease after its last heartbeat, batch or not.

use std::collections::{HashMap, HashSet, VecDeque};

use embargo_core::id::JobId;
use embargo_store::StoreExt;
use embargo_store::jobs::Job;
use tokio::task::JoinSet;

use super::{DeliveryError, JobsRun, MAX_ATTEMPTS, backoff};
use crate::events::EVENT_KIND;
use crate::subscribers::Subscribers;
use crate::timers::TIMER_KIND;
use crate::{App, AppError};

/// How many jobs one claim asks for when `concurrency` run at once: a slot's
/// worth each, and never fewer than there are kinds of job, so that every
/// waiting kind has its turn in every batch (the claim takes kinds in turns).
fn claim_size(concurrency: usize) -> u32 {
    const EVERY_KIND: usize = 16;
    u32::try_from(concurrency.max(EVERY_KIND)).unwrap_or(u32::MAX)
}

/// How many claimed jobs may wait for a slot (or for the timer before them) before no more are claimed.
fn batch_len(batch: u32) -> usize {
    usize::try_from(batch).unwrap_or(usize::MAX)
}

/// A job claimed once more after its last allowed attempt: that attempt
/// ended without an outcome (a failure of the last attempt abandons the job,
/// and only earlier ones are retried), because its process stopped or its
/// task panicked. It is given up instead of run again, so that a job that
/// stops its process (a panic in the container image, where panics abort;
/// memory exhausted) does not do so again at every lease's end.
fn unfinished_runs(job: &Job) -> Option<DeliveryError> {
    (job.attempts > MAX_ATTEMPTS).then(|| {
        DeliveryError::Permanent(format!(
            "tried {MAX_ATTEMPTS} times, and the last run ended without an outcome \
             (its process stopped or the job panicked)"
        ))
    })
}

/// How a job that ran ended, as its task answers it.
struct Ended {
    settled: Result<JobsRun, AppError>,
}

impl App {
    /// Claims due jobs for `worker` and runs them, up to
    /// [`AppConfig::job_concurrency`](crate::AppConfig::job_concurrency) at a
    /// time: an event is fanned out to the subscribers that want it (one job
    /// each), a subscriber's job is handed to that subscriber. Goes on until
    /// nothing is due or `limit` jobs were claimed; returns what happened.
    /// When recording an outcome fails, claims no more, lets the running jobs
    /// end, and answers that error.
    pub async fn run_due_jobs(&self, worker: &str, subscribers: &Subscribers, limit: u32) -> Result<JobsRun, AppError> {
        let concurrency = self.config.job_concurrency.max(1);
        let batch = claim_size(concurrency);
        let beat = self.heartbeat();
        let mut run = JobsRun::default();
        let mut failed: Option<AppError> = None;
        let mut waiting: VecDeque<Job> = VecDeque::new();
        let mut held: HashSet<JobId> = HashSet::new();
        let mut tasks: JoinSet<Ended> = JoinSet::new();
        let mut task_jobs: HashMap<tokio::task::Id, (JobId, bool)> = HashMap::new();
        // Timers run one at a time, in due order, as they always did: one may depend on the one before
        // (a coordinator rotation's turns go to idle reports oldest first).
        let mut timer_running = false;
        let mut claimed: u32 = 0;
        // The last claim found nothing due: no new claim until a job ends (its fan-out may queue more).
        let mut dry = false;
        let mut next_beat = tokio::time::Instant::now() + beat;
        loop {
            let startable = |job: &Job, timer_running: bool| job.kind != TIMER_KIND || !timer_running;
            if !waiting.iter().any(|job| startable(job, timer_running))
                && waiting.len() < batch_len(batch)
                && tasks.len() < concurrency
                && !dry
                && claimed < limit
                && failed.is_none()
            {
                let jobs = match self.claim(worker, batch.min(limit - claimed)).await {
                    Ok(jobs) => jobs,
                    Err(e) => {
                        // The running jobs still end and are recorded; the error is answered then.
                        failed = Some(e);
                        Vec::new()
                    }
                };
                claimed = claimed.saturating_add(u32::try_from(jobs.len()).unwrap_or(u32::MAX));
                dry = jobs.is_empty();
                held.extend(jobs.iter().map(|job| job.id));
                waiting.extend(jobs);
            }
            while tasks.len() < concurrency {
                let Some(at) = waiting.iter().position(|job| startable(job, timer_running)) else { break };
                let Some(job) = waiting.remove(at) else { break };
                let timer = job.kind == TIMER_KIND;
                timer_running |= timer;
                let (app, subscribers, worker) = (self.clone(), subscribers.clone(), worker.to_owned());
                let id = job.id;
                let handle = tasks.spawn(async move {
                    let outcome = match unfinished_runs(&job) {
                        Some(given_up) => Err(given_up),
                        None => app.run_job(&worker, &subscribers, &job).await,
                    };
                    Ended { settled: app.settle(&worker, &job, outcome).await }
                });
                task_jobs.insert(handle.id(), (id, timer));
            }
            if tasks.is_empty() {
                // Nothing runs and nothing waits: nothing was due, the limit was reached, or a write failed.
                break;
            }
            tokio::select! {
                ended = tasks.join_next_with_id() => {
                    let Some(ended) = ended else { continue };
                    let (task, settled) = match ended {
                        Ok((task, Ended { settled })) => (task, Some(settled)),
                        Err(e) => {
                            // A job's task panicked or was cancelled: its lease runs out and the job is tried again.
                            tracing::error!(error = %e, "a job's task failed");
                            (e.id(), None)
                        }
                    };
                    let Some((id, timer)) = task_jobs.remove(&task) else { continue };
                    held.remove(&id);
                    timer_running &= !timer;
                    dry = false;
                    match settled {
                        Some(Ok(one)) => {
                            run.done += one.done;
                            run.retried += one.retried;
                            run.abandoned += one.abandoned;
                        }
                        Some(Err(e)) => {
                            tracing::error!(job = %id, error = %e, "cannot record how a job ended");
                            failed.get_or_insert(e);
                        }
                        None => {}
                    }
                }
                () = tokio::time::sleep_until(next_beat) => {
                    self.renew_leases(worker, &held).await;
                    next_beat = tokio::time::Instant::now() + beat;
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(run),
        }
    }

    /// Leases up to `limit` due jobs to `worker`, in turns by kind.
    async fn claim(&self, worker: &str, limit: u32) -> Result<Vec<Job>, AppError> {
        let now = self.now();
        let lease_until = now + self.config.job_lease;
        let owner = worker.to_owned();
        Ok(self
            .store
            .write(move |tx| Box::pin(async move { tx.claim_jobs(&owner, now, lease_until, limit).await }))
            .await?)
    }

    /// How often a runner renews its leases: every third of the lease, so a
    /// slow job keeps its lease and a dead runner's jobs are taken over one
    /// lease after its last beat.
    fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::try_from(self.config.job_lease / 3)
            .unwrap_or(std::time::Duration::from_secs(1))
            .max(std::time::Duration::from_millis(200))
    }

    /// One heartbeat: extends the lease on every job `worker` holds, in one
    /// transaction, saying so of any it lost.
    async fn renew_leases(&self, worker: &str, held: &HashSet<JobId>) {
        if held.is_empty() {
            return;
        }
        let ids: Vec<JobId> = held.iter().copied().collect();
        let (owner, until) = (worker.to_owned(), self.now() + self.config.job_lease);
        let renewed = self
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let mut lost = Vec::new();
                    for id in ids {
                        if !tx.renew_lease(id, &owner, until).await? {
                            lost.push(id);
                        }
                    }
                    Ok::<_, AppError>(lost)
                })
            })
            .await;
        match renewed {
            Ok(lost) => {
                tracing::trace!(jobs = held.len(), "leases renewed");
                // Another worker took these over (this one stalled longer than a lease):
                // deliveries note what they start, so the other does not repeat them.
                for id in lost {
                    tracing::warn!(job = %id, "lost the lease on a running job");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew job leases"),
        }
    }

    /// Records how a job ended: done, to be retried with backoff, or abandoned.
    async fn settle(&self, worker: &str, job: &Job, outcome: Result<(), DeliveryError>) -> Result<JobsRun, AppError> {
        let (id, owner, now) = (job.id, worker.to_owned(), self.now());
        let mut run = JobsRun::default();
        match outcome {
            // Fan-outs and timers completed their job in the transaction that did the work.
            Ok(()) if job.kind == EVENT_KIND || job.kind == TIMER_KIND => run.done += 1,
            Ok(()) => {
                self.store.write(move |tx| Box::pin(async move { tx.complete_job(id, &owner, now).await })).await?;
                run.done += 1;
            }
            Err(DeliveryError::Temporary(why)) if job.attempts < MAX_ATTEMPTS => {
                tracing::warn!(job = %id, kind = %job.kind, attempts = job.attempts, error = %why, "job failed, will retry");
                let at = now + backoff(job.attempts);
                self.store.write(move |tx| Box::pin(async move { tx.retry_job(id, &owner, &why, at).await })).await?;
                run.retried += 1;
            }
            Err(error) => {
                tracing::error!(job = %id, kind = %job.kind, error = %error, "job abandoned");
                let why = error.to_string();
                self.store
                    .write(move |tx| Box::pin(async move { tx.abandon_job(id, &owner, &why, now).await }))
                    .await?;
                run.abandoned += 1;
            }
        }
        Ok(run)
    }
}

#[cfg(test)]
mod tests {
    use super::claim_size;

    #[test]
    fn a_claim_has_room_for_every_kind_and_every_slot() {
        assert_eq!(claim_size(1), 16);
        assert_eq!(claim_size(8), 16);
        assert_eq!(claim_size(64), 64);
    }
}
