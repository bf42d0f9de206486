//! Issue 15, item 5: the job runner claims in batches and runs jobs
//! concurrently, each exactly once; a flood of one kind never starves the
//! others; two runners on one PostgreSQL database never run a job twice; a
//! crashed runner's batch is taken over when its leases end. No sleeps: the
//! lease runs on the fake clock, and concurrency is shown by jobs meeting.

use std::sync::{Arc, Mutex};

use embargo_app::{App, DeliveryError, Event, Notice, Notifier, Subscribers};
use embargo_core::id::JobId;
use embargo_testkit::{Backend, TestApp};
use embargo_web::WebConfig;
use time::Duration;

/// The mail subscriber's job kind, which a flood of notices is made of.
const MAIL: &str = "mail_notices";

/// A notifier that records the job of every notice it is given. With a
/// barrier, the first deliveries wait there until as many are under way at
/// once as the barrier has parties; with `stall`, every delivery says it
/// started and then never ends (its runner is stuck on a dead relay).
#[derive(Debug, Default)]
struct Jobs {
    seen: Mutex<Vec<JobId>>,
    meet: Option<(usize, tokio::sync::Barrier)>,
    stall: Option<tokio::sync::mpsc::UnboundedSender<JobId>>,
}

impl Jobs {
    fn seen(&self) -> Vec<JobId> {
        let mut seen = self.seen.lock().unwrap().clone();
        seen.sort();
        seen
    }
}

#[async_trait::async_trait]
impl Notifier for Jobs {
    async fn deliver(&self, _app: &App, _notice: &Notice) -> Result<(), DeliveryError> {
        Err(DeliveryError::Permanent("the runner names the job".into()))
    }

    async fn deliver_job(&self, _app: &App, job: JobId, _notice: &Notice) -> Result<(), DeliveryError> {
        if let Some(started) = &self.stall {
            started.send(job).unwrap();
            std::future::pending::<()>().await;
        }
        let arrived = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(job);
            seen.len()
        };
        if let Some((parties, barrier)) = &self.meet
            && arrived <= *parties
        {
            barrier.wait().await;
        }
        Ok(())
    }
}

fn subscribers(notifier: &Arc<Jobs>) -> Subscribers {
    let notifier: Arc<dyn Notifier> = notifier.clone();
    Subscribers::standard(notifier)
}

fn checkpoint() -> serde_json::Value {
    serde_json::to_value(Event::CheckpointDue).unwrap()
}

async fn queue(t: &TestApp, kind: &str, n: usize) -> Vec<JobId> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(t.queue_job(kind, checkpoint()).await);
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn issue_15_a_batch_runs_concurrently_and_each_job_completes_once() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        let queued = queue(&t, MAIL, 24).await;
        // The first eight notices wait for one another: they pass only if eight run at once (the default).
        let parties = embargo_app::DEFAULT_JOB_CONCURRENCY;
        let jobs = Arc::new(Jobs { meet: Some((parties, tokio::sync::Barrier::new(parties))), ..Jobs::default() });
        let run = tokio::time::timeout(
            std::time::Duration::from_secs(120),
            t.app.run_due_jobs("runner", &subscribers(&jobs), 10_000),
        )
        .await
        .expect("the first jobs of a batch never ran at once")
        .unwrap();
        assert_eq!(run.done, 24, "{backend:?}: {run:?}");
        assert_eq!(jobs.seen(), queued, "{backend:?}: every job delivered exactly once");
        assert!(t.app.due_jobs().await.unwrap().is_empty(), "{backend:?}: every job completed");
        // A second run finds nothing: nothing completed is run again.
        let again = t.app.run_due_jobs("runner", &subscribers(&jobs), 10_000).await.unwrap();
        assert_eq!(again.done, 0);
        assert_eq!(jobs.seen().len(), 24);
        t.finish().await;
    }
}

#[tokio::test]
async fn issue_15_a_flood_of_one_kind_never_starves_the_others() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        queue(&t, MAIL, 300).await;
        // One event queued after the flood, as a use case writes it: its fan-out is another kind of job.
        t.clock().advance(Duration::seconds(1));
        t.queue_job("event", checkpoint()).await;
        let jobs = Arc::new(Jobs::default());
        // One round of sixteen jobs: the event is among them, though three hundred notices are older.
        let run = t.app.run_due_jobs("runner", &subscribers(&jobs), 16).await.unwrap();
        assert_eq!(run.done, 16, "{backend:?}: {run:?}");
        assert!(t.app.pending_events().await.unwrap().is_empty(), "{backend:?}: the event waited behind the flood");
        let left = t.app.due_jobs().await.unwrap();
        assert!(left.len() >= 285, "{backend:?}: the flood is mostly still queued ({} left)", left.len());
        assert!(left.iter().all(|(kind, _)| kind == MAIL), "{backend:?}: only notices wait");
        // Bounded rounds drain the rest, the event's own notice among them.
        for _ in 0..40 {
            if t.app.due_jobs().await.unwrap().is_empty() {
                break;
            }
            t.app.run_due_jobs("runner", &subscribers(&jobs), 16).await.unwrap();
        }
        assert_eq!(jobs.seen().len(), 301, "{backend:?}: the flood and the event's notice, once each");
        t.finish().await;
    }
}

