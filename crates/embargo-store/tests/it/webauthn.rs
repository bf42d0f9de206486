//! WebAuthn keys and ceremonies (issue 12): keys listed per user and removed
//! only by their owner, a credential id registered once across users, and a
//! ceremony's state taken once, per session and kind, and not after it expired.

use embargo_core::id::SessionId;
use embargo_store::webauthn::{Ceremony, CeremonyKind, WebauthnKey};

use crate::conformance;
use crate::fixture::{Db, at, new_uuid};

conformance!(keys_belong_to_one_user_and_are_removed_by_their_owner, ceremonies_are_taken_once_and_expire);

fn key(user: embargo_core::id::UserId, name: &str, credential_id: &[u8], minute: i64) -> WebauthnKey {
    WebauthnKey {
        id: new_uuid(),
        user_id: user,
        name: name.to_owned(),
        credential_id: credential_id.to_vec(),
        credential: format!("{{\"cred\":\"{name}\"}}"),
        created_at: at(minute),
        last_used_at: None,
    }
}

async fn keys_belong_to_one_user_and_are_removed_by_their_owner(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let bob = db.user("bob@example.org").await;
    let (blue, laptop) = (key(alice.id, "Blue YubiKey", b"cred-1", 1), key(alice.id, "Laptop", b"cred-2", 2));
    let stored = (blue.clone(), laptop.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_webauthn_key(&stored.1).await?;
            tx.insert_webauthn_key(&stored.0).await
        })
    })
    .await
    .unwrap();
    let mut r = db.read().await;
    assert_eq!(r.webauthn_keys(alice.id).await.unwrap(), vec![blue.clone(), laptop.clone()], "oldest first");
    assert!(r.webauthn_keys(bob.id).await.unwrap().is_empty());
    assert!(r.webauthn_credential_known(b"cred-1").await.unwrap());
    assert!(!r.webauthn_credential_known(b"cred-3").await.unwrap());
    drop(r);

    // The same credential cannot be registered twice, not even by another user.
    let again = key(bob.id, "Stolen", b"cred-1", 3);
    let refused = db.write(move |tx| Box::pin(async move { tx.insert_webauthn_key(&again).await })).await;
    assert!(refused.is_err(), "a credential id is registered once");
    assert!(db.read().await.webauthn_keys(bob.id).await.unwrap().is_empty(), "nothing was stored");

    // A sign-in updates the credential (its counter) and when it was used.
    let id = blue.id;
    db.write(move |tx| Box::pin(async move { tx.use_webauthn_key(id, "{\"cred\":\"counted\"}", at(5)).await }))
        .await
        .unwrap();
    let used = db.read().await.webauthn_keys(alice.id).await.unwrap();
    assert_eq!(used[0].credential, "{\"cred\":\"counted\"}");
    assert_eq!(used[0].last_used_at, Some(at(5)));

    // Bob cannot remove Alice's key; Alice can.
    let (bob_id, alice_id) = (bob.id, alice.id);
    let by_bob = db.write(move |tx| Box::pin(async move { tx.delete_webauthn_key(bob_id, id).await })).await.unwrap();
    assert!(!by_bob);
    let by_alice =
        db.write(move |tx| Box::pin(async move { tx.delete_webauthn_key(alice_id, id).await })).await.unwrap();
    assert!(by_alice);
    assert_eq!(db.read().await.webauthn_keys(alice.id).await.unwrap(), vec![laptop]);
}

async fn ceremonies_are_taken_once_and_expire(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let session = SessionId::from_uuid(new_uuid());
    let ceremony = |kind, state: &str, expires| Ceremony {
        session_id: session,
        kind,
        user_id: alice.id,
        name: "Blue YubiKey".to_owned(),
        state: state.to_owned(),
        expires_at: at(expires),
    };
    let (first, second, sign_in) = (
        ceremony(CeremonyKind::Register, "first", 10),
        ceremony(CeremonyKind::Register, "second", 10),
        ceremony(CeremonyKind::Authenticate, "sign-in", 10),
    );
    let stored = (first, second.clone(), sign_in.clone());
    db.write(move |tx| {
        Box::pin(async move {
            tx.put_ceremony(&stored.0, at(0)).await?;
            tx.put_ceremony(&stored.1, at(1)).await?;
            tx.put_ceremony(&stored.2, at(1)).await
        })
    })
    .await
    .unwrap();
    let take = |kind, now| db.write(move |tx| Box::pin(async move { tx.take_ceremony(session, kind, at(now)).await }));
    assert_eq!(take(CeremonyKind::Register, 2).await.unwrap(), Some(second), "a new start replaces the old one");
    assert_eq!(take(CeremonyKind::Register, 2).await.unwrap(), None, "taken once");
    assert_eq!(take(CeremonyKind::Authenticate, 11).await.unwrap(), None, "expired");
    assert_eq!(take(CeremonyKind::Authenticate, 2).await.unwrap(), None, "an expired one is gone, too");
    drop(sign_in);
}
