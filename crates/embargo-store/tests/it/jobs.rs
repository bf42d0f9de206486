//! Jobs: leases, completion, retries, and no job claimed twice at once.

use std::collections::HashSet;
use std::sync::Arc;

use embargo_core::id::JobId;
use embargo_store::jobs::NewJob;
use embargo_store::prelude::*;
use tokio::sync::Mutex;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    leases_hide_claimed_jobs_until_they_expire,
    retries_and_abandon,
    concurrent_claimers_never_share_a_job,
    a_renewed_lease_keeps_a_running_job_and_a_lost_one_cannot_be_renewed,
    claims_take_turns_by_kind_so_a_flood_starves_no_other_kind,
    jobs_enqueued_together_are_each_stored_as_given,
);

async fn enqueue(db: &Db, n: usize, minutes: i64) -> Vec<JobId> {
    enqueue_kind(db, "notify.test", n, minutes).await
}

async fn enqueue_kind(db: &Db, kind: &'static str, n: usize, minutes: i64) -> Vec<JobId> {
    let ids: Vec<JobId> = (0..n).map(|_| JobId::from_uuid(new_uuid())).collect();
    let stored = ids.clone();
    db.write(move |tx| {
        Box::pin(async move {
            for id in stored {
                let job = NewJob { id, kind: kind.into(), payload: serde_json::json!({"n": 1}), run_at: at(minutes) };
                tx.enqueue_job(&job, at(0)).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
    ids
}

async fn claim(db: &Db, worker: &'static str, now: i64, limit: u32) -> Vec<JobId> {
    db.write(move |tx| Box::pin(async move { tx.claim_jobs(worker, at(now), at(now + 5), limit).await }))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect()
}

async fn leases_hide_claimed_jobs_until_they_expire(db: &Db) {
    let ids = enqueue(db, 2, 1).await;
    assert!(claim(db, "a", 0, 10).await.is_empty(), "not due yet");
    let claimed = claim(db, "a", 1, 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(claim(db, "b", 2, 10).await.is_empty(), "leased to a");

    let first = ids[0];
    let done = db.write(move |tx| Box::pin(async move { tx.complete_job(first, "a", at(2)).await })).await.unwrap();
    assert!(done);
    // a's lease on the second job ends at minute 6: b takes it over.
    let taken = claim(db, "b", 6, 10).await;
    assert_eq!(taken, vec![ids[1]]);
    let stale = db.write(move |tx| Box::pin(async move { tx.complete_job(ids[1], "a", at(7)).await })).await.unwrap();
    assert!(!stale, "a lost its lease");
    let mut r = db.read().await;
    let pending = r.pending_jobs(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 2);
}

async fn renew(db: &Db, id: JobId, worker: &'static str, until: i64) -> bool {
    db.write(move |tx| Box::pin(async move { tx.renew_lease(id, worker, at(until)).await })).await.unwrap()
}

async fn a_renewed_lease_keeps_a_running_job_and_a_lost_one_cannot_be_renewed(db: &Db) {
    let ids = enqueue(db, 1, 0).await;
    assert_eq!(claim(db, "a", 0, 10).await, ids, "leased to a until minute 5");
    // a's heartbeat at minutes 4 and 8 pushes the end of its lease on.
    assert!(renew(db, ids[0], "a", 9).await);
    assert!(claim(db, "b", 6, 10).await.is_empty(), "still a's at minute 6");
    assert!(renew(db, ids[0], "a", 13).await);
    assert!(claim(db, "b", 12, 10).await.is_empty(), "still a's at minute 12");
    assert!(!renew(db, ids[0], "b", 20).await, "b holds no lease on it");
    // a stops beating: b takes the job over when the lease ends, and a cannot win it back.
    assert_eq!(claim(db, "b", 13, 10).await, ids);
    assert!(!renew(db, ids[0], "a", 30).await, "a lost its lease");
    assert!(claim(db, "a", 17, 10).await.is_empty(), "b's lease holds until minute 18");
    let first = ids[0];
    assert!(db.write(move |tx| Box::pin(async move { tx.complete_job(first, "b", at(14)).await })).await.unwrap());
    assert!(!renew(db, ids[0], "b", 40).await, "a finished job has no lease");
}

async fn retries_and_abandon(db: &Db) {
    let ids = enqueue(db, 2, 0).await;
    claim(db, "a", 0, 10).await;
    let (first, second) = (ids[0], ids[1]);
    db.write(move |tx| {
        Box::pin(async move {
            tx.retry_job(first, "a", "smtp: connection refused", at(30)).await?;
            tx.abandon_job(second, "a", "no such report", at(1)).await
        })
    })
    .await
    .unwrap();
    assert!(claim(db, "a", 29, 10).await.is_empty(), "backing off");
    assert_eq!(claim(db, "a", 30, 10).await, vec![first]);
    let mut r = db.read().await;
    let pending = r.pending_jobs(10).await.unwrap();
    assert_eq!(pending.len(), 1, "the abandoned job is done");
    assert_eq!(pending[0].last_error.as_deref(), Some("smtp: connection refused"));
}

async fn concurrent_claimers_never_share_a_job(db: &Db) {
    let ids = enqueue(db, 60, 0).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let store = db.store();
    let workers = ["w1", "w2", "w3", "w4"].map(|worker| {
        let seen = Arc::clone(&seen);
        async move {
            loop {
                let jobs = store
                    .write(move |tx| Box::pin(async move { tx.claim_jobs(worker, at(1), at(60), 3).await }))
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    break;
                }
                seen.lock().await.extend(jobs.into_iter().map(|j| j.id));
            }
        }
    });
    futures_join(workers).await;
    let seen = seen.lock().await;
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 60, "every job claimed once");
    assert_eq!(unique.len(), 60, "no job claimed twice");
    assert!(ids.iter().all(|id| unique.contains(id)));
}

async fn futures_join<F: std::future::Future<Output = ()>>(futures: [F; 4]) {
    let [a, b, c, d] = futures;
    tokio::join!(a, b, c, d);
}

async fn claim_kinds(db: &Db, worker: &'static str, now: i64, limit: u32) -> Vec<(String, JobId)> {
    db.write(move |tx| Box::pin(async move { tx.claim_jobs(worker, at(now), at(now + 5), limit).await }))
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.kind, j.id))
        .collect()
}

/// Issue 15, item 5: a batch holds the oldest due job of every waiting kind
/// before a second job of any, so a flood queued first never holds back
/// the one job of another kind queued after it.
async fn claims_take_turns_by_kind_so_a_flood_starves_no_other_kind(db: &Db) {
    // Jobs due at the same time go oldest id first.
    let mut flood = enqueue_kind(db, "mail_notices", 40, 0).await;
    flood.sort();
    let timer = enqueue_kind(db, "timer", 1, 1).await;
    let mut later = enqueue_kind(db, "webhooks", 2, 2).await;
    later.sort();
    let not_due = enqueue_kind(db, "cve_operation", 1, 60).await;
    let first = claim_kinds(db, "a", 3, 4).await;
    let expected: Vec<(String, JobId)> = vec![
        ("mail_notices".into(), flood[0]),
        ("timer".into(), timer[0]),
        ("webhooks".into(), later[0]),
        ("mail_notices".into(), flood[1]),
    ];
    assert_eq!(first, expected, "every kind's oldest first, then the flood's second");
    // The next batch goes on where this one stopped, and never takes a job not due.
    let second = claim_kinds(db, "b", 3, 3).await;
    let expected: Vec<(String, JobId)> =
        vec![("mail_notices".into(), flood[2]), ("webhooks".into(), later[1]), ("mail_notices".into(), flood[3])];
    assert_eq!(second, expected);
    let rest = claim_kinds(db, "c", 3, 100).await;
    assert_eq!(rest.len(), 36, "the rest of the flood, nothing twice");
    assert!(rest.iter().all(|(kind, id)| kind == "mail_notices" && !flood[..4].contains(id)));
    assert!(rest.iter().all(|(_, id)| *id != not_due[0]), "not due yet");
}

async fn jobs_enqueued_together_are_each_stored_as_given(db: &Db) {
    let ids: Vec<JobId> = (0..3).map(|_| JobId::from_uuid(new_uuid())).collect();
    let jobs: Vec<NewJob> = ids
        .iter()
        .zip([("event", 0), ("timer", 2), ("timer", 1)])
        .map(|(id, (kind, minutes))| NewJob {
            id: *id,
            kind: kind.into(),
            payload: serde_json::json!({"minutes": minutes}),
            run_at: at(minutes),
        })
        .collect();
    let given = jobs.clone();
    db.write(move |tx| {
        Box::pin(async move {
            tx.enqueue_jobs(&[], at(0)).await?;
            tx.enqueue_jobs(&given, at(0)).await
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    let pending = r.pending_jobs(10).await.unwrap();
    // Pending jobs come in the order they fall due.
    let stored: Vec<(JobId, String, serde_json::Value, i64)> =
        pending.iter().map(|j| (j.id, j.kind.clone(), j.payload.clone(), (j.run_at - at(0)).whole_minutes())).collect();
    let expected: Vec<(JobId, String, serde_json::Value, i64)> = [0, 2, 1]
        .into_iter()
        .map(|i| {
            let job = &jobs[i];
            (job.id, job.kind.clone(), job.payload.clone(), (job.run_at - at(0)).whole_minutes())
        })
        .collect();
    assert_eq!(stored, expected);
    drop(r);
    // Due at minute 1: the event and the first timer, not the one at minute 2.
    assert_eq!(claim(db, "a", 1, 10).await.len(), 2);
}
