//! The evidence lab's runs and grounding: queue, leases (one run per project
//! at a time, expiry, attempts), sealed output and names, signals.

use embargo_core::id::{LabRunId, ReportId};
use embargo_core::lab::{Grounding, LabResult, RunPurpose};
use embargo_core::permission::{Actor, UserActor, visible_reports};
use embargo_core::private::Private;
use embargo_core::user::{Membership, TeamScope};
use embargo_store::StoreExt;
use embargo_store::lab::{GroundingCheck, LabOutcome, LabRunState, LabSignal, LabSignals, NewLabRun};
use embargo_store::reports::ReportFilter;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    runs_are_claimed_one_project_at_a_time_and_finished_by_their_worker,
    grounding_is_replaced_and_sealed,
    runs_lost_too_often_end_inconclusive,
    issue_17_the_lab_filter_and_sort_run_in_the_listing_query,
);

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

async fn queue(db: &Db, runs: Vec<NewLabRun>) {
    db.write(move |tx| {
        Box::pin(async move {
            for run in &runs {
                tx.insert_lab_run(run).await?;
            }
            Ok(())
        })
    })
    .await
    .unwrap();
}

async fn finish(db: &Db, worker: &'static str, now: i64, result: LabResult) {
    let run = claim(db, worker, now).await.unwrap();
    let outcome = LabOutcome {
        result,
        reason: "exit code".into(),
        output: Private::new(String::new()),
        commit: Some("c".repeat(40)),
        finished_at: at(now),
    };
    let id = run.run.id;
    assert!(db.write(move |tx| Box::pin(async move { tx.finish_lab_run(id, worker, &outcome).await })).await.unwrap());
}

async fn runs_lost_too_often_end_inconclusive(db: &Db) {
    let org = db.organisation("lab-org").await;
    let project = db.project(&org, "one").await;
    let (report, _) = db.report(&project, None, "slow", 0).await;
    let run = new_run(report.id, project.id, "1.0", 1);
    queue(db, vec![run.clone()]).await;
    // Three workers take it in turn and each lets the lease (10 minutes) run out.
    for (attempt, now) in [(1, 2), (2, 13), (3, 24)] {
        let taken = claim(db, "w", now).await.unwrap();
        assert_eq!((taken.run.id, taken.attempts), (run.id, attempt));
    }
    assert!(claim(db, "w", 35).await.is_none(), "tried three times: left alone");
    let stored = db.read().await.lab_runs(report.id).await.unwrap();
    assert_eq!((stored[0].state, stored[0].result), (LabRunState::Done, Some(LabResult::Inconclusive)));
    assert!(stored[0].reason.as_deref().unwrap_or_default().contains("lost this run 3 times"));
    assert_eq!(db.read().await.pending_lab_runs(project.id).await.unwrap(), 0, "no longer counts against the limit");
    let signals = db.read().await.lab_signals(&[report.id]).await.unwrap();
    assert_eq!(signals, vec![(report.id, LabSignals { inconclusive: 1, ..LabSignals::default() })]);
}

fn titles(reports: &[embargo_core::report::Report]) -> Vec<String> {
    reports.iter().map(|r| r.content.expose().title.clone()).collect()
}

