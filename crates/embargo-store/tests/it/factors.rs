//! Second factors and sessions (issue 12): sessions at each sign-in stage,
//! listed and ended; the TOTP secret sealed at rest; a time step and a
//! recovery code each accepted once.

use embargo_core::id::SessionId;
use embargo_core::private::Private;
use embargo_store::factors::TotpFactor;
use embargo_store::sessions::{Session, SessionStage};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(
    sessions_pass_their_stages_and_end_one_by_one_or_all_but_one,
    totp_secrets_are_sealed_and_steps_and_recovery_codes_work_once
);

fn session(user: embargo_core::id::UserId, stage: SessionStage, minute: i64) -> Session {
    Session {
        id: SessionId::from_uuid(new_uuid()),
        user_id: user,
        stage,
        created_at: at(minute),
        expires_at: at(minute + 60),
        factor_at: None,
    }
}

async fn sessions_pass_their_stages_and_end_one_by_one_or_all_but_one(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let bob = db.user("bob@example.org").await;
    let (waiting, complete, older) = (
        session(alice.id, SessionStage::SecondFactor, 2),
        session(alice.id, SessionStage::Complete, 1),
        session(alice.id, SessionStage::Complete, 0),
    );
    let (h_waiting, h_complete, h_older) = (token_hash(), token_hash(), token_hash());
    let stored = (waiting.clone(), complete.clone(), older.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_session(&stored.0, &h_waiting).await?;
            tx.insert_session(&stored.1, &h_complete).await?;
            tx.insert_session(&stored.2, &h_older).await
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.session_user(&h_waiting, at(3)).await.unwrap(), None, "a waiting session acts as nobody");
    assert_eq!(r.session_user(&h_complete, at(3)).await.unwrap(), Some(alice.id));
    assert_eq!(r.session(&h_waiting, at(3)).await.unwrap(), Some(waiting.clone()));
    let listed: Vec<SessionId> = r.sessions(alice.id, at(3)).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, vec![waiting.id, complete.id, older.id], "newest first");
    assert_eq!(r.sessions(alice.id, at(61)).await.unwrap().len(), 1, "expired ones are not listed");

    let advanced = db
        .write(move |tx| {
            Box::pin(async move { tx.advance_session(&h_waiting, SessionStage::Complete, Some(at(4))).await })
        })
        .await
        .unwrap();
    assert!(advanced);
    assert_eq!(r.session_user(&h_waiting, at(5)).await.unwrap(), Some(alice.id));
    assert_eq!(r.session(&h_waiting, at(5)).await.unwrap().unwrap().factor_at, Some(at(4)));

    let (older_id, keep) = (older.id, waiting.id);
    let by_bob = db.write(move |tx| Box::pin(async move { tx.end_session(bob.id, older_id).await })).await.unwrap();
    assert!(!by_bob, "only the owner's own sessions end");
    let by_alice = db.write(move |tx| Box::pin(async move { tx.end_session(alice.id, older_id).await })).await.unwrap();
    assert!(by_alice);
    let ended = db.write(move |tx| Box::pin(async move { tx.end_sessions(alice.id, Some(keep)).await })).await.unwrap();
    assert_eq!(ended, 1);
    assert_eq!(r.session_user(&h_complete, at(5)).await.unwrap(), None);
    assert_eq!(r.session_user(&h_waiting, at(5)).await.unwrap(), Some(alice.id), "the kept one lives");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn totp_secrets_are_sealed_and_steps_and_recovery_codes_work_once(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let secret = b"TOTP-SECRET-MARKER-1".to_vec();
    let factor = TotpFactor {
        user_id: alice.id,
        secret: Private::new(secret.clone()),
        created_at: at(0),
        confirmed_at: None,
        last_step: 0,
    };
    let stored = factor.clone();
    db.write(move |tx| Box::pin(async move { tx.put_totp_factor(&stored).await })).await.unwrap();
    let raw = db.raw_column("SELECT secret FROM totp_factors").await;
    assert!(!contains(&raw[0], &secret), "the secret is sealed at rest");
    let mut r = db.read().await;
    assert_eq!(r.totp_factor(alice.id).await.unwrap(), Some(factor));

    let steps = db
        .write(move |tx| {
            Box::pin(async move {
                tx.confirm_totp_factor(alice.id, at(1)).await?;
                let first = tx.use_totp_step(alice.id, 100).await?;
                let replay = tx.use_totp_step(alice.id, 100).await?;
                let older = tx.use_totp_step(alice.id, 99).await?;
                let next = tx.use_totp_step(alice.id, 101).await?;
                Ok((first, replay, older, next))
            })
        })
        .await
        .unwrap();
    assert_eq!(steps, (true, false, false, true), "each step once, never an older one");
    assert_eq!(r.totp_factor(alice.id).await.unwrap().unwrap().confirmed_at, Some(at(1)));

    let (one, two) = (token_hash(), token_hash());
    let uses = db
        .write(move |tx| {
            Box::pin(async move {
                tx.replace_recovery_codes(alice.id, &[one, two]).await?;
                let first = tx.use_recovery_code(alice.id, &one, at(2)).await?;
                let again = tx.use_recovery_code(alice.id, &one, at(3)).await?;
                let unknown = tx.use_recovery_code(alice.id, &token_hash(), at(3)).await?;
                Ok((first, again, unknown))
            })
        })
        .await
        .unwrap();
    assert_eq!(uses, (true, false, false));
    assert_eq!(r.recovery_codes_left(alice.id).await.unwrap(), 1);

    let removed = db.write(move |tx| Box::pin(async move { tx.delete_totp_factor(alice.id).await })).await.unwrap();
    assert!(removed);
    assert_eq!(r.totp_factor(alice.id).await.unwrap(), None);
    assert_eq!(r.recovery_codes_left(alice.id).await.unwrap(), 0, "codes go with the factor");
}
