//! The evidence lab's runs and grounding: queue, leases (one run per project
//! at a time, expiry, attempts), sealed output and names, signals.

use embargo_core::id::{LabRunId, ReportId};
use embargo_core::lab::{Grounding, LabResult, RunPurpose};
use embargo_core::private::Private;
use embargo_store::lab::{GroundingCheck, LabOutcome, LabRunState, LabSignals, NewLabRun};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(runs_are_claimed_one_project_at_a_time_and_finished_by_their_worker, grounding_is_replaced_and_sealed);

fn new_run(report: ReportId, project: embargo_core::id::ProjectId, line: &str, minutes: i64) -> NewLabRun {
    NewLabRun {
        id: LabRunId::from_uuid(new_uuid()),
        report_id: report,
        project_id: project,
        line: line.into(),
        git_ref: format!("v{line}"),
        purpose: RunPurpose::Line,
        grounding: line == "2.0",
        requested_by: None,
        created_at: at(minutes),
    }
}

async fn claim(db: &Db, worker: &'static str, now: i64) -> Option<embargo_store::lab::LabRun> {
    db.write(move |tx| Box::pin(async move { tx.claim_lab_run(worker, at(now), at(now + 10), 3).await })).await.unwrap()
}

async fn runs_are_claimed_one_project_at_a_time_and_finished_by_their_worker(db: &Db) {
    let org = db.organisation("lab-org").await;
    let one = db.project(&org, "one").await;
    let two = db.project(&org, "two").await;
    let (r1, _) = db.report(&one, None, "first", 0).await;
    let (r2, _) = db.report(&two, None, "second", 0).await;
    let runs =
        vec![new_run(r1.id, one.id, "2.0", 1), new_run(r1.id, one.id, "1.0", 2), new_run(r2.id, two.id, "2.0", 3)];
    let queued = runs.clone();
    db.write(move |tx| {
        Box::pin(async move {
            for run in &queued {
                tx.insert_lab_run(run).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
    assert_eq!(db.read().await.pending_lab_runs(one.id).await.unwrap(), 2);

    let first = claim(db, "a", 5).await.unwrap();
    assert_eq!((first.run.clone(), first.state, first.attempts), (runs[0].clone(), LabRunState::Running, 1));
    // Project one has a run leased: the next claim skips its second run for project two's.
    let second = claim(db, "b", 5).await.unwrap();
    assert_eq!(second.run.id, runs[2].id);
    assert!(claim(db, "c", 5).await.is_none(), "one run per project at a time");

    let outcome = LabOutcome {
        result: LabResult::Vulnerable,
        reason: "exit code 1".into(),
        output: Private::new("OUTPUT-MARKER".into()),
        commit: Some("a".repeat(40)),
        finished_at: at(6),
    };
    let id = first.run.id;
    let stolen = outcome.clone();
    assert!(!db.write(move |tx| Box::pin(async move { tx.finish_lab_run(id, "b", &stolen).await })).await.unwrap());
    let kept = outcome.clone();
    assert!(db.write(move |tx| Box::pin(async move { tx.finish_lab_run(id, "a", &kept).await })).await.unwrap());
    let raw = db.raw_column("SELECT output FROM lab_runs WHERE result IS NOT NULL").await;
    assert!(!String::from_utf8_lossy(&raw[0]).contains("OUTPUT-MARKER"), "the output is sealed");

    // Project one is free again; b's lease on project two's run expires at minute 15 and c takes it over.
    assert_eq!(claim(db, "c", 7).await.unwrap().run.id, runs[1].id);
    let retaken = claim(db, "d", 16).await.unwrap();
    assert_eq!((retaken.run.id, retaken.attempts), (runs[2].id, 2));
    let late = outcome.clone();
    let lost = runs[2].id;
    assert!(!db.write(move |tx| Box::pin(async move { tx.finish_lab_run(lost, "b", &late).await })).await.unwrap());

    let stored = db.read().await.lab_runs(r1.id).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].result, Some(LabResult::Vulnerable));
    assert_eq!(stored[0].output.as_ref().map(|o| o.expose().as_str()), Some("OUTPUT-MARKER"));
    assert_eq!(stored[0].commit, outcome.commit);
    assert_eq!(stored[1].state, LabRunState::Running);
    let signals = db.read().await.lab_signals(&[r1.id, r2.id]).await.unwrap();
    assert_eq!(signals[0], (r1.id, LabSignals { vulnerable: 1, pending: 1, ..LabSignals::default() }));
    assert_eq!(signals[1].1.pending, 1);
}

async fn grounding_is_replaced_and_sealed(db: &Db) {
    let org = db.organisation("lab-org").await;
    let project = db.project(&org, "one").await;
    let (report, _) = db.report(&project, None, "named", 0).await;
    assert_eq!(db.read().await.lab_grounding(report.id).await.unwrap(), None);
    let check = |names: Vec<Grounding>| GroundingCheck {
        git_ref: "v2.0.1".into(),
        commit: "b".repeat(40),
        names,
        checked_at: at(3),
    };
    let first = check(vec![
        Grounding { name: "parse_header_MARKER".into(), found: true, location: Some("src/p.py:3".into()) },
        Grounding { name: "frobnicate".into(), found: false, location: None },
    ]);
    let stored = first.clone();
    let id = report.id;
    db.write(move |tx| Box::pin(async move { tx.replace_lab_grounding(id, &stored).await })).await.unwrap();
    assert_eq!(db.read().await.lab_grounding(report.id).await.unwrap(), Some(first));
    let raw = db.raw_column("SELECT name FROM lab_grounding").await;
    assert!(raw.iter().all(|n| !String::from_utf8_lossy(n).contains("MARKER")), "names come from the report: sealed");

    let second = check(vec![Grounding { name: "only".into(), found: false, location: None }]);
    let stored = second.clone();
    db.write(move |tx| Box::pin(async move { tx.replace_lab_grounding(id, &stored).await })).await.unwrap();
    assert_eq!(db.read().await.lab_grounding(report.id).await.unwrap(), Some(second));
    let signals = db.read().await.lab_signals(&[report.id]).await.unwrap();
    assert_eq!(signals, vec![(report.id, LabSignals { names: 1, missing: 1, ..LabSignals::default() })]);
}