/// Issue 17: the queue filters and sorts by the lab's signal in the query
/// itself, so an old report that reproduced is found behind any number of newer ones.
async fn issue_17_the_lab_filter_and_sort_run_in_the_listing_query(db: &Db) {
    let org = db.organisation("pallets").await;
    let flask = db.project(&org, "flask").await;
    let elsewhere = db.organisation("elsewhere").await;
    let theirs = db.project(&elsewhere, "theirs").await;
    let team = db.user("team@example.org").await;
    let m = Membership { user_id: team.id, scope: TeamScope::Organisation(org.id), created_at: at(0) };
    db.write(move |tx| Box::pin(async move { tx.add_member(&m).await })).await.unwrap();
    let (old, _) = db.report(&flask, None, "old reproduced", 1).await;
    let (flagged, _) = db.report(&flask, None, "flagged", 2).await;
    let (refuted, _) = db.report(&flask, None, "not reproduced", 3).await;
    let (waiting, _) = db.report(&flask, None, "queued", 4).await;
    for (title, minutes) in [("newer 1", 5), ("newer 2", 6), ("newer 3", 7)] {
        db.report(&flask, None, title, minutes).await;
    }
    // The team member's own report elsewhere, reproduced: the lab record is that team's, not theirs.
    let (own, _) = db.report(&theirs, Some(team.id), "my own", 8).await;

    queue(db, vec![new_run(old.id, flask.id, "1.0", 10)]).await;
    finish(db, "w", 11, LabResult::Vulnerable).await;
    queue(db, vec![new_run(refuted.id, flask.id, "1.0", 12)]).await;
    finish(db, "w", 13, LabResult::NotVulnerable).await;
    queue(db, vec![new_run(own.id, theirs.id, "1.0", 14)]).await;
    finish(db, "w", 15, LabResult::Vulnerable).await;
    queue(db, vec![new_run(waiting.id, flask.id, "1.0", 16)]).await;
    let names = ["a", "b", "c"].map(|n| Grounding { name: n.into(), found: n == "a", location: None }).to_vec();
    let check = GroundingCheck { git_ref: "v1".into(), commit: "d".repeat(40), names, checked_at: at(17) };
    let id = flagged.id;
    db.write(move |tx| Box::pin(async move { tx.replace_lab_grounding(id, &check).await })).await.unwrap();

    let mut r = db.read().await;
    let base = ReportFilter {
        scope: visible_reports(&Actor::User(UserActor { team_orgs: vec![org.id], ..UserActor::named(team.id) })),
        org: None,
        project: None,
        state: None,
        open_only: false,
        assignee: None,
        lab: None,
        lab_first: false,
        deadline_first: false,
        limit: 100,
        offset: 0,
        after: None,
        search: Vec::new(),
    };
    let with = |signal: LabSignal, limit: u32| ReportFilter { lab: Some(signal), limit, ..base.clone() };
    assert_eq!(titles(&r.reports(&with(LabSignal::Reproduced, 1)).await.unwrap()), ["old reproduced"]);
    assert_eq!(titles(&r.reports(&with(LabSignal::NotReproduced, 100)).await.unwrap()), ["not reproduced"]);
    assert_eq!(titles(&r.reports(&with(LabSignal::GroundingFlagged, 100)).await.unwrap()), ["flagged"]);
    assert_eq!(
        titles(&r.reports(&with(LabSignal::NotRun, 100)).await.unwrap()),
        ["newer 3", "newer 2", "newer 1", "queued", "flagged"]
    );
    let paged = ReportFilter { offset: 1, limit: 2, ..with(LabSignal::NotRun, 2) };
    assert_eq!(titles(&r.reports(&paged).await.unwrap()), ["newer 2", "newer 1"], "pages count matching reports");
    let sorted = ReportFilter { lab_first: true, org: Some(org.id), ..base.clone() };
    assert_eq!(
        titles(&r.reports(&sorted).await.unwrap()),
        ["old reproduced", "newer 3", "newer 2", "newer 1", "queued", "flagged", "not reproduced"]
    );
    assert_eq!(
        titles(&r.reports(&base).await.unwrap()).first().map(String::as_str),
        Some("my own"),
        "unfiltered, their own report is listed"
    );
}

/// Issue 17: on PostgreSQL two workers (two stores on one database) never
/// lease two runs of one project at once. The first worker's claim is held
/// open; the second's must wait for it (or find nothing), never take the
/// project's other run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_two_workers_on_one_postgres_database_lease_one_run_per_project() {
    let Some(db) = Db::postgres().await else { return };
    let org = db.organisation("lab-org").await;
    let project = db.project(&org, "one").await;
    let (report, _) = db.report(&project, None, "raced", 0).await;
    queue(&db, vec![new_run(report.id, project.id, "1.0", 1), new_run(report.id, project.id, "2.0", 2)]).await;

    let (claimed, first) = tokio::sync::oneshot::channel();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let worker_a = db.shared();
    let a = tokio::spawn(async move {
        worker_a
            .write(move |tx| {
                Box::pin(async move {
                    let run = tx.claim_lab_run("a", at(5), at(15), 3).await?;
                    claimed.send(run.as_ref().map(|r| r.run.id)).ok();
                    released.await.ok();
                    Ok::<_, embargo_store::StoreError>(run)
                })
            })
            .await
    });
    let first = first.await.unwrap().expect("a leases the first run");
    let worker_b = db.reopen().await;
    let b = tokio::spawn(async move {
        let claimed = worker_b.write(|tx| Box::pin(async move { tx.claim_lab_run("b", at(5), at(15), 3).await })).await;
        worker_b.close().await;
        claimed
    });
    // Until b has either answered or is waiting on a lock held by a's open transaction.
    let waiting = "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory' \
                   AND classid::bigint = 1281450528 \
                   AND objid::bigint = (hashtext('embargo lab claim ' || current_schema())::bigint & 4294967295)";
    let mut looked = 0;
    while !b.is_finished() && db.pg_number(waiting).await == 0 {
        looked += 1;
        assert!(looked < 10_000, "b neither answered nor waited");
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    assert_eq!(a.await.unwrap().unwrap().map(|r| r.run.id), Some(first));
    let second = b.await.unwrap().unwrap();
    assert_eq!(second.map(|r| r.run.line), None, "b must not lease the project's other run while a holds one");
    db.finish().await;
}
