//! Single sign-on records (issue 12, item 2): a sign-in under way is found by
//! its cookie's hash until it expires and is taken once, its PKCE verifier
//! sealed at rest; identities link to one account; granted memberships are
//! listed and forgotten.

use embargo_core::private::Private;
use embargo_core::user::TeamScope;
use embargo_store::oidc::PendingSignIn;

use crate::conformance;
use crate::fixture::{Db, at, token_hash};

conformance!(
    a_pending_sign_in_is_found_until_it_expires_and_taken_once_issue_12,
    identities_and_granted_memberships_issue_12
);

async fn a_pending_sign_in_is_found_until_it_expires_and_taken_once_issue_12(db: &Db) {
    let pending = PendingSignIn {
        state: "state-1".into(),
        nonce: "nonce-1".into(),
        verifier: Private::new("verifier-secret-value".into()),
        next_path: Some("/reports".into()),
        created_at: at(0),
        expires_at: at(10),
    };
    let binding = token_hash();
    let stored = pending.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_oidc_pending(&binding, &stored).await })).await.unwrap();
    assert_eq!(db.read().await.oidc_pending(&binding, at(5)).await.unwrap(), Some(pending.clone()));
    assert_eq!(db.read().await.oidc_pending(&token_hash(), at(5)).await.unwrap(), None, "another cookie");
    assert_eq!(db.read().await.oidc_pending(&binding, at(10)).await.unwrap(), None, "expired");
    let raw = db.raw_column("SELECT verifier FROM oidc_pending").await;
    assert!(!raw[0].windows(8).any(|w| w == b"verifier"), "the verifier is sealed at rest");

    assert!(db.write(move |tx| Box::pin(async move { tx.take_oidc_pending(&binding).await })).await.unwrap());
    assert!(!db.write(move |tx| Box::pin(async move { tx.take_oidc_pending(&binding).await })).await.unwrap());

    // Expired rows go when the next sign-in starts.
    let (old, new) = (token_hash(), token_hash());
    let first = pending.clone();
    db.write(move |tx| Box::pin(async move { tx.insert_oidc_pending(&old, &first).await })).await.unwrap();
    let later = PendingSignIn { created_at: at(20), expires_at: at(30), ..pending };
    db.write(move |tx| Box::pin(async move { tx.insert_oidc_pending(&new, &later).await })).await.unwrap();
    assert_eq!(db.raw_column("SELECT verifier FROM oidc_pending").await.len(), 1);
}

async fn identities_and_granted_memberships_issue_12(db: &Db) {
    let user = db.user("alice@example.org").await;
    let org = db.organisation("pallets").await;
    let project = db.project(&org, "flask").await;
    let id = user.id;
    db.write(move |tx| {
        Box::pin(async move {
            tx.insert_oidc_identity("https://id.example", "sub-1", id, at(0)).await?;
            tx.touch_oidc_identity("https://id.example", "sub-1", at(5)).await?;
            tx.insert_oidc_membership(id, TeamScope::Organisation(org.id), at(0)).await?;
            tx.insert_oidc_membership(id, TeamScope::Project(project.id), at(0)).await
        })
    })
    .await
    .unwrap();
    let mut reader = db.read().await;
    assert_eq!(reader.oidc_identity("https://id.example", "sub-1").await.unwrap(), Some(id));
    assert_eq!(reader.oidc_identity("https://other.example", "sub-1").await.unwrap(), None, "issuer matters");
    assert_eq!(reader.oidc_memberships(id).await.unwrap().len(), 2);
    drop(reader);
    let duplicate = db
        .write(move |tx| {
            Box::pin(async move { tx.insert_oidc_identity("https://id.example", "sub-1", id, at(1)).await })
        })
        .await;
    assert!(duplicate.is_err(), "one account per identity");
    let org_id = org.id;
    db.write(move |tx| Box::pin(async move { tx.delete_oidc_membership(id, TeamScope::Organisation(org_id)).await }))
        .await
        .unwrap();
    assert_eq!(db.read().await.oidc_memberships(id).await.unwrap(), vec![TeamScope::Project(project.id)]);
}
