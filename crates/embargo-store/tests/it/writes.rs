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
    an_answered_write_survives_a_restart
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
