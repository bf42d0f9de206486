//! Users, sessions, API tokens and memberships.

use embargo_core::id::{SessionId, TokenId};
use embargo_core::user::{Membership, TeamScope, TokenScope, User};
use embargo_store::StoreError;
use embargo_store::sessions::{Session, SessionStage};
use embargo_store::users::ApiToken;

use crate::conformance;
use crate::fixture::{Db, at, new_uuid, token_hash};

conformance!(
    users_round_trip_and_emails_are_unique,
    sessions_expire,
    api_tokens_expire_and_revoke,
    memberships_list_both_kinds
);

async fn users_round_trip_and_emails_are_unique(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let mut r = db.read().await;
    assert_eq!(r.user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(r.user_by_email(&alice.email).await.unwrap(), Some(alice.clone()));
    let creds = r.credentials(&alice.email).await.unwrap().unwrap();
    assert_eq!(creds.password_hash.unwrap().expose(), "$argon2id$test");
    assert_eq!(r.count_users().await.unwrap(), 1);

    let twin = User { id: embargo_core::id::UserId::from_uuid(new_uuid()), name: "Twin".into(), ..alice.clone() };
    let result = db.write(move |tx| Box::pin(async move { tx.insert_user(&twin, None).await })).await;
    assert!(matches!(result, Err(StoreError::Conflict { .. })), "{result:?}");
    assert_eq!(r.count_users().await.unwrap(), 1, "a refused insert changes nothing");
    assert_eq!(r.users().await.unwrap(), vec![alice]);
}

async fn sessions_expire(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let hash = token_hash();
    let session = Session {
        id: SessionId::from_uuid(new_uuid()),
        user_id: alice.id,
        stage: SessionStage::Complete,
        created_at: at(0),
        expires_at: at(60),
        factor_at: None,
    };
    db.write(move |tx| Box::pin(async move { tx.insert_session(&session, &hash).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.session_user(&hash, at(59)).await.unwrap(), Some(alice.id));
    assert_eq!(r.session_user(&hash, at(60)).await.unwrap(), None, "expired at its expiry time");
    assert_eq!(r.session_user(&token_hash(), at(1)).await.unwrap(), None);
    let deleted = db.write(move |tx| Box::pin(async move { tx.delete_session(&hash).await })).await.unwrap();
    assert!(deleted);
    assert_eq!(r.session_user(&hash, at(1)).await.unwrap(), None);
}

async fn api_tokens_expire_and_revoke(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let bob = db.user("bob@example.org").await;
    let token = ApiToken {
        id: TokenId::from_uuid(new_uuid()),
        user_id: alice.id,
        name: "ci".into(),
        scopes: [TokenScope::Read, TokenScope::Triage].into_iter().collect(),
        created_at: at(0),
        expires_at: Some(at(100)),
        revoked_at: None,
    };
    let hash = token_hash();
    let stored = token.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_api_token(&stored, &hash).await })).await.unwrap();
    let mut r = db.read().await;
    assert_eq!(r.api_token(&hash, at(1)).await.unwrap(), Some(token.clone()));
    assert_eq!(r.api_token(&hash, at(100)).await.unwrap(), None, "expired");
    assert_eq!(r.api_tokens(alice.id).await.unwrap(), vec![token.clone()]);

    let id = token.id;
    let by_other =
        db.write(move |tx| Box::pin(async move { tx.revoke_api_token(id, bob.id, at(2)).await })).await.unwrap();
    assert!(!by_other, "only the owner revokes");
    let revoked =
        db.write(move |tx| Box::pin(async move { tx.revoke_api_token(id, alice.id, at(2)).await })).await.unwrap();
    assert!(revoked);
    assert_eq!(r.api_token(&hash, at(3)).await.unwrap(), None);
    assert_eq!(r.api_tokens(alice.id).await.unwrap()[0].revoked_at, Some(at(2)));
}

async fn memberships_list_both_kinds(db: &Db) {
    let alice = db.user("alice@example.org").await;
    let org = db.organisation("pallets").await;
    let other = db.organisation("python").await;
    let project = db.project(&other, "cpython").await;
    for scope in [TeamScope::Organisation(org.id), TeamScope::Project(project.id)] {
        let m = Membership { user_id: alice.id, scope, created_at: at(5) };
        let added = db.write(move |tx| Box::pin(async move { tx.add_member(&m).await })).await.unwrap();
        assert!(added);
    }
    let again = Membership { user_id: alice.id, scope: TeamScope::Organisation(org.id), created_at: at(6) };
    let added = db.write(move |tx| Box::pin(async move { tx.add_member(&again).await })).await.unwrap();
    assert!(!added, "adding twice is a no-op");

    let mut r = db.read().await;
    let mut scopes: Vec<TeamScope> = r.memberships(alice.id).await.unwrap().into_iter().map(|m| m.scope).collect();
    scopes.sort();
    let mut expected = vec![TeamScope::Organisation(org.id), TeamScope::Project(project.id)];
    expected.sort();
    assert_eq!(scopes, expected);
    assert_eq!(r.members(TeamScope::Organisation(org.id)).await.unwrap()[0].user, alice);

    let removed = db
        .write(move |tx| Box::pin(async move { tx.remove_member(alice.id, TeamScope::Organisation(org.id)).await }))
        .await
        .unwrap();
    assert!(removed);
    assert_eq!(r.memberships(alice.id).await.unwrap().len(), 1);
}