#[tokio::test]
async fn issue_15_two_runners_on_one_postgres_database_never_run_a_job_twice() {
    if !Backend::available().contains(&Backend::Postgres) {
        return;
    }
    let t = TestApp::on(Backend::Postgres, WebConfig::default()).await;
    let replica = t.replica().await;
    let queued = queue(&t, MAIL, 120).await;
    let jobs = Arc::new(Jobs::default());
    let (ours, theirs) = (subscribers(&jobs), subscribers(&jobs));
    let (a, b) = tokio::join!(
        t.app.run_due_jobs("replica-a", &ours, 10_000),
        replica.run_due_jobs("replica-b", &theirs, 10_000)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.done + b.done, 120, "{a:?} {b:?}");
    assert_eq!(jobs.seen(), queued, "every job ran once, on one replica or the other");
    t.finish().await;
}

#[tokio::test]
async fn issue_15_a_crashed_runners_batch_is_taken_over_when_its_leases_end() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        let queued = queue(&t, MAIL, 5).await;
        // The first runner claims the whole batch, starts every job, and is stuck in all of them.
        let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
        let stuck = Arc::new(Jobs { stall: Some(started), ..Jobs::default() });
        let app = t.app.clone();
        let subs = subscribers(&stuck);
        let first = tokio::spawn(async move { app.run_due_jobs("crashing", &subs, 10_000).await });
        let mut running = Vec::new();
        for _ in 0..5 {
            running.push(starts.recv().await.unwrap());
        }
        running.sort();
        assert_eq!(running, queued, "{backend:?}: one batch, all running at once");
        // It dies holding the batch: nothing is released, the leases simply stop being renewed.
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());

        let jobs = Arc::new(Jobs::default());
        let early = t.app.run_due_jobs("survivor", &subscribers(&jobs), 10_000).await.unwrap();
        assert_eq!(early.done, 0, "{backend:?}: the dead runner's leases still hold");
        t.clock().advance(embargo_app::DEFAULT_JOB_LEASE + Duration::seconds(1));
        let taken = t.app.run_due_jobs("survivor", &subscribers(&jobs), 10_000).await.unwrap();
        assert_eq!(taken.done, 5, "{backend:?}: {taken:?}");
        assert_eq!(jobs.seen(), queued, "{backend:?}: the whole batch, once each");
        t.finish().await;
    }
}

/// A notifier whose every delivery panics, counting them: in the container
/// image a panic stops the whole process, here it ends the job's task; either
/// way the job's run ends without an outcome.
#[derive(Debug, Default)]
struct Panics {
    runs: Mutex<u32>,
}

#[async_trait::async_trait]
impl Notifier for Panics {
    async fn deliver(&self, _app: &App, _notice: &Notice) -> Result<(), DeliveryError> {
        Err(DeliveryError::Permanent("the runner names the job".into()))
    }

    async fn deliver_job(&self, _app: &App, _job: JobId, _notice: &Notice) -> Result<(), DeliveryError> {
        *self.runs.lock().unwrap() += 1;
        panic!("a bug in a delivery");
    }
}

#[tokio::test]
async fn issue_13_a_job_whose_runs_never_end_is_given_up_after_its_last_attempt() {
    for backend in Backend::available() {
        let t = TestApp::on(backend, WebConfig::default()).await;
        queue(&t, MAIL, 1).await;
        let panics = Arc::new(Panics::default());
        let notifier: Arc<dyn Notifier> = panics.clone();
        let subs = Subscribers::standard(notifier);
        let healthy = Arc::new(Jobs::default());
        let mut given_up = 0;
        // Each run takes the job again once its lease has ended; it is tried
        // eight times (the most a failing job is), then given up unrun.
        for round in 1..=12 {
            let run = t.app.run_due_jobs("runner", &subs, 10_000).await.unwrap();
            assert_eq!(run.done, 0, "{backend:?}: round {round}: {run:?}");
            given_up += run.abandoned;
            t.clock().advance(embargo_app::DEFAULT_JOB_LEASE + Duration::seconds(1));
        }
        assert_eq!(*panics.runs.lock().unwrap(), 8, "{backend:?}: runs of the panicking job");
        assert_eq!(given_up, 1, "{backend:?}: the job is given up once");
        assert!(t.app.due_jobs().await.unwrap().is_empty(), "{backend:?}: nothing is left to run");
        // The runner still runs other jobs.
        let queued = queue(&t, MAIL, 3).await;
        let run = t.app.run_due_jobs("runner", &subscribers(&healthy), 10_000).await.unwrap();
        assert_eq!(run.done, 3, "{backend:?}: {run:?}");
        assert_eq!(healthy.seen(), queued);
        t.finish().await;
    }
}
