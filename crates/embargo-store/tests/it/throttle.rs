//! Sign-in throttling counters (issue 12): counted in windows, locked, cleared, pruned.

use embargo_store::StoreError;
use embargo_store::throttle::{IntakeCount, ThrottleState};
use time::Duration;

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(
    failures_count_in_a_window_issue_12,
    locks_never_shorten_and_keys_are_forgotten_issue_12,
    reports_count_in_fixed_windows_issue_12,
    a_projects_recent_reports_are_counted_issue_12
);

async fn fail(db: &Db, key: &'static str, minute: i64) -> u32 {
    let now = at(minute);
    db.write(move |tx| Box::pin(async move { tx.count_failure(key, now, now - Duration::minutes(15)).await }))
        .await
        .unwrap()
}

async fn state(db: &Db, key: &str) -> Option<ThrottleState> {
    db.read().await.throttle_state(key).await.unwrap()
}

async fn failures_count_in_a_window_issue_12(db: &Db) {
    assert_eq!(state(db, "account:a").await, None);
    assert_eq!(fail(db, "account:a", 0).await, 1);
    assert_eq!(fail(db, "account:a", 1).await, 2);
    assert_eq!(fail(db, "address:192.0.2.7", 1).await, 1, "keys count apart");
    assert_eq!(fail(db, "account:a", 14).await, 3);
    assert_eq!(
        state(db, "account:a").await,
        Some(ThrottleState { failures: 3, window_start: at(0), locked_until: None })
    );
    assert_eq!(fail(db, "account:a", 16).await, 1, "a window older than 15 minutes starts again");
    assert_eq!(state(db, "account:a").await.unwrap().window_start, at(16));
}

async fn locks_never_shorten_and_keys_are_forgotten_issue_12(db: &Db) {
    fail(db, "account:b", 0).await;
    let lock = |until: i64| db.write(move |tx| Box::pin(async move { tx.lock_key("account:b", at(until)).await }));
    lock(10).await.unwrap();
    lock(5).await.unwrap();
    assert_eq!(state(db, "account:b").await.unwrap().locked_until, Some(at(10)));
    lock(20).await.unwrap();
    assert_eq!(state(db, "account:b").await.unwrap().locked_until, Some(at(20)));

    fail(db, "account:c", 0).await;
    let pruned: Result<u64, StoreError> =
        db.write(|tx| Box::pin(async move { tx.prune_throttle(at(1), at(15)).await })).await;
    assert_eq!(pruned.unwrap(), 1, "c's window is old and it has no lock; b is still locked");
    assert_eq!(state(db, "account:c").await, None);
    assert!(state(db, "account:b").await.is_some());
    db.write(|tx| Box::pin(async move { tx.clear_key("account:b").await })).await.unwrap();
    assert_eq!(state(db, "account:b").await, None);
}

async fn report(db: &Db, key: &'static str, minute: i64) -> IntakeCount {
    let now = at(minute);
    db.write(move |tx| Box::pin(async move { tx.count_report(key, now, now - Duration::hours(1)).await }))
        .await
        .unwrap()
}

async fn reports_count_in_fixed_windows_issue_12(db: &Db) {
    assert_eq!(report(db, "address:192.0.2.7", 0).await, IntakeCount { reports: 1, window_start: at(0) });
    assert_eq!(report(db, "address:192.0.2.7", 30).await, IntakeCount { reports: 2, window_start: at(0) });
    assert_eq!(report(db, "project:p", 30).await.reports, 1, "keys count apart");
    assert_eq!(report(db, "address:192.0.2.7", 59).await.reports, 3);
    assert_eq!(
        report(db, "address:192.0.2.7", 61).await,
        IntakeCount { reports: 1, window_start: at(61) },
        "a window older than an hour starts again"
    );
    let pruned: Result<u64, StoreError> =
        db.write(|tx| Box::pin(async move { tx.prune_intake_counts(at(31)).await })).await;
    assert_eq!(pruned.unwrap(), 1, "the project's window began at 30, the address's at 61");
    assert_eq!(report(db, "project:p", 62).await.reports, 1, "pruned counts start again");
    assert_eq!(report(db, "address:192.0.2.7", 62).await.reports, 2);
}

async fn a_projects_recent_reports_are_counted_issue_12(db: &Db) {
    let org = db.organisation("acme").await;
    let (widget, gadget) = (db.project(&org, "widget").await, db.project(&org, "gadget").await);
    let mut flood = Vec::new();
    for minute in [0, 5, 10, 20, 20, 20] {
        flood.push(db.report(&widget, None, "flood", minute).await.0.id);
    }
    db.report(&gadget, None, "elsewhere", 6).await;
    let before = |report, at_minute: i64, since: i64| {
        let project = widget.id;
        async move { db.read().await.project_reports_before(project, report, at(at_minute), at(since), 100).await.unwrap() }
    };
    assert_eq!(
        before(flood[3], 20, 0).await + before(flood[4], 20, 0).await + before(flood[5], 20, 0).await,
        3 + 4 + 5,
        "three reports at the same instant are ordered among themselves by id"
    );
    assert_eq!(before(flood[2], 10, 0).await, 2, "since is counted; the other project's report is not");
    assert_eq!(before(flood[2], 10, 1).await, 1);
    assert_eq!(before(flood[0], 0, 0).await, 0);
    let capped = db.read().await.project_reports_before(widget.id, flood[5], at(20), at(0), 2).await.unwrap();
    assert_eq!(capped, 2, "a flood is counted no further than asked");
    let between = |from: i64, to: i64| {
        let project = widget.id;
        async move { db.read().await.project_reports_between(project, at(from), at(to)).await.unwrap() }
    };
    assert_eq!(between(0, 20).await, 3, "from is counted, to is not");
    assert_eq!(between(5, 21).await, 5);
    assert_eq!(between(21, 40).await, 0);
}
