//! The write path: one transaction per use case, atomic, durable, and on
//! SQLite batched without one failure sinking the others.

use embargo_core::id::UserId;
use embargo_core::user::User;
use embargo_store::StoreError;
use embargo_store::prelude::*;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(
    a_failed_use_case_changes_nothing,
    concurrent_use_cases_succeed_or_fail_alone,
    an_answered_write_survives_a_restart,
    issue_9_a_panicking_use_case_fails_alone_and_the_writer_goes_on,
    every_write_asked_for_is_counted_issue_15
);

fn user(n: usize) -> User {
    User {
        id: UserId::from_uuid(new_uuid()),
        email: format!("user{n}@example.org").parse().unwrap(),
        name: format!("User {n}"),
        is_admin: false,
        created_at: at(0),
        banned_at: None,
    }
}

async fn a_failed_use_case_changes_nothing(db: &Db) {
    let (a, b) = (user(1), user(2));
    let result: Result<(), StoreError> = db
        .write(move |tx| {
            Box::pin(async move {
                tx.insert_user(&a, None).await?;
                tx.insert_user(&b, None).await?;
                Err(StoreError::Conflict { constraint: "refused by the use case".into() })
            })
        })
        .await;
    assert!(matches!(result, Err(StoreError::Conflict { .. })));
    assert_eq!(db.read().await.count_users().await.unwrap(), 0);
}

async fn concurrent_use_cases_succeed_or_fail_alone(db: &Db) {
    let writes = (0..64).map(|n| {
        let store = db.shared();
        async move {
            let u = user(n);
            let outcome: Result<(), StoreError> = store
                .write(move |tx| {
                    Box::pin(async move {
                        tx.insert_user(&u, None).await?;
                        if n % 2 == 1 { Err(StoreError::Other(format!("use case {n} refused"))) } else { Ok(()) }
                    })
                })
                .await;
            (n, outcome.is_ok())
        }
    });
    let mut results = Vec::new();
    for handle in writes.map(|f| tokio::spawn(f)).collect::<Vec<_>>() {
        results.push(handle.await.unwrap());
    }
    assert!(results.iter().all(|(n, ok)| *ok == (n % 2 == 0)));
    let mut r = db.read().await;
    let emails: Vec<String> = r.users().await.unwrap().into_iter().map(|u| u.email.to_string()).collect();
    assert_eq!(emails.len(), 32);
    assert!(emails.iter().all(|e| {
        let n: usize = e.trim_start_matches("user").trim_end_matches("@example.org").parse().unwrap();
        n.is_multiple_of(2)
    }));
}

async fn an_answered_write_survives_a_restart(db: &Db) {
    let u = user(7);
    let id = u.id;
    db.write(move |tx| Box::pin(async move { tx.insert_user(&u, None).await })).await.unwrap();
    let reopened = db.reopen().await;
    let mut r = reopened.reader().await.unwrap();
    assert!(r.user(id).await.unwrap().is_some());
    drop(r);
    reopened.close().await;
}

/// Issue 9: a panic inside one queued use case used to end the SQLite writer
/// task for good. Now that use case fails with an error, the others of its
/// batch commit, and later writes still work.
async fn issue_9_a_panicking_use_case_fails_alone_and_the_writer_goes_on(db: &Db) {
    let writes = (0..16).map(|n| {
        let store = db.shared();
        async move {
            let u = user(100 + n);
            let outcome: Result<(), StoreError> = store
                .write(move |tx| {
                    Box::pin(async move {
                        tx.insert_user(&u, None).await?;
                        if n == 5 {
                            panic!("use case {n} is broken");
                        }
                        Ok(())
                    })
                })
                .await;
            (n, outcome)
        }
    });
    let handles: Vec<_> = writes.map(|f| tokio::spawn(f)).collect();
    for handle in handles {
        let (n, outcome) = handle.await.expect("the caller's task does not panic");
        match n {
            5 => assert!(matches!(outcome, Err(StoreError::Other(ref why)) if why.contains("panicked")), "{outcome:?}"),
            _ => assert!(outcome.is_ok(), "use case {n}: {outcome:?}"),
        }
    }
    assert_eq!(db.read().await.count_users().await.unwrap(), 15);
    let later = user(200);
    db.write(move |tx| Box::pin(async move { tx.insert_user(&later, None).await })).await.unwrap();
    assert_eq!(db.read().await.count_users().await.unwrap(), 16);
}

/// The background search indexer yields the writer while this count moves
/// (`Store::writes_asked`): every write counts, committed or refused, and a
/// read does not.
async fn every_write_asked_for_is_counted_issue_15(db: &Db) {
    let before = db.store().writes_asked();
    db.write(|tx| Box::pin(async move { tx.insert_user(&user(1), None).await })).await.unwrap();
    let refused: Result<(), StoreError> =
        db.write(|_| Box::pin(async move { Err(StoreError::Other("refused by the use case".into())) })).await;
    assert!(refused.is_err());
    assert_eq!(db.read().await.count_users().await.unwrap(), 1);
    assert_eq!(db.store().writes_asked(), before + 2, "two writes were asked for; the read is not one");
}
