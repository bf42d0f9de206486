//! Sign-in throttling counters (issue 12): counted in windows, locked, cleared, pruned.

use embargo_store::StoreError;
use embargo_store::throttle::ThrottleState;
use time::Duration;

use crate::conformance;
use crate::fixture::{Db, at};

conformance!(failures_count_in_a_window_issue_12, locks_never_shorten_and_keys_are_forgotten_issue_12);

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
